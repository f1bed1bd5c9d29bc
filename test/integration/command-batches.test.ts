import crypto from 'node:crypto';
import { CadenzaClient, type Command } from '../../src/client';
import { transaction } from '../../src/db/db';
import { DEFAULT_POLICY } from '../../src/commands/model';
import { insertCommand } from '../../src/commands/send';
import { call, newTenant, startHarness, startWorkerProcess, waitFor, type Harness, type WorkerProcess } from '../helpers/harness';
import { startReceiver, type Receiver } from '../helpers/receiver';

let h: Harness;
let worker: WorkerProcess;
let receiver: Receiver;

beforeAll(async () => {
  h = await startHarness({ CADENZA_OUTBOUND_ALLOWLIST: '127.0.0.1' });
  worker = await startWorkerProcess(h, { CADENZA_DEMO_HANDLERS: 'true', CADENZA_DISPATCH_AFTER_SECONDS: '1' });
  receiver = await startReceiver();
});
afterAll(async () => {
  await worker?.stop();
  await receiver?.close();
  await h?.close();
});

describe('batches', () => {
  it('reaches COMPLETED_WITH_FAILURES with correct counts for a batch of 1,000, and replies once', async () => {
    // The answer comes after 1,000 workflow starts: on a busy machine that outlasts the client's default 30 s.
    const client = new CadenzaClient({ url: h.baseUrl, apiKey: await (await newTenant(h)).key('operator'), timeoutMs: 180_000 });
    const commands = Array.from({ length: 1000 }, (_, i) =>
      i % 10 === 0 ? { domain: 'demo', type: 'reject', commandId: `r-${i}`, payload: { reason: `no ${i}` } } : { domain: 'demo', type: 'echo', commandId: `e-${i}`, payload: i },
    );
    const sent = await client.sendBatch({ commands, replyTo: `${receiver.url}/batch` });
    expect(sent.total).toBe(1000);
    const batch = await waitFor(
      async () => {
        const b = await client.getBatch(sent.batchId);
        return b.status !== 'IN_PROGRESS' ? b : undefined;
      },
      { timeoutMs: 280_000, intervalMs: 1000, what: 'the batch to complete' },
    );
    expect(batch).toMatchObject({ status: 'COMPLETED_WITH_FAILURES', total: 1000, counts: expect.objectContaining({ COMPLETED: 900, FAILED: 100 }) });
    const batchReplies = () => receiver.received.filter((r) => r.body?.batchId === sent.batchId);
    const reply = await waitFor(() => (batchReplies().length > 0 ? batchReplies() : undefined), { what: 'the batch reply' });
    expect(reply).toHaveLength(1);
    expect(reply[0]!.body).toEqual({ batchId: sent.batchId, status: 'COMPLETED_WITH_FAILURES', total: 1000, completed: 900, failed: 100, canceled: 0 });
  }, 300_000);

  it('sends all of a batch or none of it', async () => {
    const t = await newTenant(h);
    const client = await t.client('operator');
    await client.sendCommand({ domain: 'demo', type: 'echo', commandId: 'taken', payload: 1 });
    const res = await call(h, 'POST', '/v1/commands/batch', {
      key: t.adminKey,
      body: { commands: [{ domain: 'demo', type: 'echo', commandId: 'fresh', payload: 1 }, { domain: 'demo', type: 'echo', commandId: 'taken', payload: 2 }] },
    });
    expect(res.status).toBe(409);
    expect((await call(h, 'GET', '/v1/commands/demo/fresh', { key: t.adminKey })).status).toBe(404);
    const dup = await call(h, 'POST', '/v1/commands/batch', {
      key: t.adminKey,
      body: { commands: [{ domain: 'demo', type: 'echo', commandId: 'x' }, { domain: 'demo', type: 'echo', commandId: 'x' }] },
    });
    expect(dup.status).toBe(422);
    expect(dup.body.errors[0].field).toBe('body.commands[1].commandId');
    const tooMany = await call(h, 'POST', '/v1/commands/batch', { key: t.adminKey, body: { commands: Array.from({ length: 1001 }, () => ({ domain: 'demo', type: 'echo' })) } });
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.errors[0].field).toBe('body.commands');
  });
});

describe('the dispatcher', () => {
  it('starts the workflow of a command committed by a process that died before starting it', async () => {
    const t = await newTenant(h);
    const client = await t.client('operator');
    const commandId = `orphan-${crypto.randomBytes(4).toString('hex')}`;
    const tenantCtx = { ...h.ctx, tenant: { instanceId: t.instanceId, orgId: null, role: 'operator' as const, actor: 'crashed-api', keyId: null, keyOrgId: null } };
    // Exactly what the API commits before it starts the workflow, and then nothing more.
    await transaction(h.ctx.db, tenantCtx.tenant, (tx) => insertCommand(tx, tenantCtx, { domain: 'demo', type: 'echo', commandId, payload: 'saved' }, null, DEFAULT_POLICY));
    const done = await client.waitForCommand('demo', commandId, (c: Command) => c.status === 'COMPLETED', 60_000);
    expect(done.result).toBe('saved');
  });
});
