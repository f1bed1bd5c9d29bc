// Tenant provisioning from the system scope, on the real services: an instance created, used,
// limited (quota 429, logged) and removed with its workflows stopped and its data gone; system
// and instance keys kept apart.
import crypto from 'node:crypto';
import { SYSTEM, transaction } from '../../src/db/db';
import { insertSystemKey } from '../../src/tenancy/system-keys';
import { connect, node, trigger, workflow } from '../helpers/dag';
import { call, newTenant, startHarness, startWorkerProcess, waitFor, type Harness, type WorkerProcess } from '../helpers/harness';

let h: Harness;
let worker: WorkerProcess;
let systemKey: string;
beforeAll(async () => {
  h = await startHarness();
  worker = await startWorkerProcess(h);
  systemKey = (await transaction(h.ctx.db, SYSTEM, (tx) => insertSystemKey(tx, 'test', 'test-system'))).secret;
}, 90_000);
afterAll(async () => {
  await worker?.stop();
  await h?.close();
});

const newId = () => `p-${crypto.randomBytes(5).toString('hex')}`;
const system = (method: string, path: string, body?: unknown) => call(h, method, path, { key: systemKey, body });

/** Rows the instance still owns, per table (tables without rows left out). */
async function rowsOf(instanceId: string): Promise<Record<string, number>> {
  return transaction(h.ctx.db, SYSTEM, async (tx) => {
    const { rows: tables } = await tx.query<{ name: string }>(
      `SELECT format('%I.%I', c.table_schema, c.table_name) AS name FROM information_schema.columns c
         JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
        WHERE c.column_name = 'instance_id' AND c.table_schema IN ('public', 'logstore')`,
    );
    const counts: Record<string, number> = {};
    for (const { name } of tables) {
      const n = Number((await tx.query(`SELECT count(*) AS n FROM ${name} WHERE instance_id = $1`, [instanceId])).rows[0].n);
      if (n > 0) counts[name] = n;
    }
    const instance = Number((await tx.query('SELECT count(*) AS n FROM instances WHERE id = $1', [instanceId])).rows[0].n);
    if (instance > 0) counts.instances = instance;
    return counts;
  });
}

