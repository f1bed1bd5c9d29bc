// The one way to reach PostgreSQL: a pool, and `transaction(db, scope, fn)`.
// A tenant scope switches to the `cadenza_tenant` role and sets `cadenza.instance_id`,
// so row-level security filters every statement as a second wall behind the tenant-scoped
// queries. SYSTEM switches to `cadenza_system`, the one named path across tenants: key lookup,
// bootstrap, the dispatchers, the request log, readiness and key rotation. The login role itself
// holds no privileges (src/db/roles.ts), so a statement outside a transaction reads no table.
import pg from 'pg';

export type Db = pg.Pool;
export type Tx = pg.PoolClient;

export const SYSTEM = Symbol('system');
/** The roles a transaction switches to (created by the migrations; see src/db/roles.ts). */
export const TENANT_ROLE = 'cadenza_tenant';
export const SYSTEM_ROLE = 'cadenza_system';
export type Scope = { instanceId: string } | typeof SYSTEM;

// Return BIGINT and NUMERIC as strings is pg's default; counts are cast to int in SQL instead.
export function createDb(url: string, max: number, applicationName = 'cadenza'): Db {
  const pool = new pg.Pool({ connectionString: url, max, application_name: applicationName });
  // An idle client that errors (server restart) must not crash the process.
  pool.on('error', () => undefined);
  return pool;
}

export async function transaction<T>(db: Db, scope: Scope, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const tx = await db.connect();
  try {
    // One round trip: BEGIN and the tenant settings travel as one simple query.
    await tx.query(
      scope === SYSTEM
        ? `BEGIN; SELECT set_config('role', '${SYSTEM_ROLE}', true)`
        : `BEGIN; SELECT set_config('cadenza.instance_id', ${tx.escapeLiteral(scope.instanceId)}, true), set_config('role', '${TENANT_ROLE}', true)`,
    );
    const result = await fn(tx);
    await tx.query('COMMIT');
    return result;
  } catch (err) {
    await tx.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    tx.release();
  }
}

/** A PostgreSQL error code, if `err` is one (23505 unique_violation, 23503 foreign_key_violation, …). */
export function pgCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

export function pgConstraint(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'constraint' in err && typeof err.constraint === 'string'
    ? err.constraint
    : undefined;
}
