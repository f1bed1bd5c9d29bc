// /metrics after a scripted mix on the real services: the API (in this process) and a real
// `cadenza worker` with its own metrics port, on a task queue of their own, so every counter
// below counts this file's work only. The troubleshooting-queue gauge reads PostgreSQL, shared
// by every test file: the `metered` domain is used by this file alone.
import path from 'node:path';
import crypto from 'node:crypto';
import { call, freePort, newTenant, ROOT, startHarness, startWorkerProcess, waitFor, type Harness, type TestTenant, type WorkerProcess } from '../helpers/harness';
import { connect, createWorkflow, executeWorkflow, finishedRun, setNode, trigger, workflow } from '../helpers/dag';
import { parsePrometheus, valueOf, type Sample } from '../helpers/prometheus';
import { startReceiver, type Receiver } from '../helpers/receiver';

const TOKEN = crypto.randomBytes(16).toString('hex');
let h: Harness;
let worker: WorkerProcess;
let workerMetrics: string;
let failing: Receiver;
let t: TestTenant;

beforeAll(async () => {
  h = await startHarness({ CADENZA_METRICS_TOKEN: TOKEN, CADENZA_OUTBOUND_ALLOWLIST: '127.0.0.1', CADENZA_EVENT_DISPATCHER: 'true' });
  const port = await freePort();
  worker = await startWorkerProcess(h, {
    CADENZA_HANDLERS_DIR: path.join(ROOT, 'test/fixtures/handlers-observed'),
    CADENZA_WORKER_DOMAINS: 'metered',
    CADENZA_METRICS_PORT: String(port),
  });
  workerMetrics = `http://127.0.0.1:${port}/metrics`;
  failing = await startReceiver();
  failing.respondWith(500, { broken: true });
  t = await newTenant(h);
}, 90_000);
afterAll(async () => {
  await worker?.stop();
  await failing?.close();
  await h?.close();
});