describe('instances', () => {
  it('creates an instance that works, limits its quota (429, logged) and removes it with its workflows and data', async () => {
    const id = newId();
    const created = await system('POST', '/v1/system/instances', { id, name: 'Customer one', limits: { logRetentionDays: 7 } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id, name: 'Customer one', limits: { actionQuotaSecondsPerMonth: null, logRetentionDays: 7 } });
    const admin: string = created.body.adminKey;
    expect(admin).toMatch(/^cdz_/);

    // Used: an org, an action that takes a second, a flow run, and a workflow run left waiting.
    const org = await call(h, 'POST', '/v1/orgs', { key: admin, body: { name: 'acme' } });
    expect(org.status).toBe(201);
    const action = await call(h, 'POST', '/v1/actions', {
      key: admin,
      headers: { 'x-cadenza-org': org.body.id },
      body: { name: 'busy', script: 'function busy(ctx, api) {\n  const end = Date.now() + 1100;\n  while (Date.now() < end) {}\n}' },
    });
    expect(action.status).toBe(201);
    const orgCall = (method: string, path: string, body?: unknown) => call(h, method, path, { key: admin, headers: { 'x-cadenza-org': org.body.id }, body });
    expect((await orgCall('PUT', '/v1/flows/command/triggers/postCompletion', { actionIds: [action.body.id] })).status).toBe(200);
    expect((await orgCall('POST', '/v1/flows/command/triggers/postCompletion/run', { context: {} })).status).toBe(200);
    const definition = workflow('waits', [trigger(), node('Wait', 'cadenza.waitForSignal', 1, { signalName: 'go', timeoutSeconds: 3600 })], connect(['Start', 'Wait']));
    const wf = await orgCall('POST', '/v1/workflows', { definition });
    expect(wf.status).toBe(201);
    const run = await orgCall('POST', `/v1/workflows/${wf.body.id}/execute`, { input: {} });
    const waiting = await waitFor(async () => {
      const r = (await orgCall('GET', `/v1/workflow-runs/${run.body.id}`)).body;
      return r.nodes?.some((n: { status: string }) => n.status === 'waiting') ? r : undefined;
    }, { what: 'the workflow run to wait' });

    // Limited: a quota of one second is used up by the first run; the next is refused and logged.
    const limited = await system('PATCH', `/v1/system/instances/${id}`, { limits: { actionQuotaSecondsPerMonth: 1, commandRetentionDays: 400 } });
    expect(limited.status).toBe(200);
    expect(limited.body.limits).toEqual({ actionQuotaSecondsPerMonth: 1, logRetentionDays: 7, commandRetentionDays: 400, commandPayloadBytes: null, rateLimit: null });
    const refused = await orgCall('POST', '/v1/flows/command/triggers/postCompletion/run', { context: {} });
    expect(refused.status).toBe(429);
    expect((await orgCall('GET', '/v1/logs/quota?allowed=false')).body.items).toEqual([expect.objectContaining({ allowed: false, reason: refused.body.detail })]);
    expect((await orgCall('GET', '/v1/quota')).body).toMatchObject({ limit: 1, remaining: 0 });
    // Another instance keeps the installation's default (no quota).
    const other = await newTenant(h);
    expect((await call(h, 'GET', '/v1/quota', { key: other.adminKey })).body.limit).toBeNull();

    expect(Object.keys(await rowsOf(id))).toEqual(expect.arrayContaining(['public.events', 'public.orgs', 'public.api_keys', 'public.actions', 'public.runs', 'logstore.quota_logs', 'instances']));
    const removed = await system('DELETE', `/v1/system/instances/${id}`);
    expect(removed.status).toBe(200);
    expect(removed.body.terminatedWorkflows).toBeGreaterThanOrEqual(1);
    expect(removed.body.deletedRows).toBeGreaterThan(10);

    const handle = h.ctx.temporal.client.workflow.getHandle(waiting.temporalWorkflowId);
    expect((await handle.describe()).status.name).toBe('TERMINATED');
    expect(await rowsOf(id)).toEqual({});
    expect((await call(h, 'GET', '/v1/orgs', { key: admin })).status).toBe(401);
    expect((await system('GET', `/v1/system/instances/${id}`)).status).toBe(404);
    expect((await system('DELETE', `/v1/system/instances/${id}`)).status).toBe(404);
    expect((await call(h, 'GET', '/v1/orgs', { key: other.adminKey })).status).toBe(200);
  });

  it('keeps system keys out of instances and instance keys out of the system routes', async () => {
    const t = await newTenant(h);
    const viaSystem = await call(h, 'GET', '/v1/orgs', { key: systemKey });
    expect(viaSystem.status).toBe(403);
    expect(viaSystem.headers.get('content-type')).toContain('application/problem+json');
    expect((await call(h, 'GET', '/v1/logs/requests', { key: systemKey })).status).toBe(403);
    expect((await call(h, 'GET', '/v1/system/instances', { key: t.adminKey })).status).toBe(403);
    expect((await call(h, 'GET', `/v1/system/instances/${t.instanceId}`, { key: t.adminKey })).status).toBe(403);
    expect((await call(h, 'DELETE', `/v1/system/instances/${t.instanceId}`, { key: t.adminKey })).status).toBe(403);
    expect((await call(h, 'GET', '/v1/system/instances')).status).toBe(401);
    expect((await call(h, 'GET', '/v1/system/instances', { key: 'cdzsys_unknown' })).status).toBe(401);

    const listed: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await system('GET', `/v1/system/instances?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      listed.push(...page.body.items.map((i: { id: string }) => i.id));
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    expect(listed).toContain(t.instanceId);
    expect((await system('GET', `/v1/system/instances/${t.instanceId}`)).body).toMatchObject({ id: t.instanceId, limits: { actionQuotaSecondsPerMonth: null, logRetentionDays: 30 } });
  });

  it('refuses bad input with 422 naming the field, and a taken id with 409', async () => {
    const field = async (method: string, path: string, body: unknown) => {
      const res = await system(method, path, body);
      expect(res.status).toBe(422);
      return res.body.errors[0].field;
    };
    expect(await field('POST', '/v1/system/instances', { id: 'Not Valid', name: 'x' })).toBe('body.id');
    expect(await field('POST', '/v1/system/instances', { id: newId(), name: ' ' })).toBe('body.name');
    expect(await field('POST', '/v1/system/instances', { id: newId(), name: 'x', limits: { logRetentionDays: 0 } })).toBe('body.limits.logRetentionDays');
    const t = await newTenant(h);
    expect(await field('PATCH', `/v1/system/instances/${t.instanceId}`, { limits: { actionQuotaSecondsPerMonth: -1 } })).toBe('body.limits.actionQuotaSecondsPerMonth');
    expect(await field('PATCH', `/v1/system/instances/${t.instanceId}`, { limits: { unknown: 1 } })).toBe('body.limits.unknown');
    const taken = await system('POST', '/v1/system/instances', { id: t.instanceId, name: 'again' });
    expect(taken.status).toBe(409);
    expect(taken.body.field).toBe('body.id');
  });
});
