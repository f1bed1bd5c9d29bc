// Flow runs on the real Temporal dev server: one worker process runs the flow workflow and
// its action activities in the QuickJS sandbox.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TenantCtx } from '../../src/context';
import { SYSTEM, transaction } from '../../src/db/db';
import { FlowRunFailedError, runFlowTrigger, startFlowTrigger } from '../../src/flows/flow-runs';
import { FLOW_RUN_LIMITS } from '../../src/workflows/flow-run-contract';
import { call, newTenant, startHarness, startWorkerProcess, waitFor, type Harness, type TestTenant, type WorkerProcess } from '../helpers/harness';

let h: Harness;
let worker: WorkerProcess;
let receiver: http.Server;
let receiverUrl: string;
beforeAll(async () => {
  // Tests allow loopback receivers; everything else stays refused.
  h = await startHarness({ CADENZA_OUTBOUND_ALLOWLIST: '127.0.0.1' });
  worker = await startWorkerProcess(h);
  receiver = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ greeting: 'hello from the receiver', path: req.url }));
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await worker?.stop();
  await h?.close();
  receiver?.closeAllConnections();
  await new Promise((r) => receiver?.close(r));
});

interface Org {
  t: TestTenant;
  orgId: string;
  key: string;
}

async function orgTenant(): Promise<Org> {
  const t = await newTenant(h);
  const org = await (await t.client()).createOrg('acme');
  return { t, orgId: org.id, key: await t.key('admin', org.id) };
}

