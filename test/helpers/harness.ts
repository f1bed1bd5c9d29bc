// The one test harness: every integration test file opens it once. It connects to the shared
// Temporal dev server and PostgreSQL (started by the global setup), runs the API in-process on
// a free port, and can start real `cadenza worker` processes on a task queue of its own, so test
// files never steal each other's tasks. The cluster suite starts the production topology
// instead (startTestCluster).
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg, { type QueryResult, type QueryResultRow } from 'pg';
import { startApi, type RunningApi } from '../../src/api/server';
import { openAppCtx, type OpenedCtx } from '../../src/app-context';
import { CadenzaClient, type Role } from '../../src/client';
import { CLI, startCluster, type Cluster, type ClusterOptions } from '../../src/cluster/cluster';
import { loadConfig, type Config } from '../../src/config/config';
import { SYSTEM, transaction } from '../../src/db/db';
import { freePort, freePortRange } from '../../src/embedded/process';

export { freePort };
import { createLogger } from '../../src/log';
import { createInstance } from '../../src/tenancy/instances';
import { insertKey } from '../../src/tenancy/keys';

export const ROOT = path.resolve(__dirname, '../..');
export { CLI };

/** What `call` and the workflow helpers need: an API to talk to. */
export interface ApiTarget {
  baseUrl: string;
}

export interface Harness extends ApiTarget {
  config: Config;
  ctx: OpenedCtx;
  /** Environment for child processes (`cadenza worker`, `cadenza migrate`) on this harness. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const databaseUrl = process.env.CADENZA_TEST_DATABASE_URL;
  const ownerUrl = process.env.CADENZA_TEST_DATABASE_OWNER_URL;
  const temporalAddress = process.env.CADENZA_TEST_TEMPORAL_ADDRESS;
  if (!databaseUrl || !ownerUrl || !temporalAddress) throw new Error('the global setup did not run (CADENZA_TEST_* missing)');
  return {
    DATABASE_URL: databaseUrl,
    DATABASE_OWNER_URL: ownerUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    CADENZA_MASTER_KEY: crypto.randomBytes(32).toString('base64'),
    CADENZA_TASK_QUEUE: `test-${crypto.randomBytes(4).toString('hex')}`,
    CADENZA_LOG_LEVEL: process.env.CADENZA_TEST_LOG_LEVEL ?? 'silent',
    CADENZA_DATA_DIR: path.join(process.env.CADENZA_TEST_TMP ?? '/tmp', 'data'),
    // Test files share one database: only a file that tests event delivery runs the event
    // dispatcher, or another file's worker would start its execution runs on the wrong queue.
    CADENZA_EVENT_DISPATCHER: 'false',
    ...overrides,
  };
}

export async function startHarness(overrides: Record<string, string> = {}): Promise<Harness> {
  const env = testEnv(overrides);
  const config = loadConfig(env, 'api');
  const ctx = await openAppCtx(config, createLogger(config.logLevel), 'test');
  let api: RunningApi;
  try {
    api = await startApi(ctx, '127.0.0.1', 0);
  } catch (err) {
    await ctx.close();
    throw err;
  }
  return {
    config,
    ctx,
    env,
    baseUrl: `http://127.0.0.1:${api.port}`,
    async close() {
      await api.close();
      await ctx.close();
    },
  };
}

export interface TestTenant {
  instanceId: string;
  adminKey: string;
  /** A client for this tenant, with a fresh key of the given role (admin by default). */
  client(role?: Role, options?: { org?: string; orgId?: string }): Promise<CadenzaClient>;
  key(role: Role, orgId?: string): Promise<string>;
}

