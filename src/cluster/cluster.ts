// The production topology on one machine (`make cluster`, and the cluster tests): PostgreSQL
// (embedded, or DATABASE_URL's server), a self-hosted Temporal server persisting to it, then
// `cadenza migrate`, two `cadenza api` and two `cadenza worker` processes (one serving every
// domain, one only `demo`), each a separate process with the variables deploy/compose.yaml sets.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { loadOrCreateMasterKey } from '../embedded/master-key';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../embedded/postgres';
import { PidFile, spawnChild, type Child } from '../embedded/process';
import { ensureCertificates, type Certificates } from './certificates';
import { ensureServerTools, setupServerDatabases, startTemporalServer, type ServerDatabase, type TemporalServer } from './temporal-server';

const ROOT = path.resolve(__dirname, '../..');
export const CLI = path.join(ROOT, 'dist/cli/main.js');

export interface ClusterOptions {
  dataDir: string;
  /** One `cadenza api` process per port. */
  apiPorts: number[];
  /** Port of the embedded PostgreSQL; unused with databaseUrl. */
  pgPort: number;
  /** An existing PostgreSQL for Cadenza, as the app role; Temporal's databases are created on the same server. */
  databaseUrl?: string;
  /** The same database as the owner of its tables, which migrates (DATABASE_OWNER_URL; databaseUrl when unset). */
  databaseOwnerUrl?: string;
  /** Temporal frontend port; the server's other services take the next 8. */
  temporalPort: number;
  /** mTLS between every client and the Temporal frontend, with certificates made by openssl. */
  tls: boolean;
  /** Extra variables for every Cadenza process (log level, handlers folder, allowlist…). */
  env?: Record<string, string>;
  /** The `cadenza` entry point to migrate and start with; another build's in an upgrade test. */
  cli?: string;
}

/** One Cadenza process of the topology: what deploy/compose.yaml runs as a service. */
export interface ProcessSpec {
  name: string;
  args: string[];
  env: Record<string, string>;
}

/** The Cadenza processes of the topology, in start order. */
export function clusterProcesses(apiPorts: number[]): ProcessSpec[] {
  return [
    ...apiPorts.map((port, i) => ({ name: `api-${i + 1}`, args: ['api'], env: { CADENZA_API_PORT: String(port) } })),
    { name: 'worker-all', args: ['worker'], env: {} },
    { name: 'worker-demo', args: ['worker', '--domains', 'demo'], env: {} },
  ];
}

export interface CadenzaProcess {
  spec: ProcessSpec;
  /** The `cadenza` entry point it runs: this build's, or another build's in an upgrade. */
  cli: string;
  child: Child;
  logFile: string;
  /** Everything the process wrote so far. */
  output(): string;
  /** The API's base URL (api processes only). */
  url: string | undefined;
}

export interface Cluster {
  dataDir: string;
  temporalAddress: string;
  certificates: Certificates | undefined;
  adminKey: string;
  /** The variables every Cadenza process gets (DATABASE_URL, TEMPORAL_*, CADENZA_MASTER_KEY…). */
  env: Record<string, string>;
  /** DATABASE_OWNER_URL: the owner of Cadenza's tables, for `cadenza migrate` only. */
  ownerUrl: string;
  /** `--address` and TLS flags for the stock `temporal` CLI. */
  temporalCliArgs: string[];
  processes: Map<string, CadenzaProcess>;
  /** Runs `cadenza migrate` of this build (or of `cli`). */
  migrate(cli?: string): Promise<void>;
  /** Starts a Cadenza process (of this build, or of `cli` from another build) and waits until it is ready. */
  start(spec: ProcessSpec, cli?: string): Promise<CadenzaProcess>;
  /** SIGTERM and wait: a rolling restart. */
  stopProcess(name: string): Promise<void>;
  /** SIGKILL: a crash. */
  killProcess(name: string): Promise<void>;
  stop(): Promise<void>;
}

interface Database {
  /** The app role's (src/db/roles.ts) and the owner's. */
  cadenzaUrl: string;
  ownerUrl: string;
  temporal: ServerDatabase;
  embedded: EmbeddedPostgres | undefined;
}

