// The database as it is set up: the app's login role owns nothing and reads no table by itself,
// row-level security holds every role but the named system path, and a fresh database of its
// own is migrated by `cadenza migrate` and re-keyed by `cadenza keys rotate-master`.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openAppCtx } from '../../src/app-context';
import { verifySignature } from '../../src/client';
import { replyKeyOwner } from '../../src/commands/replies';
import { loadConfig } from '../../src/config/config';
import { decryptSecret, masterKeyId } from '../../src/crypto/secrets';
import { SYSTEM, transaction, type Tx } from '../../src/db/db';
import { createLogger } from '../../src/log';
import { signingKeyOwner } from '../../src/targets/targets';
import { call, CLI, newTenant, ownerQuery, startHarness, startWorkerProcess, systemQuery, testEnv, type Harness } from '../helpers/harness';
import { startReceiver, type Receiver } from '../helpers/receiver';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const appRole = () => decodeURIComponent(new URL(h.env.DATABASE_URL!).username);

/** Every table of Cadenza's schemas but node-pg-migrate's own, as `schema.table`. */
async function tables(): Promise<string[]> {
  const { rows } = await ownerQuery<{ name: string }>(
    h,
    `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname IN ('public', 'logstore') AND c.relkind IN ('r', 'p') AND c.relname <> 'pgmigrations' ORDER BY 1`,
  );
  return rows.map((r) => r.name);
}

/** Tables of no tenant, for the system path alone: the dispatcher's checkpoints and the system keys. */
const SYSTEM_ONLY = ['public.event_checkpoints', 'public.system_keys'];

