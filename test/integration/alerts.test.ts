// Alerts on the troubleshooting queue's depth, the command failure rate and the workflow run
// failure rate, on the real Temporal dev server and PostgreSQL: each fires once through a signed
// loopback target, and another tenant's traffic never counts.
import crypto from 'node:crypto';
import { verifySignature } from '../../src/client';
import { connect, createWorkflow, executeWorkflow, finishedRun, http, trigger, workflow } from '../helpers/dag';
import { call, newTenant, startHarness, startWorkerProcess, waitFor, type Harness, type TestTenant, type WorkerProcess } from '../helpers/harness';
import { startReceiver, type Receiver } from '../helpers/receiver';

let h: Harness;
let worker: WorkerProcess;
const receivers: Receiver[] = [];

beforeAll(async () => {
  h = await startHarness({ CADENZA_OUTBOUND_ALLOWLIST: '127.0.0.1' });
  worker = await startWorkerProcess(h, { CADENZA_DEMO_HANDLERS: 'true' });
}, 90_000);
afterAll(async () => {
  await worker?.stop();
  await Promise.all(receivers.map((r) => r.close()));
  await h?.close();
});

async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  receivers.push(r);
  return r;
}

/** A tenant's notify target on a fresh receiver. */
async function notifyTarget(t: TestTenant): Promise<{ id: string; signingKey: string; notices: Receiver }> {
  const notices = await receiver();
  const res = await call(h, 'POST', '/v1/targets', { key: t.adminKey, body: { name: `notify-${crypto.randomBytes(3).toString('hex')}`, type: 'webhook', endpoint: notices.url, timeoutSeconds: 5 } });
  expect(res.status).toBe(201);
  return { ...res.body, notices };
}

async function createAlert(t: TestTenant, body: Record<string, unknown>): Promise<string> {
  const res = await call(h, 'POST', '/v1/alerts', { key: t.adminKey, body: { window: 600, evaluateEverySeconds: 1, ...body } });
  expect(res.status).toBe(201);
  return res.body.id;
}

/** The alert once `check` holds for it. */
const alertWhen = (t: TestTenant, id: string, check: (a: any) => boolean, what: string) =>
  waitFor(
    async () => {
      const res = await call(h, 'GET', `/v1/alerts/${id}`, { key: t.adminKey });
      return check(res.body) ? res.body : undefined;
    },
    { what },
  );

/** Sends a demo command and waits until it reaches `status`. */
async function settled(t: TestTenant, type: string, payload: unknown, status: string): Promise<void> {
  const commandId = crypto.randomUUID();
  expect((await call(h, 'POST', '/v1/commands', { key: t.adminKey, body: { domain: 'demo', type, commandId, payload } })).status).toBe(202);
  await waitFor(async () => (await call(h, 'GET', `/v1/commands/demo/${commandId}`, { key: t.adminKey })).body.status === status, { what: `demo/${type} to be ${status}` });
}

const park = (t: TestTenant) => settled(t, 'flaky', { failTimes: 1, permanent: true }, 'IN_TROUBLESHOOTING_QUEUE');

/** The one notice a receiver got, checked to be signed with the target's key. */
async function signedNotice(n: { signingKey: string; notices: Receiver }): Promise<any> {
  await waitFor(() => n.notices.received.length === 1, { what: 'the alert notice' });
  const notice = n.notices.received[0]!;
  expect(verifySignature(n.signingKey, notice.raw, String(notice.headers['cadenza-signature']))).toBe(true);
  return notice.body;
}

describe('alert thresholds', () => {
  it('takes the thresholds of its kind only, naming the field', async () => {
    const t = await newTenant(h);
    const n = await notifyTarget(t);
    const post = (body: Record<string, unknown>) => call(h, 'POST', '/v1/alerts', { key: t.adminKey, body: { name: 'x', window: 600, notifyTargetId: n.id, ...body } });
    const cases: [Record<string, unknown>, string][] = [
      [{ scope: 'troubleshooting' }, 'body.depthThreshold'],
      [{ scope: 'troubleshooting', depthThreshold: 3, failureRateThreshold: 0.5, minRuns: 1 }, 'body.failureRateThreshold'],
      [{ scope: 'command', minRuns: 2 }, 'body.failureRateThreshold'],
      [{ scope: 'workflow', failureRateThreshold: 0.5, minRuns: 2, depthThreshold: 3 }, 'body.depthThreshold'],
      [{ scope: 'queue', depthThreshold: 3 }, 'body.scope'],
    ];
    for (const [body, field] of cases) {
      const res = await post(body);
      expect(res.status).toBe(422);
      expect(res.body.errors[0].field).toBe(field);
    }
  });
});

