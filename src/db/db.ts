// The one way to reach PostgreSQL: a pool, and `transaction(db, scope, fn)`.
// A tenant scope switches to the `cadenza_tenant` role and sets `cadenza.instance_id`,
// so row-level security filters every statement as a second wall behind the tenant-scoped
// queries. SYSTEM switches to `cadenza_system`, the one named path across tenants: key lookup,
// bootstrap, the dispatchers, the request log, readiness and key rotation. The login role itself
// holds no privileges (src/db/roles.ts), so a statement outside a transaction reads no table.
import pg from 'pg';
import { KnownFacts } from './known-facts';

/** A pool, and the facts its transactions found committed (src/db/known-facts.ts). */
export type Db = pg.Pool & { readonly known: KnownFacts };
/** A connection in a transaction; `known` is its pool's. */
export type Tx = pg.PoolClient & { readonly known: KnownFacts };

export const SYSTEM = Symbol('system');
/** The roles a transaction switches to (created by the migrations; see src/db/roles.ts). */
export const TENANT_ROLE = 'cadenza_tenant';
export const SYSTEM_ROLE = 'cadenza_system';
export type Scope = { instanceId: string } | typeof SYSTEM;

/** How long a request waits for a new PostgreSQL connection before it fails as unavailable. */
export const CONNECT_TIMEOUT_MS = 5_000;

// Return BIGINT and NUMERIC as strings is pg's default; counts are cast to int in SQL instead.
/** `onConnect` runs on each new connection before its first use (the app's role check, src/db/roles.ts). */
export function createDb(url: string, max: number, applicationName = 'cadenza', onConnect?: (client: pg.ClientBase) => Promise<void>): Db {
  const pool = Object.assign(new pg.Pool({ connectionString: url, max, application_name: applicationName, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, onConnect }), { known: new KnownFacts() });
  // An idle client that errors (server restart) must not crash the process.
  pool.on('error', () => undefined);
  // Nor a checked-out one: its queries fail with the error, which fails that transaction only.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

export async function transaction<T>(db: Db, scope: Scope, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const tx: Tx = Object.assign(await db.connect(), { known: db.known });
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

/** Codes and messages of a connection to PostgreSQL that is gone or cannot be made. */
const CONNECTION_CODES = new Set(['57P01', '57P02', '57P03', '53300', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'is not queryable',
  'the database system is',
];

/** True when `err` means PostgreSQL is unreachable (restart, failover, network), not a bad statement. */
export function isDbUnavailable(err: unknown): boolean {
  // Duck-typed: errors from Node's net module may come from another realm (a test VM).
  if (typeof err !== 'object' || err === null) return false;
  const code = pgCode(err);
  if (code !== undefined && (CONNECTION_CODES.has(code) || code.startsWith('08'))) return true;
  const { errors, message } = err as { errors?: unknown; message?: unknown };
  if (Array.isArray(errors) && errors.some(isDbUnavailable)) return true;
  return typeof message === 'string' && CONNECTION_MESSAGES.some((m) => message.includes(m));
}

export interface WaitOptions {
  /** Stop waiting (and throw the last error) once this aborts. */
  signal?: AbortSignal;
  /** Stop waiting once another try would start after this time (ms since the epoch). */
  deadline?: number;
  /** Called before each wait, e.g. to heartbeat. */
  onWait?: () => void;
}

/** Runs `fn` again, with backoff, while PostgreSQL is unreachable; any other error is thrown at once. */
export async function retryWhileDbAway<T>(fn: () => Promise<T>, options: WaitOptions = {}): Promise<T> {
  for (let delayMs = 200; ; delayMs = Math.min(delayMs * 2, 5_000)) {
    try {
      return await fn();
    } catch (err) {
      const late = options.deadline !== undefined && Date.now() + delayMs > options.deadline;
      if (!isDbUnavailable(err) || late || options.signal?.aborted) throw err;
      options.onWait?.();
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
