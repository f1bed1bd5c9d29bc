// Command retention: commands that finished (COMPLETED, FAILED, CANCELED) longer ago than their
// instance's command_retention_days (90 by default) are deleted with their events, in batches,
// by an hourly schedule. The event log is append-only to every role; the deletion goes through
// one SECURITY DEFINER function (migrations/…_command_retention.sql), which keeps any event the
// event dispatcher has not delivered yet. A command id can be sent again once its command expired:
// idempotency holds for the retention period.
import type { AppCtx } from '../context';
import { SYSTEM, transaction, type Db } from '../db/db';
import { dispatcherCheckpoint } from '../eventstore/eventstore';
import { ensureHourlySchedule } from '../temporal/schedules';

export interface ExpiredBatch {
  deleted: number;
  /** Some instance had a full batch: there may be more to delete. */
  more: boolean;
}

/** Deletes up to `batchSize` expired commands per instance, and their events that the deployment's dispatcher delivered; counts both. */
export async function deleteExpiredCommands(db: Db, batchSize: number, taskQueue: string): Promise<ExpiredBatch> {
  const { rows: instances } = await transaction(db, SYSTEM, (tx) =>
    tx.query<{ id: string; days: number }>('SELECT id, command_retention_days AS days FROM instances WHERE removing_at IS NULL'),
  );
  let deleted = 0;
  let more = false;
  for (const instance of instances) {
    const { rows } = await transaction(db, SYSTEM, (tx) =>
      tx.query<{ commands: string; events: string }>('SELECT commands, events FROM cadenza_expire_commands($1, $2, $3, $4)', [
        instance.id,
        instance.days,
        batchSize,
        dispatcherCheckpoint(taskQueue),
      ]),
    );
    const commands = Number(rows[0]!.commands);
    deleted += commands + Number(rows[0]!.events);
    more ||= commands === batchSize;
  }
  return { deleted, more };
}

export const commandRetentionScheduleId = (taskQueue: string) => `command-retention:${taskQueue}`;
export const COMMAND_RETENTION_BATCH_SIZE = 1000;

export async function ensureCommandRetentionSchedule(ctx: AppCtx): Promise<void> {
  await ensureHourlySchedule(ctx, commandRetentionScheduleId(ctx.temporal.taskQueue), 'commandRetentionWorkflow', [{ batchSize: COMMAND_RETENTION_BATCH_SIZE }]);
}