describe('troubleshooting-queue depth', () => {
  it("fires when a domain's parked commands reach the threshold, counting the own tenant's only", async () => {
    const other = await newTenant(h);
    await Promise.all([park(other), park(other), park(other)]);
    const t = await newTenant(h);
    const n = await notifyTarget(t);
    const id = await createAlert(t, { name: 'demo queue', scope: 'troubleshooting', scopeId: 'demo', depthThreshold: 2, notifyTargetId: n.id });

    await park(t);
    const below = await alertWhen(t, id, (a) => a.lastDepth === 1, 'an evaluation seeing one parked command');
    expect(below).toMatchObject({ state: 'ok', depthThreshold: 2, failureRateThreshold: null, lastRate: null });
    expect(n.notices.received).toHaveLength(0);

    await park(t);
    expect(await signedNotice(n)).toMatchObject({ alert: { id, scope: 'troubleshooting', scopeId: 'demo', depthThreshold: 2 }, depth: 2, failureRate: null });
    const fired = await alertWhen(t, id, (a) => a.history[0]?.notifyStatus === 200, 'the recorded notice');
    expect(fired).toMatchObject({ state: 'firing', lastDepth: 2, history: [{ depth: 2, failureRate: null, runs: null, notifyError: null }] });
  });
});

describe('command failure rate', () => {
  it("fires when the failed share of a domain's settled commands reaches the threshold, counting the own tenant's only", async () => {
    const other = await newTenant(h);
    await Promise.all([settled(other, 'reject', {}, 'FAILED'), settled(other, 'reject', {}, 'FAILED'), park(other)]);
    const t = await newTenant(h);
    const n = await notifyTarget(t);
    const id = await createAlert(t, { name: 'demo failing', scope: 'command', scopeId: 'demo', failureRateThreshold: 0.5, minRuns: 2, notifyTargetId: n.id });

    await settled(t, 'echo', { n: 1 }, 'COMPLETED');
    const below = await alertWhen(t, id, (a) => a.lastRuns === 1, 'an evaluation of one settled command');
    expect(below).toMatchObject({ state: 'ok', lastRate: 0 });
    expect(n.notices.received).toHaveLength(0);

    await settled(t, 'reject', { reason: 'no stock' }, 'FAILED');
    expect(await signedNotice(n)).toMatchObject({ alert: { id, scope: 'command', scopeId: 'demo' }, failureRate: 0.5, runs: 2 });
  });
});

describe('workflow run failure rate', () => {
  it("fires when the failed share of finished workflow runs reaches the threshold, counting the own tenant's only", async () => {
    const down = await receiver();
    down.respondWith(500, { down: true });
    const broken = workflow('broken', [trigger(), http('Call', `${down.url}/down`)], connect(['Start', 'Call']));
    const other = await newTenant(h);
    const otherBroken = await createWorkflow(h, other, broken);
    for (const runId of [await executeWorkflow(h, other, otherBroken), await executeWorkflow(h, other, otherBroken)]) expect((await finishedRun(h, other, runId)).status).toBe('failed');

    const t = await newTenant(h);
    const n = await notifyTarget(t);
    const id = await createAlert(t, { name: 'runs failing', scope: 'workflow', failureRateThreshold: 0.5, minRuns: 2, notifyTargetId: n.id });
    const fine = await createWorkflow(h, t, workflow('fine', [trigger()], {}));
    expect((await finishedRun(h, t, await executeWorkflow(h, t, fine))).status).toBe('completed');
    const below = await alertWhen(t, id, (a) => a.lastRuns === 1, 'an evaluation of one finished run');
    expect(below).toMatchObject({ state: 'ok', lastRate: 0 });
    expect(n.notices.received).toHaveLength(0);

    const mine = await createWorkflow(h, t, broken);
    expect((await finishedRun(h, t, await executeWorkflow(h, t, mine))).status).toBe('failed');
    expect(await signedNotice(n)).toMatchObject({ alert: { id, scope: 'workflow', scopeId: null }, failureRate: 0.5, runs: 2 });
  });
});
