// Who polls a task queue, as Temporal sees it: Temporal keeps each poller for a few minutes
// after its last poll, with the time of that poll. A worker polls again as soon as it has a
// free slot, so a recent poll means a worker that serves the queue, idle or busy.
import { temporal as proto } from '@temporalio/proto';
import type { TemporalDeps } from '../context';

/** When a worker last polled the activity task queue (ms since the epoch), if one did in the last minutes. */
export async function lastActivityPollMs(temporal: TemporalDeps, taskQueue: string): Promise<number | undefined> {
  const { connection } = temporal.client;
  const { pollers } = await connection.workflowService.describeTaskQueue({
    namespace: temporal.namespace,
    taskQueue: { name: taskQueue, kind: proto.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: proto.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  });
  const times = (pollers ?? []).map((p) => Number(p.lastAccessTime?.seconds?.toString() ?? 0) * 1000 + Math.floor((p.lastAccessTime?.nanos ?? 0) / 1e6));
  return times.length === 0 ? undefined : Math.max(...times);
}
