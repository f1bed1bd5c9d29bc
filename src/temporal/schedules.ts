// Hourly housekeeping schedules, one per deployment (task queue), created by the first worker.
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import type { AppCtx } from '../context';

/** Creates the schedule once; a worker starting later finds it and leaves it as it is. */
export async function ensureHourlySchedule(ctx: AppCtx, scheduleId: string, workflowType: string, args: unknown[]): Promise<void> {
  const { client, taskQueue } = ctx.temporal;
  try {
    await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1h' }] },
      action: { type: 'startWorkflow', workflowType, workflowId: scheduleId, taskQueue, args },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
}
