// A Cadenza worker process: one Temporal worker on the core task queue (workflows and Cadenza's
// own activities), plus one per served domain on that domain's handler queue.
import { NativeConnection, Worker } from '@temporalio/worker';
import { handlerActivities, inlineHandlerActivities } from '../activities/commands';
import { demoHandlers } from '../commands/demo';
import { HandlerRegistry, loadHandlersDir } from '../commands/handlers';
import { handlerTaskQueue } from '../commands/model';
import type { AppCtx } from '../context';
import { ensureRetentionSchedule } from '../logstore/retention';
import { ensureCommandRetentionSchedule } from '../commands/retention';
import { connectionSettings } from '../temporal/connection';
import { installRuntime } from '../temporal/runtime';
import { logContextActivityInterceptor } from '../telemetry/log-context';
import { installTracing, workerTracingOptions } from '../telemetry/tracing';
import { createActivities } from './activities';
import { workflowBundle } from './bundle';
import { startDispatcher } from './dispatcher';
import { startEventDispatcher } from './event-dispatcher';

export interface RunningWorker {
  /** The domains whose handlers this worker serves. */
  domains: string[];
  /** Resolves when every Temporal worker has stopped. */
  done: Promise<void>;
  /** Stops polling and lets in-flight handlers finish within the grace period. */
  shutdown(): Promise<void>;
}

/** Demo handlers (when enabled) plus the handlers folder; duplicates fail here, at start. */
export function loadRegistry(ctx: AppCtx): HandlerRegistry {
  const registry = new HandlerRegistry();
  if (ctx.config.worker.demoHandlers) for (const h of demoHandlers) registry.register(h, 'built-in demo domain');
  if (ctx.config.worker.handlersDir !== undefined) loadHandlersDir(registry, ctx.config.worker.handlersDir);
  return registry;
}

export async function startWorker(ctx: AppCtx): Promise<RunningWorker> {
  ctx.metrics.coreMetricsUrl = await installRuntime(ctx.log);
  const { config } = ctx;
  const registry = loadRegistry(ctx);
  const domains = config.worker.domains ?? registry.domains();
  for (const d of domains) {
    if (!registry.domains().includes(d)) ctx.log.warn({ domain: d }, 'serving a domain with no handlers: its commands go to the troubleshooting queue as HANDLER_NOT_FOUND');
  }
  // The process's shared connection (openAppCtx withWorker) is closed by its owner, not here.
  const shared = ctx.temporal.workerConnection;
  const connection = shared ?? (await NativeConnection.connect(connectionSettings(config.temporal)));
  const shutdownGraceTime = config.worker.shutdownGraceSeconds * 1000;
  // Past the grace period a stop is forced, so a worker stuck on an unreachable PostgreSQL or
  // Temporal (local activities retrying their writes) still stops.
  const shutdownForceTime = (config.worker.shutdownGraceSeconds + 15) * 1000;
  const tracing = installTracing('cadenza-worker');
  const { sinks, activityInterceptors } = workerTracingOptions(tracing);
  const interceptors = { activity: [...activityInterceptors, logContextActivityInterceptor] };
  const core = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowBundle: await workflowBundle(tracing.enabled),
    // Inline domains' handlers run here, as local activities of the command workflows.
    activities: { ...createActivities(ctx), ...inlineHandlerActivities(ctx, registry, domains) },
    interceptors,
    sinks,
    shutdownGraceTime,
    shutdownForceTime,
  });
  const handlers = await Promise.all(
    domains.map((domain) =>
      Worker.create({
        connection,
        namespace: config.temporal.namespace,
        taskQueue: handlerTaskQueue(config.temporal.taskQueue, domain),
        activities: handlerActivities(ctx, registry),
        interceptors,
        maxConcurrentActivityTaskExecutions: config.worker.concurrency,
        shutdownGraceTime,
        shutdownForceTime,
      }),
    ),
  );
  const workers = [core, ...handlers];
  await ensureRetentionSchedule(ctx);
  await ensureCommandRetentionSchedule(ctx);
  const dispatcher = startDispatcher(ctx);
  const eventDispatcher = config.worker.eventDispatcher ? startEventDispatcher(ctx) : undefined;
  const done = Promise.all(workers.map((w) => w.run())).finally(async () => {
    await dispatcher.stop();
    await eventDispatcher?.stop();
    if (shared === undefined) await connection.close();
  });
  ctx.log.info({ domains, handlers: registry.list() }, 'handlers registered');
  return {
    domains,
    done: done.then(() => undefined),
    async shutdown() {
      await dispatcher.stop();
      await eventDispatcher?.stop();
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await done;
    },
  };
}