/** A fresh tenant (instance) with an instance-wide admin key; every test arranges its own. */
export async function newTenant(h: Harness): Promise<TestTenant> {
  const instanceId = `t-${crypto.randomBytes(6).toString('hex')}`;
  await createInstance(h.ctx.db, { id: instanceId, name: `test ${instanceId}` });
  const key = async (role: Role, orgId?: string) => {
    const { secret } = await transaction(h.ctx.db, SYSTEM, (tx) =>
      insertKey(tx, instanceId, 'test', { name: `${role}-${crypto.randomBytes(3).toString('hex')}`, role, orgId: orgId ?? null }),
    );
    return secret;
  };
  const adminKey = await key('admin');
  return {
    instanceId,
    adminKey,
    key,
    async client(role: Role = 'admin', options = {}) {
      const apiKey = role === 'admin' && options.orgId === undefined ? adminKey : await key(role, options.orgId);
      return new CadenzaClient({ url: h.baseUrl, apiKey, org: options.org });
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Headers;
  body: any;
}

/** A raw HTTP call, for tests about status codes, headers and problem bodies. */
export async function call(
  h: ApiTarget,
  method: string,
  urlPath: string,
  options: { key?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(h.baseUrl + urlPath, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON; keep the text
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

export interface WorkerProcess {
  process: ChildProcess;
  output(): string;
  /** SIGTERM and wait: in-flight handlers finish first. */
  stop(): Promise<void>;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
}

/** Starts a real `cadenza worker` process against the harness's services and task queue. */
export async function startWorkerProcess(h: Harness, env: Record<string, string> = {}): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [CLI, 'worker'], {
    env: { ...process.env, ...h.env, CADENZA_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`worker exited during start:\n${out}`);
      return out.includes('worker running');
    },
    { timeoutMs: 60_000, what: 'the worker to start' },
  );
  return {
    process: child,
    output: () => out,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
    async kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** A statement on the system path (every tenant's rows), for tests that look into the database. */
export async function systemQuery<R extends QueryResultRow = any>(h: Harness, text: string, values: unknown[] = []): Promise<QueryResult<R>> {
  return transaction(h.ctx.db, SYSTEM, (tx) => tx.query<R>(text, values));
}

/** A statement as the tables' owner (the superuser of the test PostgreSQL), for tests of the database itself. */
export async function ownerQuery<R extends QueryResultRow = any>(h: Harness, text: string, values: unknown[] = []): Promise<QueryResult<R>> {
  const client = new pg.Client({ connectionString: h.env.DATABASE_OWNER_URL });
  await client.connect();
  try {
    return await client.query<R>(text, values);
  } finally {
    await client.end();
  }
}

/** Processes whose command line mentions `marker` (the data folder), other than this test. */
export function processesMentioning(marker: string): string[] {
  const found: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(marker) && Number(pid) !== process.pid) found.push(`${pid}: ${cmd.slice(0, 120)}`);
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

/**
 * Polls until `check` returns a truthy value, or fails after the deadline. No fixed sleeps.
 * An error thrown by `check` ends the wait at once.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let last: T | undefined;
  for (;;) {
    last = await check();
    if (last) return last as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${options.what ?? 'a condition'} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 100));
  }
}

/**
 * The production topology (src/cluster/cluster.ts) on free ports in a fresh folder, with mTLS to
 * Temporal: the cluster suite's services. Stopping it removes the folder.
 */
export async function startTestCluster(options: Partial<ClusterOptions> = {}): Promise<Cluster> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cadenza-cluster-'));
  let cluster: Cluster;
  try {
    cluster = await startCluster({
      dataDir,
      apiPorts: [await freePort(), await freePort()],
      pgPort: await freePort(),
      temporalPort: await freePortRange(9),
      tls: true,
      ...options,
    });
  } catch (err) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const stop = cluster.stop;
  cluster.stop = async () => {
    await stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  return cluster;
}

/** The cluster's API process `name` as a target for `call`. */
export function clusterApi(cluster: Cluster, name: string): ApiTarget {
  const url = cluster.processes.get(name)?.url;
  if (url === undefined) throw new Error(`${name} is not a running API of the cluster`);
  return { baseUrl: url };
}
