// SIGKILL under load on the production topology: one API and one worker die with 500 commands in
// flight. Counted from outside: every accepted command completes, none records a transition
// twice, and the leader-only loops (the command and the event dispatcher) move to the survivor.
import crypto from 'node:crypto';
import pg from 'pg';
import type { Cluster } from '../../src/cluster/cluster';
import { call, clusterApi, startTestCluster, waitFor, type ApiTarget } from '../helpers/harness';
import { startReceiver, type Receiver } from '../helpers/receiver';

const COMMANDS = 500;
const SENDERS = 25;
const LOCKS = ['cadenza command dispatcher:cadenza', 'cadenza event dispatcher:cadenza'];

let cluster: Cluster;
let receiver: Receiver;
let db: pg.Client;

beforeAll(async () => {
  receiver = await startReceiver();
  cluster = await startTestCluster({ env: { CADENZA_OUTBOUND_ALLOWLIST: '127.0.0.1' } });
  db = new pg.Client({ connectionString: cluster.env.DATABASE_URL });
  await db.connect();
}, 600_000);

afterAll(async () => {
  await db?.end();
  await cluster?.stop();
  await receiver?.close();
});

/** Sessions holding a leader's advisory lock (pg_try_advisory_lock(hashtext(name)), split into two 32-bit halves). */
async function lockHolders(lockName: string): Promise<number[]> {
  const { rows } = await db.query<{ pid: number }>(
    `SELECT pid FROM pg_locks
      WHERE locktype = 'advisory' AND granted AND objsubid = 1
        AND ((classid::bigint << 32) | objid::bigint) = hashtext($1)::bigint`,
    [lockName],
  );
  return rows.map((r) => r.pid);
}

const becameLeader = (worker: string, lockName: string) =>
  cluster.processes
    .get(worker)!
    .output()
    .split('\n')
    .some((line) => line.includes('"became leader"') && line.includes(`"lockName":"${lockName}"`));

/** Sends one command, to api-2 once api-1 is gone; a send whose answer was lost is sent again with the same id. */
async function sendUntilAccepted(id: string, apiFor: () => ApiTarget): Promise<void> {
  for (let tries = 0; ; tries++) {
    try {
      const res = await call(apiFor(), 'POST', '/v1/commands', {
        key: cluster.adminKey,
        // A short heartbeat timeout and backoff, so a handler lost with its worker is retried within seconds.
        body: { domain: 'demo', type: 'slow', commandId: id, payload: { ms: 1000 }, timeouts: { heartbeatMs: 5000 }, backoffMs: [1000] },
      });
      if (res.status === 202 || res.status === 200) return;
      throw new Error(`answered ${res.status}: ${JSON.stringify(res.body)}`);
    } catch (err) {
      if (tries >= 5) throw err;
    }
  }
}

/**
 * What is wrong with a completed command's audit trail, if anything. An attempt whose worker died
 * before the handler recorded its start has a failure (its timeout) but no start.
 */
function auditProblems(id: string, audit: { type: string; sequence: number; payload: any }[]): string[] {
  const problems: string[] = [];
  const types = audit.map((e) => e.type);
  const of = (type: string) => audit.filter((e) => e.type === type);
  const twice = (values: unknown[]) => new Set(values).size !== values.length;
  if (types[0] !== 'command.sent' || of('command.sent').length !== 1) problems.push(`${id}: not sent exactly once first`);
  if (types.at(-1) !== 'command.completed' || of('command.completed').length !== 1) problems.push(`${id}: not completed exactly once last`);
  if (twice(of('command.started').map((e) => e.payload?.totalAttempts))) problems.push(`${id}: an attempt started twice`);
  if (twice(of('command.attempt_failed').map((e) => e.payload?.attempt))) problems.push(`${id}: an attempt failed twice`);
  if (twice(of('command.retry_scheduled').map((e) => e.payload?.attempt))) problems.push(`${id}: a retry was scheduled twice`);
  if (of('command.started').length > of('command.attempt_failed').length + 1) problems.push(`${id}: more starts than attempts`);
  if (audit.some((e, i) => e.sequence !== i + 1)) problems.push(`${id}: sequences ${audit.map((e) => e.sequence).join(',')}`);
  if (problems.length > 0) problems.push(`${id}: ${types.join(' ')}`);
  return problems;
}

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: size }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
  }));
}

