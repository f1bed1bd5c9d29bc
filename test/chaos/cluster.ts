// A Cadenza deployment of its own for chaos tests, which restart and kill its parts: a real
// PostgreSQL and a Temporal dev server (SQLite file) started here, and `cadenza api` and
// `cadenza worker` as separate processes, as in production. Nothing is shared with the other
// test suites (make test runs this suite after them).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createDb, type Db } from '../../src/db/db';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/embedded/postgres';
import { startDevServer, type DevServer } from '../../src/embedded/temporal-server';
import { findTemporalCli } from '../../src/temporal/binary';
import { CLI, freePort, waitFor } from '../helpers/harness';

export interface CadenzaProcess {
  name: string;
  process: ChildProcess;
  output(): string;
  /** Exit code or signal, once it exited. */
  exit(): string | undefined;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export interface Cluster {
  dir: string;
  apiUrl: string;
  adminKey: string;
  /** For the test's own checks; its connections come back after a restart. */
  db: Db;
  api: CadenzaProcess;
  workers: CadenzaProcess[];
  env: Record<string, string>;
  /** Every Cadenza process started, killed ones included: none may exit unless the test killed it. */
  processes: CadenzaProcess[];
  startWorker(name: string): Promise<CadenzaProcess>;
  /** Terminates every backend of the cadenza database (a failover as clients see it). */
  terminateBackends(): Promise<number>;
  /** Fast shutdown of PostgreSQL (what `pg_ctl stop -m fast` does). */
  stopPostgres(): Promise<void>;
  startPostgres(): Promise<void>;
  /** SIGKILL of the Temporal dev server. */
  killTemporal(): Promise<void>;
  startTemporal(): Promise<void>;
  close(): Promise<void>;
}

function spawnCadenza(name: string, args: string[], env: Record<string, string>): CadenzaProcess {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (c: Buffer) => {
    out = (out + c.toString()).slice(-200_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const exit = () => (child.exitCode !== null ? `code ${child.exitCode}` : child.signalCode !== null ? `signal ${child.signalCode}` : undefined);
  return {
    name,
    process: child,
    output: () => out,
    exit,
    async kill() {
      if (exit() === undefined) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (exit() === undefined) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** `cadenza migrate`, as an operator runs it: migrations, the default instance; returns its admin key. */
function migrate(env: Record<string, string>): string {
  const res = spawnSync(process.execPath, [CLI, 'migrate'], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 });
  const key = /Admin key \(shown once\): (\S+)/.exec(res.stdout)?.[1];
  if (res.status !== 0 || key === undefined) throw new Error(`cadenza migrate failed:\n${res.stdout}\n${res.stderr}`);
  return key;
}

export async function startCluster(options: { workers?: number; env?: Record<string, string> } = {}): Promise<Cluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cadenza-chaos-'));
  const [pgPort, temporalPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const temporalOptions = { binary: findTemporalCli(), dbFile: path.join(dir, 'temporal.db'), port: temporalPort, uiPort: undefined, namespace: 'default' };
  let postgres: EmbeddedPostgres | undefined;
  let temporal: DevServer | undefined;
  const processes: CadenzaProcess[] = [];
  const stopAll = async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await Promise.all([temporal?.stop(), postgres?.stop()]);
  };
  try {
    return await startParts();
  } catch (err) {
    await stopAll();
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  async function startParts(): Promise<Cluster> {
    postgres = await startEmbeddedPostgres(dir, pgPort);
    temporal = await startDevServer(temporalOptions);
    const env: Record<string, string> = {
      DATABASE_URL: postgres.url,
      TEMPORAL_ADDRESS: temporal.address,
      CADENZA_DATA_DIR: dir,
      CADENZA_MASTER_KEY: crypto.randomBytes(32).toString('base64'),
      CADENZA_API_HOST: '127.0.0.1',
      CADENZA_API_PORT: String(apiPort),
      CADENZA_LOG_LEVEL: 'info',
      CADENZA_OUTBOUND_ALLOWLIST: '127.0.0.1',
      CADENZA_DEMO_HANDLERS: 'true',
      CADENZA_DISPATCH_AFTER_SECONDS: '5',
      ...options.env,
    };
    const adminKey = migrate({ ...env, DATABASE_OWNER_URL: postgres.ownerUrl });
    // The test counts across instances: as the owner (the superuser), which row-level security does not hold.
    const db = createDb(postgres.ownerUrl, 4, 'chaos-test');
    const apiUrl = `http://127.0.0.1:${apiPort}`;

    const startWorker = async (name: string) => {
      const w = spawnCadenza(name, ['worker'], env);
      processes.push(w);
      await waitFor(
        () => {
          if (w.exit() !== undefined) throw new Error(`${name} exited during start:\n${w.output()}`);
          return w.output().includes('worker running');
        },
        { timeoutMs: 90_000, what: `${name} to start` },
      );
      return w;
    };
    const api = spawnCadenza('api', ['api'], { ...env, CADENZA_LOG_LEVEL: 'warn' });
    processes.push(api);
    await waitFor(
      async () => {
        if (api.exit() !== undefined) throw new Error(`the API exited during start:\n${api.output()}`);
        return (await fetch(`${apiUrl}/readyz`).catch(() => undefined))?.status === 200;
      },
      { timeoutMs: 90_000, what: 'the API to be ready' },
    );
    const workers: CadenzaProcess[] = [];
    for (let i = 1; i <= (options.workers ?? 2); i++) workers.push(await startWorker(`worker-${i}`));

    return {
      dir,
      apiUrl,
      adminKey,
      db,
      api,
      workers,
      env,
      processes,
      startWorker,
      async terminateBackends() {
        const admin = new pg.Client({ connectionString: postgres!.ownerUrl.replace(/\/cadenza$/, '/postgres') });
        admin.on('error', () => undefined);
        await admin.connect();
        try {
          const { rows } = await admin.query<{ n: number }>(
            "SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = 'cadenza' AND pid <> pg_backend_pid()",
          );
          return rows[0]!.n;
        } finally {
          await admin.end();
        }
      },
      async stopPostgres() {
        await postgres?.stop();
        postgres = undefined;
      },
      async startPostgres() {
        postgres = await startEmbeddedPostgres(dir, pgPort);
      },
      async killTemporal() {
        temporal?.child.kill();
        await temporal?.child.exited;
        temporal = undefined;
      },
      async startTemporal() {
        temporal = await startDevServer(temporalOptions);
      },
      async close() {
        await db.end().catch(() => undefined);
        await stopAll();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}
