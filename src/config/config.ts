// Configuration comes from environment variables only. Every variable is listed in
// `variables` below (the README table is generated from the same list), parsed once at
// start, and each mistake becomes one message that names the variable.
import path from 'node:path';
import type { MasterKeys } from '../crypto/secrets';
import { parseAllowlist } from '../net/address-policy';

export type ProcessRole = 'start' | 'api' | 'worker' | 'migrate';

export interface TemporalConfig {
  /** host:port of an external Temporal frontend; absent in embedded mode. */
  address: string | undefined;
  namespace: string;
  apiKey: string | undefined;
  tls: { certPath?: string; keyPath?: string; caPath?: string; serverName?: string } | undefined;
  taskQueue: string;
  cliPath: string | undefined;
  embeddedPort: number;
  embeddedUiPort: number;
  /** The Temporal Web UI the console links workflows to; the embedded one in embedded mode. */
  webUiUrl: string | undefined;
}

export interface Config {
  dataDir: string;
  logLevel: string;
  api: { host: string; port: number; publicUrl: string | undefined };
  /** url: the app role's connection; ownerUrl: the tables' owner, which migrates (src/db/roles.ts). */
  database: { url: string | undefined; ownerUrl: string | undefined; embeddedPort: number; poolMax: number };
  temporal: TemporalConfig;
  /** 32-byte key for secrets at rest (AES-256-GCM); generated under the data folder in embedded mode. */
  masterKey: Buffer | undefined;
  /** Earlier master keys: stored secrets encrypted under them still open until `cadenza keys rotate-master`. */
  previousMasterKeys: Buffer[];
  worker: {
    handlersDir: string | undefined;
    demoHandlers: boolean;
    domains: string[] | undefined;
    concurrency: number;
    shutdownGraceSeconds: number;
    dispatchAfterSeconds: number;
    /** Runs the event dispatcher (events to execution runs); one leader per task queue. */
    eventDispatcher: boolean;
  };
  workflows: {
    /** Folder of custom node plugins, loaded by the worker and the API at start. */
    pluginsDir: string | undefined;
    /** A run continues as new once its history has this many events. */
    historyEventLimit: number;
  };
  limits: {
    commandPayloadBytes: number;
    batchMaxCommands: number;
  };
  actions: {
    maxTimeoutSeconds: number;
    memoryBytes: number;
    /** Action-seconds per instance per calendar month (UTC); 0 means no quota. */
    quotaSecondsPerMonth: number;
    /** Threads per worker process that run action scripts. */
    threads: number;
  };
  /** Host names, IPs and CIDRs that outbound calls may reach although they are not public. */
  outboundAllowlist: string[];
  /** Who may scrape /metrics: the token's holders on the API port; anyone who reaches the metrics port when no token is set. */
  metrics: { port: number | undefined; host: string; token: string | undefined };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface VariableDoc {
  name: string;
  default: string;
  description: string;
}

/** The documented variables, in README order. */
export const variables: VariableDoc[] = [
  { name: 'CADENZA_DATA_DIR', default: '.data', description: 'Folder for embedded PostgreSQL, the Temporal SQLite file, the master key and the bootstrap key.' },
  { name: 'CADENZA_API_HOST', default: '127.0.0.1', description: 'Interface the HTTP API listens on.' },
  { name: 'CADENZA_API_PORT', default: '3000', description: 'Port of the HTTP API.' },
  { name: 'CADENZA_PUBLIC_URL', default: 'http://<host>:<port>', description: 'Base URL printed and used in links.' },
  { name: 'CADENZA_PG_PORT', default: '5433', description: 'Port of the embedded PostgreSQL (embedded mode only).' },
  { name: 'CADENZA_TEMPORAL_PORT', default: '7233', description: 'gRPC port of the embedded Temporal dev server (embedded mode only).' },
  { name: 'CADENZA_TEMPORAL_UI_PORT', default: '8233', description: 'Port of the embedded Temporal Web UI (embedded mode only).' },
  { name: 'CADENZA_TEMPORAL_UI_URL', default: 'the embedded Web UI, else none', description: 'Temporal Web UI that the console links workflows to (`<url>/namespaces/<namespace>/workflows/<id>`).' },
  { name: 'CADENZA_TASK_QUEUE', default: 'cadenza', description: 'Temporal task queue of Cadenza workflows; handler queues are named <queue>-handlers-<domain>.' },
  { name: 'CADENZA_LOG_LEVEL', default: 'info', description: 'trace, debug, info, warn, error or silent.' },
  { name: 'CADENZA_MASTER_KEY', default: 'generated in the data folder', description: '32 bytes, base64 or hex, that encrypt stored secrets. Required for `cadenza api` and `cadenza worker`.' },
  { name: 'CADENZA_MASTER_KEY_PREVIOUS', default: 'none', description: 'Comma-separated earlier master keys, while `cadenza keys rotate-master` moves stored secrets to CADENZA_MASTER_KEY.' },
  { name: 'CADENZA_DB_POOL_MAX', default: '10', description: 'PostgreSQL connections per process.' },
  { name: 'CADENZA_HANDLERS_DIR', default: 'none', description: 'Folder of command handler modules loaded by the worker.' },
  { name: 'CADENZA_DEMO_HANDLERS', default: 'true for `cadenza start`, else false', description: 'Register the built-in `demo` domain (echo, flaky, reject, slow).' },
  { name: 'CADENZA_WORKER_DOMAINS', default: 'all loaded', description: 'Comma-separated domains whose handlers this worker serves.' },
  { name: 'CADENZA_WORKER_CONCURRENCY', default: '50', description: 'Handler activities one worker runs at once.' },
  { name: 'CADENZA_WORKER_SHUTDOWN_GRACE_SECONDS', default: '30', description: 'On SIGTERM, how long in-flight handlers may run before they are cancelled.' },
  { name: 'CADENZA_DISPATCH_AFTER_SECONDS', default: '15', description: 'A committed command, flow run, DAG run or alert whose workflow has not started after this long is started by the dispatcher (a crash between commit and start, or Temporal away, loses nothing).' },
  { name: 'CADENZA_EVENT_DISPATCHER', default: 'true', description: 'Run the event dispatcher in the worker: it delivers the event log to event executions (one leader per task queue).' },
  { name: 'CADENZA_COMMAND_PAYLOAD_LIMIT_BYTES', default: '262144', description: 'Largest command payload (serialized JSON).' },
  { name: 'CADENZA_BATCH_MAX_COMMANDS', default: '1000', description: 'Most commands in one batch.' },
  { name: 'CADENZA_PLUGINS_DIR', default: 'none', description: 'Folder of custom workflow node plugins (`*.js`), loaded and validated at start; a bad plugin stops the process.' },
  { name: 'CADENZA_WORKFLOW_HISTORY_EVENTS', default: '10000', description: 'A workflow run continues as new (carrying its state) once its Temporal history has this many events.' },
  { name: 'CADENZA_ACTION_MAX_TIMEOUT_SECONDS', default: '20', description: 'Largest timeout an action may set (the default timeout is 10 s).' },
  { name: 'CADENZA_ACTION_MEMORY_LIMIT_BYTES', default: '33554432', description: 'Memory cap of one action script run in the sandbox.' },
  { name: 'CADENZA_ACTION_QUOTA_SECONDS', default: '0 (no quota)', description: 'Action-seconds an instance may use per calendar month (UTC); flow runs over it are refused with 429.' },
  { name: 'CADENZA_ACTION_THREADS', default: '4', description: 'Threads per worker process that run scripts (action scripts, workflow expressions and Code); more scripts at once wait for a free thread.' },
  { name: 'CADENZA_OUTBOUND_ALLOWLIST', default: 'none', description: 'Comma-separated host names, IPs or CIDRs that `api.http.fetch` may reach although they are loopback, private, link-local or unique-local.' },
  { name: 'CADENZA_METRICS_PORT', default: 'none', description: 'Port of a separate /metrics listener (Prometheus text) for this process: `cadenza worker`, `cadenza api` or `cadenza start`.' },
  { name: 'CADENZA_METRICS_HOST', default: '127.0.0.1', description: 'Interface the metrics listener binds to.' },
  { name: 'CADENZA_METRICS_TOKEN', default: 'none', description: 'Bearer token that scrapers send. With it, /metrics is also served on the API port and both need the token; without it, the API port answers 404 and the metrics listener is open.' },
  { name: 'DATABASE_URL', default: 'embedded', description: 'External PostgreSQL, as the role the API and workers use: one that owns nothing (README: Database roles). Replaces the embedded one. Required for api, worker and migrate.' },
  { name: 'DATABASE_OWNER_URL', default: 'DATABASE_URL', description: 'The same database as the role that owns the tables: `cadenza migrate` and `cadenza start` migrate with it and create the role of DATABASE_URL if missing.' },
  { name: 'TEMPORAL_ADDRESS', default: 'embedded', description: 'External Temporal frontend (host:port); replaces the dev server. Required for api and worker.' },
  { name: 'TEMPORAL_NAMESPACE', default: 'default', description: 'Temporal namespace.' },
  { name: 'TEMPORAL_API_KEY', default: 'none', description: 'API key for Temporal Cloud (turns TLS on).' },
  { name: 'TEMPORAL_TLS_CERT_PATH', default: 'none', description: 'Client certificate for mTLS (with TEMPORAL_TLS_KEY_PATH).' },
  { name: 'TEMPORAL_TLS_KEY_PATH', default: 'none', description: 'Client key for mTLS.' },
  { name: 'TEMPORAL_TLS_CA_PATH', default: 'system roots', description: 'CA bundle for the Temporal server certificate.' },
  { name: 'TEMPORAL_TLS_SERVER_NAME', default: 'from address', description: 'TLS server name override.' },
  { name: 'TEMPORAL_CLI_PATH', default: 'PATH, then .tools', description: 'The `temporal` binary used for the embedded dev server.' },
];

type Env = Record<string, string | undefined>;

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  str(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.str(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max} (got '${raw}')`);
      return fallback;
    }
    return n;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.str(name);
    if (raw === undefined) return fallback;
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    this.problems.push(`${name} must be true or false (got '${raw}')`);
    return fallback;
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const raw = this.str(name);
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')} (got '${raw}')`);
      return fallback;
    }
    return raw as T;
  }

  require(name: string, why: string): void {
    if (this.str(name) === undefined) this.problems.push(`${name} is required ${why}`);
  }
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
const DOMAIN_RE = /^[a-z][a-z0-9_-]{0,62}$/;

