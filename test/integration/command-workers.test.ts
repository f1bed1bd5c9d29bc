// Workers as processes: crashes, graceful shutdown, missing handlers, domain selection.
import crypto from 'node:crypto';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { Command } from '../../src/client';
import { call, CLI, newTenant, ROOT, startHarness, startWorkerProcess, type Harness, type WorkerProcess } from '../helpers/harness';

let h: Harness;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.kill()));
});
afterAll(async () => {
  await h?.close();
});

const id = () => `w-${crypto.randomBytes(5).toString('hex')}`;
const terminal = (c: Command) => ['COMPLETED', 'FAILED', 'CANCELED'].includes(c.status);

async function worker(env: Record<string, string> = {}): Promise<WorkerProcess> {
  const w = await startWorkerProcess(h, { CADENZA_DEMO_HANDLERS: 'true', ...env });
  workers.push(w);
  return w;
}

describe('workers', () => {
  it('completes a command on another worker after the first is SIGKILLed mid-handler, with no duplicated audit transitions', async () => {
    const client = await (await newTenant(h)).client('operator');
    const first = await worker();
    const commandId = id();
    // Long enough to outlast the second worker's start on a busy machine, whose heartbeats a 1 s timeout could miss.
    await client.sendCommand({ domain: 'demo', type: 'slow', commandId, payload: { ms: 15_000 }, timeouts: { heartbeatMs: 3000 }, backoffMs: [0] });
    await client.waitForCommand('demo', commandId, (c) => c.status === 'IN_PROGRESS');
    await worker();
    await first.kill();
    const done = await client.waitForCommand('demo', commandId, terminal, 90_000);
    expect(done).toMatchObject({ status: 'COMPLETED', attempts: 2 });
    const audit = await client.audit('demo', commandId);
    expect(audit.map((e) => e.type)).toEqual([
      'command.sent',
      'command.started',
      'command.attempt_failed',
      'command.retry_scheduled',
      'command.started',
      'command.completed',
    ]);
    expect(audit[2]!.payload).toMatchObject({ attempt: 1, error: { kind: 'TIMEOUT', code: 'HEARTBEAT' } });
    expect(audit.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('counts an inline attempt whose worker is SIGKILLed mid-handler as failed (the workflow task timeout notices), and completes it on another worker', async () => {
    const t = await newTenant(h);
    expect((await call(h, 'PUT', '/v1/command-domains/demo', { key: t.adminKey, body: { execution: 'inline' } })).status).toBe(200);
    const client = await t.client('operator');
    const first = await worker();
    const commandId = id();
    await client.sendCommand({ domain: 'demo', type: 'slow', commandId, payload: { ms: 15_000 }, backoffMs: [0] });
    await client.waitForCommand('demo', commandId, (c) => c.status === 'IN_PROGRESS');
    await worker();
    await first.kill();
    const done = await client.waitForCommand('demo', commandId, terminal, 90_000);
    expect(done).toMatchObject({ status: 'COMPLETED', attempts: 2, result: { sleptMs: 15_000 } });
    const audit = await client.audit('demo', commandId);
    expect(audit.map((e) => e.type)).toEqual([
      'command.sent',
      'command.started',
      'command.attempt_failed',
      'command.retry_scheduled',
      'command.started',
      'command.completed',
    ]);
    expect(audit[1]!.payload.worker).not.toEqual(audit[4]!.payload.worker);
    expect(audit[2]!.payload).toMatchObject({ attempt: 1, error: { kind: 'TIMEOUT', code: 'WORKFLOW_TASK' } });
    expect(audit.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('lets an in-flight handler finish on SIGTERM', async () => {
    const client = await (await newTenant(h)).client('operator');
    const w = await worker({ CADENZA_WORKER_SHUTDOWN_GRACE_SECONDS: '30' });
    const commandId = id();
    await client.sendCommand({ domain: 'demo', type: 'slow', commandId, payload: { ms: 2000 } });
    await client.waitForCommand('demo', commandId, (c) => c.status === 'IN_PROGRESS');
    await w.stop();
    // The handler's result reached Temporal before the worker exited; a new worker records it.
    await worker();
    const done = await client.waitForCommand('demo', commandId, terminal, 60_000);
    expect(done).toMatchObject({ status: 'COMPLETED', attempts: 1, result: { sleptMs: 2000 } });
    expect((await client.audit('demo', commandId)).map((e) => e.type)).not.toContain('command.attempt_failed');
  });

  it('parks a command of a domain no worker serves as HANDLER_NOT_FOUND, and completes it once a worker with the handler is retried', async () => {
    const client = await (await newTenant(h)).client('operator');
    await worker(); // demo only: nobody serves `latecomer`
    const commandId = id();
    await client.sendCommand({ domain: 'latecomer', type: 'arrive', commandId, payload: 'hello', timeouts: { pickupMs: 1000 } });
    const parked = await client.waitForCommand('latecomer', commandId, (c) => c.status === 'IN_TROUBLESHOOTING_QUEUE', 60_000);
    expect(parked).toMatchObject({ tsqReason: 'HANDLER_NOT_FOUND', lastError: { kind: 'HANDLER_NOT_FOUND' } });

    await worker({ CADENZA_HANDLERS_DIR: path.join(ROOT, 'test/fixtures/handlers-late'), CADENZA_WORKER_DOMAINS: 'latecomer' });
    await client.retryCommand('latecomer', commandId);
    expect(await client.waitForCommand('latecomer', commandId, terminal)).toMatchObject({ status: 'COMPLETED', result: { arrived: 'hello' } });
  });

  it('serves only the selected domains', async () => {
    // A task queue of its own: the tests above had workers poll this file's demo queue lately,
    // and a pickup timeout is HANDLER_NOT_FOUND only when no worker polled it for minutes.
    const own = await startHarness({ CADENZA_TASK_QUEUE: `test-${crypto.randomBytes(4).toString('hex')}` });
    try {
      const client = await (await newTenant(own)).client('operator');
      const w = await startWorkerProcess(own, { CADENZA_DEMO_HANDLERS: 'true', CADENZA_HANDLERS_DIR: path.join(ROOT, 'test/fixtures/handlers-late'), CADENZA_WORKER_DOMAINS: 'latecomer' });
      workers.push(w);
      expect(w.output()).toContain('"domains":["latecomer"]');
      const commandId = id();
      await client.sendCommand({ domain: 'demo', type: 'echo', commandId, timeouts: { pickupMs: 1000 } });
      expect(await client.waitForCommand('demo', commandId, (c) => c.status === 'IN_TROUBLESHOOTING_QUEUE')).toMatchObject({ tsqReason: 'HANDLER_NOT_FOUND' });
    } finally {
      await Promise.all(workers.splice(0).map((w) => w.kill()));
      await own.close();
    }
  });

  it('refuses to start when a handler is registered twice', () => {
    const res = spawnSync(process.execPath, [CLI, 'worker'], {
      env: { ...process.env, ...h.env, CADENZA_DEMO_HANDLERS: 'true', CADENZA_HANDLERS_DIR: path.join(ROOT, 'test/fixtures/handlers-dup') },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(res.status).not.toBe(0);
    expect(res.stderr + res.stdout).toContain('handler demo/echo is registered twice');
  });
});
