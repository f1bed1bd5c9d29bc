import { spawnSync } from 'node:child_process';
import { SYSTEM, transaction } from '../../src/db/db';
import { ConcurrencyError } from '../../src/errors';
import { push } from '../../src/eventstore/eventstore';
import { call, CLI, newTenant, ownerQuery, startHarness, systemQuery, waitFor, type Harness } from '../helpers/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const expectProblem = (res: { status: number; headers: Headers; body: any }, status: number) => {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(res.body).toMatchObject({ status, type: expect.stringMatching(/^urn:cadenza:problem:/), detail: expect.any(String) });
};

describe('authentication and roles', () => {
  it('answers 401 without a key', async () => {
    const res = await call(h, 'GET', '/v1/orgs');
    expectProblem(res, 401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('answers 401 for an unknown key', async () => {
    expectProblem(await call(h, 'GET', '/v1/orgs', { key: 'cdz_thisKeyDoesNotExist000000000000' }), 401);
  });

  it('answers 401 for a revoked key', async () => {
    const t = await newTenant(h);
    const viewer = await t.key('viewer');
    expect((await call(h, 'GET', '/v1/orgs', { key: viewer })).status).toBe(200);
    const admin = await t.client();
    const keys = await admin.listKeys();
    const viewerKey = keys.items.find((k) => viewer.startsWith(k.prefix))!;
    await admin.revokeKey(viewerKey.id);
    expectProblem(await call(h, 'GET', '/v1/orgs', { key: viewer }), 401);
  });

  it('answers 403 when a viewer writes, and 403 when an operator manages keys', async () => {
    const t = await newTenant(h);
    const viewerRes = await call(h, 'POST', '/v1/orgs', { key: await t.key('viewer'), body: { name: 'x' } });
    expectProblem(viewerRes, 403);
    expect(viewerRes.body.detail).toContain('admin');
    expectProblem(await call(h, 'GET', '/v1/keys', { key: await t.key('operator') }), 403);
  });
});

describe('tenant isolation', () => {
  it("answers 404 for another tenant's org and key", async () => {
    const a = await newTenant(h);
    const b = await newTenant(h);
    const org = await (await a.client()).createOrg('acme');
    const bKey = b.adminKey;
    expectProblem(await call(h, 'GET', `/v1/orgs/${org.id}`, { key: bKey }), 404);
    expectProblem(await call(h, 'GET', '/v1/orgs', { key: bKey, headers: { 'x-cadenza-org': org.id } }), 404);
    expect((await call(h, 'GET', '/v1/orgs', { key: bKey })).body.items).toEqual([]);

    const aKeys = await (await a.client()).listKeys();
    expectProblem(await call(h, 'DELETE', `/v1/keys/${aKeys.items[0]!.id}`, { key: bKey }), 404);
  });

  it('pins an org-scoped key to its org', async () => {
    const t = await newTenant(h);
    const admin = await t.client();
    const mine = await admin.createOrg('mine');
    const other = await admin.createOrg('other');
    const scoped = await t.key('admin', mine.id);
    const list = await call(h, 'GET', '/v1/orgs', { key: scoped });
    expect(list.body.items.map((o: { id: string }) => o.id)).toEqual([mine.id]);
    expectProblem(await call(h, 'GET', `/v1/orgs/${other.id}`, { key: scoped }), 404);
    expectProblem(await call(h, 'GET', '/v1/orgs', { key: scoped, headers: { 'x-cadenza-org': other.id } }), 404);
    expectProblem(await call(h, 'POST', '/v1/orgs', { key: scoped, body: { name: 'nope' } }), 403);
  });

  it('shows a query run without tenant context no rows (row-level security)', async () => {
    const t = await newTenant(h);
    await (await t.client()).createOrg('hidden');
    const counts = await transaction(h.ctx.db, SYSTEM, async (tx) => {
      await tx.query("SELECT set_config('role', 'cadenza_tenant', true)");
      const orgs = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM orgs');
      const events = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
      const keys = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM api_keys');
      return [orgs.rows[0]!.n, events.rows[0]!.n, keys.rows[0]!.n];
    });
    expect(counts).toEqual([0, 0, 0]);
    // The same role with the tenant set sees the tenant's rows, and only those.
    const visible = await transaction(h.ctx.db, { instanceId: t.instanceId }, async (tx) => {
      const { rows } = await tx.query<{ instance_id: string }>('SELECT DISTINCT instance_id FROM orgs');
      return rows.map((r) => r.instance_id);
    });
    expect(visible).toEqual([t.instanceId]);
  });

  it("refuses to write a row into another tenant's instance", async () => {
    const a = await newTenant(h);
    const b = await newTenant(h);
    await expect(
      transaction(h.ctx.db, { instanceId: a.instanceId }, (tx) =>
        tx.query("INSERT INTO orgs (instance_id, id, name, created_by) VALUES ($1, 'org_x', 'x', 'test')", [b.instanceId]),
      ),
    ).rejects.toThrow(/row-level security/);
  });
});

describe('event log', () => {
  it('lets exactly one of two concurrent appends at the same sequence win', async () => {
    const t = await newTenant(h);
    const append = (n: number) =>
      transaction(h.ctx.db, { instanceId: t.instanceId }, async (tx) => {
        const stored = await push(tx, t.instanceId, 'test', [
          { aggregateType: 'thing', aggregateId: 'a1', type: 'thing.added', payload: { n }, expectedSequence: 0 },
        ]);
        // Hold the transaction open so both appends overlap.
        await tx.query('SELECT pg_sleep(0.2)');
        return stored;
      });
    const results = await Promise.allSettled([append(1), append(2)]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason).toBeInstanceOf(ConcurrencyError);
    expect(lost[0]!.reason.message).toContain('thing a1 was changed concurrently (expected sequence 0)');
  });

  it('skips an event, and its projection, when its event id was appended before', async () => {
    const t = await newTenant(h);
    let projected = 0;
    const appendOnce = () =>
      transaction(h.ctx.db, { instanceId: t.instanceId }, (tx) =>
        push(tx, t.instanceId, 'test', [
          {
            aggregateType: 'thing',
            aggregateId: 'b1',
            type: 'thing.added',
            eventId: 'thing:b1:added',
            project: async () => {
              projected += 1;
            },
          },
        ]),
      );
    expect(await appendOnce()).toHaveLength(1);
    expect(await appendOnce()).toHaveLength(0);
    expect(projected).toBe(1);
  });

  it('keeps the log append-only', async () => {
    const t = await newTenant(h);
    await (await t.client()).createOrg('audited');
    await expect(transaction(h.ctx.db, SYSTEM, (tx) => tx.query('DELETE FROM events WHERE instance_id = $1', [t.instanceId]))).rejects.toThrow(
      /permission denied for table events/,
    );
    // Even the tables' owner meets the trigger.
    await expect(ownerQuery(h, 'DELETE FROM events WHERE instance_id = $1', [t.instanceId])).rejects.toThrow(/append-only/);
  });
});

describe('migrations', () => {
  it('is a no-op when applied twice', async () => {
    const run = () => spawnSync(process.execPath, [CLI, 'migrate'], { env: { ...process.env, ...h.env }, encoding: 'utf8' });
    const first = run();
    expect(first.status).toBe(0);
    const countAfterFirst = await systemQuery(h, 'SELECT count(*)::int AS n FROM pgmigrations');
    const second = run();
    expect(second.status).toBe(0);
    expect(second.stdout).toContain('Migrations: up to date.');
    const countAfterSecond = await systemQuery(h, 'SELECT count(*)::int AS n FROM pgmigrations');
    expect(countAfterSecond.rows[0].n).toBe(countAfterFirst.rows[0].n);
  });
});

describe('bad input', () => {
  it('names a missing field and an unknown one (422)', async () => {
    const t = await newTenant(h);
    const res = await call(h, 'POST', '/v1/orgs', { key: t.adminKey, body: { nmae: 'x' } });
    expectProblem(res, 422);
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { field: 'body.name', message: expect.any(String) },
        { field: 'body.nmae', message: 'is not a known field' },
      ]),
    );
  });

  it('answers 400 for malformed JSON, naming the body', async () => {
    const t = await newTenant(h);
    const res = await call(h, 'POST', '/v1/orgs', { key: t.adminKey, rawBody: '{"name": ', headers: { 'content-type': 'application/json' } });
    expectProblem(res, 400);
    expect(res.body.errors).toEqual([{ field: 'body', message: 'is not valid JSON' }]);
  });

  it('answers 415 for a body that is not JSON', async () => {
    const t = await newTenant(h);
    expectProblem(await call(h, 'POST', '/v1/orgs', { key: t.adminKey, rawBody: 'name=x', headers: { 'content-type': 'text/plain' } }), 415);
  });

  it('answers 413 for an oversized body', async () => {
    const t = await newTenant(h);
    const res = await call(h, 'POST', '/v1/orgs', { key: t.adminKey, body: { name: 'x'.repeat(70 * 1024) } });
    expectProblem(res, 413);
    expect(res.body.errors[0].field).toBe('body');
  });

  it('names an invalid query parameter', async () => {
    const t = await newTenant(h);
    const res = await call(h, 'GET', '/v1/orgs?limit=0', { key: t.adminKey });
    expectProblem(res, 422);
    expect(res.body.errors[0].field).toBe('query.limit');
    expectProblem(await call(h, 'GET', '/v1/orgs?cursor=garbage', { key: t.adminKey }), 422);
  });

  it('answers 404 problem+json for an unknown route', async () => {
    expectProblem(await call(h, 'GET', '/v1/nothing-here'), 404);
  });

  it('answers 409 for a duplicate org name', async () => {
    const t = await newTenant(h);
    const admin = await t.client();
    await admin.createOrg('dup');
    expectProblem(await call(h, 'POST', '/v1/orgs', { key: t.adminKey, body: { name: 'DUP' } }), 409);
  });
});

