// Milestones on the real Temporal dev server and PostgreSQL: a scripted first use of an org
// reaches every milestone in order, each milestone.reached event is pushed to a signed loopback
// target through an event execution (and the pushed date is set then), and nobody sees another
// tenant's milestones.
import crypto from 'node:crypto';
import { verifySignature } from '../../src/client';
import { transaction, type Tx } from '../../src/db/db';
import { MILESTONES, reachMilestones } from '../../src/eventstore/milestones';
import { createWorkflow, executeWorkflow, finishedRun, trigger, workflow } from '../helpers/dag';
import { call, newTenant, startHarness, startWorkerProcess, systemQuery, waitFor, type Harness, type TestTenant, type WorkerProcess } from '../helpers/harness';
import { startReceiver, type Receiver } from '../helpers/receiver';

let h: Harness;
let worker: WorkerProcess;
const receivers: Receiver[] = [];

beforeAll(async () => {
  h = await startHarness({ CADENZA_OUTBOUND_ALLOWLIST: '127.0.0.1', CADENZA_EVENT_DISPATCHER: 'true' });
  worker = await startWorkerProcess(h, { CADENZA_DEMO_HANDLERS: 'true' });
  // Events are delivered from the dispatcher's first checkpoint on: wait for it.
  await waitFor(async () => (await systemQuery(h, 'SELECT 1 FROM event_checkpoints WHERE name = $1', [`executions:${h.env.CADENZA_TASK_QUEUE}`])).rowCount === 1, {
    what: 'the event dispatcher checkpoint',
  });
}, 90_000);
afterAll(async () => {
  await worker?.stop();
  await Promise.all(receivers.map((r) => r.close()));
  await h?.close();
});

interface MilestoneView {
  milestone: string;
  reachedBy: string;
  reachedAt: string | null;
  pushedAt: string | null;
}

const name = (prefix: string) => `${prefix}-${crypto.randomBytes(3).toString('hex')}`;

async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  receivers.push(r);
  return r;
}

