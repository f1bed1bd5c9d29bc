// The routes the operator console reads that the API did not have before it, and how the API
// serves the console itself (static files, deep links, Content-Security-Policy). Real Temporal
// and PostgreSQL; the browser side is test/browser/console.test.ts.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CONSOLE_CSP, CONSOLE_DIR } from '../../src/api/console';
import { PREVIEW_BYTES } from '../../src/preview';
import { connect, createWorkflow, executeWorkflow, finishedRun, http, trigger, workflow } from '../helpers/dag';
import { call, newTenant, startHarness, startWorkerProcess, waitFor, type Harness, type TestTenant, type WorkerProcess } from '../helpers/harness';
import { startReceiver, type Receiver } from '../helpers/receiver';

let h: Harness;
let worker: WorkerProcess;
let rx: Receiver;

beforeAll(async () => {
  h = await startHarness({ CADENZA_OUTBOUND_ALLOWLIST: '127.0.0.1', CADENZA_TEMPORAL_UI_URL: 'http://temporal.example:8233/' });
  rx = await startReceiver();
  worker = await startWorkerProcess(h, { CADENZA_DEMO_HANDLERS: 'true' });
}, 90_000);
afterAll(async () => {
  await worker?.stop();
  await rx?.close();
  await h?.close();
});

const send = (t: TestTenant, commandId: string, payload: unknown, extra: Record<string, unknown> = {}) =>
  call(h, 'POST', '/v1/commands', { key: t.adminKey, body: { domain: 'demo', type: 'flaky', commandId, payload, ...extra } });

async function inQueue(t: TestTenant, count: number): Promise<void> {
  await waitFor(async () => (await call(h, 'GET', '/v1/troubleshooting/counts', { key: t.adminKey })).body.total === count, { what: `${count} entries in the queue` });
}

describe('GET /v1/me', () => {
  it("answers the calling key's name, role and scope, and the Temporal Web UI", async () => {
    const t = await newTenant(h);
    const org = await call(h, 'POST', '/v1/orgs', { key: t.adminKey, body: { name: 'acme' } });
    const viewer = await call(h, 'POST', '/v1/keys', { key: t.adminKey, body: { name: 'ops-viewer', role: 'viewer', orgId: org.body.id } });
    const me = await call(h, 'GET', '/v1/me', { key: viewer.body.secret });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({
      keyId: viewer.body.id,
      name: 'ops-viewer',
      role: 'viewer',
      instanceId: t.instanceId,
      keyOrgId: org.body.id,
      orgId: org.body.id,
      temporal: { namespace: 'default', webUiUrl: 'http://temporal.example:8233' },
    });
    const picked = await call(h, 'GET', '/v1/me', { key: t.adminKey, headers: { 'x-cadenza-org': org.body.id } });
    expect(picked.body).toMatchObject({ role: 'admin', keyOrgId: null, orgId: org.body.id });
    expect((await call(h, 'GET', '/v1/me')).status).toBe(401);
  });
});

