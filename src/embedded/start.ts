// `cadenza start`: the embedded default. Starts whatever is not configured externally
// (Temporal dev server, PostgreSQL), migrates, bootstraps, then runs the API and a worker in
// this process. A crashed PostgreSQL or Temporal is restarted on the same data and ports (the
// API and worker ride it out); SIGINT/SIGTERM stop everything in order; nothing is left running.
import fs from 'node:fs';
import path from 'node:path';
import { startApi, type RunningApi } from '../api/server';
import { openAppCtx, type OpenedCtx } from '../app-context';
import { publicUrl, type Config } from '../config/config';
import { migrate } from '../db/migrate';
import type { Logger } from '../log';
import { ensureBootstrap } from '../tenancy/bootstrap';
import { findTemporalCli } from '../temporal/binary';
import { ensureSearchAttributes } from '../temporal/search-attribute-registration';
import { startWorker, type RunningWorker } from '../worker/worker';
import { loadOrCreateMasterKey } from './master-key';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './postgres';
import { assertPortFree, PidFile, type Child } from './process';
import { startDevServer, type DevServer } from './temporal-server';

interface Parts {
  postgres?: EmbeddedPostgres;
  temporal?: DevServer;
  ctx?: OpenedCtx;
  worker?: RunningWorker;
  api?: RunningApi;
  /** Restarts under way: shutdown waits for them, then stops what they started. */
  restarting: Set<Promise<unknown>>;
}

/** Waits before each restart of a crashed child; one more failure in a row than entries gives up. */
const RESTART_BACKOFF_MS = [1_000, 2_000, 4_000, 8_000, 16_000];
/** A child that ran this long before it exited was healthy: its failures count from zero again. */
const HEALTHY_AFTER_MS = 60_000;

export async function runStart(baseConfig: Config, log: Logger): Promise<void> {
  const { dataDir } = baseConfig;
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const pidFile = new PidFile(path.join(dataDir, 'pids.json'));
  const running = pidFile.liveSupervisor();
  if (running !== undefined) throw new Error(`Cadenza already runs on ${dataDir} (pid ${running}); stop it first`);
  const leftovers = await pidFile.killLeftovers();
  if (leftovers.length > 0) log.warn({ leftovers }, 'stopped processes left by an earlier run');
  pidFile.write({ supervisor: { pid: process.pid, match: 'start' } });

  const config: Config = { ...baseConfig, masterKey: baseConfig.masterKey ?? loadOrCreateMasterKey(dataDir) };
  const parts: Parts = { restarting: new Set() };
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= shutdown(parts, pidFile, log));
  const recordPids = () =>
    pidFile.write({
      supervisor: { pid: process.pid, match: 'start' },
      ...(parts.postgres ? { postgres: { pid: parts.postgres.child.process.pid, match: 'postgres' } } : {}),
      ...(parts.temporal ? { temporal: { pid: parts.temporal.child.process.pid, match: 'start-dev' } } : {}),
    });

  try {
    await preflight(config);
    await startServices(config, parts, log);
    recordPids();
    const databaseUrl = config.database.url ?? parts.postgres!.url;
    const ownerUrl = config.database.url !== undefined ? (config.database.ownerUrl ?? config.database.url) : parts.postgres!.ownerUrl;
    const temporalAddress = config.temporal.address ?? parts.temporal!.address;
    const runConfig: Config = {
      ...config,
      database: { ...config.database, url: databaseUrl, ownerUrl },
      temporal: { ...config.temporal, address: temporalAddress, webUiUrl: config.temporal.webUiUrl ?? embeddedWebUi(config, parts) },
    };
    await migrate(ownerUrl, log, databaseUrl);
    const ctx = (parts.ctx = await openAppCtx(runConfig, log, 'start', { withWorker: true }));
    const bootstrap = await ensureBootstrap(ctx.db, dataDir);
    if (config.temporal.address !== undefined) await ensureSearchAttributesOrWarn(ctx, log);
    parts.worker = await startWorker(ctx);
    parts.api = await startApi(ctx, config.api.host, config.api.port);
    writeEnvFile(runConfig, dataDir);
    printBanner(runConfig, parts, bootstrap.adminKey, bootstrap.keyFile);
  } catch (err) {
    await stop();
    throw err;
  }

  await new Promise<void>((resolve) => {
    let firstSignalAt: number | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      if (firstSignalAt === undefined) {
        firstSignalAt = Date.now();
        log.info({ signal }, 'stopping');
        process.stdout.write(`\n${signal}: stopping Cadenza…\n`);
        void stop().then(resolve);
        return;
      }
      // The same signal often arrives twice (terminal and parent both send it); only a later
      // one means "stop now": kill the children outright so none is left behind.
      if (Date.now() - firstSignalAt < 2000) return;
      process.stdout.write('Stopping at once.\n');
      parts.temporal?.child.kill();
      parts.postgres?.child.kill();
      process.exit(130);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const crashed = (name: string) => () => {
      if (stopping) return;
      log.error(`${name} exited unexpectedly; stopping`);
      process.exitCode = 1;
      void stop().then(resolve);
    };
    const isStopping = () => stopping !== undefined;
    const supervised = (name: string, current: () => Child, restart: () => Promise<void>) =>
      void supervise(name, current, restart, isStopping, parts, log).then((gaveUp) => gaveUp && crashed(name)());
    if (parts.postgres !== undefined) {
      supervised('PostgreSQL', () => parts.postgres!.child, async () => {
        parts.postgres = await startEmbeddedPostgres(config.dataDir, config.database.embeddedPort);
        recordPids();
      });
    }
    if (parts.temporal !== undefined) {
      supervised('the Temporal dev server', () => parts.temporal!.child, async () => {
        parts.temporal = await startDevServer(devServerOptions(config));
        recordPids();
      });
    }
    void parts.worker?.done.then(crashed('the worker'), crashed('the worker'));
  });
  process.stdout.write('Cadenza stopped.\n');
}

