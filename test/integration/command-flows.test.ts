// The command flow: preSend actions change or refuse a command before it is stored;
// postCompletion and postTroubleshooting actions run after those transitions, without blocking.
import crypto from 'node:crypto';
import type { Command } from '../../src/client';
import { call, newTenant, startHarness, startWorkerProcess, waitFor, type Harness, type TestTenant, type WorkerProcess } from '../helpers/harness';

let h: Harness;
let worker: WorkerProcess;

beforeAll(async () => {
  h = await startHarness({ CADENZA_OUTBOUND_ALLOWLIST: '127.0.0.1' });
  worker = await startWorkerProcess(h, { CADENZA_DEMO_HANDLERS: 'true' });
});
afterAll(async () => {
  await worker?.stop();
  await h?.close();
});

const id = () => `f-${crypto.randomBytes(5).toString('hex')}`;

async function bind(t: TestTenant, trigger: string, name: string, script: string): Promise<string> {
  const created = await call(h, 'POST', '/v1/instance/actions', { key: t.adminKey, body: { name, script } });
  expect(created.status).toBe(201);
  const put = await call(h, 'PUT', `/v1/instance/flows/command/triggers/${trigger}`, { key: t.adminKey, body: { actionIds: [created.body.id] } });
  expect(put.status).toBe(200);
  return created.body.id;
}

describe('the command flow', () => {
  it('lets a preSend action change the payload before the command is stored', async () => {
    const t = await newTenant(h);
    await bind(t, 'preSend', 'stamp', `function stamp(ctx, api) { api.setContext('command.payload.checked', true); }`);
    const client = await t.client('operator');
    const commandId = id();
    await client.sendCommand({ domain: 'demo', type: 'echo', commandId, payload: { amount: 5 } });
    const done = await client.waitForCommand('demo', commandId, (c: Command) => c.status === 'COMPLETED');
    expect(done.payload).toEqual({ amount: 5, checked: true });
    expect(done.result).toEqual({ amount: 5, checked: true });
    const sent = (await client.audit('demo', commandId))[0]!;
    expect(sent.payload.preSendRunId).toMatch(/^run_/);
  });

  it('refuses a command a preSend action rejects, with a 4xx naming the action, and starts no workflow', async () => {
    const t = await newTenant(h);
    await bind(t, 'preSend', 'limit', `function limit(ctx, api) { if (api.getContext('command.payload').amount > 100) throw new Error('amount over 100'); }`);
    const commandId = id();
    const res = await call(h, 'POST', '/v1/commands', { key: t.adminKey, body: { domain: 'demo', type: 'echo', commandId, payload: { amount: 500 } } });
    expect(res.status).toBe(422);
    expect(res.body.detail).toContain("action 'limit'");
    expect(res.body.detail).toContain('amount over 100');
    expect((await call(h, 'GET', `/v1/commands/demo/${commandId}`, { key: t.adminKey })).status).toBe(404);
    await expect(h.ctx.temporal.client.workflow.getHandle(`command:${t.instanceId}:demo:${commandId}`).describe()).rejects.toThrow(/not found/i);
    const ok = await call(h, 'POST', '/v1/commands', { key: t.adminKey, body: { domain: 'demo', type: 'echo', commandId: id(), payload: { amount: 5 } } });
    expect(ok.status).toBe(202);
  });

  it('runs postCompletion and postTroubleshooting actions after those transitions', async () => {
    const t = await newTenant(h);
    await bind(t, 'postCompletion', 'onDone', `function onDone(ctx, api) { api.log('done', api.getContext('command.commandId')); }`);
    await bind(t, 'postTroubleshooting', 'onStuck', `function onStuck(ctx, api) { api.log('stuck', api.getContext('command.commandId')); }`);
    const client = await t.client('operator');
    const ok = id();
    const stuck = id();
    await client.sendCommand({ domain: 'demo', type: 'echo', commandId: ok, payload: 1 });
    await client.sendCommand({ domain: 'demo', type: 'flaky', commandId: stuck, payload: { failTimes: 1, permanent: true } });
    await client.waitForCommand('demo', ok, (c: Command) => c.status === 'COMPLETED');
    await client.waitForCommand('demo', stuck, (c: Command) => c.status === 'IN_TROUBLESHOOTING_QUEUE');
    const runs = await waitFor(async () => {
      const res = await call(h, 'GET', '/v1/runs?state=succeeded', { key: t.adminKey });
      return res.body.items.length >= 2 ? res.body.items : undefined;
    }, { what: 'both post-transition runs' });
    const triggers = runs.map((r: { triggerType: string }) => r.triggerType).sort();
    expect(triggers).toEqual(['postCompletion', 'postTroubleshooting']);
  });

  it('refuses a replyTo on a private or link-local address when the command is sent', async () => {
    const t = await newTenant(h);
    for (const replyTo of ['http://169.254.169.254/latest', 'http://10.0.0.1/hook']) {
      const res = await call(h, 'POST', '/v1/commands', { key: t.adminKey, body: { domain: 'demo', type: 'echo', replyTo } });
      expect(res.status).toBe(422);
      expect(res.body.errors[0].field).toBe('body.replyTo');
    }
  });
});
