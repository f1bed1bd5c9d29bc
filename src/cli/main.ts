// The `cadenza` command. Process commands (start, api, worker, migrate) read configuration from
// the environment; API commands (keys, tsq, …) talk HTTP with an API key.
import fs from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { startApi } from '../api/server';
import { openAppCtx } from '../app-context';
import { CadenzaApiError, CadenzaClient, type BulkRetry } from '../client';
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

function configFor(role: ProcessRole) {
  const config = loadConfig(process.env, role);
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

async function runWorker(opts: { domains?: string; handlers?: string; concurrency?: string }): Promise<void> {
  if (opts.domains !== undefined) process.env.CADENZA_WORKER_DOMAINS = opts.domains;
  if (opts.handlers !== undefined) process.env.CADENZA_HANDLERS_DIR = opts.handlers;
  if (opts.concurrency !== undefined) process.env.CADENZA_WORKER_CONCURRENCY = opts.concurrency;
  const { config, log } = configFor('worker');
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
    console.log(`Re-encrypted ${report.targets} target signing keys and ${report.replyKeys} reply signing keys (${report.alreadyCurrent} were current).`);
  } finally {
    await db.end();
  }
}

interface ApiOpts {
  url?: string;
  key?: string;
  org?: string;
}

/** The HTTP client for API commands: --url/--key flags, CADENZA_URL/CADENZA_API_KEY, or the local bootstrap key. */
export function apiClient(opts: ApiOpts): CadenzaClient {
  const url = opts.url ?? process.env.CADENZA_URL ?? 'http://127.0.0.1:3000';
  const dataDir = path.resolve(process.env.CADENZA_DATA_DIR ?? '.data');
  const keyFile = path.join(dataDir, 'bootstrap-admin-key');
  const apiKey = opts.key ?? process.env.CADENZA_API_KEY ?? (fs.existsSync(keyFile) ? fs.readFileSync(keyFile, 'utf8').trim() : undefined);
  if (apiKey === undefined) throw new ConfigError(['an API key is needed: pass --key, set CADENZA_API_KEY, or run from the folder of `make start`']);
  return new CadenzaClient({ url, apiKey, org: opts.org ?? process.env.CADENZA_ORG });
}

function withApiOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--url <url>', 'API base URL').env('CADENZA_URL'))
    .addOption(new Option('--key <key>', 'API key (default: .data/bootstrap-admin-key)').env('CADENZA_API_KEY'))
    .addOption(new Option('--org <orgId>', 'X-Cadenza-Org for instance-wide keys').env('CADENZA_ORG'));
}

/** Prints a bulk retry's progress until it completes. */
async function followBulkRetry(client: CadenzaClient, started: BulkRetry): Promise<void> {
  let b = started;
  for (;;) {
    process.stderr.write(`bulk retry ${b.id}: ${b.state}, matched ${b.matched}, retried ${b.retried}, failed ${b.failedCount}\n`);
    if (b.state === 'COMPLETED') return print(b);
    await new Promise((r) => setTimeout(r, 1000));
    b = await client.getBulkRetry(b.id);
  }
}

