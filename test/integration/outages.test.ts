// What Cadenza does while PostgreSQL or Temporal is away, on the real services: answers 503
// with Retry-After, reports each dependency in /readyz, tells busy workers from missing ones at
// pickup, and starts later what could not be started then. Restarts and kills of the services
// themselves are in test/chaos/.
import crypto from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { addAlert, getAlert } from '../../src/alerts/alerts';
import type { TenantCtx } from '../../src/context';
import { cancelWorkflowRun, executeWorkflow as executeRun, getWorkflowRun, signalWorkflowRun } from '../../src/dag/workflow-runs';
import { startFlowTrigger } from '../../src/flows/flow-runs';
import { dispatchWorkflowStarts } from '../../src/temporal/workflow-starts';
import { connect, createWorkflow, finishedRun, setNode, trigger, workflow } from '../helpers/dag';
import { call, freePort, newTenant, startHarness, startWorkerProcess, systemQuery, waitFor, type Harness, type TestTenant, type WorkerProcess } from '../helpers/harness';

let h: Harness;
let worker: WorkerProcess;

beforeAll(async () => {
  h = await startHarness({ CADENZA_OUTBOUND_ALLOWLIST: '127.0.0.1' });
  // One handler at a time, so a second command waits behind the first.
  worker = await startWorkerProcess(h, { CADENZA_DEMO_HANDLERS: 'true', CADENZA_WORKER_CONCURRENCY: '1' });
});
afterAll(async () => {
  await worker?.stop();
  await h?.close();
});

/** The tenant's context with a Temporal that cannot be reached (no retries, so it fails at once). */
async function withTemporalAway(t: TestTenant): Promise<TenantCtx> {
  const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}`, interceptors: [] });
  const client = new Client({ connection, namespace: h.ctx.temporal.namespace });
  return {
    ...h.ctx,
    temporal: { ...h.ctx.temporal, client, workerConnection: undefined },
    tenant: { instanceId: t.instanceId, orgId: null, role: 'admin', actor: 'api-while-temporal-is-away', keyId: null, keyOrgId: null },
  };
}

/** Makes this deployment's recorded starts, as its dispatcher does once they are due. */
const dispatchNow = () => dispatchWorkflowStarts(h.ctx, 0, 100);

const oneNodeWorkflow = () => workflow(`wf-${crypto.randomBytes(3).toString('hex')}`, [trigger(), setNode('Mark', { marked: 'yes' })], connect(['Start', 'Mark']));

describe('while PostgreSQL is unreachable', () => {
  let away: Harness;
  beforeAll(async () => {
    away = await startHarness({ DATABASE_URL: `postgres://cadenza:none@127.0.0.1:${await freePort()}/cadenza` });
  });
  afterAll(async () => {
    await away?.close();
  });

  it('answers 503 problem+json with Retry-After, naming the dependency', async () => {
    const res = await call(away, 'GET', '/v1/commands', { key: 'cdz_anyKeyWhileTheDatabaseIsAway000000' });
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.headers.get('retry-after')).toBe('5');
    expect(res.body).toMatchObject({ status: 503, type: 'urn:cadenza:problem:unavailable', dependency: 'postgres' });
  });

  it('says in /readyz which dependency is down, without its error text, and keeps /healthz at 200', async () => {
    expect((await call(away, 'GET', '/healthz')).status).toBe(200);
    const ready = await call(away, 'GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({ status: 'not_ready', checks: { postgres: 'down', temporal: 'ok', migrations: 'unknown' } });
  });
});

describe('a pickup timeout', () => {
  it('schedules the attempt again, instead of HANDLER_NOT_FOUND, when workers poll the domain but were too busy to pick it up in time', async () => {
    const client = await (await newTenant(h)).client('operator');
    const busy = `busy-${crypto.randomBytes(3).toString('hex')}`;
    await client.sendCommand({ domain: 'demo', type: 'slow', commandId: busy, payload: { ms: 4000 } });
    await client.waitForCommand('demo', busy, (c) => c.status === 'IN_PROGRESS');
    const waiting = `waiting-${crypto.randomBytes(3).toString('hex')}`;
    await client.sendCommand({ domain: 'demo', type: 'echo', commandId: waiting, payload: 'late but served', timeouts: { pickupMs: 1000 } });
    const done = await client.waitForCommand('demo', waiting, (c) => ['COMPLETED', 'IN_TROUBLESHOOTING_QUEUE'].includes(c.status), 60_000);
    expect(done).toMatchObject({ status: 'COMPLETED', attempts: 1, result: 'late but served' });
    expect((await client.audit('demo', waiting)).map((e) => e.type)).toEqual(['command.sent', 'command.started', 'command.completed']);
  });
});