export function parseMasterKey(raw: string): Buffer | undefined {
  const hex = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : undefined;
  const key = hex ?? Buffer.from(raw, 'base64');
  return key.length === 32 ? key : undefined;
}

function readDatabaseUrl(r: Reader, name: 'DATABASE_URL' | 'DATABASE_OWNER_URL'): string | undefined {
  const url = r.str(name);
  if (url === undefined) return undefined;
  try {
    const u = new URL(url);
    if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') throw new Error('protocol');
  } catch {
    r.problems.push(`${name} must be a postgres:// URL (got '${url.replace(/:[^:@/]*@/, ':***@')}')`);
  }
  return url;
}

function readTemporal(r: Reader): TemporalConfig {
  const address = r.str('TEMPORAL_ADDRESS');
  if (address !== undefined && !/^[^\s:]+:\d{1,5}$/.test(address)) {
    r.problems.push(`TEMPORAL_ADDRESS must be host:port (got '${address}')`);
  }
  const certPath = r.str('TEMPORAL_TLS_CERT_PATH');
  const keyPath = r.str('TEMPORAL_TLS_KEY_PATH');
  if ((certPath === undefined) !== (keyPath === undefined)) {
    r.problems.push('TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH must be set together');
  }
  const apiKey = r.str('TEMPORAL_API_KEY');
  if (apiKey !== undefined && certPath !== undefined) {
    r.problems.push('TEMPORAL_API_KEY and TEMPORAL_TLS_CERT_PATH are alternatives; set only one');
  }
  const caPath = r.str('TEMPORAL_TLS_CA_PATH');
  const serverName = r.str('TEMPORAL_TLS_SERVER_NAME');
  const anyTls = certPath ?? caPath ?? serverName;
  const taskQueue = r.str('CADENZA_TASK_QUEUE') ?? 'cadenza';
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(taskQueue)) {
    r.problems.push(`CADENZA_TASK_QUEUE may hold letters, digits, '.', '_' and '-' only (got '${taskQueue}')`);
  }
  return {
    address,
    namespace: r.str('TEMPORAL_NAMESPACE') ?? 'default',
    apiKey,
    tls: anyTls === undefined ? undefined : { certPath, keyPath, caPath, serverName },
    taskQueue,
    cliPath: r.str('TEMPORAL_CLI_PATH'),
    embeddedPort: r.int('CADENZA_TEMPORAL_PORT', 7233, 1, 65535),
    embeddedUiPort: r.int('CADENZA_TEMPORAL_UI_PORT', 8233, 1, 65535),
    webUiUrl: readHttpUrl(r, 'CADENZA_TEMPORAL_UI_URL'),
  };
}