function print(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

export function buildProgram(): Command {
  const program = new Command('cadenza')
    .description('Durable orchestration on Temporal and PostgreSQL: commands with a troubleshooting queue, action flows, workflows.')
    .showHelpAfterError();

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
    .action(runWorker);
  program
    .command('migrate')
    .description('Apply database migrations, create the default instance and its admin key, register search attributes')
    .action(runMigrate);

  const keys = program.command('keys').description('Manage API keys (admin)');
  withApiOptions(keys.command('create').description('Create a key; its secret is printed once'))
    .requiredOption('--name <name>', 'a name for the key (recorded as the operator identity)')
    .addOption(new Option('--role <role>', 'admin, operator or viewer').choices(['admin', 'operator', 'viewer']).makeOptionMandatory())
    .option('--for-org <orgId>', 'scope the key to one org')
    .action(async (o: ApiOpts & { name: string; role: 'admin' | 'operator' | 'viewer'; forOrg?: string }) => {
      print(await apiClient(o).createKey({ name: o.name, role: o.role, orgId: o.forOrg }));
    });
  withApiOptions(keys.command('list').description('List keys'))
    .option('--limit <n>', 'page size', '100')
    .option('--cursor <cursor>', 'next page')
    .action(async (o: ApiOpts & { limit: string; cursor?: string }) => {
      print(await apiClient(o).listKeys({ limit: Number(o.limit), cursor: o.cursor }));
    });
  withApiOptions(keys.command('revoke').description('Revoke a key').argument('<keyId>')).action(async (keyId: string, o: ApiOpts) => {
    print(await apiClient(o).revokeKey(keyId));
  });
  keys
    .command('rotate-master')
    .description('Re-encrypt every stored secret under CADENZA_MASTER_KEY (the old key in CADENZA_MASTER_KEY_PREVIOUS); needs DATABASE_URL')
    .action(runRotateMaster);

  const tsq = program.command('tsq').description('Work the troubleshooting queue');
  withApiOptions(tsq.command('list').description('List commands in the queue, newest first'))
    .option('--domain <domain>')
    .option('--type <type>')
    .option('--limit <n>', 'page size', '50')
    .option('--cursor <cursor>', 'next page')
    .action(async (o: ApiOpts & { domain?: string; type?: string; limit: string; cursor?: string }) => {
      print(await apiClient(o).listTroubleshooting({ domain: o.domain, type: o.type, limit: Number(o.limit), cursor: o.cursor }));
    });
  withApiOptions(tsq.command('retry').description('Retry a command (attempts start again); --all retries every match').argument('[domain]').argument('[commandId]'))
    .option('--reason <text>')
    .option('--all', 'bulk: retry every entry matching --domain/--type')
    .option('--domain <domain>', 'filter for --all')
    .option('--type <type>', 'filter for --all')
    .action(async (domain: string | undefined, commandId: string | undefined, o: ApiOpts & { reason?: string; all?: boolean; domain?: string; type?: string }) => {
      const client = apiClient(o);
      if (o.all) return followBulkRetry(client, await client.bulkRetry({ domain: o.domain, type: o.type, reason: o.reason }));
      if (domain === undefined || commandId === undefined) throw new ConfigError(['tsq retry needs <domain> <commandId>, or --all']);
      print(await client.retryCommand(domain, commandId, o.reason));
    });
  withApiOptions(tsq.command('cancel').description('Cancel a command in the queue').argument('<domain>').argument('<commandId>'))
    .requiredOption('--reason <text>', 'why (required, recorded in the audit trail)')
    .action(async (domain: string, commandId: string, o: ApiOpts & { reason: string }) => {
      print(await apiClient(o).cancelCommand(domain, commandId, o.reason));
    });
  withApiOptions(tsq.command('complete').description('Complete a command in the queue by hand').argument('<domain>').argument('<commandId>'))
    .option('--result <json>', 'the result to record and reply with')
    .option('--reason <text>')
    .action(async (domain: string, commandId: string, o: ApiOpts & { result?: string; reason?: string }) => {
      print(await apiClient(o).completeCommand(domain, commandId, o.result === undefined ? undefined : JSON.parse(o.result), o.reason));
    });

  const commands = program.command('commands').description('Send and inspect commands');
  withApiOptions(commands.command('send').description('Send a command').argument('<domain>').argument('<type>'))
    .option('--payload <json>', 'JSON payload', '{}')
    .option('--id <commandId>', 'idempotency key (generated when absent)')
    .option('--reply-to <url>')
    .action(async (domain: string, type: string, o: ApiOpts & { payload: string; id?: string; replyTo?: string }) => {
      print(await apiClient(o).sendCommand({ domain, type, payload: JSON.parse(o.payload), commandId: o.id, replyTo: o.replyTo }));
    });
  withApiOptions(commands.command('get').description('Show a command').argument('<domain>').argument('<commandId>')).action(
    async (domain: string, commandId: string, o: ApiOpts) => {
      print(await apiClient(o).getCommand(domain, commandId));
    },
  );
  withApiOptions(commands.command('audit').description("Show a command's audit trail").argument('<domain>').argument('<commandId>')).action(
    async (domain: string, commandId: string, o: ApiOpts) => {
      print(await apiClient(o).audit(domain, commandId));
    },
  );
  withApiOptions(commands.command('list').description('List commands'))
    .option('--status <status>')
    .option('--domain <domain>')
    .option('--type <type>')
    .option('--correlation-id <id>')
    .option('--limit <n>', 'page size', '50')
    .action(async (o: ApiOpts & { status?: string; domain?: string; type?: string; correlationId?: string; limit: string }) => {
      print(await apiClient(o).listCommands({ status: o.status as never, domain: o.domain, type: o.type, correlationId: o.correlationId, limit: Number(o.limit) }));
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    if (err instanceof CadenzaApiError) {
      console.error(`Error: ${err.message}`);
      for (const e of err.problem.errors ?? []) console.error(`  ${e.field}: ${e.message}`);
      process.exit(1);
    }
    console.error(err instanceof Error ? `Error: ${err.message}` : err);
    process.exit(1);
  }
}

if (require.main === module) void main(process.argv);
