// Migrations are SQL files in migrations/, applied by node-pg-migrate (which takes an advisory
// lock, so concurrent `cadenza migrate` runs are safe). node-pg-migrate is ESM-only, hence the
// dynamic import.
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { Db } from './db';

export const MIGRATIONS_DIR = path.resolve(__dirname, '../../migrations');
const MIGRATIONS_TABLE = 'pgmigrations';

export interface MigrationLog {
  info(msg: string): void;
}

/** Applies every pending migration; returns the names it applied (empty when up to date). */
export async function migrate(databaseUrl: string, log?: MigrationLog): Promise<string[]> {
  const { runner } = await import('node-pg-migrate');
  // Our own client, so a connection lost mid-migration fails the migration, not the process.
  const dbClient = new pg.Client({ connectionString: databaseUrl });
  dbClient.on('error', () => undefined);
  await dbClient.connect();
  try {
    const applied = await runner({
      dbClient,
      dir: MIGRATIONS_DIR,
      migrationsTable: MIGRATIONS_TABLE,
      direction: 'up',
      checkOrder: true,
      singleTransaction: true,
      log: () => undefined,
    });
    for (const m of applied) log?.info(`applied migration ${m.name}`);
    return applied.map((m) => m.name);
  } finally {
    await dbClient.end().catch(() => undefined);
  }
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
  const { rows } = await db.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE}`);
  const done = new Set(rows.map((r) => r.name));
  return migrationNames().filter((n) => !done.has(n));
}