describe('database roles (finding 8)', () => {
  it('runs the API and workers as a login role that is no superuser, owns nothing and inherits nothing', async () => {
    const { rows } = await ownerQuery(
      h,
      `SELECT r.rolsuper, r.rolbypassrls, r.rolinherit, (SELECT count(*)::int FROM pg_class c WHERE c.relowner = r.oid) AS owned
         FROM pg_roles r WHERE r.rolname = $1`,
      [appRole()],
    );
    expect(rows).toEqual([{ rolsuper: false, rolbypassrls: false, rolinherit: false, owned: 0 }]);
    // Outside a scoped transaction the login role reads no table at all.
    await expect(h.ctx.db.query('SELECT count(*) FROM orgs')).rejects.toThrow(/permission denied for table orgs/);
  });

  it('shows a tenant query without the tenant setting nothing, in every table, while the system path sees the rows', async () => {
    const t = await newTenant(h);
    await (await t.client()).createOrg('hidden');
    const all = await tables();
    const tenantTables = all.filter((name) => !SYSTEM_ONLY.includes(name));
    const unset = await transaction(h.ctx.db, SYSTEM, async (tx) => {
      await tx.query("SELECT set_config('role', 'cadenza_tenant', true)");
      const counts: Record<string, number> = {};
      for (const name of tenantTables) counts[name] = (await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${name}`)).rows[0]!.n;
      return counts;
    });
    expect(Object.entries(unset).filter(([, n]) => n !== 0)).toEqual([]);
    for (const name of ['public.instances', 'public.orgs', 'public.api_keys', 'public.events']) {
      expect([name, (await systemQuery(h, `SELECT count(*)::int AS n FROM ${name}`)).rows[0].n > 0]).toEqual([name, true]);
    }
    // The dispatcher's checkpoints are no tenant's: the tenant role may not even look.
    await expect(
      transaction(h.ctx.db, { instanceId: t.instanceId }, (tx) => tx.query('SELECT * FROM event_checkpoints')),
    ).rejects.toThrow(/permission denied for table event_checkpoints/);
  });

  it("keeps another instance's rows out of raw SQL through the app role, in a tenant's transaction", async () => {
    const [a, b] = [await newTenant(h), await newTenant(h)];
    await (await a.client()).createOrg('mine');
    await (await b.client()).createOrg('theirs');
    const asA = <T>(fn: (tx: Tx) => Promise<T>) => transaction(h.ctx.db, { instanceId: a.instanceId }, fn);
    const seen = await asA(async (tx) => (await tx.query<{ instance_id: string }>('SELECT DISTINCT instance_id FROM orgs')).rows.map((r) => r.instance_id));
    expect(seen).toEqual([a.instanceId]);
    expect((await asA((tx) => tx.query('SELECT * FROM api_keys WHERE instance_id = $1', [b.instanceId]))).rowCount).toBe(0);
    expect((await asA((tx) => tx.query("UPDATE orgs SET name = 'taken' WHERE instance_id = $1", [b.instanceId]))).rowCount).toBe(0);
    expect((await asA((tx) => tx.query('DELETE FROM api_keys WHERE instance_id = $1', [b.instanceId]))).rowCount).toBe(0);
    await expect(
      asA((tx) => tx.query("INSERT INTO orgs (instance_id, id, name, created_by) VALUES ($1, 'planted', 'planted', 'test')", [b.instanceId])),
    ).rejects.toThrow(/row-level security/);
    // B's rows are untouched: its org keeps its name and its keys still authenticate.
    expect((await (await b.client()).listOrgs()).items.map((o) => o.name)).toEqual(['theirs']);
  });

  it('forces row-level security on every table, its owner included, with the tenant policy and the system one', async () => {
    const { rows } = await ownerQuery<{ name: string; enabled: boolean; forced: boolean; policies: string[] }>(
      h,
      `SELECT format('%I.%I', n.nspname, c.relname) AS name, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,
              ARRAY(SELECT p.policyname || ' to ' || array_to_string(p.roles, ',') FROM pg_policies p
                     WHERE p.schemaname = n.nspname AND p.tablename = c.relname ORDER BY 1)::text[] AS policies
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN ('public', 'logstore') AND c.relkind IN ('r', 'p') AND c.relname <> 'pgmigrations' ORDER BY 1`,
    );
    expect(rows.length).toBe((await tables()).length);
    for (const r of rows) {
      const policies = SYSTEM_ONLY.includes(r.name) ? ['system_access to cadenza_system'] : ['system_access to cadenza_system', 'tenant_isolation to public'];
      expect(r).toEqual({ name: r.name, enabled: true, forced: true, policies });
    }
  });

  it('refuses to run as a superuser, as the owner of the tables, or as a role that inherits the system path', async () => {
    const open = (url: string) => openAppCtx(loadConfig(testEnv({ DATABASE_URL: url }), 'api'), createLogger('silent'), 'test');
    await expect(open(h.env.DATABASE_OWNER_URL!)).rejects.toThrow(/refusing to run as PostgreSQL role 'postgres': it is a superuser.*DATABASE_OWNER_URL/);
    const name = `cadenza_inherits_${crypto.randomBytes(3).toString('hex')}`;
    await ownerQuery(h, `CREATE ROLE ${name} LOGIN INHERIT PASSWORD 'pw'`);
    await ownerQuery(h, `GRANT cadenza_tenant, cadenza_system TO ${name}`);
    const url = new URL(h.env.DATABASE_URL!);
    url.username = name;
    url.password = 'pw';
    await expect(open(url.toString())).rejects.toThrow(/it inherits cadenza_system/);
    // A member of the owner (here the superuser postgres) could SET ROLE to it and skip every wall.
    const member = `cadenza_owner_member_${crypto.randomBytes(3).toString('hex')}`;
    await ownerQuery(h, `CREATE ROLE ${member} LOGIN NOINHERIT PASSWORD 'pw'`);
    await ownerQuery(h, `GRANT postgres TO ${member}`);
    url.username = member;
    await expect(open(url.toString())).rejects.toThrow(/it owns Cadenza's tables \(or may act as their owner\)/);
  });

  it('creates the app role of DATABASE_URL with `cadenza migrate`, as the owner of DATABASE_OWNER_URL', async () => {
    const name = `cadenza_app_${crypto.randomBytes(3).toString('hex')}`;
    const url = new URL(h.env.DATABASE_URL!);
    url.username = name;
    url.password = 'fresh secret';
    const migrate = spawnSync(process.execPath, [CLI, 'migrate'], { env: { ...process.env, ...h.env, DATABASE_URL: url.toString() }, encoding: 'utf8' });
    expect({ status: migrate.status, stderr: migrate.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
    const { rows } = await ownerQuery(h, 'SELECT r.rolinherit, ARRAY(SELECT b.rolname FROM pg_auth_members m JOIN pg_roles b ON b.oid = m.roleid WHERE m.member = r.oid ORDER BY 1)::text[] AS member_of FROM pg_roles r WHERE r.rolname = $1', [name]);
    expect(rows).toEqual([{ rolinherit: false, member_of: ['cadenza_system', 'cadenza_tenant'] }]);
    // It logs in with the URL's password, and the app accepts it.
    const ctx = await openAppCtx(loadConfig(testEnv({ DATABASE_URL: url.toString() }), 'api'), createLogger('silent'), 'test');
    await ctx.close();
  });
});

describe('a database of its own: readiness, migration, and `cadenza keys rotate-master`', () => {
  const database = `cadenza_rotation_${crypto.randomBytes(4).toString('hex')}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cadenza-rotation-'));
  const oldKey = crypto.randomBytes(32);
  const newKey = crypto.randomBytes(32);
  const receivers: Receiver[] = [];
  let env: Record<string, string>;

  const onDatabase = (raw: string) => {
    const url = new URL(raw);
    url.pathname = `/${database}`;
    return url.toString();
  };
  const cli = (args: string[], keys: Record<string, string>) =>
    spawnSync(process.execPath, [CLI, ...args], { env: { ...process.env, ...env, ...keys }, encoding: 'utf8' });
  /** The API in-process and a worker process on the fresh database, with these master keys. */
  async function services(keys: Record<string, string>) {
    const api = await startHarness({ ...env, ...keys });
    const worker = await startWorkerProcess(api);
    return {
      api,
      async close() {
        await worker.stop();
        await api.close();
      },
    };
  }

  beforeAll(async () => {
    await ownerQuery(h, `CREATE DATABASE ${database}`);
    env = { DATABASE_URL: onDatabase(h.env.DATABASE_URL!), DATABASE_OWNER_URL: onDatabase(h.env.DATABASE_OWNER_URL!), CADENZA_DATA_DIR: dataDir, CADENZA_OUTBOUND_ALLOWLIST: '127.0.0.1' };
  });
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await ownerQuery(h, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers not ready with one state per dependency and no error text until it is migrated', async () => {
    const api = await startHarness({ ...env, CADENZA_MASTER_KEY: oldKey.toString('base64') });
    try {
      const ready = await call(api, 'GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body).toEqual({ status: 'not_ready', checks: { postgres: 'ok', migrations: 'pending', temporal: 'ok' } });
    } finally {
      await api.close();
    }
    const migrated = cli(['migrate'], {});
    expect({ status: migrated.status, stderr: migrated.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
    expect(migrated.stdout).toContain("Created instance 'default'");
  });

  it('re-encrypts every stored secret under the new master key: signatures and reply keys stay the same, the old key opens nothing', async () => {
    const before = await services({ CADENZA_MASTER_KEY: oldKey.toString('base64') });
    const made: { headers: Record<string, string>; signingKey: string; replyKey: string; receiver: Receiver }[] = [];
    let adminKey: string;
    try {
      const t = await newTenant(before.api);
      adminKey = t.adminKey;
      const org = (await call(before.api, 'POST', '/v1/orgs', { key: adminKey, body: { name: 'rotated' } })).body.id as string;
      // An instance-level target and reply key, and an org's.
      for (const headers of [{}, { 'x-cadenza-org': org }] as Record<string, string>[]) {
        const receiver = await startReceiver();
        receivers.push(receiver);
        const as = { key: adminKey, headers };
        const target = await call(before.api, 'POST', '/v1/targets', { ...as, body: { name: `signed-${made.length}`, type: 'webhook', endpoint: receiver.url, timeoutSeconds: 5 } });
        expect(target.status).toBe(201);
        expect((await call(before.api, 'PUT', '/v1/executions', { ...as, body: { condition: 'function/signed', targets: [{ target: target.body.id }] } })).status).toBe(200);
        const replyKey = (await call(before.api, 'GET', '/v1/commands/reply-signing-key', as)).body.key as string;
        made.push({ headers, signingKey: target.body.signingKey, replyKey, receiver });
      }
    } finally {
      await before.close();
    }

    const rotated = cli(['keys', 'rotate-master'], { CADENZA_MASTER_KEY: newKey.toString('base64'), CADENZA_MASTER_KEY_PREVIOUS: oldKey.toString('base64') });
    expect({ status: rotated.status, stderr: rotated.stderr }).toEqual({ status: 0, stderr: '' });
    expect(rotated.stdout).toContain('Re-encrypted 2 target signing keys, 2 reply signing keys and 0 credentials (0 were current).');

    // With the new key alone, the targets still sign with their keys and the reply keys are unchanged.
    const after = await services({ CADENZA_MASTER_KEY: newKey.toString('base64') });
    try {
      for (const m of made) {
        const as = { key: adminKey, headers: m.headers };
        expect((await call(after.api, 'POST', '/v1/functions/signed/call', { ...as, body: { payload: { after: 'rotation' } } })).status).toBe(200);
        const got = m.receiver.received.at(-1)!;
        expect(verifySignature(m.signingKey, got.raw, String(got.headers['cadenza-signature']))).toBe(true);
        expect((await call(after.api, 'GET', '/v1/commands/reply-signing-key', as)).body.key).toBe(m.replyKey);
      }
      // Every stored value names the new key, and the old key alone opens none of them.
      const targets = await systemQuery(after.api, 'SELECT instance_id, id, signing_key_enc AS value FROM targets');
      const replyKeys = await systemQuery(after.api, 'SELECT instance_id, org_id, key_enc AS value FROM reply_keys');
      const stored = [
        ...targets.rows.map((r) => ({ owner: signingKeyOwner(r.instance_id, r.id), value: r.value as string })),
        ...replyKeys.rows.map((r) => ({ owner: replyKeyOwner(r.instance_id, r.org_id), value: r.value as string })),
      ];
      expect(stored.length).toBe(4);
      for (const { owner, value } of stored) {
        expect(value.split('.').slice(0, 2)).toEqual(['v2', masterKeyId(newKey)]);
        expect(() => decryptSecret({ current: oldKey, previous: [] }, value, owner)).toThrow(/not configured/);
        expect(decryptSecret({ current: newKey, previous: [] }, value, owner)).toEqual(expect.any(String));
      }
    } finally {
      await after.close();
    }
    const withOldKey = cli(['keys', 'rotate-master'], { CADENZA_MASTER_KEY: oldKey.toString('base64') });
    expect(withOldKey.status).toBe(1);
    expect(withOldKey.stderr).toContain(`encrypted under master key ${masterKeyId(newKey)}, which is not configured`);
    const again = cli(['keys', 'rotate-master'], { CADENZA_MASTER_KEY: newKey.toString('base64') });
    expect(again.stdout).toContain('Re-encrypted 0 target signing keys, 0 reply signing keys and 0 credentials (4 were current).');
  });
});