function readHttpUrl(r: Reader, name: string): string | undefined {
  const url = r.str(name);
  if (url !== undefined && !/^https?:\/\/[^\s/]+/.test(url)) r.problems.push(`${name} must be an http(s) URL (got '${url}')`);
  return url?.replace(/\/+$/, '');
}

function readWorker(r: Reader, role: ProcessRole): Config['worker'] {
  const domainsRaw = r.str('CADENZA_WORKER_DOMAINS');
  const domains = domainsRaw?.split(',').map((d) => d.trim()).filter((d) => d !== '');
  for (const d of domains ?? []) {
    if (!DOMAIN_RE.test(d)) r.problems.push(`CADENZA_WORKER_DOMAINS has an invalid domain '${d}' (lowercase letters, digits, '_' and '-')`);
  }
  return {
    handlersDir: r.str('CADENZA_HANDLERS_DIR'),
    demoHandlers: r.bool('CADENZA_DEMO_HANDLERS', role === 'start'),
    domains,
    concurrency: r.int('CADENZA_WORKER_CONCURRENCY', 50, 1, 10000),
    shutdownGraceSeconds: r.int('CADENZA_WORKER_SHUTDOWN_GRACE_SECONDS', 30, 0, 3600),
    dispatchAfterSeconds: r.int('CADENZA_DISPATCH_AFTER_SECONDS', 15, 1, 3600),
    eventDispatcher: r.bool('CADENZA_EVENT_DISPATCHER', true),
  };
}

