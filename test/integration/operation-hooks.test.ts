// request/<operation> and response/<operation> executions around Cadenza's write operations, on
// the real Temporal dev server and PostgreSQL with loopback receivers: a veto of one command of a
// batch, a troubleshooting-queue retry, an event push and a workflow execute.
import crypto from 'node:crypto';
import { createWorkflow, executeWorkflow, trigger, workflow } from '../helpers/dag';
import { call, newTenant, startHarness, startWorkerProcess, systemQuery, waitFor, type Harness, type TestTenant, type WorkerProcess } from '../helpers/harness';
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

async function target(t: TestTenant, body: Record<string, unknown>): Promise<{ id: string }> {
  const res = await call(h, 'POST', '/v1/targets', { key: t.adminKey, body: { name: `t-${crypto.randomBytes(3).toString('hex')}`, timeoutSeconds: 5, ...body } });
  expect(res.status).toBe(201);
  return res.body;
}

async function execution(t: TestTenant, condition: string, targets: unknown[]): Promise<void> {
  expect(await call(h, 'PUT', '/v1/executions', { key: t.adminKey, body: { condition, targets } })).toMatchObject({ status: 200 });
}

const commandOf = (t: TestTenant, commandId: string) => call(h, 'GET', `/v1/commands/demo/${commandId}`, { key: t.adminKey });

describe('the documented operations', () => {
  it('accepts a condition for each write operation and refuses an unknown one, naming the field', async () => {
    const t = await newTenant(h);
    const w = await target(t, { type: 'webhook', endpoint: (await receiver()).url });
    for (const op of ['RetryCommand', 'CancelCommand', 'CompleteCommand', 'BulkRetryCommands', 'ExecuteWorkflow', 'RetryWorkflowRun', 'CancelWorkflowRun', 'SignalWorkflowRun']) {
      await execution(t, `request/${op}`, [{ target: w.id }]);
      await execution(t, `response/${op}`, [{ target: w.id }]);
    }
    const bad = await call(h, 'PUT', '/v1/executions', { key: t.adminKey, body: { condition: 'request/DropDatabase', targets: [{ target: w.id }] } });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].field).toBe('body.condition');
  });
});

describe('request/SendCommand in a batch', () => {
  it('refuses the one command a veto webhook refuses, and stores the others', async () => {
    const t = await newTenant(h);
    const r = await receiver();
    r.decide((body) => (body.payload?.amount > 100 ? { status: 422, body: { reason: 'amount too high' } } : { status: 200 }));
    const w = await target(t, { type: 'webhook', endpoint: r.url, interruptOnError: true });
    await execution(t, 'request/SendCommand', [{ target: w.id }]);
    const commands = [
      { domain: 'demo', type: 'echo', commandId: 'b-1', payload: { amount: 5 } },
      { domain: 'demo', type: 'echo', commandId: 'b-2', payload: { amount: 5000 } },
      { domain: 'demo', type: 'echo', commandId: 'b-3', payload: { amount: 7 } },
    ];
    const sent = await call(h, 'POST', '/v1/commands/batch', { key: t.adminKey, body: { batchId: 'mixed', commands } });
    expect(sent.status).toBe(202);
    expect(sent.body).toMatchObject({ batchId: 'mixed', total: 2, commands: [{ commandId: 'b-1' }, { commandId: 'b-3' }] });
    expect(sent.body.refused).toEqual([
      expect.objectContaining({ index: 1, domain: 'demo', commandId: 'b-2', status: 424, targetStatus: 422, targetBody: { reason: 'amount too high' }, target: expect.objectContaining({ id: w.id }) }),
    ]);
    // Each command had its own hook call.
    expect(r.received.map((x) => x.body.commandId).sort()).toEqual(['b-1', 'b-2', 'b-3']);
    expect((await commandOf(t, 'b-2')).status).toBe(404);
    for (const id of ['b-1', 'b-3']) await waitFor(async () => (await commandOf(t, id)).body.status === 'COMPLETED', { what: `${id} to complete` });
    const batch = await call(h, 'GET', '/v1/batches/mixed', { key: t.adminKey });
    await waitFor(async () => (await call(h, 'GET', '/v1/batches/mixed', { key: t.adminKey })).body.status === 'COMPLETED', { what: 'the batch to complete' });
    expect(batch.body.total).toBe(2);
  });

  it('answers the veto (424) and stores nothing when every command is refused', async () => {
    const t = await newTenant(h);
    const r = await receiver();
    r.respondWith(403, { reason: 'closed for the day' });
    const w = await target(t, { type: 'webhook', endpoint: r.url, interruptOnError: true });
    await execution(t, 'request/SendCommand', [{ target: w.id }]);
    const commands = [1, 2].map((n) => ({ domain: 'demo', type: 'echo', commandId: `all-${n}` }));
    const sent = await call(h, 'POST', '/v1/commands/batch', { key: t.adminKey, body: { batchId: 'closed', commands } });
    expect(sent.status).toBe(424);
    expect(sent.body.targetBody).toEqual({ reason: 'closed for the day' });
    expect((await call(h, 'GET', '/v1/batches/closed', { key: t.adminKey })).status).toBe(404);
    expect((await systemQuery(h, 'SELECT 1 FROM commands WHERE instance_id = $1', [t.instanceId])).rowCount).toBe(0);
  });
});