describe('a crash under load', () => {
  it('loses and doubles nothing when one API and one worker are SIGKILLed with 500 commands in flight, and the dispatchers move', async () => {
    const api1 = clusterApi(cluster, 'api-1');
    const api2 = clusterApi(cluster, 'api-2');
    for (const lock of LOCKS) await waitFor(async () => (await lockHolders(lock)).length === 1, { what: `a leader for ${lock}` });
    // The worker leading the event dispatcher dies; the other must take over whatever it led.
    const victim = await waitFor(() => ['worker-all', 'worker-demo'].find((w) => becameLeader(w, LOCKS[1]!)), { what: 'the event dispatcher leader' });
    const survivor = victim === 'worker-all' ? 'worker-demo' : 'worker-all';

    const hook = await call(api2, 'POST', '/v1/targets', { key: cluster.adminKey, body: { name: 'after-crash', type: 'webhook', endpoint: receiver.url } });
    expect(hook.status).toBe(201);
    expect((await call(api2, 'PUT', '/v1/executions', { key: cluster.adminKey, body: { condition: 'event/crash.*', targets: [{ target: hook.body.id }] } })).status).toBe(200);

    const ids = Array.from({ length: COMMANDS }, (_, i) => `load-${i}-${crypto.randomBytes(3).toString('hex')}`);
    let api1Alive = true;
    let sent = 0;
    const sending = inBatches(ids, SENDERS, async (id) => {
      await sendUntilAccepted(id, () => (api1Alive && sent % 2 === 0 ? api1 : api2));
      sent++;
    });
    await waitFor(() => sent >= COMMANDS * 0.4, { timeoutMs: 120_000, what: 'the first 40% of the commands to be accepted' });
    api1Alive = false;
    await Promise.all([cluster.killProcess('api-1'), cluster.killProcess(victim)]);
    await sending;
    expect(sent).toBe(COMMANDS);

    const completed = async () => {
      const done = new Set<string>();
      for (let cursor: string | null = null, first = true; first || cursor !== null; first = false) {
        const page: any = (await call(api2, 'GET', `/v1/commands?domain=demo&type=slow&status=COMPLETED&limit=500${cursor ? `&cursor=${cursor}` : ''}`, { key: cluster.adminKey })).body;
        for (const c of page.items) done.add(c.commandId);
        cursor = page.nextCursor;
      }
      return done;
    };
    await waitFor(async () => (await completed()).size === COMMANDS, { timeoutMs: 240_000, intervalMs: 1000, what: `all ${COMMANDS} commands to complete` });
    expect([...(await completed())].sort()).toEqual([...ids].sort());

    const problems: string[] = [];
    let interrupted = 0;
    await inBatches(ids, 10, async (id) => {
      const audit = (await call(api2, 'GET', `/v1/commands/demo/${id}/audit`, { key: cluster.adminKey })).body.items;
      problems.push(...auditProblems(id, audit));
      if (audit.some((e: any) => e.type === 'command.attempt_failed' && e.payload?.error?.kind === 'TIMEOUT')) interrupted++;
    });
    expect(problems).toEqual([]);
    // The kill did hit handlers at work: their attempts failed by timeout and were retried.
    expect(interrupted).toBeGreaterThan(0);

    // Both leader locks are held again, and only the survivor is left to hold them.
    for (const lock of LOCKS) {
      await waitFor(async () => (await lockHolders(lock)).length === 1, { what: `a new leader for ${lock}` });
      await waitFor(() => becameLeader(survivor, lock), { what: `${survivor} to lead ${lock}` });
    }
    const aggregateId = crypto.randomUUID();
    expect((await call(api2, 'POST', '/v1/events', { key: cluster.adminKey, body: { type: 'crash.after', aggregateType: 'probe', aggregateId } })).status).toBe(202);
    await waitFor(() => receiver.received.some((r) => r.body?.aggregateId === aggregateId), { timeoutMs: 60_000, what: 'the survivor to deliver an event' });
  });
});
