// Migrations are SQL files in migrations/, applied by node-pg-migrate (which takes an advisory
// lock, so concurrent `cadenza migrate` runs are safe). node-pg-migrate is ESM-only, hence the
// dynamic import.
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { SYSTEM, transaction, type Db } from './db';
import { ensureAppRole } from './roles';

export const MIGRATIONS_DIR = path.resolve(__dirname, '../../migrations');
const MIGRATIONS_TABLE = 'pgmigrations';

export interface MigrationLog {
  info(msg: string): void;
}

/**
 * Applies every pending migration as the tables' owner; returns the names it applied (empty when
 * up to date). With `appUrl` of another role, also creates that role if missing and grants it
 * what the app needs (src/db/roles.ts).
 */
export async function migrate(ownerUrl: string, log?: MigrationLog, appUrl?: string): Promise<string[]> {
  const { runner } = await import('node-pg-migrate');
  // Our own client, so a connection lost mid-migration fails the migration, not the process.
  const dbClient = new pg.Client({ connectionString: ownerUrl });
  dbClient.on('error', () => undefined);
  await dbClient.connect();
  let applied: Awaited<ReturnType<typeof runner>>;
  try {
    applied = await runner({
      dbClient,
      dir: MIGRATIONS_DIR,
      migrationsTable: MIGRATIONS_TABLE,
      direction: 'up',
      checkOrder: true,
      singleTransaction: true,
      log: () => undefined,
    });
    for (const m of applied) log?.info(`applied migration ${m.name}`);
  } finally {
    await dbClient.end().catch(() => undefined);
  }
  if (appUrl !== undefined && appUrl !== ownerUrl) await ensureAppRole(ownerUrl, appUrl);
  return applied.map((m) => m.name);
}

export function migrationNames(): string[] {
  return fs
    .readdirSync(MIGRATIONS_DIR)
    .filter((f) => f.endsWith('.sql'))
    .map((f) => f.replace(/\.sql$/, ''))
    .sort();
}

/** Names of migrations on disk that the database has not applied yet. */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const exists = await db.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [MIGRATIONS_TABLE]);
  if (!exists.rows[0]?.present) return migrationNames();
  const { rows } = await transaction(db, SYSTEM, (tx) => tx.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE}`));
  const done = new Set(rows.map((r) => r.name));
  return migrationNames().filter((n) => !done.has(n));
}
