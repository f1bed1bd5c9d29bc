// The retention workflows, each started hourly by its schedule: they delete expired rows batch by
// batch until none are left; continue-as-new keeps the history short when there are many.
import { continueAsNew, proxyActivities } from '@temporalio/workflow';
import type { RetentionActivities } from '../activities/retention';

export interface RetentionInput {
  batchSize: number;
  /** Rows deleted by the earlier runs of this chain. */
  deletedBefore?: number;
}
/** The logstore's retention (src/logstore/retention.ts). */
export type LogRetentionInput = RetentionInput;

const BATCHES_PER_RUN = 200;

const { deleteExpiredLogs, deleteExpiredCommands } = proxyActivities<RetentionActivities>({ startToCloseTimeout: '5m', retry: { maximumAttempts: 5 } });

/** Runs one delete step until it reports nothing more; returns how many rows were deleted. */
async function deleteInBatches(step: (input: { batchSize: number }) => Promise<{ deleted: number; more: boolean }>, input: RetentionInput): Promise<number> {
  let deleted = input.deletedBefore ?? 0;
  for (let i = 0; i < BATCHES_PER_RUN; i++) {
    const batch = await step({ batchSize: input.batchSize });
    deleted += batch.deleted;
    if (!batch.more) return deleted;
  }
  return continueAsNew<(input: RetentionInput) => Promise<number>>({ ...input, deletedBefore: deleted });
}

/** Expired request, execution and quota logs. */
export async function logRetentionWorkflow(input: RetentionInput): Promise<number> {
  return deleteInBatches(deleteExpiredLogs, input);
}

/** Finished commands past their instance's retention, with their events (src/commands/retention.ts). */
export async function commandRetentionWorkflow(input: RetentionInput): Promise<number> {
  return deleteInBatches(deleteExpiredCommands, input);
}
