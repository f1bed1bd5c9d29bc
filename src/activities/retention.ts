// The retention workflows' activities: one batch of deletes across every instance each.
import type { AppCtx } from '../context';
import { deleteExpiredCommands } from '../commands/retention';
import { deleteExpiredLogs, type RetentionBatch } from '../logstore/retention';

export function retentionActivities(ctx: AppCtx) {
  return {
    async deleteExpiredLogs(input: { batchSize: number }): Promise<RetentionBatch> {
      return deleteExpiredLogs(ctx.db, input.batchSize);
    },
    async deleteExpiredCommands(input: { batchSize: number }): Promise<RetentionBatch> {
      return deleteExpiredCommands(ctx.db, input.batchSize, ctx.temporal.taskQueue);
    },
  };
}

export type RetentionActivities = ReturnType<typeof retentionActivities>;
