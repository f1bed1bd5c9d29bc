// One trace from the HTTP request to the handler's own code and to a target, with an in-memory
// span exporter: the API and the worker run in this process on the real services.
import crypto from 'node:crypto';
import path from 'node:path';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { installTracing } from '../../src/telemetry/tracing';
import { startWorker, type RunningWorker } from '../../src/worker/worker';
import { connect, createWorkflow, finishedRun, setNode, trigger, workflow } from '../helpers/dag';
import { call, newTenant, ROOT, startHarness, waitFor, type Harness, type TestTenant } from '../helpers/harness';
import { startReceiver, type Receiver } from '../helpers/receiver';

const exporter = new InMemorySpanExporter();
installTracing('cadenza-test', { exporter });

let h: Harness;
let worker: RunningWorker;
let t: TestTenant;
let receiver: Receiver;

beforeAll(async () => {
  h = await startHarness({
    CADENZA_HANDLERS_DIR: path.join(ROOT, 'test/fixtures/handlers-observed'),
    CADENZA_WORKER_DOMAINS: 'traced',
    CADENZA_OUTBOUND_ALLOWLIST: '127.0.0.1',
  });
  worker = await startWorker(h.ctx);
  t = await newTenant(h);
  receiver = await startReceiver();
}, 90_000);
afterAll(async () => {
  await worker?.shutdown();
  await receiver?.close();
  await h?.close();
});

const hex = (bytes: number) => crypto.randomBytes(bytes).toString('hex');
const traceparent = (traceId: string, spanId: string) => `00-${traceId}-${spanId}-01`;

/** The spans of one trace, once every span named in `expected` has ended (workflow spans end with their run). */
async function traceOf(traceId: string, expected: string[]): Promise<ReadableSpan[]> {
  const spans = () => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
  await waitFor(() => expected.every((name) => spans().some((s) => s.name === name)), { what: `spans ${expected.join(', ')} in trace ${traceId}` });
  return spans();
}

function one(spans: ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((s) => s.name === name);
  if (found.length !== 1) throw new Error(`${found.length} spans named '${name}' in: ${spans.map((s) => s.name).join(', ')}`);
  return found[0]!;
}

const parentOf = (s: ReadableSpan) => s.parentSpanId;
const idOf = (s: ReadableSpan) => s.spanContext().spanId;

describe('tracing', () => {
  it('continues a traceparent from POST /v1/commands through the workflow start, the run, the handler activity and into the handler', async () => {
    const traceId = hex(16);
    const callerSpan = hex(8);
    const res = await call(h, 'POST', '/v1/commands', {
      key: t.adminKey,
      headers: { traceparent: traceparent(traceId, callerSpan) },
      body: { domain: 'traced', type: 'charge', payload: { amount: 5 } },
    });
    expect(res.status).toBe(202);
    const spans = await traceOf(traceId, ['POST /v1/commands', 'StartWorkflow:commandWorkflow', 'RunWorkflow:commandWorkflow', 'StartActivity:runCommandHandler', 'RunActivity:runCommandHandler', 'charge card']);

    const http = one(spans, 'POST /v1/commands');
    const start = one(spans, 'StartWorkflow:commandWorkflow');
    const run = one(spans, 'RunWorkflow:commandWorkflow');
    const schedule = one(spans, 'StartActivity:runCommandHandler');
    const attempt = one(spans, 'RunActivity:runCommandHandler');
    const inside = one(spans, 'charge card');
    expect(parentOf(http)).toBe(callerSpan);
    expect(parentOf(start)).toBe(idOf(http));
    expect(parentOf(run)).toBe(idOf(start));
    expect(parentOf(schedule)).toBe(idOf(run));
    expect(parentOf(attempt)).toBe(idOf(schedule));
    expect(parentOf(inside)).toBe(idOf(attempt));
    expect(http.attributes['http.route']).toBe('/v1/commands');

    const command = await waitFor(async () => {
      const c = (await call(h, 'GET', `/v1/commands/traced/${res.body.commandId}`, { key: t.adminKey })).body;
      return c.status === 'COMPLETED' ? c : undefined;
    });
    // The handler context's span is the attempt's span.
    expect(command.result.attemptSpanId).toBe(idOf(attempt));
  });

  it('starts a trace when the request has none, and sends traceparent to a target', async () => {
    const target = await call(h, 'POST', '/v1/targets', { key: t.adminKey, body: { name: 'traced', type: 'call', endpoint: receiver.url, timeoutSeconds: 5 } });
    expect(target.status).toBe(201);
    expect((await call(h, 'PUT', '/v1/executions', { key: t.adminKey, body: { condition: 'function/traced', targets: [{ target: target.body.id }] } })).status).toBe(200);
    const res = await call(h, 'POST', '/v1/functions/traced/call', { key: t.adminKey, body: { payload: { a: 1 } } });
    expect(res.status).toBe(200);

    const header = String(receiver.received.at(-1)!.headers.traceparent);
    const [, traceId, parentSpan] = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(header) ?? [];
    expect(traceId).toBeDefined();
    const spans = await traceOf(traceId!, ['POST /v1/functions/{name}/call', 'RunWorkflow:executionWorkflow', 'RunActivity:callTarget', 'call target call']);
    const http = one(spans, 'POST /v1/functions/{name}/call');
    expect(parentOf(http)).toBeUndefined();
    const callSpan = one(spans, 'call target call');
    expect(idOf(callSpan)).toBe(parentSpan);
    expect(parentOf(callSpan)).toBe(idOf(one(spans, 'RunActivity:callTarget')));
  });

  it('gives each workflow node a span inside the run of the workflow', async () => {
    const wf = await createWorkflow(h, t, workflow('traced', [trigger(), setNode('Mark', { marked: 1 })], connect(['Start', 'Mark'])));
    const traceId = hex(16);
    const res = await call(h, 'POST', `/v1/workflows/${wf}/execute`, { key: t.adminKey, headers: { traceparent: traceparent(traceId, hex(8)) }, body: { input: {} } });
    expect(res.status).toBe(202);
    expect((await finishedRun(h, t, res.body.id)).status).toBe('completed');
    const spans = await traceOf(traceId, ['RunWorkflow:n8nWorkflow', 'RunActivity:runN8nNode', 'node Mark']);
    const node = one(spans, 'node Mark');
    expect(node.attributes['cadenza.node.type']).toBe('n8n-nodes-base.set');
    expect(parentOf(node)).toBe(idOf(one(spans, 'RunActivity:runN8nNode')));
  });
});