async function action(key: string, name: string, body: string, extra: Record<string, unknown> = {}, base = '/v1/actions'): Promise<string> {
  const res = await call(h, 'POST', base, { key, body: { name, script: `async function ${name}(ctx, api) {\n${body}\n}`, ...extra } });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

const bind = async (key: string, ids: string[], base = '/v1/flows', flow = 'customiseToken', trigger = 'preAccessTokenCreation') => {
  const res = await call(h, 'PUT', `${base}/${flow}/triggers/${trigger}`, { key, body: { actionIds: ids } });
  expect(res.status).toBe(200);
};
const run = (key: string, context: Record<string, unknown> = {}, base = '/v1/flows') =>
  call(h, 'POST', `${base}/customiseToken/triggers/preAccessTokenCreation/run`, { key, body: { context } });

describe('flow runs', () => {
  it('returns the context field a script sets, with the run id and steps', async () => {
    const o = await orgTenant();
    const id = await action(o.key, 'addClaim', "api.setContext('claims.role', 'admin'); api.log('set the role for', ctx.context.user)");
    await bind(o.key, [id]);
    const res = await run(o.key, { user: 'ada' });
    expect(res.status).toBe(200);
    expect(res.body.context).toEqual({ user: 'ada', claims: { role: 'admin' } });
    expect(res.body.runId).toMatch(/^run_/);
    expect(res.body.steps).toMatchObject([{ actionId: id, actionName: 'addClaim', actionVersion: 1, state: 'succeeded', logs: [{ message: 'set the role for ada' }] }]);

    const trace = await call(h, 'GET', `/v1/runs/${res.body.runId}`, { key: o.key });
    expect(trace.body).toMatchObject({ state: 'succeeded', kind: 'flow', workflowId: `flow:${o.t.instanceId}:${res.body.runId}`, contextOut: res.body.context });
    const logs = await transaction(h.ctx.db, SYSTEM, async (tx) =>
      (await tx.query('SELECT run_id, action_id, action_version, message FROM logstore.execution_logs WHERE instance_id = $1', [o.t.instanceId])).rows,
    );
    expect(logs).toEqual([{ run_id: res.body.runId, action_id: id, action_version: 1, message: 'set the role for ada' }]);
  });

  it('fails the run at an action that may not fail, naming it; an action allowed to fail is recorded and skipped', async () => {
    const o = await orgTenant();
    const tolerated = await action(o.key, 'flaky', "throw new Error('flaky broke')", { allowedToFail: true });
    const after = await action(o.key, 'after', "api.setContext('after', true)");
    await bind(o.key, [tolerated, after]);
    const ok = await run(o.key);
    expect(ok.status).toBe(200);
    expect(ok.body.context).toEqual({ after: true });
    expect(ok.body.steps.map((s: { state: string }) => s.state)).toEqual(['failed', 'succeeded']);
    expect(ok.body.steps[0].error).toMatchObject({ message: 'Error: flaky broke', line: 2 });

    const strict = await action(o.key, 'strict', "throw new Error('strict broke')");
    await bind(o.key, [strict, after]);
    const failed = await run(o.key);
    expect(failed.status).toBe(422);
    expect(failed.body.detail).toContain("action 'strict'");
    expect(failed.body.detail).toContain('strict broke');
    expect(failed.body.action).toMatchObject({ id: strict, name: 'strict', version: 1 });
    const trace = await call(h, 'GET', `/v1/runs/${failed.body.runId}`, { key: o.key });
    expect(trace.body.state).toBe('failed');
    expect(trace.body.steps).toHaveLength(1);
    const failedRuns = await call(h, 'GET', '/v1/runs?state=failed&kind=flow', { key: o.key });
    expect(failedRuns.body.items.map((r: { id: string }) => r.id)).toEqual([failed.body.runId]);
  });

  it('stops an infinite loop at its timeout and a memory bomb at its cap; the worker stays healthy', async () => {
    const o = await orgTenant();
    const loop = await action(o.key, 'loop', 'for (;;) {}', { timeoutSeconds: 1, allowedToFail: true });
    const bomb = await action(o.key, 'bomb', 'const a = []; for (;;) a.push({ i: a.length, s: "abc" + a.length })', { allowedToFail: true });
    const probe = await action(o.key, 'probe', "api.setContext('absent', [typeof require, typeof process, typeof fetch, typeof setTimeout])");
    await bind(o.key, [loop, bomb, probe]);
    const res = await run(o.key);
    expect(res.status).toBe(200);
    expect(res.body.steps.map((s: { error: { kind: string } | null }) => s.error?.kind ?? null)).toEqual(['timeout', 'memory', null]);
    expect(res.body.context.absent).toEqual(['undefined', 'undefined', 'undefined', 'undefined']);
    // The next run succeeds on the same worker.
    await bind(o.key, [probe]);
    expect((await run(o.key)).status).toBe(200);
  });

  it('keeps the worker responsive while another script spins until its timeout', async () => {
    const slow = await orgTenant();
    const fast = await orgTenant();
    await bind(slow.key, [await action(slow.key, 'spin', 'for (;;) {}', { timeoutSeconds: 10, allowedToFail: true })]);
    await bind(fast.key, [await action(fast.key, 'quick', "api.setContext('quick', true)")]);
    let slowDone = false;
    const slowRun = run(slow.key).finally(() => (slowDone = true));
    // Wait until the spinning step is under way, then a quick run must not queue behind it: it
    // finishes while the spin is still going (the order, not a time, so load cannot flip it).
    await waitFor(async () =>
      transaction(h.ctx.db, SYSTEM, async (tx) => (await tx.query("SELECT 1 FROM runs WHERE instance_id = $1 AND state = 'running'", [slow.t.instanceId])).rowCount),
    );
    const quick = await run(fast.key);
    expect(quick.body.context).toEqual({ quick: true });
    expect(slowDone).toBe(false);
    const spun = await slowRun;
    expect(spun.body.steps[0].error.kind).toBe('timeout');
  });

  it('runs instance actions before org actions, skips deactivated ones, and records the versions it ran', async () => {
    const o = await orgTenant();
    const push = (tag: string) => `api.setContext('order', (api.getContext('order') || []).concat('${tag}'))`;
    const inst = await action(o.t.adminKey, 'instFirst', push('instance'), {}, '/v1/instance/actions');
    await bind(o.t.adminKey, [inst], '/v1/instance/flows');
    const org = await action(o.key, 'orgSecond', push('org v1'));
    const off = await action(o.key, 'switchedOff', push('off'));
    await call(h, 'PATCH', `/v1/actions/${org}`, { key: o.key, body: { script: `async function orgSecond(ctx, api) {\n${push('org v2')}\n}` } });
    await call(h, 'POST', `/v1/actions/${off}/deactivate`, { key: o.key });
    await bind(o.key, [org, off]);

    const res = await run(o.key);
    expect(res.status).toBe(200);
    expect(res.body.context.order).toEqual(['instance', 'org v2']);
    expect(res.body.steps.map((s: { actionName: string; actionVersion: number; owner: string }) => [s.actionName, s.actionVersion, s.owner])).toEqual([
      ['instFirst', 1, 'instance'],
      ['orgSecond', 2, 'org'],
    ]);
    // The instance route runs the instance actions only, whichever org the key picked.
    const instOnly = await run(o.t.adminKey, {}, '/v1/instance/flows');
    expect(instOnly.body.context.order).toEqual(['instance']);
    const withHeader = await call(h, 'POST', '/v1/instance/flows/customiseToken/triggers/preAccessTokenCreation/run', {
      key: o.t.adminKey,
      headers: { 'x-cadenza-org': o.orgId },
      body: { context: {} },
    });
    expect(withHeader.body.context.order).toEqual(['instance']);
  });

  it('lets api.http.fetch reach an allowlisted receiver and refuses 169.254.169.254 and 10.0.0.1', async () => {
    const o = await orgTenant();
    const id = await action(
      o.key,
      'caller',
      `const r = await api.http.fetch(ctx.context.url + '/hook');
       api.setContext('reply', r.json());
       for (const target of ['http://169.254.169.254/latest/meta-data', 'http://10.0.0.1/']) {
         try { await api.http.fetch(target); api.setContext('reached.' + target.length, true) }
         catch (e) { api.log(e.message) }
       }`,
    );
    await bind(o.key, [id]);
    const res = await run(o.key, { url: receiverUrl });
    expect(res.status).toBe(200);
    expect(res.body.context.reply).toEqual({ greeting: 'hello from the receiver', path: '/hook' });
    expect(res.body.context.reached).toBeUndefined();
    expect(res.body.steps[0].logs.map((l: { message: string }) => l.message)).toEqual([
      expect.stringContaining('outbound call to 169.254.169.254 refused: its address is not allowed'),
      expect.stringContaining('outbound call to 10.0.0.1 refused: its address is not allowed'),
    ]);
  });

  it('returns the context unchanged and records no run when the trigger has no active action', async () => {
    const o = await orgTenant();
    const res = await run(o.key, { a: 1 });
    expect(res.body).toEqual({ runId: null, context: { a: 1 }, steps: [] });
  });

  it('answers 413 naming body.context for a context over its limit that fits in the body', async () => {
    const o = await orgTenant();
    const res = await run(o.key, { blob: 'x'.repeat(FLOW_RUN_LIMITS.contextBytes) });
    expect(res.status).toBe(413);
    expect(res.body.errors).toEqual([{ field: 'body.context', message: `must be at most ${FLOW_RUN_LIMITS.contextBytes} bytes` }]);
  });

  it("answers 404 for another tenant's run and lists only the caller's runs", async () => {
    const a = await orgTenant();
    const b = await orgTenant();
    await bind(a.key, [await action(a.key, 'solo', "api.setContext('x', 1)")]);
    const res = await run(a.key);
    expect((await call(h, 'GET', `/v1/runs/${res.body.runId}`, { key: b.key })).status).toBe(404);
    expect((await call(h, 'GET', `/v1/runs/${res.body.runId}`, { key: b.t.adminKey })).status).toBe(404);
    expect((await call(h, 'GET', '/v1/runs', { key: b.t.adminKey })).body.items).toEqual([]);
    expect((await call(h, 'GET', `/v1/runs?since=${encodeURIComponent(new Date(Date.now() - 60_000).toISOString())}`, { key: a.t.adminKey })).body.items).toHaveLength(1);
  });
});

describe('runFlowTrigger, the domain function the command bus calls', () => {
  const tenantCtx = (o: Org): TenantCtx => ({
    ...h.ctx,
    tenant: { instanceId: o.t.instanceId, orgId: o.orgId, role: 'admin', actor: 'command-bus', keyId: null, keyOrgId: null },
  });

  it('lets a preSend action change the command payload', async () => {
    const o = await orgTenant();
    const id = await action(o.key, 'stamp', "api.setContext('payload.stamped', true)");
    await bind(o.key, [id], '/v1/flows', 'command', 'preSend');
    const out = await runFlowTrigger(tenantCtx(o), { flowType: 'command', trigger: 'preSend', context: { domain: 'billing', payload: { amount: 5 } } });
    expect(out.context).toEqual({ domain: 'billing', payload: { amount: 5, stamped: true } });
    expect(out.steps).toHaveLength(1);
  });

  it('throws FlowRunFailedError (a 422) naming the action when a preSend action rejects', async () => {
    const o = await orgTenant();
    const id = await action(o.key, 'gate', "if (ctx.context.payload.amount > 100) throw new Error('amount over the limit')");
    await bind(o.key, [id], '/v1/flows', 'command', 'preSend');
    const attempt = runFlowTrigger(tenantCtx(o), { flowType: 'command', trigger: 'preSend', context: { payload: { amount: 500 } } });
    await expect(attempt).rejects.toBeInstanceOf(FlowRunFailedError);
    await expect(attempt).rejects.toMatchObject({ kind: 'validation', message: expect.stringContaining("action 'gate' (version 1) failed: Error: amount over the limit") });
  });
});

describe('startFlowTrigger, for triggers that must not block', () => {
  it('starts a postCompletion run and returns at once; the run finishes on its own', async () => {
    const o = await orgTenant();
    await bind(o.key, [await action(o.key, 'notify', "api.log('completed', ctx.context.commandId)")], '/v1/flows', 'command', 'postCompletion');
    const ctx: TenantCtx = { ...h.ctx, tenant: { instanceId: o.t.instanceId, orgId: o.orgId, role: 'admin', actor: 'command-bus', keyId: null, keyOrgId: null } };
    const { runId } = await startFlowTrigger(ctx, { flowType: 'command', trigger: 'postCompletion', context: { commandId: 'c-1' } });
    expect(runId).toMatch(/^run_/);
    const done = await waitFor(async () => {
      const r = await call(h, 'GET', `/v1/runs/${runId}`, { key: o.key });
      return r.body.state === 'succeeded' ? r.body : undefined;
    });
    expect(done.steps[0].logs[0].message).toBe('completed c-1');
  });
});

describe('OpenAPI', () => {
  it('describes the action, flow and run routes', async () => {
    const doc = await call(h, 'GET', '/openapi.json');
    for (const path of ['/v1/actions', '/v1/instance/actions/{actionId}/rollback', '/v1/flows/{flowType}/triggers/{triggerType}/run', '/v1/runs/{runId}']) {
      expect(Object.keys(doc.body.paths)).toContain(path);
    }
  });
});