describe('the troubleshooting queue, as the console reads it', () => {
  it('counts the queue per domain, type and reason, and filters it by reason', async () => {
    const t = await newTenant(h);
    await send(t, 'perm-1', { failTimes: 1, permanent: true });
    await send(t, 'perm-2', { failTimes: 1, permanent: true });
    await send(t, 'tired-1', { failTimes: 5 }, { maxAttempts: 1 });
    await inQueue(t, 3);
    const counts = await call(h, 'GET', '/v1/troubleshooting/counts', { key: t.adminKey });
    expect(counts.body).toEqual({
      items: [
        { domain: 'demo', type: 'flaky', tsqReason: 'PERMANENT', count: 2 },
        { domain: 'demo', type: 'flaky', tsqReason: 'EXHAUSTED', count: 1 },
      ],
      total: 3,
      truncated: false,
    });
    const permanent = await call(h, 'GET', '/v1/troubleshooting?tsqReason=PERMANENT', { key: t.adminKey });
    expect(permanent.body.items.map((c: { commandId: string }) => c.commandId).sort()).toEqual(['perm-1', 'perm-2']);
    const bad = await call(h, 'GET', '/v1/troubleshooting?tsqReason=TIRED', { key: t.adminKey });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].field).toBe('query.tsqReason');
    const other = await newTenant(h);
    expect((await call(h, 'GET', '/v1/troubleshooting/counts', { key: other.adminKey })).body).toEqual({ items: [], total: 0, truncated: false });
  });

  it('retries exactly the selected entries in bulk and reports one that is no longer in the queue', async () => {
    const t = await newTenant(h);
    for (const id of ['pick-1', 'pick-2', 'leave-1']) await send(t, id, { failTimes: 1, permanent: true });
    await inQueue(t, 3);
    const started = await call(h, 'POST', '/v1/troubleshooting/retry', {
      key: t.adminKey,
      body: {
        commands: [
          { domain: 'demo', commandId: 'pick-1' },
          { domain: 'demo', commandId: 'pick-2' },
          { domain: 'demo', commandId: 'never-sent' },
        ],
        reason: 'selected in the console',
      },
    });
    expect(started.status).toBe(202);
    const done = await waitFor(
      async () => {
        const p = await call(h, 'GET', `/v1/troubleshooting/retry/${started.body.id}`, { key: t.adminKey });
        return p.body.state === 'COMPLETED' ? p.body : undefined;
      },
      { what: 'the bulk retry to complete' },
    );
    expect(done).toMatchObject({ matched: 3, retried: 2, failedCount: 1, failed: [{ domain: 'demo', commandId: 'never-sent' }] });
    for (const id of ['pick-1', 'pick-2']) {
      await waitFor(async () => (await call(h, 'GET', `/v1/commands/demo/${id}`, { key: t.adminKey })).body.status === 'COMPLETED', { what: `${id} to complete` });
    }
    expect((await call(h, 'GET', '/v1/commands/demo/leave-1', { key: t.adminKey })).body.status).toBe('IN_TROUBLESHOOTING_QUEUE');
    const audit = await call(h, 'GET', '/v1/commands/demo/pick-1/audit', { key: t.adminKey });
    expect(audit.body.items).toContainEqual(expect.objectContaining({ type: 'command.operator_retry', payload: expect.objectContaining({ reason: 'selected in the console' }) }));
  });

  it('refuses a selection together with a filter, naming the field', async () => {
    const t = await newTenant(h);
    const res = await call(h, 'POST', '/v1/troubleshooting/retry', { key: t.adminKey, body: { domain: 'demo', commands: [{ domain: 'demo', commandId: 'x' }] } });
    expect(res.status).toBe(422);
    expect(res.body.errors[0].field).toBe('body.commands');
  });
});

describe('GET /v1/workflow-runs', () => {
  it('lists the runs of every workflow, newest first, with their workflow names, filtered by status', async () => {
    const t = await newTenant(h);
    const ok = await createWorkflow(h, t, workflow('fine', [trigger()], {}));
    const broken = await createWorkflow(h, t, workflow('broken', [trigger(), http('Call', `${rx.url}/down`)], connect(['Start', 'Call'])));
    rx.respondWith(500, { down: true });
    try {
      const first = await executeWorkflow(h, t, ok);
      await finishedRun(h, t, first);
      const second = await executeWorkflow(h, t, broken);
      expect((await finishedRun(h, t, second)).status).toBe('failed');
      const all = await call(h, 'GET', '/v1/workflow-runs', { key: t.adminKey });
      expect(all.body.items.map((r: { id: string; workflowName: string }) => [r.id, r.workflowName])).toEqual([
        [second, 'broken'],
        [first, 'fine'],
      ]);
      expect(all.body.items[0].nodes).toBeUndefined();
      const failed = await call(h, 'GET', '/v1/workflow-runs?status=failed&limit=1', { key: t.adminKey });
      expect(failed.body).toMatchObject({ items: [{ id: second, error: { node: 'Call' } }], nextCursor: null });
      const other = await newTenant(h);
      expect((await call(h, 'GET', '/v1/workflow-runs', { key: other.adminKey })).body.items).toEqual([]);
    } finally {
      rx.respondWith(200, { ok: true });
    }
  });
});

