// The `cadenza` command. Process commands (start, api, worker, migrate) read configuration from
// the environment; API commands (keys, tsq, …) talk HTTP with an API key.
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { startApi } from '../api/server';
import { openAppCtx } from '../app-context';
import { CadenzaClient } from '../client';
import { ConfigError, loadConfig, masterKeys, publicUrl, type ProcessRole } from '../config/config';
import { rotateMasterKey } from '../crypto/rotate';
import { createDb } from '../db/db';
import { migrate } from '../db/migrate';
import { runStart } from '../embedded/start';
import { createLogger, type Logger } from '../log';
import { ensureBootstrap } from '../tenancy/bootstrap';
import { connectClient } from '../temporal/connection';
import { ensureSearchAttributes } from '../temporal/search-attribute-registration';
import { startWorker } from '../worker/worker';
import { addApplyCommand } from './apply';
import { describeError, EXIT } from './output';
import { addApiCommands, type ApiOpts } from './verbs';

/** The configuration from the environment, with the command line's options over it (the environment is left as it is). */
function configFor(role: ProcessRole, options: Record<string, string | undefined> = {}) {
  const set = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const config = loadConfig({ ...process.env, ...set }, role);
  return { config, log: createLogger(config.logLevel) };
}

/** Stops on the first SIGINT/SIGTERM by running `stop`, then exits. */
function onStopSignal(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    log.info({ signal }, 'stopping');
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

async function runApi(): Promise<void> {
  const { config, log } = configFor('api');
  const ctx = await openAppCtx(config, log, 'api');
  const api = await startApi(ctx, config.api.host, config.api.port);
  log.info({ url: publicUrl(config, api.port) }, 'API listening');
  onStopSignal(log, async () => {
    await api.close();
    await ctx.close();
  });
}

async function runWorker(opts: { domains?: string; handlers?: string; concurrency?: string; metricsPort?: string }): Promise<void> {
  const { config, log } = configFor('worker', {
    CADENZA_WORKER_DOMAINS: opts.domains,
    CADENZA_METRICS_PORT: opts.metricsPort,
    CADENZA_HANDLERS_DIR: opts.handlers,
    CADENZA_WORKER_CONCURRENCY: opts.concurrency,
  });
  const ctx = await openAppCtx(config, log, 'worker', { withWorker: true });
  const worker = await startWorker(ctx);
  log.info({ taskQueue: config.temporal.taskQueue }, 'worker running');
  onStopSignal(log, async () => {
    await worker.shutdown();
    await ctx.close();
  });
  worker.done.then(
    () => undefined,
    async (err: unknown) => {
      log.error({ err }, 'worker failed');
      await ctx.close().catch(() => undefined);
      process.exit(1);
    },
  );
}

async function runMigrate(): Promise<void> {
  const { config, log } = configFor('migrate');
  const applied = await migrate(config.database.ownerUrl ?? config.database.url!, log, config.database.url);
  console.log(applied.length === 0 ? 'Migrations: up to date.' : `Migrations applied: ${applied.join(', ')}`);
  const db = createDb(config.database.url!, 2, 'cadenza-migrate');
  try {
    const boot = await ensureBootstrap(db, config.dataDir);
    if (boot.created) console.log(`Created instance '${boot.instanceId}'. Admin key (shown once): ${boot.adminKey}`);
    if (boot.systemKeyCreated) console.log(`Created a system key (shown once): ${boot.systemKey}`);
  } finally {
    await db.end();
  }
  if (config.temporal.address !== undefined) {
    const client = await connectClient(config.temporal);
    try {
      const added = await ensureSearchAttributes(client.connection, config.temporal.namespace);
      console.log(added.length === 0 ? 'Search attributes: present.' : `Search attributes registered: ${added.join(', ')}`);
    } catch (err) {
      console.error(`Could not register search attributes (${(err as Error).message}); on Temporal Cloud add them in the namespace settings.`);
    } finally {
      await client.connection.close();
    }
  }
}

async function runRotateMaster(): Promise<void> {
  const { config } = configFor('migrate');
  const db = createDb(config.database.url!, 2, 'cadenza-keys');
  try {
    const report = await rotateMasterKey(db, masterKeys(config));
    console.log(`Re-encrypted ${report.targets} target signing keys, ${report.replyKeys} reply signing keys and ${report.credentials} credentials (${report.alreadyCurrent} were current).`);
  } finally {
    await db.end();
  }
}

/** The HTTP client for API commands: --url/--key flags, CADENZA_URL/CADENZA_API_KEY, or the local bootstrap key. */
export function apiClient(opts: Pick<ApiOpts, 'url' | 'key' | 'org'>): CadenzaClient {
  const url = opts.url ?? process.env.CADENZA_URL ?? 'http://127.0.0.1:3000';
  const dataDir = path.resolve(process.env.CADENZA_DATA_DIR ?? '.data');
  const keyFile = path.join(dataDir, 'bootstrap-admin-key');
  const apiKey = opts.key ?? process.env.CADENZA_API_KEY ?? (fs.existsSync(keyFile) ? fs.readFileSync(keyFile, 'utf8').trim() : undefined);
  if (apiKey === undefined) throw new ConfigError(['an API key is needed: pass --key, set CADENZA_API_KEY, or run from the folder of `make start`']);
  return new CadenzaClient({ url, apiKey, org: opts.org ?? process.env.CADENZA_ORG });
}

export function buildProgram(): Command {
  const program = new Command('cadenza')
    .description('Durable orchestration on Temporal and PostgreSQL: commands with a troubleshooting queue, action flows, workflows.')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('start')
    .description('Run everything on embedded defaults: Temporal dev server, PostgreSQL, migrations, API and a worker')
    .action(async () => {
      const { config, log } = configFor('start');
      await runStart(config, log);
    });
  program.command('api').description('Run the HTTP API (needs DATABASE_URL, TEMPORAL_ADDRESS, CADENZA_MASTER_KEY)').action(runApi);
  program
    .command('worker')
    .description('Run a worker (needs DATABASE_URL, TEMPORAL_ADDRESS, CADENZA_MASTER_KEY)')
    .option('--domains <list>', 'serve only these comma-separated domains (CADENZA_WORKER_DOMAINS)')
    .option('--handlers <dir>', 'load command handlers from this folder (CADENZA_HANDLERS_DIR)')
    .option('--concurrency <n>', 'handler activities run at once (CADENZA_WORKER_CONCURRENCY)')
    .option('--metrics-port <port>', 'serve /metrics on this port (CADENZA_METRICS_PORT)')
    .action(runWorker);
  program
    .command('migrate')
    .description('Apply database migrations, create the default instance and its admin key, register search attributes')
    .action(runMigrate);

  addApiCommands(program, apiClient);
  addApplyCommand(program, apiClient);
  program.commands
    .find((c) => c.name() === 'keys')!
    .command('rotate-master')
    .description('Re-encrypt every stored secret under CADENZA_MASTER_KEY (the old key in CADENZA_MASTER_KEY_PREVIOUS); needs DATABASE_URL')
    .action(runRotateMaster);

  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    // Usage mistakes (commander has printed them) exit 2; --help and --version exit 0.
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage);
    const { message, code } = describeError(err);
    console.error(message);
    process.exit(code);
  }
}

if (require.main === module) void main(process.argv);