async function preflight(config: Config): Promise<void> {
  await assertPortFree(config.api.host, config.api.port, 'CADENZA_API_PORT');
  if (config.database.url === undefined) await assertPortFree('127.0.0.1', config.database.embeddedPort, 'CADENZA_PG_PORT');
  if (config.temporal.address === undefined) {
    await assertPortFree('127.0.0.1', config.temporal.embeddedPort, 'CADENZA_TEMPORAL_PORT');
    await assertPortFree('127.0.0.1', config.temporal.embeddedUiPort, 'CADENZA_TEMPORAL_UI_PORT');
  }
}

async function startServices(config: Config, parts: Parts, log: Logger): Promise<void> {
  const pg = config.database.url === undefined ? startEmbeddedPostgres(config.dataDir, config.database.embeddedPort) : undefined;
  const temporal = config.temporal.address === undefined ? startDevServer(devServerOptions(config)) : undefined;
  // Start both before awaiting either, and keep whichever started so shutdown can stop it.
  const [pgResult, temporalResult] = await Promise.allSettled([pg, temporal]);
  if (pgResult.status === 'fulfilled') parts.postgres = pgResult.value;
  if (temporalResult.status === 'fulfilled') parts.temporal = temporalResult.value;
  for (const r of [pgResult, temporalResult]) if (r.status === 'rejected') throw r.reason;
  log.info('embedded services started');
}

function devServerOptions(config: Config) {
  return {
    binary: findTemporalCli(config.temporal.cliPath),
    dbFile: path.join(config.dataDir, 'temporal.db'),
    port: config.temporal.embeddedPort,
    uiPort: config.temporal.embeddedUiPort,
    namespace: config.temporal.namespace,
  };
}

/**
 * Restarts `current()` whenever it exits while Cadenza is not stopping, after a backoff; resolves
 * true when it gives up (RESTART_BACKOFF_MS.length + 1 failures in a row: a restart that failed,
 * or a child that exited before it was healthy), false once Cadenza stops.
 */