describe('a start Temporal could not take', () => {
  it('is made by the dispatcher for a DAG run, a flow run and an alert, which then run', async () => {
    const t = await newTenant(h);
    const ctx = await withTemporalAway(t);

    const workflowId = await createWorkflow(h, t, oneNodeWorkflow());
    const dagRun = await executeRun(ctx, workflowId, { input: { n: 1 } });
    expect(dagRun.status).toBe('running');

    const actionRes = await call(h, 'POST', '/v1/instance/actions', { key: t.adminKey, body: { name: 'note', script: "async function note(ctx, api) { api.setContext('noted', true) }" } });
    expect(actionRes.status).toBe(201);
    expect((await call(h, 'PUT', '/v1/instance/flows/command/triggers/postCompletion', { key: t.adminKey, body: { actionIds: [actionRes.body.id] } })).status).toBe(200);
    const { runId: flowRunId } = await startFlowTrigger(ctx, { flowType: 'command', trigger: 'postCompletion', context: { commandId: 'c-1' }, orgId: null });

    const target = await call(h, 'POST', '/v1/targets', { key: t.adminKey, body: { name: 'pager', type: 'webhook', endpoint: 'http://127.0.0.1:9/alerts' } });
    expect(target.status).toBe(201);
    const alert = await addAlert(ctx, { name: 'failing flows', scope: 'flow', failureRateThreshold: 0.5, window: 60, minRuns: 1, notifyTargetId: target.body.id, evaluateEverySeconds: 1 });

    await waitFor(async () => (await dispatchNow()) === 0 && (await systemQuery(h, 'SELECT 1 FROM workflow_starts WHERE instance_id = $1', [t.instanceId])).rowCount === 0, {
      what: 'the recorded starts to be made',
    });
    expect((await finishedRun(h, t, dagRun.id)).status).toBe('completed');
    const flowRun = await waitFor(async () => {
      const r = await call(h, 'GET', `/v1/runs/${flowRunId}`, { key: t.adminKey });
      return r.body.state !== 'running' ? r.body : undefined;
    });
    expect(flowRun).toMatchObject({ state: 'succeeded', contextOut: { commandId: 'c-1', noted: true } });
    // The alert's evaluator runs: it counts the flow run that finished.
    await waitFor(async () => (await getAlert({ ...h.ctx, tenant: ctx.tenant }, alert.id)).lastRuns === 1, { what: 'the alert to count the flow run' });
  });

  it('makes a cancel or a signal of the not yet started DAG run answer 409; a run whose start was lost is cancelled', async () => {
    const t = await newTenant(h);
    const ctx = await withTemporalAway(t);
    const workflowId = await createWorkflow(h, t, oneNodeWorkflow());
    const pending = await executeRun(ctx, workflowId, {});
    // Temporal is back for the operator; the run's start is still to be made.
    const back: TenantCtx = { ...h.ctx, tenant: ctx.tenant };
    await expect(cancelWorkflowRun(back, pending.id)).rejects.toMatchObject({ kind: 'conflict', message: expect.stringContaining('has not started yet') });
    await expect(signalWorkflowRun(back, pending.id, 'go', {})).rejects.toMatchObject({ kind: 'conflict' });
    const cancel = await call(h, 'POST', `/v1/workflow-runs/${pending.id}/cancel`, { key: t.adminKey });
    expect(cancel.status).toBe(409);

    // A run recorded before starts were recorded, by a process that died before its start.
    const lost = await executeRun(ctx, workflowId, {});
    await systemQuery(h, 'DELETE FROM workflow_starts WHERE instance_id = $1 AND workflow_id = $2', [t.instanceId, lost.temporalWorkflowId]);
    expect((await call(h, 'POST', `/v1/workflow-runs/${lost.id}/cancel`, { key: t.adminKey })).status).toBe(202);
    expect(await getWorkflowRun(back, lost.id)).toMatchObject({ status: 'cancelled', error: { message: expect.stringContaining('never started') } });

    await waitFor(async () => (await dispatchNow()) === 0, { what: 'the pending start to be made' });
    expect((await finishedRun(h, t, pending.id)).status).toBe('completed');
  });
});
