// Log retention: rows older than their instance's log_retention_days (30 by default) are deleted
// in batches, so no delete holds long locks or a long transaction. The current month's quota
// rows stay whatever the retention, because the month's usage is summed from them.
import type { AppCtx } from '../context';
import { SYSTEM, transaction, type Db } from '../db/db';
import { ensureHourlySchedule } from '../temporal/schedules';

const DEFAULT_RETENTION_DAYS = 30;

const CUTOFF = `now() - make_interval(days => $2)`;
const TABLES = [
  { table: 'requests', cutoff: CUTOFF },
  { table: 'execution_logs', cutoff: CUTOFF },
  { table: 'quota_logs', cutoff: `LEAST(${CUTOFF}, date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')` },
] as const;

export interface RetentionBatch {
  deleted: number;
  /** Some table had a full batch: there may be more to delete. */
  more: boolean;
}

/** Deletes up to `batchSize` expired rows per instance and table (and of requests without an instance). */
export async function deleteExpiredLogs(db: Db, batchSize: number): Promise<RetentionBatch> {
  const { rows: instances } = await transaction(db, SYSTEM, (tx) =>
    tx.query<{ id: string | null; days: number }>(`SELECT id, log_retention_days AS days FROM instances UNION ALL SELECT NULL, $1`, [DEFAULT_RETENTION_DAYS]),
  );
  let deleted = 0;
  let more = false;
  for (const instance of instances) {
    for (const { table, cutoff } of TABLES) {
      if (instance.id === null && table !== 'requests') continue;
      // Two spellings, so that each can use the (instance_id, created_at) index.
      const owner = instance.id === null ? 'instance_id IS NULL AND $1::text IS NULL' : 'instance_id = $1';
      const { rowCount } = await transaction(db, SYSTEM, (tx) =>
        tx.query(
          `DELETE FROM logstore.${table} WHERE id IN (
             SELECT id FROM logstore.${table} WHERE ${owner} AND created_at < ${cutoff} LIMIT $3)`,
          [instance.id, instance.days, batchSize],
        ),
      );
      deleted += rowCount ?? 0;
      more ||= (rowCount ?? 0) === batchSize;
    }
  }
  return { deleted, more };
}

/** The hourly schedule of each deployment (task queue) that runs the log retention workflow. */
export const retentionScheduleId = (taskQueue: string) => `logstore-retention:${taskQueue}`;
export const RETENTION_BATCH_SIZE = 5000;

export async function ensureRetentionSchedule(ctx: AppCtx): Promise<void> {
  await ensureHourlySchedule(ctx, retentionScheduleId(ctx.temporal.taskQueue), 'logRetentionWorkflow', [{ batchSize: RETENTION_BATCH_SIZE }]);
}
