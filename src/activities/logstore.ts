// The log retention workflow's one activity: one batch of deletes across every instance.
import type { AppCtx } from '../context';
import { deleteExpiredLogs, type RetentionBatch } from '../logstore/retention';

export function logstoreActivities(ctx: AppCtx) {
  return {
    async deleteExpiredLogs(input: { batchSize: number }): Promise<RetentionBatch> {
      return deleteExpiredLogs(ctx.db, input.batchSize);
    },
  };
}

export type LogstoreActivities = ReturnType<typeof logstoreActivities>;
