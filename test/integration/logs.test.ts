// The request id and the correlation id reach every log line of the work a request caused: the
// API's lines (in this process, read from a stream), and a real worker's lines for the command's
// workflow, its handler activity and the handler's own logging.
import crypto from 'node:crypto';
import path from 'node:path';
import { Writable } from 'node:stream';
import { startApi, type RunningApi } from '../../src/api/server';
import { openAppCtx, type OpenedCtx } from '../../src/app-context';
import { createLogger } from '../../src/log';
import { call, newTenant, ROOT, startHarness, startWorkerProcess, waitFor, type Harness, type TestTenant, type WorkerProcess } from '../helpers/harness';

type Line = Record<string, any>;

let h: Harness;
let ctx: OpenedCtx;
let api: RunningApi;
let worker: WorkerProcess;
let t: TestTenant;
const apiLines: Line[] = [];

beforeAll(async () => {
  h = await startHarness();
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') apiLines.push(JSON.parse(line));
      done();
    },
  });
  ctx = await openAppCtx(h.config, createLogger('debug', 'cadenza', sink), 'test-logs');
  api = await startApi(ctx, '127.0.0.1', 0);
  worker = await startWorkerProcess(h, { CADENZA_LOG_LEVEL: 'debug', CADENZA_HANDLERS_DIR: path.join(ROOT, 'test/fixtures/handlers-observed'), CADENZA_WORKER_DOMAINS: 'traced' });
  t = await newTenant(h);
}, 90_000);
afterAll(async () => {
  await worker?.stop();
  await api?.close();
  await ctx?.close();
  await h?.close();
});

const workerLines = (): Line[] =>
  worker
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);

describe('log context', () => {
  it('puts the request id and the correlation id on every line of the work a command send caused', async () => {
    const requestId = `req-${crypto.randomBytes(6).toString('hex')}`;
    const correlationId = `order-${crypto.randomBytes(6).toString('hex')}`;
    const res = await fetch(`http://127.0.0.1:${api.port}/v1/commands`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.adminKey}`, 'content-type': 'application/json', 'x-request-id': requestId, 'x-correlation-id': correlationId },
      body: JSON.stringify({ domain: 'traced', type: 'charge', correlationId, payload: { amount: 7 } }),
    });
    expect(res.status).toBe(202);
    const { commandId } = (await res.json()) as { commandId: string };
    await waitFor(async () => (await call(h, 'GET', `/v1/commands/traced/${commandId}`, { key: t.adminKey })).body.status === 'COMPLETED', { what: 'the command to complete' });

    const fromRequest = apiLines.filter((l) => l.req?.id === requestId || l.requestId === requestId);
    expect(fromRequest.length).toBeGreaterThan(0);
    for (const l of fromRequest) expect(l).toMatchObject({ requestId, correlationId });

    // The workflow's and the activities' lines name the workflow; the handler's line names the command.
    const mine = (l: Line) => String(l.workflowId ?? '').includes(commandId) || l.commandId === commandId;
    await waitFor(() => workerLines().some((l) => mine(l) && l.workflowType === 'commandWorkflow' && /completed/i.test(l.msg)), { what: "the workflow's completion line" });
    // One exception: the SDK logs "Activity started" before any interceptor sees the activity's headers.
    const lines = workerLines().filter((l) => mine(l) && l.msg !== 'Activity started');
    for (const l of lines) expect({ msg: l.msg, requestId: l.requestId, correlationId: l.correlationId }).toEqual({ msg: l.msg, requestId, correlationId });
    expect(lines.some((l) => l.workflowType === 'commandWorkflow' && l.activityType === undefined)).toBe(true);
    expect(lines.some((l) => l.activityType === 'runCommandHandler' && l.msg === 'Activity completed')).toBe(true);
    expect(lines.some((l) => l.msg === 'charging the card' && l.amount === 7)).toBe(true);
  });
});
