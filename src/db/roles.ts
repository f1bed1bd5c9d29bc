// Who connects as what (README "Database roles"). The owner role applies the migrations and owns
// every table. The API and workers connect as the app role, which owns nothing and, being
// NOINHERIT, holds no privilege of its own: a statement reaches rows only inside
// `transaction(db, scope)`, which switches to cadenza_tenant (row-level security to one instance)
// or to cadenza_system (the named system path). Row-level security is forced on the owner too,
// so only a superuser or a BYPASSRLS role would skip it: the app refuses to run as one.
import pg from 'pg';
import { pgCode, SYSTEM_ROLE, TENANT_ROLE } from './db';

/** The role a postgres:// URL logs in as. */
export const roleOf = (url: string): string => decodeURIComponent(new URL(url).username);

/**
 * Creates the app role `appUrl` logs in as, if missing (LOGIN NOINHERIT, with the URL's password),
 * and grants it the tenant and system roles. Run with the owner's URL after the migrations.
 */
export async function ensureAppRole(ownerUrl: string, appUrl: string): Promise<void> {
  const name = roleOf(appUrl);
  const client = new pg.Client({ connectionString: ownerUrl, application_name: 'cadenza-migrate' });
  await client.connect();
  try {
    const { rows } = await client.query<{ owner: string }>('SELECT current_user AS owner');
    if (rows[0]!.owner === name) throw new Error(`DATABASE_URL logs in as '${name}', the owner of the tables; the app needs a role of its own (README: Database roles)`);
    const role = client.escapeIdentifier(name);
    const password = client.escapeLiteral(decodeURIComponent(new URL(appUrl).password));
    try {
      await createRoleIfMissing(client, name, `${role} LOGIN NOINHERIT PASSWORD ${password}`);
      await client.query(`GRANT ${TENANT_ROLE}, ${SYSTEM_ROLE} TO ${role}`);
    } catch (err) {
      throw new Error(
        `could not set up the app role '${name}' (${(err as Error).message}); as a role that may, run: ` +
          `CREATE ROLE ${role} LOGIN NOINHERIT PASSWORD '…'; GRANT ${TENANT_ROLE}, ${SYSTEM_ROLE} TO ${role};`,
      );
    }
  } finally {
    await client.end();
  }
}

async function createRoleIfMissing(client: pg.Client, name: string, definition: string): Promise<void> {
  const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
  if (exists.rowCount !== 0) return;
  try {
    await client.query(`CREATE ROLE ${definition}`);
  } catch (err) {
    if (pgCode(err) !== '42710') throw err; // another migrator created it a moment ago
  }
}

interface LoginRole {
  name: string;
  superuser: boolean;
  bypassrls: boolean;
  owner: boolean;
  inherits_system: boolean;
}

export class UnsafeRoleError extends Error {}

/**
 * The app pool's connect hook: the first connection checks the login role, and a role that
 * row-level security would not hold refuses every connection. A check that could not run (the
 * database is away) is made again by the next connection.
 */
export function appRoleGuard(): (client: pg.ClientBase) => Promise<void> {
  let checked: Promise<void> | undefined;
  return (client) => {
    checked ??= assertAppRole(client).catch((err: unknown) => {
      if (!(err instanceof UnsafeRoleError)) checked = undefined;
      throw err;
    });
    return checked;
  };
}

async function assertAppRole(client: pg.ClientBase): Promise<void> {
  const { rows } = await client.query<LoginRole>(
    `SELECT current_user AS name, r.rolsuper AS superuser, r.rolbypassrls AS bypassrls,
            COALESCE(pg_has_role(current_user, c.relowner, 'MEMBER'), false) AS owner,
            COALESCE(pg_has_role(current_user, to_regrole($1)::oid, 'USAGE'), false) AS inherits_system
       FROM pg_roles r LEFT JOIN pg_class c ON c.oid = to_regclass('public.events')
      WHERE r.rolname = current_user`,
    [SYSTEM_ROLE],
  );
  const r = rows[0]!;
  const problems = [
    ...(r.superuser ? ['it is a superuser, which row-level security does not hold'] : []),
    ...(r.bypassrls ? ['it has BYPASSRLS'] : []),
    ...(r.owner ? ["it owns Cadenza's tables (or may act as their owner)"] : []),
    ...(r.inherits_system ? [`it inherits ${SYSTEM_ROLE}, so a statement outside a scoped transaction would see every tenant (make it NOINHERIT)`] : []),
  ];
  if (problems.length > 0) {
    throw new UnsafeRoleError(
      `refusing to run as PostgreSQL role '${r.name}': ${problems.join('; ')}. Set DATABASE_URL to a role that owns nothing; ` +
        '`cadenza migrate` with DATABASE_OWNER_URL set creates one (README: Database roles).',
    );
  }
}