async function scrape(url: string, token: string | undefined = TOKEN): Promise<Sample[]> {
  const res = await fetch(url, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheus(await res.text());
}
const apiMetrics = () => scrape(`${h.baseUrl}/metrics`);

async function send(type: string, payload: unknown = {}): Promise<string> {
  const commandId = `m-${crypto.randomBytes(4).toString('hex')}`;
  const res = await call(h, 'POST', '/v1/commands', { key: t.adminKey, body: { domain: 'metered', type, commandId, payload } });
  expect(res.status).toBe(202);
  return commandId;
}

async function statusOf(commandId: string, status: string): Promise<void> {
  await waitFor(async () => (await call(h, 'GET', `/v1/commands/metered/${commandId}`, { key: t.adminKey })).body?.status === status, { what: `${commandId} to be ${status}` });
}

const tsqDepth = async () => valueOf(await apiMetrics(), 'cadenza_troubleshooting_queue_depth', { domain: 'metered' });

describe('/metrics', () => {
  it('is for the operator: 404 without a token on the API port, 401 without the right one', async () => {
    const plain = await startHarness();
    try {
      const off = await call(plain, 'GET', '/metrics', { key: t.adminKey });
      expect(off.status).toBe(404);
    } finally {
      await plain.close();
    }
    expect((await call(h, 'GET', '/metrics', { key: t.adminKey })).status).toBe(401);
    expect((await call(h, 'GET', '/metrics')).status).toBe(401);
    expect((await fetch(workerMetrics)).status).toBe(401);
  });

  it('counts a scripted mix exactly: sends, a park and retry, a failure, a flow run, a failing target call and a workflow run', async () => {
    const echoes = await Promise.all([send('echo', { n: 1 }), send('echo', { n: 2 }), send('echo', { n: 3 })]);
    for (const id of echoes) await statusOf(id, 'COMPLETED');
    const rejected = await send('reject');
    await statusOf(rejected, 'FAILED');

    const flaky = await send('flaky');
    await statusOf(flaky, 'IN_TROUBLESHOOTING_QUEUE');
    expect(await tsqDepth()).toBe(1);
    expect((await call(h, 'POST', `/v1/troubleshooting/metered/${flaky}/retry`, { key: t.adminKey, body: {} })).status).toBe(200);
    await statusOf(flaky, 'COMPLETED');
    expect(await tsqDepth()).toBe(0);

    const action = await call(h, 'POST', '/v1/instance/actions', { key: t.adminKey, body: { name: 'metered', script: 'function metered(ctx, api) { api.setContext("seen", true); }' } });
    expect(action.status).toBe(201);
    expect((await call(h, 'PUT', '/v1/instance/flows/customiseToken/triggers/preAccessTokenCreation', { key: t.adminKey, body: { actionIds: [action.body.id] } })).status).toBe(200);
    const flow = await call(h, 'POST', '/v1/instance/flows/customiseToken/triggers/preAccessTokenCreation/run', { key: t.adminKey, body: { context: {} } });
    expect(flow.status).toBe(200);

    const target = await call(h, 'POST', '/v1/targets', { key: t.adminKey, body: { name: 'failing', type: 'webhook', endpoint: failing.url, timeoutSeconds: 5 } });
    expect(target.status).toBe(201);
    expect((await call(h, 'PUT', '/v1/executions', { key: t.adminKey, body: { condition: 'function/metered', targets: [{ target: target.body.id }] } })).status).toBe(200);
    expect((await call(h, 'POST', '/v1/functions/metered/call', { key: t.adminKey, body: { payload: {} } })).status).toBe(200);

    const wf = await createWorkflow(h, t, workflow('metered', [trigger(), setNode('Mark', { marked: 1 })], connect(['Start', 'Mark'])));
    expect((await finishedRun(h, t, await executeWorkflow(h, t, wf))).status).toBe('completed');

    const api = await apiMetrics();
    const sent = (type: string) => valueOf(api, 'cadenza_commands_sent_total', { domain: 'metered', type });
    expect([sent('echo'), sent('reject'), sent('flaky')]).toEqual([3, 1, 1]);
    expect(valueOf(api, 'cadenza_http_request_duration_seconds_count', { method: 'POST', route: '/v1/commands', status: '202' })).toBe(5);
    expect(valueOf(api, 'cadenza_http_request_duration_seconds_count', { method: 'POST', route: '/v1/troubleshooting/{domain}/{commandId}/retry', status: '200' })).toBe(1);
    expect(valueOf(api, 'cadenza_troubleshooting_queue_depth', { domain: 'metered' })).toBe(0);
    expect(api.some((s) => Object.values(s.labels).some((v) => v.includes(t.instanceId) || v.includes(flaky)))).toBe(false);

    const w = await scrape(workerMetrics);
    const finished = (name: string, type: string, extra: Record<string, string> = {}) => valueOf(w, name, { domain: 'metered', type, ...extra });
    expect(finished('cadenza_commands_completed_total', 'echo')).toBe(3);
    expect(finished('cadenza_commands_completed_total', 'flaky')).toBe(1);
    expect(finished('cadenza_commands_failed_total', 'reject')).toBe(1);
    expect(finished('cadenza_commands_parked_total', 'flaky', { reason: 'PERMANENT' })).toBe(1);
    expect(finished('cadenza_command_handler_duration_seconds_count', 'echo', { outcome: 'success' })).toBe(3);
    expect(finished('cadenza_command_handler_duration_seconds_count', 'flaky', { outcome: 'permanent' })).toBe(1);
    expect(finished('cadenza_command_handler_duration_seconds_count', 'flaky', { outcome: 'success' })).toBe(1);
    expect(finished('cadenza_command_handler_duration_seconds_count', 'reject', { outcome: 'business_rule' })).toBe(1);
    // Attempts per finished command: echo 1+1+1, reject 1, flaky parked after 1 and completed after 2.
    expect([finished('cadenza_command_attempts_count', 'echo'), finished('cadenza_command_attempts_sum', 'echo')]).toEqual([3, 3]);
    expect([finished('cadenza_command_attempts_count', 'flaky'), finished('cadenza_command_attempts_sum', 'flaky')]).toEqual([2, 3]);
    expect(finished('cadenza_command_send_to_completion_seconds_count', 'echo')).toBe(3);
    expect(valueOf(w, 'cadenza_runs_total', { kind: 'flow', outcome: 'succeeded' })).toBe(1);
    expect(valueOf(w, 'cadenza_runs_total', { kind: 'execution', outcome: 'succeeded' })).toBe(1);
    expect(valueOf(w, 'cadenza_runs_total', { kind: 'workflow', outcome: 'completed' })).toBe(1);
    expect(valueOf(w, 'cadenza_target_call_duration_seconds_count', { target_type: 'webhook', status: '5xx' })).toBe(1);
    expect(valueOf(w, 'cadenza_workflow_node_executions_total', { node_type: 'n8n-nodes-base.set', outcome: 'success' })).toBe(1);
    expect(valueOf(w, 'cadenza_event_dispatcher_lag_seconds')).toBeGreaterThanOrEqual(0);
    // The Temporal core runtime's own worker metrics, on the same endpoint.
    expect(w.some((s) => s.name === 'temporal_worker_task_slots_available' && s.labels.task_queue === `${h.env.CADENZA_TASK_QUEUE}-handlers-metered`)).toBe(true);
    expect(w.some((s) => s.name.startsWith('temporal_workflow_task_schedule_to_start_latency') || s.name.startsWith('temporal_activity_schedule_to_start_latency'))).toBe(true);
    expect(w.some((s) => s.name === 'temporal_sticky_cache_size')).toBe(true);
  });
});
