import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import type { CadenzaClient, Command } from '../../src/client';
import { verifySignature } from '../../src/client/signature';
import { connect, node, trigger, workflow } from '../helpers/dag';
import { call, CLI, newTenant, startHarness, startWorkerProcess, waitFor, type Harness, type TestTenant, type WorkerProcess } from '../helpers/harness';
import { framing, lengthFramed, startReceiver, type Receiver } from '../helpers/receiver';
import { EXECUTION_MODES } from '../../src/commands/model';

const run = promisify(execFile);
const temporalCli = () => process.env.TEMPORAL_CLI_PATH!;

let h: Harness;
let worker: WorkerProcess;
let receiver: Receiver;

beforeAll(async () => {
  h = await startHarness({ CADENZA_OUTBOUND_ALLOWLIST: '127.0.0.1' });
  worker = await startWorkerProcess(h, { CADENZA_DEMO_HANDLERS: 'true' });
  receiver = await startReceiver();
});
afterAll(async () => {
  await worker?.stop();
  await receiver?.close();
  await h?.close();
});

const id = () => `c-${crypto.randomBytes(5).toString('hex')}`;
const terminal = (c: Command) => ['COMPLETED', 'FAILED', 'CANCELED'].includes(c.status);
const inTsq = (c: Command) => c.status === 'IN_TROUBLESHOOTING_QUEUE';
const types = async (client: CadenzaClient, domain: string, commandId: string) => (await client.audit(domain, commandId)).map((e) => e.type);
const count = (list: string[], type: string) => list.filter((t) => t === type).length;

/** A workflow run of the tenant (or of one org) that waits for a signal, so it stays running. */
async function waitingRun(t: TestTenant, orgId?: string): Promise<{ id: string; temporalWorkflowId: string }> {
  const key = orgId === undefined ? t.adminKey : await t.key('admin', orgId);
  const definition = workflow('waits', [trigger(), node('Wait', 'cadenza.waitForSignal', 1, { signalName: 'go', timeoutSeconds: 600 })], connect(['Start', 'Wait']));
  const created = await call(h, 'POST', '/v1/workflows', { key, body: { definition } });
  const started = await call(h, 'POST', `/v1/workflows/${created.body.id}/execute`, { key, body: { input: {} } });
  expect(started.status).toBe(202);
  return (await call(h, 'GET', `/v1/workflow-runs/${started.body.id}`, { key })).body;
}

async function sendToTsq(client: CadenzaClient, extra: Record<string, unknown> = {}): Promise<Command> {
  const commandId = id();
  await client.sendCommand({ domain: 'demo', type: 'flaky', commandId, payload: { failTimes: 1, permanent: true }, ...extra });
  return client.waitForCommand('demo', commandId, inTsq);
}

