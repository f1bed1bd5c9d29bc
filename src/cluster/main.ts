// `make cluster`: the production topology on this machine (see cluster.ts), on the ports of
// CADENZA_API_PORT (and the next one), CADENZA_PG_PORT and CADENZA_TEMPORAL_PORT (and the next
// eight), in <CADENZA_DATA_DIR>/cluster. `--tls` turns on mTLS to Temporal. Ctrl-C stops it all.
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config/config';
import { startCluster, type Cluster } from './cluster';

function banner(cluster: Cluster, envFile: string): string {
  const processes = [...cluster.processes.values()].sort((a, b) => a.spec.name.localeCompare(b.spec.name));
  const apis = processes.filter((p) => p.url !== undefined);
  const workers = processes.filter((p) => p.url === undefined);
  return [
    '',
    'The Cadenza cluster is running.',
    ...apis.map((p) => `  ${p.spec.name.padEnd(16)}  ${p.url}   (docs: ${p.url}/docs)`),
    ...workers.map((p) => `  ${p.spec.name.padEnd(16)}  cadenza ${p.spec.args.join(' ')}`),
    `  Temporal server   ${cluster.temporalAddress}   (PostgreSQL persistence and visibility${cluster.certificates ? ', mTLS' : ''})`,
    `  Admin key         ${cluster.adminKey}`,
    `  Logs              ${path.join(cluster.dataDir, 'logs')}`,
    `  Settings          ${envFile}   (for more workers and the CLI)`,
    `  temporal CLI      temporal workflow list ${cluster.temporalCliArgs.join(' ')}`,
    '',
    'Press Ctrl-C to stop.',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const config = loadConfig(process.env, 'start');
  const cluster = await startCluster({
    dataDir: path.join(config.dataDir, 'cluster'),
    apiPorts: [config.api.port, config.api.port + 1],
    pgPort: config.database.embeddedPort,
    databaseUrl: config.database.url,
    databaseOwnerUrl: config.database.ownerUrl,
    temporalPort: config.temporal.embeddedPort,
    tls: process.argv.includes('--tls'),
  });
  const envFile = path.join(cluster.dataDir, 'cluster.env');
  // With the owner's URL, so `cadenza migrate` can run from it too.
  fs.writeFileSync(envFile, `${Object.entries({ ...cluster.env, DATABASE_OWNER_URL: cluster.ownerUrl }).map(([k, v]) => `${k}=${v}`).join('\n')}\n`, { mode: 0o600 });
  process.stdout.write(banner(cluster, envFile));
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nStopping the cluster…\n');
    cluster.stop().then(() => process.exit(0), (err: unknown) => {
      console.error(err);
      process.exit(1);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