describe('keys', () => {
  it('shows a secret once and stores only its hash', async () => {
    const t = await newTenant(h);
    const created = await call(h, 'POST', '/v1/keys', { key: t.adminKey, body: { name: 'ci', role: 'operator' } });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^cdz_/);
    const listed = await call(h, 'GET', '/v1/keys', { key: t.adminKey });
    expect(JSON.stringify(listed.body)).not.toContain(created.body.secret);
    const { rows } = await systemQuery(h, 'SELECT key_hash FROM api_keys WHERE id = $1', [created.body.id]);
    expect(rows[0].key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0].key_hash).not.toContain(created.body.secret);
  });

  it('records key changes in the event log', async () => {
    const t = await newTenant(h);
    const admin = await t.client();
    const k = await admin.createKey({ name: 'temp', role: 'viewer' });
    await admin.revokeKey(k.id);
    const { rows } = await systemQuery(h, 'SELECT type FROM events WHERE instance_id = $1 AND aggregate_id = $2 ORDER BY sequence', [
      t.instanceId,
      k.id,
    ]);
    expect(rows.map((r) => r.type)).toEqual(['key.added', 'key.revoked']);
  });
});

describe('service endpoints', () => {
  it('reports liveness and readiness', async () => {
    expect((await call(h, 'GET', '/healthz')).body).toEqual({ status: 'ok' });
    const ready = await call(h, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', checks: { postgres: 'ok', migrations: 'ok', temporal: 'ok' } });
  });

  it('serves the OpenAPI document and the docs page', async () => {
    const doc = await call(h, 'GET', '/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/v1/orgs', '/v1/orgs/{orgId}', '/v1/keys', '/v1/keys/{keyId}']));
    expect(doc.body.paths['/v1/orgs'].post.requestBody.content['application/json'].schema).toBeDefined();
    const docs = await fetch(`${h.baseUrl}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger-ui');
    expect((await fetch(`${h.baseUrl}/docs/assets/swagger-ui-bundle.js`)).status).toBe(200);
  });

  it('writes each request to the request log with its request id', async () => {
    const t = await newTenant(h);
    const res = await call(h, 'GET', '/v1/orgs', { key: t.adminKey, headers: { 'x-request-id': `req-${t.instanceId}`, 'x-correlation-id': 'corr-1' } });
    expect(res.headers.get('x-request-id')).toBe(`req-${t.instanceId}`);
    const row = await waitFor(
      async () => (await systemQuery(h, 'SELECT * FROM logstore.requests WHERE request_id = $1', [`req-${t.instanceId}`])).rows[0],
      { what: 'the request log row' },
    );
    expect(row).toMatchObject({ instance_id: t.instanceId, method: 'GET', route: '/v1/orgs', status: 200, correlation_id: 'corr-1' });
  });
});