export async function startCluster(o: ClusterOptions): Promise<Cluster> {
  fs.mkdirSync(path.join(o.dataDir, 'logs'), { recursive: true, mode: 0o700 });
  const pidFile = new PidFile(path.join(o.dataDir, 'pids.json'));
  await pidFile.killLeftovers();
  const toolsDir = ensureServerTools();
  const certificates = o.tls ? ensureCertificates(path.join(o.dataDir, 'tls')) : undefined;
  const processes = new Map<string, CadenzaProcess>();
  let db: Database | undefined;
  let temporal: TemporalServer | undefined;
  const recordPids = () =>
    pidFile.write({
      ...(db?.embedded ? { postgres: { pid: db.embedded.child.process.pid, match: 'postgres' } } : {}),
      ...(temporal ? { temporal: { pid: temporal.child.process.pid, match: 'temporal-server' } } : {}),
      ...Object.fromEntries([...processes].map(([name, p]) => [name, { pid: p.child.process.pid, match: p.cli }])),
    });
  const stop = async () => {
    await Promise.all([...processes.values()].map((p) => p.child.stop('SIGTERM', 30_000)));
    await temporal?.stop();
    await db?.embedded?.stop();
    pidFile.remove();
  };

  try {
    db = await preparePostgres(o);
    recordPids();
    await setupServerDatabases(toolsDir, db.temporal);
    temporal = await startTemporalServer({
      toolsDir,
      port: o.temporalPort,
      db: db.temporal,
      tlsDir: certificates?.dir,
      namespace: 'default',
      logFile: path.join(o.dataDir, 'logs', 'temporal-server.log'),
    });
    recordPids();
    const env = {
      ...cadenzaEnv({ databaseUrl: db.cadenzaUrl, temporalAddress: temporal.address, masterKey: loadOrCreateMasterKey(o.dataDir), dataDir: o.dataDir, certificates }),
      ...o.env,
    };
    const ownerUrl = db.ownerUrl;
    const envFor = (cli: string) => buildEnv(env, ownerUrl, cli);
    const migrateWith = (cli: string) => migrate({ ...envFor(cli), DATABASE_OWNER_URL: ownerUrl }, cli);
    await migrateWith(o.cli ?? CLI);
    const adminKey = fs.readFileSync(path.join(o.dataDir, 'bootstrap-admin-key'), 'utf8').trim();

    const cluster: Cluster = {
      dataDir: o.dataDir,
      temporalAddress: temporal.address,
      certificates,
      adminKey,
      env,
      ownerUrl,
      temporalCliArgs: [
        '--address', temporal.address,
        ...(certificates ? ['--tls-ca-path', certificates.ca, '--tls-cert-path', certificates.clientCert, '--tls-key-path', certificates.clientKey] : []),
      ],
      processes,
      migrate: (cli = CLI) => migrateWith(cli),
      async start(spec, cli = CLI) {
        const started = await startProcess(o.dataDir, envFor(cli), spec, cli);
        processes.set(spec.name, started);
        recordPids();
        return started;
      },
      async stopProcess(name) {
        await processes.get(name)?.child.stop('SIGTERM', 30_000);
        processes.delete(name);
      },
      async killProcess(name) {
        const p = processes.get(name);
        p?.child.kill();
        await p?.child.exited;
        processes.delete(name);
      },
      stop,
    };
    await Promise.all(clusterProcesses(o.apiPorts).map((spec) => cluster.start(spec, o.cli ?? CLI)));
    return cluster;
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * The embedded PostgreSQL with a `cadenza` role (the owner), a `cadenza_app` role (the API and
 * workers) and a `temporal` role, or DATABASE_URL's server for all three.
 */
async function preparePostgres(o: ClusterOptions): Promise<Database> {
  if (o.databaseUrl !== undefined) {
    const ownerUrl = o.databaseOwnerUrl ?? o.databaseUrl;
    const u = new URL(ownerUrl);
    const temporal = { host: u.hostname, port: Number(u.port || 5432), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
    return { cadenzaUrl: o.databaseUrl, ownerUrl, temporal, embedded: undefined };
  }
  const embedded = await startEmbeddedPostgres(o.dataDir, o.pgPort, 'postgres');
  try {
    // Fresh passwords at every start: nothing to keep, and no role is a superuser.
    const cadenzaPassword = crypto.randomBytes(18).toString('base64url');
    const appPassword = crypto.randomBytes(18).toString('base64url');
    const temporalPassword = crypto.randomBytes(18).toString('base64url');
    const admin = new pg.Client({ connectionString: embedded.ownerUrl });
    await admin.connect();
    try {
      // CREATEROLE: the migrations create cadenza_tenant and cadenza_system, and grant them to cadenza_app.
      await ensureRole(admin, 'cadenza', cadenzaPassword, 'CREATEROLE');
      await ensureRole(admin, 'cadenza_app', appPassword, 'NOINHERIT');
      await ensureRole(admin, 'temporal', temporalPassword, 'CREATEDB');
      const { rowCount } = await admin.query("SELECT 1 FROM pg_database WHERE datname = 'cadenza'");
      if (rowCount === 0) await admin.query('CREATE DATABASE cadenza OWNER cadenza');
    } finally {
      await admin.end();
    }
    return {
      cadenzaUrl: `postgres://cadenza_app:${appPassword}@127.0.0.1:${o.pgPort}/cadenza`,
      ownerUrl: `postgres://cadenza:${cadenzaPassword}@127.0.0.1:${o.pgPort}/cadenza`,
      temporal: { host: '127.0.0.1', port: o.pgPort, user: 'temporal', password: temporalPassword },
      embedded,
    };
  } catch (err) {
    await embedded.stop();
    throw err;
  }
}

async function ensureRole(admin: pg.Client, role: string, password: string, privilege: string): Promise<void> {
  const { rowCount } = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  const verb = rowCount === 0 ? 'CREATE' : 'ALTER';
  await admin.query(`${verb} ROLE ${admin.escapeIdentifier(role)} LOGIN ${privilege} PASSWORD ${admin.escapeLiteral(password)}`);
}

export interface ProcessEnvOptions {
  databaseUrl: string;
  temporalAddress: string;
  masterKey: Buffer;
  dataDir: string;
  certificates: Certificates | undefined;
}

/** The variables every Cadenza process of the topology gets (deploy/compose.yaml sets the same). */
export function cadenzaEnv(o: ProcessEnvOptions): Record<string, string> {
  const tls = o.certificates;
  return {
    DATABASE_URL: o.databaseUrl,
    TEMPORAL_ADDRESS: o.temporalAddress,
    TEMPORAL_NAMESPACE: 'default',
    ...(tls ? { TEMPORAL_TLS_CA_PATH: tls.ca, TEMPORAL_TLS_CERT_PATH: tls.clientCert, TEMPORAL_TLS_KEY_PATH: tls.clientKey, TEMPORAL_TLS_SERVER_NAME: 'localhost' } : {}),
    CADENZA_MASTER_KEY: o.masterKey.toString('base64'),
    CADENZA_DATA_DIR: o.dataDir,
    CADENZA_DEMO_HANDLERS: 'true',
    CADENZA_LOG_LEVEL: 'info',
  };
}

/** A build's variables: one from before the database roles (an upgrade's previous release) connects as the owner, as it was deployed. */
function buildEnv(env: Record<string, string>, ownerUrl: string, cli: string): Record<string, string> {
  return cli === CLI ? env : { ...env, DATABASE_URL: ownerUrl };
}

async function migrate(env: Record<string, string>, cli: string): Promise<void> {
  const run = promisify(execFile);
  await run(process.execPath, [cli, 'migrate'], { env: { ...process.env, ...env } }).catch((err: { stdout?: string; stderr?: string; message: string }) => {
    throw new Error(`cadenza migrate failed:\n${err.stdout ?? ''}${err.stderr ?? err.message}`);
  });
}

async function startProcess(dataDir: string, env: Record<string, string>, spec: ProcessSpec, cli: string): Promise<CadenzaProcess> {
  const logFile = path.join(dataDir, 'logs', `${spec.name}.log`);
  const log = fs.openSync(logFile, 'a');
  const child = spawnChild(spec.name, process.execPath, [cli, ...spec.args], {
    env: { ...process.env, ...env, ...spec.env },
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  const started = fs.statSync(logFile).size;
  const output = () => fs.readFileSync(logFile, 'utf8').slice(started);
  const port = spec.env.CADENZA_API_PORT;
  const url = spec.args[0] === 'api' && port !== undefined ? `http://127.0.0.1:${port}` : undefined;
  const ready = async () => (url !== undefined ? (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200 : output().includes('"worker running"'));
  const deadline = Date.now() + 90_000;
  while (!(await ready())) {
    if (child.hasExited() || Date.now() > deadline) {
      child.kill();
      throw new Error(`${spec.name} did not become ready; its output:\n${output().slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { spec, cli, child, logFile, output, url };
}
