// The embedded Temporal: `temporal server start-dev` with a persistent SQLite file in WAL mode,
// the Web UI, and Cadenza's search attributes registered.
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { devServerSearchAttributeArgs } from '../temporal/search-attribute-registration';
import { spawnChild, waitForPort, type Child } from './process';

export interface DevServerOptions {
  binary: string;
  /** SQLite file; undefined keeps history in memory (tests). */
  dbFile: string | undefined;
  port: number;
  /** undefined runs headless. */
  uiPort: number | undefined;
  namespace: string;
  logLevel?: string;
}

export interface DevServer {
  address: string;
  child: Child;
  stop(): Promise<void>;
}

/** SQLite settings shared by `cadenza start` and `make bench`: WAL lets readers and the writer overlap. */
export const SQLITE_PRAGMAS = ['journal_mode=wal', 'synchronous=normal', 'busy_timeout=10000'];

export function devServerArgs(o: DevServerOptions): string[] {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(o.port), '--namespace', o.namespace];
  args.push('--log-level', o.logLevel ?? 'warn', '--log-format', 'json');
  if (o.dbFile !== undefined) {
    args.push('--db-filename', o.dbFile);
    for (const p of SQLITE_PRAGMAS) args.push('--sqlite-pragma', p);
  }
  if (o.uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(o.uiPort));
  args.push(...devServerSearchAttributeArgs());
  args.push('--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true');
  args.push('--dynamic-config-value', 'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true');
  args.push('--dynamic-config-value', 'frontend.enableExecuteMultiOperation=true');
  args.push('--dynamic-config-value', 'system.enableEagerWorkflowStart=true');
  // The dev server re-reads the search-attribute registry from SQLite on every validation unless
  // this is set; ours are registered at boot (above), so the server's cache can serve them.
  args.push('--dynamic-config-value', 'system.forceSearchAttributesCacheRefreshOnRead=false');
  return args;
}

export async function startDevServer(o: DevServerOptions): Promise<DevServer> {
  let output = '';
  const child = spawnChild('temporal', o.binary, devServerArgs(o), {
    cwd: o.dbFile ? path.dirname(o.dbFile) : undefined,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.process.stdout?.on('data', keep);
  child.process.stderr?.on('data', keep);
  const address = `127.0.0.1:${o.port}`;
  try {
    await waitForPort('127.0.0.1', o.port, 60_000, () =>
      child.hasExited() ? `the Temporal dev server exited during start:\n${output}` : undefined,
    );
    await waitForNamespace(address, o.namespace);
    if (o.uiPort !== undefined) await waitForPort('127.0.0.1', o.uiPort, 30_000);
  } catch (err) {
    child.kill(); // a start that failed leaves nothing running (the next try needs the port)
    throw err;
  }
  return { address, child, stop: () => child.stop('SIGTERM', 15_000) };
}

async function waitForNamespace(address: string, namespace: string): Promise<void> {
  const connection = await Connection.connect({ address, connectTimeout: 10_000 });
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        // Bounded: a server that accepts and never answers must not hold the start (or a restart).
        await connection.withDeadline(Date.now() + 5_000, () => connection.workflowService.describeNamespace({ namespace }));
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } finally {
    await connection.close();
  }
}