async function ok(key: string, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<any> {
  const res = await call(h, method, path, { key, body, headers });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function milestones(key: string, headers?: Record<string, string>): Promise<{ orgId: string | null; items: MilestoneView[] }> {
  return ok(key, 'GET', '/v1/milestones', undefined, headers);
}

async function commandReaches(key: string, commandId: string, status: string): Promise<void> {
  await waitFor(async () => (await call(h, 'GET', `/v1/commands/demo/${commandId}`, { key })).body.status === status, { what: `command ${commandId} ${status}` });
}

/** Target + execution of one owner (the key's org, or the instance). */
async function bindTarget(key: string, condition: string, endpoint: string, extra: Record<string, unknown> = {}): Promise<{ id: string; signingKey: string }> {
  const target = await ok(key, 'POST', '/v1/targets', { name: name('tgt'), type: 'webhook', endpoint, timeoutSeconds: 5, ...extra });
  await ok(key, 'PUT', '/v1/executions', { condition, targets: [{ target: target.id }] });
  return target;
}

/** The first use of an org, one step per milestone, through the API with the org's own key. */
async function firstUseOf(t: TestTenant): Promise<{ orgId: string; orgKey: string }> {
  const org = await ok(t.adminKey, 'POST', '/v1/orgs', { name: name('org') });
  const { secret: orgKey } = await ok(t.adminKey, 'POST', '/v1/keys', { name: name('key'), role: 'admin', orgId: org.id });

  const done = name('cmd');
  await ok(orgKey, 'POST', '/v1/commands', { domain: 'demo', type: 'echo', commandId: done, payload: { hello: 1 } });
  await commandReaches(orgKey, done, 'COMPLETED');

  const parked = name('cmd');
  await ok(orgKey, 'POST', '/v1/commands', { domain: 'demo', type: 'flaky', commandId: parked, payload: { failTimes: 1, permanent: true } });
  await commandReaches(orgKey, parked, 'IN_TROUBLESHOOTING_QUEUE');
  await ok(orgKey, 'POST', `/v1/troubleshooting/demo/${parked}/retry`, { reason: 'first retry' });
  await commandReaches(orgKey, parked, 'COMPLETED');

  const action = await ok(orgKey, 'POST', '/v1/actions', { name: 'stamp', script: `function stamp(ctx, api) { api.setContext('command.payload.stamped', true); }` });
  await ok(orgKey, 'PUT', '/v1/flows/command/triggers/preSend', { actionIds: [action.id] });
  const stamped = await ok(orgKey, 'POST', '/v1/commands', { domain: 'demo', type: 'echo', commandId: name('cmd'), payload: {} });
  expect(stamped.payload.stamped).toBe(true);

  const hook = await receiver();
  await bindTarget(orgKey, 'function/notify', hook.url);
  await ok(orgKey, 'POST', '/v1/functions/notify/call', { payload: { n: 1 } });
  expect(hook.received).toHaveLength(1);

  const workflowId = await createWorkflow(h, { adminKey: orgKey }, workflow(name('wf'), [trigger()], {}));
  expect((await finishedRun(h, { adminKey: orgKey }, await executeWorkflow(h, { adminKey: orgKey }, workflowId))).status).toBe('completed');
  return { orgId: org.id, orgKey };
}

describe('milestones', () => {
  it("reaches an org's milestones in order on its first use, and pushes each to a signed target once delivered", async () => {
    const t = await newTenant(h);
    const pushes = await receiver();
    const instanceTarget = await bindTarget(t.adminKey, 'event/milestone.reached', pushes.url);

    const { orgId, orgKey } = await firstUseOf(t);

    const expected = MILESTONES.filter((m) => !m.instanceOnly).map((m) => m.name);
    const mine = await waitFor(
      async () => {
        const list = await milestones(orgKey);
        return list.items.every((m) => m.reachedAt !== null && m.pushedAt !== null) ? list : undefined;
      },
      { what: "every org milestone reached and pushed", timeoutMs: 60_000 },
    );
    expect(mine.orgId).toBe(orgId);
    expect(mine.items.map((m) => m.milestone)).toEqual(expected);
    const byReachedAt = [...mine.items].sort((a, b) => Date.parse(a.reachedAt!) - Date.parse(b.reachedAt!));
    expect(byReachedAt.map((m) => m.milestone)).toEqual(expected);
    for (const m of mine.items) expect(Date.parse(m.pushedAt!)).toBeGreaterThanOrEqual(Date.parse(m.reachedAt!));

    // Each org milestone went out once, as a milestone.reached event signed with the target's key.
    const delivered = pushes.received.filter((r) => r.body.payload.orgId === orgId);
    expect(delivered.map((r) => r.body.payload.milestone).sort()).toEqual([...expected].sort());
    for (const r of delivered) {
      expect(r.body.type).toBe('milestone.reached');
      expect(verifySignature(instanceTarget.signingKey, r.raw, r.headers['cadenza-signature'] as string)).toBe(true);
    }
    expect(delivered.find((r) => r.body.payload.milestone === 'tsq_command_retried')!.body.payload.causeType).toBe('command.operator_retry');

    // The instance reached them too, with instance_created first; a second org reaches nothing new for it.
    const instance = await milestones(t.adminKey);
    expect(instance.orgId).toBeNull();
    expect(instance.items.map((m) => m.milestone)).toEqual(MILESTONES.map((m) => m.name));
    expect(instance.items.every((m) => m.reachedAt !== null)).toBe(true);
    const orgCreatedAt = instance.items.find((m) => m.milestone === 'org_created')!.reachedAt;
    await ok(t.adminKey, 'POST', '/v1/orgs', { name: name('org') });
    expect((await milestones(t.adminKey)).items.find((m) => m.milestone === 'org_created')!.reachedAt).toBe(orgCreatedAt);
    const rows = await systemQuery(h, "SELECT count(*)::int AS n FROM events WHERE instance_id = $1 AND type = 'milestone.reached' AND org_id IS NULL AND payload->>'milestone' = 'org_created'", [t.instanceId]);
    expect(rows.rows[0].n).toBe(1);
  }, 180_000);

  it("shows a call its own scope's milestones only: never another instance's, another org's or, to an org key, the instance's", async () => {
    const a = await newTenant(h);
    const b = await newTenant(h);
    await ok(a.adminKey, 'POST', '/v1/commands', { domain: 'demo', type: 'echo', commandId: name('cmd'), payload: {} });
    const org = await ok(a.adminKey, 'POST', '/v1/orgs', { name: name('org') });
    const orgKey = await a.key('viewer', org.id);

    const reached = (list: { items: MilestoneView[] }, milestone: string) => list.items.find((m) => m.milestone === milestone)?.reachedAt ?? null;
    expect(reached(await milestones(a.adminKey), 'command_sent')).not.toBeNull();
    expect(reached(await milestones(b.adminKey), 'command_sent')).toBeNull();
    expect(reached(await milestones(b.adminKey), 'org_created')).toBeNull();

    const asOrg = await milestones(orgKey);
    expect(asOrg.orgId).toBe(org.id);
    expect(asOrg.items.map((m) => m.milestone)).not.toContain('instance_created');
    expect(reached(asOrg, 'org_created')).not.toBeNull();
    expect(reached(asOrg, 'command_sent')).toBeNull();
    // An instance-wide key picks the org with X-Cadenza-Org and sees the same.
    expect(await milestones(a.adminKey, { 'x-cadenza-org': org.id })).toEqual(asOrg);
    // Another instance's admin cannot pick A's org.
    expect((await call(h, 'GET', '/v1/milestones', { key: b.adminKey, headers: { 'x-cadenza-org': org.id } })).status).toBeGreaterThanOrEqual(400);
  }, 60_000);

  it('sets the pushed date only when a delivery succeeds: not while the target fails, not for a request body that imitates one', async () => {
    const t = await newTenant(h);
    const rx = await receiver();
    rx.respondWith(503);
    await bindTarget(t.adminKey, 'event/milestone.reached', rx.url, { retryPolicy: { maxAttempts: 20, initialIntervalSeconds: 0.2, backoffCoefficient: 1, maxIntervalSeconds: 0.2 } });
    const org = await ok(t.adminKey, 'POST', '/v1/orgs', { name: name('org') });
    const orgCreated = async () => (await milestones(t.adminKey, { 'x-cadenza-org': org.id })).items.find((m) => m.milestone === 'org_created')!;
    await waitFor(() => rx.received.filter((r) => r.body.payload?.orgId === org.id).length >= 2, { what: 'two failed deliveries' });
    expect(await orgCreated()).toMatchObject({ pushedAt: null });
    expect((await orgCreated()).reachedAt).not.toBeNull();
    rx.respondWith(200);
    const pushed = await waitFor(async () => (await orgCreated()).pushedAt, { what: 'the pushed date' });
    expect(Date.parse(pushed)).toBeGreaterThanOrEqual(Date.parse((await orgCreated()).reachedAt!));

    // A function call whose body looks like the delivery of the instance's command_sent changes nothing.
    const spoofed = await receiver();
    await bindTarget(t.adminKey, 'function/spoof', spoofed.url);
    rx.respondWith(503); // the real delivery of command_sent fails throughout
    await ok(t.adminKey, 'POST', '/v1/commands', { domain: 'demo', type: 'echo', commandId: name('cmd'), payload: {} });
    const look = { type: 'milestone.reached', eventId: 'milestone::command_sent' };
    await ok(t.adminKey, 'POST', '/v1/functions/spoof/call', { payload: look });
    expect(spoofed.received[0]!.body).toMatchObject(look);
    const row = await systemQuery(h, "SELECT pushed_at FROM milestones WHERE instance_id = $1 AND org_key = '' AND milestone = 'command_sent' AND event_id = $2", [t.instanceId, look.eventId]);
    expect(row.rows).toEqual([{ pushed_at: null }]);
  }, 60_000);

  it('checks a milestone found reached in memory afterwards: one query the first time, none after', async () => {
    const t = await newTenant(h);
    await ok(t.adminKey, 'POST', '/v1/commands', { domain: 'demo', type: 'echo', commandId: name('cmd'), payload: {} });
    const sent = { instanceId: t.instanceId, orgId: null, type: 'command.sent', payload: {}, eventId: name('evt'), createdAt: new Date() };
    const queries: string[] = [];
    const answers = await transaction(h.ctx.db, { instanceId: t.instanceId }, async (tx) => {
      const counted = Object.create(tx) as Tx;
      counted.query = ((text: string, values?: unknown[]) => {
        queries.push(text);
        return tx.query(text, values);
      }) as Tx['query'];
      return [await reachMilestones(counted, sent), await reachMilestones(counted, sent)];
    });
    expect(answers).toEqual([[], []]);
    expect(queries).toHaveLength(1);
  });
});
