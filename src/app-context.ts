import type { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from './config/config';
import type { AppCtx } from './context';
import { createDb } from './db/db';
import { loadNodeRegistry } from './dsl/plugins';
import { appRoleGuard, UnsafeRoleError } from './db/roles';
import type { Logger } from './log';
import { connectClient, connectionSettings, newClient } from './temporal/connection';
import { Metrics } from './metrics/metrics';
import { installTracing } from './telemetry/tracing';
import { startMetricsServer } from './metrics/server';
import { installRuntime } from './temporal/runtime';
import { Sandbox } from './sandbox/sandbox';
import { preSendActions } from './flows/command-hooks';
import { operationExecutions, sendCommandExecutions } from './targets/command-hooks';

export interface OpenedCtx extends AppCtx {
  close(): Promise<void>;
}

/**
 * Opens the database pool and the Temporal client a process needs. `withWorker`: this process
 * also runs a worker, which will share the client's connection (see TemporalDeps.workerConnection).
 */
export async function openAppCtx(config: Config, log: Logger, role: string, options: { withWorker?: boolean } = {}): Promise<OpenedCtx> {
  if (config.database.url === undefined) throw new Error('no database URL: set DATABASE_URL or use `cadenza start`');
  // Workflow node plugins load first, so a bad one stops the process at start (PluginLoadError).
  const nodes = loadNodeRegistry(config.workflows.pluginsDir);
  const db = createDb(config.database.url, config.database.poolMax, `cadenza-${role}`, appRoleGuard());
  try {
    await db.query('SELECT 1');
  } catch (err) {
    if (err instanceof UnsafeRoleError) {
      await db.end();
      throw err;
    }
    // The process starts while PostgreSQL is away (it answers 503 until then); the first connection checks the role.
    log.warn({ err }, 'PostgreSQL is unreachable at start');
  }
  const tracing = installTracing(`cadenza-${role}`);
  const metrics = new Metrics();
  let workerConnection: NativeConnection | undefined;
  let client: Client;
  if (options.withWorker) {
    metrics.coreMetricsUrl = await installRuntime(log);
    workerConnection = await NativeConnection.connect(connectionSettings(config.temporal));
    client = newClient(workerConnection, config.temporal.namespace);
  } else {
    client = await connectClient(config.temporal);
  }
  // The metrics listener (CADENZA_METRICS_PORT) lives as long as the process's context.
  const metricsServer = await startMetricsServer(metrics, config.metrics, log);
  return {
    config,
    db,
    log,
    metrics,
    // The command bus's hooks, in order: preSend actions, then request/SendCommand targets.
    sendHooks: [preSendActions, sendCommandExecutions],
    nodes,
    sandbox: new Sandbox(),
    operationHooks: operationExecutions,
    temporal: { client, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue, workerConnection },
    async close() {
      await metricsServer?.close();
      await tracing.processor.forceFlush();
      await client.connection.close();
      await db.end();
    },
  };
}
