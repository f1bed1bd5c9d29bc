// A Cadenza worker process: one Temporal worker on the core task queue (workflows and Cadenza's
// own activities), plus one per served domain on that domain's handler queue.
import { NativeConnection, Worker } from '@temporalio/worker';
import type { AppCtx } from '../context';
import { connectionSettings } from '../temporal/connection';
import { installRuntime } from '../temporal/runtime';
import { createActivities } from './activities';
import { workflowBundle } from './bundle';

export interface WorkerOptions {
  /** Temporal address override (embedded mode knows it only at start). */
  address?: string;
}

export interface RunningWorker {
  /** Resolves when every Temporal worker has stopped. */
  done: Promise<void>;
  /** Stops polling and lets in-flight activities finish within the grace period. */
  shutdown(): Promise<void>;
}

export async function startWorker(ctx: AppCtx, options: WorkerOptions = {}): Promise<RunningWorker> {
  installRuntime(ctx.log);
  const { config } = ctx;
  const connection = await NativeConnection.connect(connectionSettings(config.temporal, options.address));
  const core = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities(ctx),
    shutdownGraceTime: `${config.worker.shutdownGraceSeconds}s`,
  });
  const workers = [core];
  const done = Promise.all(workers.map((w) => w.run())).then(() => connection.close());
  return {
    done,
    async shutdown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await done;
    },
  };
}
