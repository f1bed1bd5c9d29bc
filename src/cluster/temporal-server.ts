// A self-hosted Temporal server as production runs it: the pinned release built into the tool
// folder (scripts/ensure-temporal-server.sh), PostgreSQL persistence and visibility set up with
// temporal-sql-tool, started from the config file kept in the repo (deploy/temporal/cluster.yaml).
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { spawnChild, waitForPort, type Child } from '../embedded/process';
import { connectionSettings, type ClientTemporalConfig } from '../temporal/connection';

const ROOT = path.resolve(__dirname, '../..');

export interface ServerDatabase {
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface TemporalServerOptions {
  toolsDir: string;
  /** Frontend gRPC port; the other services take the next 8 ports. */
  port: number;
  db: ServerDatabase;
  /** Folder of ca.pem, server(-key).pem and client(-key).pem: mTLS on the frontend. */
  tlsDir: string | undefined;
  namespace: string;
  logFile: string;
}

export interface TemporalServer {
  address: string;
  child: Child;
  stop(): Promise<void>;
}

/** Builds the server and temporal-sql-tool once (minutes), then reuses them; returns their folder. */
export function ensureServerTools(): string {
  return execFileSync(path.join(ROOT, 'scripts/ensure-temporal-server.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

/** Creates both databases and applies the schemas (deploy/temporal/setup-schema.sh, as compose runs it). */
export async function setupServerDatabases(toolsDir: string, db: ServerDatabase): Promise<void> {
  const env = {
    ...process.env,
    TEMPORAL_SQL_TOOL: path.join(toolsDir, 'temporal-sql-tool'),
    SQL_HOST: db.host,
    SQL_PORT: String(db.port),
    SQL_USER: db.user,
    SQL_PASSWORD: db.password,
  };
  await promisify(execFile)(path.join(ROOT, 'deploy/temporal/setup-schema.sh'), { env }).catch((err: { stderr?: string; message: string }) => {
    throw new Error(`setting up Temporal's databases failed: ${err.stderr?.slice(-2000) ?? err.message}`);
  });
}

/** How a client reaches this server: the settings Cadenza reads from its TEMPORAL_* variables. */
export function serverClientConfig(address: string, tlsDir: string | undefined): ClientTemporalConfig {
  return {
    address,
    apiKey: undefined,
    tls: tlsDir === undefined ? undefined : { caPath: `${tlsDir}/ca.pem`, certPath: `${tlsDir}/client.pem`, keyPath: `${tlsDir}/client-key.pem`, serverName: 'localhost' },
  };
}

/** The server's command line, `root` holding deploy/temporal (compose mounts it at /etc/cadenza). */
export function serverArgs(root: string): string[] {
  return ['--root', root, '--config', 'deploy/temporal', '--env', 'cluster', '--allow-no-auth', 'start'];
}

/** The variables deploy/temporal/cluster.yaml is rendered from. */
export function serverEnv(o: Pick<TemporalServerOptions, 'port' | 'db' | 'tlsDir'>): Record<string, string> {
  return {
    TEMPORAL_SERVER_PORT: String(o.port),
    TEMPORAL_SERVER_DB_ADDRESS: `${o.db.host}:${o.db.port}`,
    TEMPORAL_SERVER_DB_USER: o.db.user,
    TEMPORAL_SERVER_DB_PASSWORD: o.db.password,
    ...(o.tlsDir !== undefined ? { TEMPORAL_SERVER_TLS_DIR: o.tlsDir } : {}),
  };
}

export async function startTemporalServer(o: TemporalServerOptions): Promise<TemporalServer> {
  const log = fs.openSync(o.logFile, 'a');
  const child = spawnChild(
    'temporal-server',
    path.join(o.toolsDir, 'temporal-server'),
    serverArgs(ROOT),
    { env: { ...process.env, ...serverEnv(o) }, stdio: ['ignore', log, log] },
  );
  fs.closeSync(log);
  const address = `127.0.0.1:${o.port}`;
  const server = { address, child, stop: () => child.stop('SIGTERM', 20_000) };
  const exited = () => (child.hasExited() ? `the Temporal server exited during start; see ${o.logFile}:\n${tail(o.logFile)}` : undefined);
  try {
    await waitForPort('127.0.0.1', o.port, 60_000, exited);
    await ensureNamespace(serverClientConfig(address, o.tlsDir), o.namespace, exited);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

function tail(file: string): string {
  return fs.readFileSync(file, 'utf8').slice(-3000);
}

/** Registers the namespace unless it exists, and waits until the server serves it. */
async function ensureNamespace(cfg: ClientTemporalConfig, namespace: string, failed: () => string | undefined): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const why = failed();
    if (why !== undefined) throw new Error(why);
    let connection: Connection | undefined;
    try {
      // A server still starting its services may not even finish the TLS handshake in time.
      connection = await Connection.connect({ ...connectionSettings(cfg), connectTimeout: '10s' });
      const found = await connection.workflowService.describeNamespace({ namespace }).then(
        () => true,
        (err: { code?: number }) => {
          if (err.code !== NOT_FOUND) throw err;
          return false;
        },
      );
      if (found) return;
      await registerNamespace(connection, namespace);
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    } finally {
      await connection?.close();
    }
  }
}

const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;

async function registerNamespace(connection: Connection, namespace: string): Promise<void> {
  try {
    await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('3 days') });
  } catch (err) {
    if ((err as { code?: number }).code !== ALREADY_EXISTS) throw err;
  }
}