function readAllowlist(r: Reader): string[] {
  const { entries, invalid } = parseAllowlist(r.str('CADENZA_OUTBOUND_ALLOWLIST'));
  for (const e of invalid) r.problems.push(`CADENZA_OUTBOUND_ALLOWLIST has an entry that is not a host name, IP or CIDR: '${e}'`);
  return entries;
}

function readMetrics(r: Reader): Config['metrics'] {
  const raw = r.str('CADENZA_METRICS_PORT');
  const token = r.str('CADENZA_METRICS_TOKEN');
  if (token !== undefined && token.length < 16) r.problems.push('CADENZA_METRICS_TOKEN must be at least 16 characters (generate one with `openssl rand -hex 16`)');
  return { port: raw === undefined ? undefined : r.int('CADENZA_METRICS_PORT', 0, 0, 65535), host: r.str('CADENZA_METRICS_HOST') ?? '127.0.0.1', token };
}

/** Parses the environment for a process role; throws ConfigError listing every problem. */
export function loadConfig(env: Env, role: ProcessRole): Config {
  const r = new Reader(env);
  const needsDb = role !== 'start';
  const needsTemporal = role === 'api' || role === 'worker';
  if (needsDb) r.require('DATABASE_URL', `for \`cadenza ${role}\` (for example postgres://cadenza:secret@localhost:5432/cadenza)`);
  if (needsTemporal) r.require('TEMPORAL_ADDRESS', `for \`cadenza ${role}\` (for example localhost:7233)`);

  const masterRaw = r.str('CADENZA_MASTER_KEY');
  let masterKey: Buffer | undefined;
  if (masterRaw !== undefined) {
    masterKey = parseMasterKey(masterRaw);
    if (masterKey === undefined) r.problems.push('CADENZA_MASTER_KEY must be 32 bytes as 64 hex characters or base64 (generate one with `openssl rand -base64 32`)');
  } else if (needsTemporal) {
    r.require('CADENZA_MASTER_KEY', `for \`cadenza ${role}\` (generate one with \`openssl rand -base64 32\`)`);
  }
  const previousMasterKeys = (r.str('CADENZA_MASTER_KEY_PREVIOUS') ?? '').split(',').map((k) => k.trim()).filter((k) => k !== '').map((k, i) => {
    const key = parseMasterKey(k);
    if (key === undefined) r.problems.push(`CADENZA_MASTER_KEY_PREVIOUS entry ${i + 1} must be 32 bytes as 64 hex characters or base64`);
    return key ?? Buffer.alloc(32);
  });

  const config: Config = {
    dataDir: path.resolve(r.str('CADENZA_DATA_DIR') ?? '.data'),
    logLevel: r.oneOf('CADENZA_LOG_LEVEL', 'info', LOG_LEVELS),
    api: {
      host: r.str('CADENZA_API_HOST') ?? '127.0.0.1',
      port: r.int('CADENZA_API_PORT', 3000, 0, 65535),
      publicUrl: r.str('CADENZA_PUBLIC_URL'),
    },
    database: {
      url: readDatabaseUrl(r, 'DATABASE_URL'),
      ownerUrl: readDatabaseUrl(r, 'DATABASE_OWNER_URL'),
      embeddedPort: r.int('CADENZA_PG_PORT', 5433, 1, 65535),
      poolMax: r.int('CADENZA_DB_POOL_MAX', 10, 1, 1000),
    },
    temporal: readTemporal(r),
    masterKey,
    previousMasterKeys,
    worker: readWorker(r, role),
    workflows: { pluginsDir: r.str('CADENZA_PLUGINS_DIR'), historyEventLimit: r.int('CADENZA_WORKFLOW_HISTORY_EVENTS', 10_000, 20, 40_000) },
    limits: {
      commandPayloadBytes: r.int('CADENZA_COMMAND_PAYLOAD_LIMIT_BYTES', 256 * 1024, 1, 1024 * 1024),
      batchMaxCommands: r.int('CADENZA_BATCH_MAX_COMMANDS', 1000, 1, 10000),
    },
    actions: {
      maxTimeoutSeconds: r.int('CADENZA_ACTION_MAX_TIMEOUT_SECONDS', 20, 1, 600),
      memoryBytes: r.int('CADENZA_ACTION_MEMORY_LIMIT_BYTES', 32 * 1024 * 1024, 1024 * 1024, 1024 * 1024 * 1024),
      quotaSecondsPerMonth: r.int('CADENZA_ACTION_QUOTA_SECONDS', 0, 0, 1_000_000_000),
      threads: r.int('CADENZA_ACTION_THREADS', 4, 1, 256),
    },
    outboundAllowlist: readAllowlist(r),
    metrics: readMetrics(r),
  };
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}

/** The master keys that open stored secrets; the API and workers need CADENZA_MASTER_KEY. */
export function masterKeys(config: Pick<Config, 'masterKey' | 'previousMasterKeys'>): MasterKeys {
  if (config.masterKey === undefined) throw new Error('CADENZA_MASTER_KEY is not configured');
  return { current: config.masterKey, previous: config.previousMasterKeys };
}

export function publicUrl(config: Config, port = config.api.port): string {
  if (config.api.publicUrl !== undefined) return config.api.publicUrl.replace(/\/$/, '');
  const host = config.api.host === '0.0.0.0' || config.api.host === '::' ? 'localhost' : config.api.host;
  return `http://${host}:${port}`;
}