describe('request/RetryCommand', () => {
  it('lets a veto webhook refuse a retry from the troubleshooting queue, and tells it what is retried', async () => {
    const t = await newTenant(h);
    const sent = await call(h, 'POST', '/v1/commands', { key: t.adminKey, body: { domain: 'demo', type: 'flaky', commandId: 'parked', payload: { failTimes: 1, permanent: true } } });
    expect(sent.status).toBe(202);
    await waitFor(async () => (await commandOf(t, 'parked')).body.status === 'IN_TROUBLESHOOTING_QUEUE', { what: 'the command to be parked' });
    const r = await receiver();
    r.respondWith(409, { reason: 'the ledger is being reconciled' });
    const w = await target(t, { type: 'webhook', endpoint: r.url, interruptOnError: true });
    await execution(t, 'request/RetryCommand', [{ target: w.id }]);

    const vetoed = await call(h, 'POST', '/v1/troubleshooting/demo/parked/retry', { key: t.adminKey, body: { reason: 'fixed the data' } });
    expect(vetoed.status).toBe(424);
    expect(vetoed.body).toMatchObject({ targetStatus: 409, targetBody: { reason: 'the ledger is being reconciled' } });
    expect(r.received[0]!.body).toMatchObject({ domain: 'demo', commandId: 'parked', type: 'flaky', status: 'IN_TROUBLESHOOTING_QUEUE', reason: 'fixed the data', operator: expect.any(String) });
    expect((await commandOf(t, 'parked')).body.status).toBe('IN_TROUBLESHOOTING_QUEUE');

    r.respondWith(200);
    const retried = await call(h, 'POST', '/v1/troubleshooting/demo/parked/retry', { key: t.adminKey, body: { reason: 'reconciled' } });
    expect(retried.status).toBe(200);
    await waitFor(async () => (await commandOf(t, 'parked')).body.status === 'COMPLETED', { what: 'the retried command to complete' });
  });
});

describe('request/PushEvent', () => {
  it('lets a call target rewrite the payload of an event before it is stored', async () => {
    const t = await newTenant(h);
    const r = await receiver();
    r.decide((body) => ({ status: 200, body: { ...body, payload: { ...body.payload, enriched: true } } }));
    const c = await target(t, { type: 'call', endpoint: r.url });
    await execution(t, 'request/PushEvent', [{ target: c.id }]);
    const pushed = await call(h, 'POST', '/v1/events', { key: t.adminKey, body: { type: 'order.placed', aggregateType: 'order', aggregateId: 'o-1', payload: { total: 3 } } });
    expect(pushed.status).toBe(202);
    expect(r.received[0]!.body).toMatchObject({ type: 'order.placed', payload: { total: 3 } });
    const stored = await systemQuery(h, "SELECT payload FROM events WHERE instance_id = $1 AND type = 'order.placed'", [t.instanceId]);
    expect(stored.rows.map((x) => x.payload)).toEqual([{ total: 3, enriched: true }]);
  });
});

describe('response/ExecuteWorkflow', () => {
  it('tells a webhook of the run a workflow execute started, leaving the answer as it is', async () => {
    const t = await newTenant(h);
    const r = await receiver();
    const w = await target(t, { type: 'webhook', endpoint: r.url });
    await execution(t, 'response/ExecuteWorkflow', [{ target: w.id }]);
    const workflowId = await createWorkflow(h, t, workflow('told', [trigger()], {}));
    const runId = await executeWorkflow(h, t, workflowId, { n: 1 });
    expect(r.received).toHaveLength(1);
    expect(r.received[0]!.body).toMatchObject({ id: runId, workflowId, workflowName: 'told', version: 1 });
    // Another tenant's execute runs no hook of this one.
    const other = await newTenant(h);
    await executeWorkflow(h, other, await createWorkflow(h, other, workflow('elsewhere', [trigger()], {})));
    expect(r.received).toHaveLength(1);
  });

  it('lets a request/ExecuteWorkflow call target replace the input of the run', async () => {
    const t = await newTenant(h);
    const r = await receiver();
    r.decide((body) => ({ status: 200, body: { input: { ...body.input, approvedBy: 'hook' } } }));
    const c = await target(t, { type: 'call', endpoint: r.url });
    await execution(t, 'request/ExecuteWorkflow', [{ target: c.id }]);
    const workflowId = await createWorkflow(h, t, workflow('rewritten', [trigger()], {}));
    const res = await call(h, 'POST', `/v1/workflows/${workflowId}/execute`, { key: t.adminKey, body: { input: { n: 2 } } });
    expect(res.status).toBe(202);
    expect(r.received[0]!.body).toEqual({ workflowId, version: 1, input: { n: 2 } });
    expect(res.body.input).toEqual({ n: 2, approvedBy: 'hook' });
  });
});