async function supervise(name: string, current: () => Child, restart: () => Promise<void>, stopping: () => boolean, parts: Parts, log: Logger): Promise<boolean> {
  let failures = 0;
  for (;;) {
    const startedAt = Date.now();
    const code = await current().exited;
    if (stopping()) return false;
    failures = Date.now() - startedAt >= HEALTHY_AFTER_MS ? 1 : failures + 1;
    log.error({ code }, `${name} exited unexpectedly`);
    for (;;) {
      const delayMs = RESTART_BACKOFF_MS[failures - 1];
      if (delayMs === undefined) {
        log.error(`${name} failed ${failures} times in a row; giving up and stopping Cadenza`);
        return true;
      }
      log.warn({ attempt: failures, delayMs }, `restarting ${name} in ${delayMs / 1000} s`);
      await new Promise((r) => setTimeout(r, delayMs));
      if (stopping()) return false;
      const restarted = restart();
      parts.restarting.add(restarted);
      try {
        await restarted;
        log.warn(`${name} restarted`);
        break;
      } catch (err) {
        log.error({ err }, `${name} could not be restarted`);
        failures += 1;
      } finally {
        parts.restarting.delete(restarted);
      }
    }
  }
}

async function ensureSearchAttributesOrWarn(ctx: OpenedCtx, log: Logger): Promise<void> {
  try {
    const added = await ensureSearchAttributes(ctx.temporal.client.connection, ctx.temporal.namespace);
    if (added.length > 0) log.info({ added }, 'registered search attributes');
  } catch (err) {
    log.warn({ err }, 'could not register search attributes; register them on the namespace yourself (see README)');
  }
}

async function shutdown(parts: Parts, pidFile: PidFile, log: Logger): Promise<void> {
  const step = async (name: string, fn: (() => Promise<void>) | undefined) => {
    if (fn === undefined) return;
    try {
      await fn();
    } catch (err) {
      log.warn({ err }, `stopping ${name} failed`);
    }
  };
  await step('the API', parts.api && (() => parts.api!.close()));
  await step('the worker', parts.worker && (() => parts.worker!.shutdown()));
  await step('connections', parts.ctx && (() => parts.ctx!.close()));
  await Promise.allSettled(parts.restarting);
  await Promise.all([
    step('the Temporal dev server', parts.temporal && (() => parts.temporal!.stop())),
    step('PostgreSQL', parts.postgres && (() => parts.postgres!.stop())),
  ]);
  pidFile.remove();
}

/** Settings for extra processes (`cadenza worker`, the CLI) against this embedded instance. */
function writeEnvFile(config: Config, dataDir: string): void {
  const lines = [
    `DATABASE_URL=${config.database.url}`,
    `DATABASE_OWNER_URL=${config.database.ownerUrl}`,
    `TEMPORAL_ADDRESS=${config.temporal.address}`,
    `TEMPORAL_NAMESPACE=${config.temporal.namespace}`,
    `CADENZA_MASTER_KEY=${config.masterKey!.toString('base64')}`,
    `CADENZA_URL=${publicUrl(config)}`,
  ];
  fs.writeFileSync(path.join(dataDir, 'cadenza.env'), `${lines.join('\n')}\n`, { mode: 0o600 });
}

function embeddedWebUi(config: Config, parts: Parts): string | undefined {
  return parts.temporal !== undefined ? `http://localhost:${config.temporal.embeddedUiPort}` : undefined;
}

function printBanner(config: Config, parts: Parts, adminKey: string | undefined, keyFile: string): void {
  const api = publicUrl(config, parts.api!.port);
  const ui = config.temporal.webUiUrl ?? '(external Temporal: use its UI)';
  const key = adminKey ?? `(not shown: ${keyFile} is missing; create a key with \`cadenza keys create\`)`;
  const lines = [
    '',
    'Cadenza is running.',
    `  API               ${api}`,
    `  API docs          ${api}/docs`,
    `  Console           ${api}/console`,
    `  Temporal Web UI   ${ui}`,
    `  Admin key         ${key}`,
    `                    (stored hashed; the plaintext is in ${keyFile})`,
    `  System key        in ${path.join(config.dataDir, 'bootstrap-system-key')} (creates and removes instances)`,
    `  Settings for more workers: ${path.join(config.dataDir, 'cadenza.env')}`,
    '',
    'Press Ctrl-C to stop.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}
