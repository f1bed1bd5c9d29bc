// The monthly action-seconds quota, with a harness configured for a quota of one second.
import { SYSTEM, transaction } from '../../src/db/db';
import { call, newTenant, startHarness, startWorkerProcess, type Harness, type WorkerProcess } from '../helpers/harness';

let h: Harness;
let worker: WorkerProcess;
beforeAll(async () => {
  h = await startHarness({ CADENZA_ACTION_QUOTA_SECONDS: '1' });
  worker = await startWorkerProcess(h);
});
afterAll(async () => {
  await worker?.stop();
  await h?.close();
});

describe('action-seconds quota', () => {
  it('counts action-seconds in logstore.quota_logs, refuses a run over the quota with 429 and logs the refusal', async () => {
    const t = await newTenant(h);
    const org = await (await t.client()).createOrg('busy');
    const key = await t.key('admin', org.id);
    const created = await call(h, 'POST', '/v1/actions', {
      key,
      body: { name: 'busy', script: 'function busy(ctx, api) {\n  const end = Date.now() + 1100;\n  while (Date.now() < end) {}\n}' },
    });
    await call(h, 'PUT', '/v1/flows/command/triggers/postCompletion', { key, body: { actionIds: [created.body.id] } });

    const first = await call(h, 'POST', '/v1/flows/command/triggers/postCompletion/run', { key, body: { context: {} } });
    expect(first.status).toBe(200);
    const used = await transaction(h.ctx.db, SYSTEM, async (tx) =>
      (await tx.query<{ s: number }>("SELECT SUM(amount)::float8 AS s FROM logstore.quota_logs WHERE instance_id = $1 AND unit = 'action_seconds'", [t.instanceId])).rows[0]!.s,
    );
    expect(used).toBeGreaterThanOrEqual(1.1);

    const refused = await call(h, 'POST', '/v1/flows/command/triggers/postCompletion/run', { key, body: { context: {} } });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.body.detail).toMatch(/action-seconds quota of this instance is used up for this month \(\d+\.\d of 1 s\)/);
    // The refusal is logged (allowed: false), and the month's usage shows the quota used up.
    const refusals = await call(h, 'GET', '/v1/logs/quota?allowed=false', { key });
    expect(refusals.body.items).toEqual([expect.objectContaining({ allowed: false, amount: 0, orgId: org.id, runId: null, reason: refused.body.detail })]);
    const usage = await call(h, 'GET', '/v1/quota', { key: await t.key('viewer', org.id) });
    expect(usage.body).toMatchObject({ unit: 'action_seconds', limit: 1, remaining: 0 });
    expect(usage.body.used).toBeGreaterThanOrEqual(1.1);
    // Another tenant has its own quota.
    const other = await newTenant(h);
    const otherOrg = await (await other.client()).createOrg('idle');
    const otherKey = await other.key('admin', otherOrg.id);
    const a = await call(h, 'POST', '/v1/actions', { key: otherKey, body: { name: 'quick', script: 'function quick(ctx, api) {}' } });
    await call(h, 'PUT', '/v1/flows/command/triggers/postCompletion', { key: otherKey, body: { actionIds: [a.body.id] } });
    expect((await call(h, 'POST', '/v1/flows/command/triggers/postCompletion/run', { key: otherKey, body: { context: {} } })).status).toBe(200);
    expect((await call(h, 'GET', '/v1/logs/quota?allowed=false', { key: other.adminKey })).body.items).toEqual([]);
  });
});
