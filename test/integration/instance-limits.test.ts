// Per-instance request limits set from the system scope, on the real services: an API request
// rate (429 with Retry-After past the burst, logged as refused; other instances unaffected) and a
// command payload limit under the installation's (413 naming the field).
import crypto from 'node:crypto';
import { SYSTEM, transaction } from '../../src/db/db';
import { insertSystemKey } from '../../src/tenancy/system-keys';
import { call, startHarness, systemQuery, type Harness } from '../helpers/harness';

let h: Harness;
let systemKey: string;
beforeAll(async () => {
  h = await startHarness();
  systemKey = (await transaction(h.ctx.db, SYSTEM, (tx) => insertSystemKey(tx, 'test', 'test-system'))).secret;
});
afterAll(async () => {
  await h?.close();
});

const newId = () => `l-${crypto.randomBytes(5).toString('hex')}`;
const system = (method: string, path: string, body?: unknown) => call(h, method, path, { key: systemKey, body });

async function instance(limits: Record<string, unknown> = {}): Promise<{ id: string; admin: string }> {
  const id = newId();
  const created = await system('POST', '/v1/system/instances', { id, name: id, limits });
  expect(created.status).toBe(201);
  return { id, admin: created.body.adminKey as string };
}

describe('instance rate limit', () => {
  it('answers 429 with Retry-After past the burst, logs each refusal, and leaves another instance alone', async () => {
    // One token per 10 s: past the burst of 3, the next token is far off whatever the machine's speed.
    const limited = await instance({ rateLimit: { requestsPerSecond: 0.1, burst: 3 } });
    const other = await instance();
    expect((await system('GET', `/v1/system/instances/${limited.id}`)).body.limits).toMatchObject({ rateLimit: { requestsPerSecond: 0.1, burst: 3 }, commandPayloadBytes: null });

    const started = Date.now();
    const statuses: number[] = [];
    let refused: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 8; i++) {
      const res = await call(h, 'GET', '/v1/orgs', { key: limited.admin });
      statuses.push(res.status);
      if (res.status === 429) refused = res;
    }
    const refill = Math.floor(((Date.now() - started) / 1000) * 0.1);
    const allowed = statuses.filter((s) => s === 200).length;
    expect(allowed).toBeGreaterThanOrEqual(3);
    expect(allowed).toBeLessThanOrEqual(3 + refill);
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    expect(refused!.headers.get('content-type')).toContain('application/problem+json');
    expect(refused!.body).toMatchObject({ type: 'urn:cadenza:problem:rate-limited', status: 429 });
    expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    const others = await Promise.all(Array.from({ length: 8 }, () => call(h, 'GET', '/v1/orgs', { key: other.admin })));
    expect(others.map((r) => r.status)).toEqual(Array(8).fill(200));

    // Each refusal is in the quota log; lifting the limit lets the instance read it at once.
    const rows = await systemQuery(h, "SELECT unit, allowed, reason FROM logstore.quota_logs WHERE instance_id = $1 AND unit = 'api_requests'", [limited.id]);
    expect(rows.rows).toHaveLength(8 - allowed);
    expect(rows.rows[0]).toMatchObject({ allowed: false, reason: expect.stringContaining('GET /v1/orgs: over the rate limit of 0.1 requests per second (burst 3)') });
    expect((await system('PATCH', `/v1/system/instances/${limited.id}`, { limits: { rateLimit: null } })).body.limits.rateLimit).toBeNull();
    const log = await call(h, 'GET', '/v1/logs/quota?allowed=false', { key: limited.admin });
    expect(log.status).toBe(200);
    expect(log.body.items).toHaveLength(8 - allowed);
    expect(log.body.items[0]).toMatchObject({ unit: 'api_requests', allowed: false, amount: 0 });
  });

  it('takes from one bucket whatever key of the instance calls', async () => {
    const limited = await instance({ rateLimit: { requestsPerSecond: 0.1, burst: 2 } });
    const viewer = await call(h, 'POST', '/v1/keys', { key: limited.admin, body: { name: 'viewer', role: 'viewer' } });
    expect(viewer.status).toBe(201);
    expect((await call(h, 'GET', '/v1/orgs', { key: viewer.body.secret })).status).toBe(200);
    expect((await call(h, 'GET', '/v1/orgs', { key: limited.admin })).status).toBe(429);
    expect((await call(h, 'GET', '/v1/orgs', { key: viewer.body.secret })).status).toBe(429);
  });
});

describe('instance command payload limit', () => {
  it("answers 413 naming the field for a payload over the instance's limit, which may only lower the installation's", async () => {
    const small = await instance({ commandPayloadBytes: 100 });
    const under = await call(h, 'POST', '/v1/commands', { key: small.admin, body: { domain: 'demo', type: 'echo', payload: 'x'.repeat(50) } });
    expect(under.status).toBe(202);
    const over = await call(h, 'POST', '/v1/commands', { key: small.admin, body: { domain: 'demo', type: 'echo', payload: 'x'.repeat(200) } });
    expect(over.status).toBe(413);
    expect(over.body.errors).toEqual([expect.objectContaining({ field: 'body.payload' })]);
    const batch = await call(h, 'POST', '/v1/commands/batch', {
      key: small.admin,
      body: { commands: [{ domain: 'demo', type: 'echo', payload: 1 }, { domain: 'demo', type: 'echo', payload: 'x'.repeat(200) }] },
    });
    expect(batch.status).toBe(413);
    expect(batch.body.errors).toEqual([expect.objectContaining({ field: 'body.commands[1].payload' })]);

    const id = newId();
    const tooLarge = await system('POST', '/v1/system/instances', { id, name: id, limits: { commandPayloadBytes: 10 * 1024 * 1024 } });
    expect(tooLarge.status).toBe(422);
    expect(tooLarge.body.errors).toEqual([expect.objectContaining({ field: 'body.limits.commandPayloadBytes' })]);
    expect((await system('GET', `/v1/system/instances/${id}`)).status).toBe(404);
  });
});