// Handlers run as activities on the domain's queue, or inline (a local activity of the command
// workflow): statuses, events, the queue, operator actions and replies are the same in both.
describe.each(EXECUTION_MODES)('%s handlers', (execution) => {
  /** A fresh tenant whose demo domain runs its handlers this way. */
  async function tenant(): Promise<TestTenant> {
    const t = await newTenant(h);
    if (execution === 'inline') expect((await call(h, 'PUT', '/v1/command-domains/demo', { key: t.adminKey, body: { execution } })).status).toBe(200);
    return t;
  }

  if (execution === 'inline') {
    it('runs the handler as a local activity of the command workflow: no activity task', async () => {
      const client = await (await tenant()).client('operator');
      const commandId = id();
      const sent = await client.sendCommand({ domain: 'demo', type: 'echo', commandId, payload: 'inline' });
      expect(await client.waitForCommand('demo', commandId, terminal)).toMatchObject({ status: 'COMPLETED', result: 'inline' });
      const history = await h.ctx.temporal.client.workflow.getHandle(sent.workflowId).fetchHistory();
      expect(history.events!.filter((e) => e.activityTaskScheduledEventAttributes)).toEqual([]);
      expect(history.events!.filter((e) => e.markerRecordedEventAttributes).length).toBeGreaterThanOrEqual(2);
    });
  }

  describe('processing', () => {
    it('completes after two transient failures, auditing each failure and retry, and shows RETRY_WAIT while waiting', async () => {
      const client = await (await tenant()).client('operator');
      const commandId = id();
      await client.sendCommand({ domain: 'demo', type: 'flaky', commandId, payload: { failTimes: 2 }, backoffMs: [1500, 1500] });
      const waiting = await client.waitForCommand('demo', commandId, (c) => c.status === 'RETRY_WAIT' || terminal(c));
      expect(waiting.status).toBe('RETRY_WAIT');
      expect(waiting.nextAttemptAt).not.toBeNull();
      const done = await client.waitForCommand('demo', commandId, terminal);
      expect(done).toMatchObject({ status: 'COMPLETED', attempts: 3, result: { succeededOnAttempt: 3 } });
      const audit = await types(client, 'demo', commandId);
      expect(count(audit, 'command.attempt_failed')).toBe(2);
      expect(count(audit, 'command.retry_scheduled')).toBe(2);
      expect(audit[0]).toBe('command.sent');
      expect(audit[audit.length - 1]).toBe('command.completed');
    });

    it('retries at once when the backoff is 0, with no timer in the workflow history', async () => {
      const client = await (await tenant()).client('operator');
      const commandId = id();
      const sent = await client.sendCommand({ domain: 'demo', type: 'flaky', commandId, payload: { failTimes: 1 }, backoffMs: [0] });
      expect(await client.waitForCommand('demo', commandId, terminal)).toMatchObject({ status: 'COMPLETED', attempts: 2 });
      const audit = await client.audit('demo', commandId);
      expect(audit.find((e) => e.type === 'command.retry_scheduled')!.payload).toMatchObject({ attempt: 1, nextAttempt: 2, delayMs: 0 });
      const history = await h.ctx.temporal.client.workflow.getHandle(sent.workflowId).fetchHistory();
      expect(history.events!.filter((e) => e.timerStartedEventAttributes)).toEqual([]);
    });

    it('sends a command to the troubleshooting queue as EXHAUSTED after its last attempt', async () => {
      const client = await (await tenant()).client('operator');
      const commandId = id();
      await client.sendCommand({ domain: 'demo', type: 'flaky', commandId, payload: { failTimes: 9 }, maxAttempts: 2, backoffMs: [50] });
      const c = await client.waitForCommand('demo', commandId, inTsq);
      expect(c).toMatchObject({ tsqReason: 'EXHAUSTED', attempts: 2, lastError: { kind: 'TRANSIENT', code: 'DEMO_TRANSIENT' } });
      const audit = await client.audit('demo', commandId);
      expect(audit.find((e) => e.type === 'command.moved_to_tsq')!.payload).toMatchObject({ reason: 'EXHAUSTED' });
    });

    it('fails a command on a business rule, with no troubleshooting and a reply', async () => {
      const t = await tenant();
      const client = await t.client('operator');
      const commandId = id();
      await client.sendCommand({ domain: 'demo', type: 'reject', commandId, payload: { reason: 'credit limit' }, replyTo: `${receiver.url}/reject` });
      const c = await client.waitForCommand('demo', commandId, terminal);
      expect(c).toMatchObject({ status: 'FAILED', attempts: 1, lastError: { kind: 'BUSINESS_RULE', message: 'credit limit' } });
      const reply = await waitFor(() => receiver.received.find((r) => r.body?.commandId === commandId));
      expect(reply.body).toMatchObject({ outcome: 'FAILED', correlationId: c.correlationId, error: { kind: 'BUSINESS_RULE' } });
    });

    it('puts a command whose type no worker handles in the queue as HANDLER_NOT_FOUND', async () => {
      const client = await (await tenant()).client('operator');
      const commandId = id();
      await client.sendCommand({ domain: 'demo', type: 'doesNotExist', commandId, payload: {} });
      const c = await client.waitForCommand('demo', commandId, inTsq);
      expect(c).toMatchObject({ tsqReason: 'HANDLER_NOT_FOUND', attempts: 1 });
    });
  });

  describe('the troubleshooting queue', () => {
    it('parks a permanent failure after one attempt and lists it with payload, last error and attempts', async () => {
      const client = await (await tenant()).client('operator');
      const c = await sendToTsq(client);
      expect(c).toMatchObject({ attempts: 1, tsqReason: 'PERMANENT', lastError: { kind: 'PERMANENT' } });
      const page = await client.listTroubleshooting({ domain: 'demo' });
      expect(page.items).toEqual([expect.objectContaining({ commandId: c.commandId, payload: { failTimes: 1, permanent: true }, attempts: 1 })]);
    });

    it('retries over HTTP, recording the key name as operator', async () => {
      const t = await tenant();
      const client = await t.client('operator');
      const c = await sendToTsq(client);
      const retried = await client.retryCommand('demo', c.commandId, 'fixed upstream');
      expect(['PENDING', 'IN_PROGRESS', 'COMPLETED']).toContain(retried.status);
      const done = await client.waitForCommand('demo', c.commandId, terminal);
      expect(done).toMatchObject({ status: 'COMPLETED', totalAttempts: 2 });
      const audit = await client.audit('demo', c.commandId);
      const op = audit.find((e) => e.type === 'command.operator_retry')!;
      expect(op.payload).toMatchObject({ reason: 'fixed upstream' });
      expect(op.payload.operator).toMatch(/^operator-/);
    });

    it('retries with the stock temporal CLI: a signal and an update', async () => {
      const client = await (await tenant()).client('operator');
      const bySignal = await sendToTsq(client);
      await run(temporalCli(), ['workflow', 'signal', '--address', h.env.TEMPORAL_ADDRESS!, '--workflow-id', bySignal.workflowId, '--name', 'retry', '--input', '{"operator":"alice"}']);
      expect(await client.waitForCommand('demo', bySignal.commandId, terminal)).toMatchObject({ status: 'COMPLETED' });
      expect((await client.audit('demo', bySignal.commandId)).find((e) => e.type === 'command.operator_retry')).toMatchObject({ creator: 'alice', payload: { operator: 'alice' } });

      const byUpdate = await sendToTsq(client);
      const { stdout } = await run(temporalCli(), [
        'workflow', 'update', 'execute', '--address', h.env.TEMPORAL_ADDRESS!, '--workflow-id', byUpdate.workflowId, '--name', 'retry', '--input', '{"operator":"bob"}',
      ]);
      expect(stdout).toContain('PENDING');
      expect(await client.waitForCommand('demo', byUpdate.commandId, terminal)).toMatchObject({ status: 'COMPLETED' });
    });

    it('retries with `cadenza tsq retry`', async () => {
      const t = await tenant();
      const client = await t.client('operator');
      const c = await sendToTsq(client);
      const key = await t.key('operator');
      const { stdout } = await run(process.execPath, [CLI, 'tsq', 'retry', 'demo', c.commandId, '--url', h.baseUrl, '--key', key, '--reason', 'cli', '-o', 'json']);
      expect(JSON.parse(stdout)).toMatchObject({ commandId: c.commandId });
      expect(await client.waitForCommand('demo', c.commandId, terminal)).toMatchObject({ status: 'COMPLETED' });
    });

    it('finds queue entries by search attribute with `temporal workflow list`', async () => {
      const client = await (await tenant()).client('operator');
      const c = await sendToTsq(client);
      await waitFor(async () => {
        const { stdout } = await run(temporalCli(), [
          'workflow', 'list', '--address', h.env.TEMPORAL_ADDRESS!, '--query', `CommandStatus="IN_TROUBLESHOOTING_QUEUE" AND WorkflowId="${c.workflowId}"`,
        ]);
        return stdout.includes(c.workflowId);
      }, { what: 'the search attribute to be visible' });
    });

    it('cancels with a reason and sends a signed reply', async () => {
      const t = await tenant();
      const client = await t.client('operator');
      const c = await sendToTsq(client, { replyTo: `${receiver.url}/cancel` });
      const canceled = await client.cancelCommand('demo', c.commandId, 'duplicate order');
      expect(canceled.status).toBe('CANCELED');
      const reply = await waitFor(() => receiver.received.find((r) => r.body?.commandId === c.commandId));
      expect(reply.body).toMatchObject({ outcome: 'CANCELED', reason: 'duplicate order', correlationId: c.correlationId, domain: 'demo', type: 'flaky' });
      expect(framing(reply)).toEqual(lengthFramed(reply));
      const { key } = await (await t.client()).request<{ key: string }>('GET', '/v1/commands/reply-signing-key');
      expect(verifySignature(key, reply.raw, reply.headers['cadenza-signature'] as string)).toBe(true);
      expect(verifySignature('wrong-key', reply.raw, reply.headers['cadenza-signature'] as string)).toBe(false);
      await waitFor(async () => (await types(client, 'demo', c.commandId)).includes('command.reply_sent'), { what: 'REPLY_SENT in the audit' });
    });

    it('completes by hand with a result and replies with it', async () => {
      const client = await (await tenant()).client('operator');
      const c = await sendToTsq(client, { replyTo: `${receiver.url}/complete` });
      const done = await client.completeCommand('demo', c.commandId, { invoice: 'INV-7' });
      expect(done).toMatchObject({ status: 'COMPLETED', result: { invoice: 'INV-7' } });
      const reply = await waitFor(() => receiver.received.find((r) => r.body?.commandId === c.commandId));
      expect(reply.body).toMatchObject({ outcome: 'SUCCESS', result: { invoice: 'INV-7' } });
    });

    it('answers 409 for an operator action on a command that is not in the queue', async () => {
      const t = await tenant();
      const client = await t.client('operator');
      const commandId = id();
      await client.sendCommand({ domain: 'demo', type: 'echo', commandId, payload: 1 });
      await client.waitForCommand('demo', commandId, terminal);
      const key = await t.key('operator');
      for (const action of ['retry', 'complete']) {
        const res = await call(h, 'POST', `/v1/troubleshooting/demo/${commandId}/${action}`, { key, body: {} });
        expect(res.status).toBe(409);
        expect(res.body.detail).toContain('COMPLETED');
      }
      expect((await call(h, 'POST', `/v1/troubleshooting/demo/${commandId}/cancel`, { key, body: { reason: 'x' } })).status).toBe(409);
      // Twice in a row: the second retry finds the command already out of the queue.
      const parked = await sendToTsq(client);
      await client.retryCommand('demo', parked.commandId);
      expect((await call(h, 'POST', `/v1/troubleshooting/demo/${parked.commandId}/retry`, { key, body: {} })).status).toBe(409);
    });

    it('retries every entry matching a filter in bulk, reporting its progress', async () => {
      const client = await (await tenant()).client('operator');
      const parked = await Promise.all([sendToTsq(client), sendToTsq(client), sendToTsq(client)]);
      const started = await client.bulkRetry({ domain: 'demo', type: 'flaky', reason: 'deploy fixed it' });
      expect(started).toMatchObject({ state: 'RUNNING', filter: { domain: 'demo', type: 'flaky' } });
      const done = await waitFor(async () => {
        const b = await client.getBulkRetry(started.id);
        return b.state === 'COMPLETED' ? b : undefined;
      }, { what: 'the bulk retry to finish' });
      expect(done).toMatchObject({ matched: 3, retried: 3, failedCount: 0, failed: [] });
      for (const c of parked) expect(await client.waitForCommand('demo', c.commandId, terminal)).toMatchObject({ status: 'COMPLETED' });
      const audit = await client.audit('demo', parked[0]!.commandId);
      expect(audit.find((e) => e.type === 'command.operator_retry')!.payload).toMatchObject({ reason: 'deploy fixed it' });
    });
  });

  describe('replies', () => {
    it('signals commandReply to a temporal:<workflowId> replyTo naming a workflow run of its org, and audits the delivery', async () => {
      const t = await tenant();
      const client = await t.client('operator');
      const run = await waitingRun(t);
      const commandId = id();
      await client.sendCommand({ domain: 'demo', type: 'echo', commandId, payload: { to: 'run' }, replyTo: `temporal:${run.temporalWorkflowId}` });
      await waitFor(async () => (await types(client, 'demo', commandId)).includes('command.reply_sent'), { what: 'REPLY_SENT' });
      const history = await h.ctx.temporal.client.workflow.getHandle(run.temporalWorkflowId).fetchHistory();
      const signal = history.events!.find((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'commandReply');
      expect(signal).toBeDefined();
    });

    it("refuses a temporal: replyTo naming another tenant's workflow or any other workflow, with one answer that reveals nothing", async () => {
      const a = await tenant();
      const b = await tenant();
      const org1 = await (await a.client()).createOrg('one');
      const org2 = await (await a.client()).createOrg('two');
      const parked = await sendToTsq(await b.client('operator'));
      const otherOrgRun = await waitingRun(a, org2.id);
      const sender = await a.key('operator', org1.id);
      const refusals = [
        parked.workflowId, // a command workflow of another instance
        `alert:${b.instanceId}:alr_0000000000000000`, // an alert evaluator of another instance
        `bulk:${a.instanceId}:bulk_0000000000000000`, // a bulk retry, not a workflow run
        otherOrgRun.temporalWorkflowId, // another org's workflow run in the same instance
        `dag:${a.instanceId}:wf_none:run_none`, // no such run
        'my-process-manager', // not Cadenza's
      ];
      const answers = [];
      for (const target of refusals) {
        const res = await call(h, 'POST', '/v1/commands', { key: sender, body: { domain: 'demo', type: 'echo', commandId: id(), replyTo: `temporal:${target}` } });
        answers.push({ status: res.status, errors: res.body.errors });
      }
      const refusal = { status: 422, errors: [{ field: 'body.replyTo', message: 'must be an http(s) URL, or temporal:<workflowId> of a workflow run of your org' }] };
      expect(answers).toEqual(refusals.map(() => refusal));
      const sent = await call(h, 'GET', '/v1/commands', { key: sender });
      expect(sent.body.items).toEqual([]);
    });

    it('retries an HTTP reply that answers 503 until it is delivered', async () => {
      const flaky = await startReceiver();
      try {
        flaky.respondWith(503);
        const client = await (await tenant()).client('operator');
        const commandId = id();
        await client.sendCommand({ domain: 'demo', type: 'echo', commandId, payload: 1, replyTo: `${flaky.url}/r` });
        await waitFor(() => flaky.received.length >= 2, { what: 'two refused deliveries' });
        flaky.respondWith(200);
        await waitFor(async () => (await types(client, 'demo', commandId)).includes('command.reply_sent'), { what: 'REPLY_SENT', timeoutMs: 60_000 });
        expect(flaky.received.filter((r) => r.body?.commandId === commandId).length).toBeGreaterThanOrEqual(3);
      } finally {
        await flaky.close();
      }
    });

    it('audits a reply the receiver refuses with a 4xx, without retrying it', async () => {
      const refusing = await startReceiver();
      try {
        refusing.respondWith(410);
        const client = await (await tenant()).client('operator');
        const commandId = id();
        await client.sendCommand({ domain: 'demo', type: 'echo', commandId, payload: 1, replyTo: `${refusing.url}/gone` });
        await waitFor(async () => (await types(client, 'demo', commandId)).includes('command.reply_failed'), { what: 'REPLY_FAILED' });
        expect(refusing.received).toHaveLength(1);
      } finally {
        await refusing.close();
      }
    });
  });
});

describe('sending', () => {
  it('starts one workflow and appends one SENT for 50 concurrent sends of one id, and refuses a different body', async () => {
    const t = await newTenant(h);
    const client = await t.client('operator');
    const commandId = id();
    const body = { domain: 'demo', type: 'echo', commandId, payload: { n: 1 } };
    const results = await Promise.all(Array.from({ length: 50 }, () => call(h, 'POST', '/v1/commands', { key: t.adminKey, body })));
    expect(results.map((r) => r.status).sort()).toEqual([...Array(49).fill(200), 202]);
    await client.waitForCommand('demo', commandId, terminal);
    expect(count(await types(client, 'demo', commandId), 'command.sent')).toBe(1);
    const runs = [];
    for await (const wf of h.ctx.temporal.client.workflow.list({ query: `WorkflowId="command:${t.instanceId}:demo:${commandId}"` })) runs.push(wf);
    expect(runs).toHaveLength(1);
    const conflict = await call(h, 'POST', '/v1/commands', { key: t.adminKey, body: { ...body, payload: { n: 2 } } });
    expect(conflict.status).toBe(409);
  });

  it('generates the command and correlation ids when absent', async () => {
    const client = await (await newTenant(h)).client('operator');
    const sent = await client.sendCommand({ domain: 'demo', type: 'echo', payload: 'x' });
    expect(sent.created).toBe(true);
    expect(sent.commandId).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent.correlationId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('rejects bad input with problem+json naming the field', async () => {
    const t = await newTenant(h);
    const key = t.adminKey;
    const missing = await call(h, 'POST', '/v1/commands', { key, body: { type: 'echo', payload: {} } });
    expect(missing.status).toBe(422);
    expect(missing.body.errors).toEqual([expect.objectContaining({ field: 'body.domain' })]);
    const badName = await call(h, 'POST', '/v1/commands', { key, body: { domain: 'Demo!', type: 'echo' } });
    expect(badName.body.errors[0].field).toBe('body.domain');
    const malformed = await call(h, 'POST', '/v1/commands', { key, rawBody: '{"domain":', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    const big = await call(h, 'POST', '/v1/commands', { key, body: { domain: 'demo', type: 'echo', payload: 'x'.repeat(300 * 1024) } });
    expect(big.status).toBe(413);
    expect(big.body.errors[0].field).toBe('body.payload');
    const badReply = await call(h, 'POST', '/v1/commands', { key, body: { domain: 'demo', type: 'echo', replyTo: 'temporal:command:someone-else:x:y' } });
    expect(badReply.status).toBe(422);
    expect(badReply.body.errors[0].field).toBe('body.replyTo');
    expect((await call(h, 'GET', '/v1/commandz', { key })).status).toBe(404);
    const viewer = await call(h, 'POST', '/v1/commands', { key: await t.key('viewer'), body: { domain: 'demo', type: 'echo' } });
    expect(viewer.status).toBe(403);
  });

  it("answers 404 for another tenant's command, its audit and its queue operations", async () => {
    const a = await newTenant(h);
    const b = await newTenant(h);
    const c = await sendToTsq(await a.client('operator'));
    const key = b.adminKey;
    expect((await call(h, 'GET', `/v1/commands/demo/${c.commandId}`, { key })).status).toBe(404);
    expect((await call(h, 'GET', `/v1/commands/demo/${c.commandId}/audit`, { key })).status).toBe(404);
    for (const action of ['retry', 'complete']) expect((await call(h, 'POST', `/v1/troubleshooting/demo/${c.commandId}/${action}`, { key, body: {} })).status).toBe(404);
    expect((await call(h, 'POST', `/v1/troubleshooting/demo/${c.commandId}/cancel`, { key, body: { reason: 'x' } })).status).toBe(404);
    expect((await call(h, 'GET', '/v1/troubleshooting', { key })).body.items).toEqual([]);
  });
});

describe('queries', () => {
  it('filters by status, domain, type and correlation id, pages with a cursor, and counts by status', async () => {
    const client = await (await newTenant(h)).client('operator');
    const correlationId = `order-${id()}`;
    const ids = [id(), id(), id()];
    for (const commandId of ids) await client.sendCommand({ domain: 'demo', type: 'echo', commandId, correlationId, payload: commandId });
    const parked = await sendToTsq(client);
    for (const commandId of ids) await client.waitForCommand('demo', commandId, terminal);

    const byCorrelation = await client.listCommands({ correlationId });
    expect(byCorrelation.items.map((c) => c.commandId).sort()).toEqual([...ids].sort());
    const page1 = await client.listCommands({ domain: 'demo', type: 'echo', limit: 2 });
    expect(page1.items).toHaveLength(2);
    const page2 = await client.listCommands({ domain: 'demo', type: 'echo', limit: 2, cursor: page1.nextCursor! });
    expect(page2.items).toHaveLength(1);
    expect(page2.nextCursor).toBeNull();
    expect(new Set([...page1.items, ...page2.items].map((c) => c.commandId))).toEqual(new Set(ids));
    const tsq = await client.listCommands({ status: 'IN_TROUBLESHOOTING_QUEUE' });
    expect(tsq.items.map((c) => c.commandId)).toEqual([parked.commandId]);
    const since = await client.listCommands({ createdAfter: new Date(Date.now() + 60_000).toISOString() });
    expect(since.items).toEqual([]);
    expect(await client.countCommands({ domain: 'demo' })).toMatchObject({ COMPLETED: 3, IN_TROUBLESHOOTING_QUEUE: 1, PENDING: 0 });
  });
});
