// Started by the log retention schedule: deletes expired logstore rows batch by batch until
// none are left; continue-as-new keeps the history short when there are many.
import { continueAsNew, proxyActivities } from '@temporalio/workflow';
import type { LogstoreActivities } from '../activities/logstore';

export interface LogRetentionInput {
  batchSize: number;
  /** Rows deleted by the earlier runs of this chain. */
  deletedBefore?: number;
}

const BATCHES_PER_RUN = 200;

const { deleteExpiredLogs } = proxyActivities<LogstoreActivities>({ startToCloseTimeout: '5m', retry: { maximumAttempts: 5 } });

/** Returns how many rows were deleted. */
export async function logRetentionWorkflow(input: LogRetentionInput): Promise<number> {
  let deleted = input.deletedBefore ?? 0;
  for (let i = 0; i < BATCHES_PER_RUN; i++) {
    const batch = await deleteExpiredLogs({ batchSize: input.batchSize });
    deleted += batch.deleted;
    if (!batch.more) return deleted;
  }
  return continueAsNew<typeof logRetentionWorkflow>({ ...input, deletedBefore: deleted });
}
