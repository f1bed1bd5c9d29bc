// The logstore, read through the API on the real services: request logs, execution logs and
// quota logs, each filtered and paged, invisible to other orgs and instances; and the retention
// schedule deleting rows past each instance's retention in batches.
import crypto from 'node:crypto';
import { SYSTEM, transaction } from '../../src/db/db';
import { RETENTION_BATCH_SIZE, retentionScheduleId } from '../../src/logstore/retention';
import { call, newTenant, startHarness, startWorkerProcess, waitFor, type Harness, type TestTenant, type WorkerProcess } from '../helpers/harness';

let h: Harness;
let worker: WorkerProcess;
beforeAll(async () => {
  h = await startHarness();
  worker = await startWorkerProcess(h);
}, 90_000);
afterAll(async () => {
  await worker?.stop();
  await h?.close();
});

/** Every item of a log route, following nextCursor with pages of `limit`. */
async function allPages(key: string, path: string, limit: number): Promise<{ pages: number; items: any[] }> {
  const items: any[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const res = await call(h, 'GET', `${path}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, { key });
    expect(res.status).toBe(200);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
    pages++;
  } while (cursor !== null);
  return { pages, items };
}

async function orgsOf(t: TestTenant): Promise<{ a: string; b: string; aKey: string; bKey: string; aViewer: string }> {
  const client = await t.client();
  const a = (await client.createOrg(`a-${crypto.randomBytes(3).toString('hex')}`)).id;
  const b = (await client.createOrg(`b-${crypto.randomBytes(3).toString('hex')}`)).id;
  return { a, b, aKey: await t.key('admin', a), bKey: await t.key('admin', b), aViewer: await t.key('viewer', a) };
}

describe('request logs', () => {
  it('filters by status, route and date, pages newest first, and shows an org its own requests only', async () => {
    const t = await newTenant(h);
    const { a, aKey, bKey, aViewer } = await orgsOf(t);
    const other = await newTenant(h);
    for (let i = 0; i < 3; i++) expect((await call(h, 'GET', '/v1/targets', { key: aKey })).status).toBe(200);
    expect((await call(h, 'GET', '/v1/targets/tgt_missing', { key: aKey })).status).toBe(404);
    expect((await call(h, 'GET', '/v1/targets', { key: bKey })).status).toBe(200);
    expect((await call(h, 'GET', '/v1/targets', { key: other.adminKey })).status).toBe(200);
    // Request logs are written in batches after the answers.
    await waitFor(async () => (await call(h, 'GET', '/v1/logs/requests?route=/v1/targets', { key: t.adminKey })).body.items.length === 4, { what: 'the request logs' });

    const mine = await allPages(aViewer, '/v1/logs/requests', 2);
    expect(mine.items.length).toBeGreaterThanOrEqual(4);
    expect(mine.pages).toBeGreaterThanOrEqual(2);
    expect(mine.items.every((r) => r.orgId === a)).toBe(true);
    const ids = mine.items.map((r) => BigInt(r.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort((x, y) => (x > y ? -1 : x < y ? 1 : 0))).toEqual(ids);

    const notFound = await call(h, 'GET', '/v1/logs/requests?status=404', { key: aViewer });
    expect(notFound.body.items).toEqual([expect.objectContaining({ status: 404, method: 'GET', route: '/v1/targets/:targetId', path: '/v1/targets/tgt_missing', orgId: a })]);
    const listed = await call(h, 'GET', '/v1/logs/requests?route=/v1/targets&method=GET', { key: aViewer });
    expect(listed.body.items).toHaveLength(3);

    // The instance-wide key sees both orgs' requests; another instance sees none of them.
    const all = await call(h, 'GET', '/v1/logs/requests?route=/v1/targets', { key: t.adminKey });
    expect(all.body.items).toHaveLength(4);
    const foreign = await allPages(other.adminKey, '/v1/logs/requests', 50);
    const seen = new Set(mine.items.map((r) => r.requestId));
    expect(foreign.items.some((r) => seen.has(r.requestId))).toBe(false);
    expect(foreign.items.length).toBeGreaterThanOrEqual(1);

    const future = new Date(Date.now() + 3600_000).toISOString();
    expect((await call(h, 'GET', `/v1/logs/requests?from=${future}`, { key: aViewer })).body.items).toEqual([]);
    expect((await call(h, 'GET', `/v1/logs/requests?to=${future}&route=/v1/targets`, { key: aViewer })).body.items).toHaveLength(3);
    const past = new Date(Date.now() - 3600_000).toISOString();
    expect((await call(h, 'GET', `/v1/logs/requests?to=${past}`, { key: aViewer })).body.items).toEqual([]);
  });

  it('refuses bad filters with 422 naming the field, and callers without a key with 401', async () => {
    const t = await newTenant(h);
    const field = async (path: string) => (await call(h, 'GET', path, { key: t.adminKey })).body.errors?.[0]?.field;
    expect(await field('/v1/logs/requests?status=99')).toBe('query.status');
    expect(await field('/v1/logs/requests?from=yesterday')).toBe('query.from');
    expect(await field('/v1/logs/requests?cursor=bm9wZQ')).toBe('query.cursor');
    expect(await field('/v1/logs/executions?level=debug')).toBe('query.level');
    expect(await field('/v1/logs/quota?allowed=maybe')).toBe('query.allowed');
    expect((await call(h, 'GET', '/v1/logs/requests')).status).toBe(401);
  });
});

describe('execution and quota logs', () => {
  it("serves a run's script lines by level and run, and its quota use, to its org only", async () => {
    const t = await newTenant(h);
    const { a, aKey, bKey, aViewer } = await orgsOf(t);
    const script = "function chatty(ctx, api) {\n  api.log('first');\n  api.log.warn('careful');\n  api.log.error('oops');\n}";
    const action = await call(h, 'POST', '/v1/actions', { key: aKey, body: { name: 'chatty', script } });
    expect(action.status).toBe(201);
    expect((await call(h, 'PUT', '/v1/flows/command/triggers/postCompletion', { key: aKey, body: { actionIds: [action.body.id] } })).status).toBe(200);
    const runs: string[] = [];
    for (let i = 0; i < 2; i++) {
      const run = await call(h, 'POST', '/v1/flows/command/triggers/postCompletion/run', { key: aKey, body: { context: {} } });
      expect(run.status).toBe(200);
      runs.push(run.body.runId);
    }

    const lines = await allPages(aViewer, `/v1/logs/executions?runId=${runs[0]}`, 2);
    expect(lines.items.map((l) => [l.level, l.message])).toEqual([
      ['error', 'oops'],
      ['warn', 'careful'],
      ['info', 'first'],
    ]);
    expect(lines.items[0]).toMatchObject({ orgId: a, runId: runs[0], actionId: action.body.id, actionVersion: 1 });
    const warnings = await call(h, 'GET', '/v1/logs/executions?level=warn', { key: aViewer });
    expect(warnings.body.items.map((l: any) => l.runId).sort()).toEqual([...runs].sort());
    expect((await call(h, 'GET', `/v1/logs/executions?runId=${runs[0]}`, { key: bKey })).body.items).toEqual([]);

    const quota = await call(h, 'GET', `/v1/logs/quota?runId=${runs[1]}`, { key: aViewer });
    expect(quota.body.items).toEqual([expect.objectContaining({ orgId: a, runId: runs[1], actionId: action.body.id, allowed: true, unit: 'action_seconds' })]);
    expect(quota.body.items[0].amount).toBeGreaterThan(0);
    expect((await call(h, 'GET', '/v1/logs/quota?allowed=false', { key: aViewer })).body.items).toEqual([]);
    expect((await call(h, 'GET', `/v1/logs/quota?runId=${runs[1]}`, { key: bKey })).body.items).toEqual([]);

    const usage = await call(h, 'GET', '/v1/quota', { key: aViewer });
    expect(usage.status).toBe(200);
    expect(usage.body).toMatchObject({ unit: 'action_seconds', limit: null, remaining: null });
    expect(usage.body.used).toBeGreaterThan(0);
    expect(usage.body.usedByOrg).toBe(usage.body.used);
    expect((await call(h, 'GET', '/v1/quota', { key: bKey })).body.usedByOrg).toBe(0);
    expect(Date.parse(usage.body.periodStart)).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(usage.body.periodEnd)).toBeGreaterThan(Date.now());
  });
});

describe('retention', () => {
  /** Log rows of an instance `daysOld` days old: `n` of each table (quota only when asked). */
  async function oldRows(instanceId: string, daysOld: number, n: number, tables = ['requests', 'execution_logs', 'quota_logs']): Promise<void> {
    const at = `now() - make_interval(days => ${daysOld})`;
    const inserts: Record<string, string> = {
      requests: `INSERT INTO logstore.requests (instance_id, request_id, method, path, status, duration_ms, created_at)
                 SELECT $1, 'old-' || g, 'GET', '/v1/old', 200, 1, ${at} FROM generate_series(1, $2) g`,
      execution_logs: `INSERT INTO logstore.execution_logs (instance_id, run_id, action_id, action_version, level, message, logged_at, created_at)
                 SELECT $1, 'run_old', 'act_old', 1, 'info', 'old ' || g, ${at}, ${at} FROM generate_series(1, $2) g`,
      quota_logs: `INSERT INTO logstore.quota_logs (instance_id, amount, run_id, action_id, created_at)
                 SELECT $1, 0.1, 'run_old', 'act_old', ${at} FROM generate_series(1, $2) g`,
    };
    await transaction(h.ctx.db, SYSTEM, async (tx) => {
      for (const table of tables) await tx.query(inserts[table]!, [instanceId, n]);
    });
  }

  async function counts(instanceId: string): Promise<Record<string, number>> {
    const { rows } = await transaction(h.ctx.db, SYSTEM, (tx) => tx.query<{ t: string; n: number }>(
      `SELECT 'requests' AS t, count(*)::int AS n FROM logstore.requests WHERE instance_id = $1 AND path = '/v1/old'
       UNION ALL SELECT 'execution_logs', count(*)::int FROM logstore.execution_logs WHERE instance_id = $1 AND run_id = 'run_old'
       UNION ALL SELECT 'quota_logs', count(*)::int FROM logstore.quota_logs WHERE instance_id = $1 AND run_id = 'run_old'`,
      [instanceId],
    ));
    return Object.fromEntries(rows.map((r) => [r.t, r.n]));
  }

  it("deletes rows past each instance's retention in batches when the schedule runs, and keeps the rest", async () => {
    const short = await newTenant(h);
    const standard = await newTenant(h);
    await transaction(h.ctx.db, SYSTEM, (tx) => tx.query('UPDATE instances SET log_retention_days = 10 WHERE id = $1', [short.instanceId]));
    const many = RETENTION_BATCH_SIZE * 2 + 17; // more than one batch
    await oldRows(short.instanceId, 40, many);
    await oldRows(short.instanceId, 15, 5, ['requests', 'execution_logs']);
    await oldRows(standard.instanceId, 40, 3);
    await oldRows(standard.instanceId, 15, 5, ['requests', 'execution_logs']);
    await oldRows(standard.instanceId, 2, 4);
    expect(await counts(short.instanceId)).toEqual({ requests: many + 5, execution_logs: many + 5, quota_logs: many });

    // The worker created the schedule at its start; run it now instead of waiting for the hour.
    const schedule = h.ctx.temporal.client.schedule.getHandle(retentionScheduleId(h.env.CADENZA_TASK_QUEUE!));
    expect((await schedule.describe()).action).toMatchObject({ type: 'startWorkflow', workflowType: 'logRetentionWorkflow' });
    await schedule.trigger();
    await waitFor(async () => (await schedule.describe()).info.recentActions.length > 0, { what: 'the schedule to start its workflow' });
    const started = (await schedule.describe()).info.recentActions[0]!.action;
    const deleted: number = await h.ctx.temporal.client.workflow.getHandle(started.workflow.workflowId, started.workflow.firstExecutionRunId).result();
    expect(deleted).toBeGreaterThanOrEqual(3 * many + 10 + 9);

    // short (10 days): the 40- and 15-day-old rows went; standard (30 days): only the 40-day-old ones.
    expect(await counts(short.instanceId)).toEqual({ requests: 0, execution_logs: 0, quota_logs: 0 });
    expect(await counts(standard.instanceId)).toEqual({ requests: 5 + 4, execution_logs: 5 + 4, quota_logs: 4 });
  });
});