describe('GET /v1/flows', () => {
  it('lists every flow type of the catalogue with its triggers and their ordered actions', async () => {
    const t = await newTenant(h);
    const action = await call(h, 'POST', '/v1/instance/actions', { key: t.adminKey, body: { name: 'stamp', script: 'function stamp(ctx, api) {}' } });
    await call(h, 'PUT', '/v1/instance/flows/command/triggers/preSend', { key: t.adminKey, body: { actionIds: [action.body.id] } });
    const flows = await call(h, 'GET', '/v1/instance/flows', { key: t.adminKey });
    expect(flows.status).toBe(200);
    expect(flows.body.items.map((f: { flowType: string }) => f.flowType)).toEqual(['externalAuthentication', 'customiseToken', 'internalAuthentication', 'customizeSAMLResponse', 'command']);
    const command = flows.body.items.find((f: { flowType: string }) => f.flowType === 'command');
    expect(command.triggers[0]).toMatchObject({ triggerType: 'preSend', description: expect.any(String), actions: [{ id: action.body.id, name: 'stamp', version: 1 }] });
    const orgLevel = await call(h, 'GET', '/v1/flows', { key: t.adminKey });
    expect(orgLevel.status).toBe(400);
    expect(orgLevel.body.errors[0].field).toBe('headers.x-cadenza-org');
  });
});

describe('run traces of execution runs', () => {
  it("keep each call's request and response, cut to a preview when large", async () => {
    const t = await newTenant(h);
    const target = await call(h, 'POST', '/v1/targets', { key: t.adminKey, body: { name: 'echo', type: 'call', endpoint: `${rx.url}/echo`, timeoutSeconds: 5 } });
    await call(h, 'PUT', '/v1/executions', { key: t.adminKey, body: { condition: 'function/lookup', targets: [{ target: target.body.id }] } });
    rx.respondNext({ status: 200, body: { found: true, blob: 'x'.repeat(PREVIEW_BYTES) } });
    const called = await call(h, 'POST', '/v1/functions/lookup/call', { key: t.adminKey, body: { payload: { customer: 'c-1' } } });
    expect(called.status).toBe(200);
    const trace = await call(h, 'GET', `/v1/runs/${called.body.runId}`, { key: t.adminKey });
    expect(trace.body.calls).toHaveLength(1);
    expect(trace.body.calls[0]).toMatchObject({ targetName: 'echo', statusCode: 200, request: { customer: 'c-1' }, response: { truncated: true, bytes: expect.any(Number) } });
    expect(trace.body.calls[0].response.preview).toHaveLength(PREVIEW_BYTES);
  });
});

describe('/console', () => {
  it('answers every page with index.html and a strict Content-Security-Policy', async () => {
    const index = fs.readFileSync(path.join(CONSOLE_DIR, 'index.html'), 'utf8');
    for (const page of ['/console', '/console/', '/console/troubleshooting', `/console/commands/demo/${crypto.randomUUID()}`, '/console/workflow-runs/run_x?node=Start']) {
      const res = await fetch(h.baseUrl + page);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(index);
      expect(res.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('cache-control')).toBe('no-cache');
    }
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).not.toContain('unsafe');
    expect(index).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });

  it('serves hashed assets for a year and answers 404 for an unknown one', async () => {
    const index = fs.readFileSync(path.join(CONSOLE_DIR, 'index.html'), 'utf8');
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(index)![1]!;
    const asset = await fetch(h.baseUrl + script);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toContain('javascript');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    const missing = await fetch(`${h.baseUrl}/console/assets/nothing-here.js`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
  });
});
