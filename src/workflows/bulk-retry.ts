// Bulk retry of the troubleshooting queue: a workflow, so a large retry survives restarts and
// reports its progress (query `progress`) while it works through the queue a page at a time.
import { proxyActivities, setHandler } from '@temporalio/workflow';
import type { coreCommandActivities } from '../activities/commands';
import { bulkRetryProgressQuery } from '../commands/messages';
import type { BulkRetryInput, BulkRetryProgress } from '../commands/model';

const { retryTroubleshootingPage } = proxyActivities<ReturnType<typeof coreCommandActivities>>({
  startToCloseTimeout: '5m',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 5 },
});

const PAGE = 100;
const KEPT_FAILURES = 100;

export async function bulkRetryWorkflow(input: BulkRetryInput): Promise<BulkRetryProgress> {
  const filter = { domain: input.domain ?? null, type: input.type ?? null };
  const progress: BulkRetryProgress = { state: 'RUNNING', filter, matched: 0, retried: 0, failedCount: 0, failed: [] };
  setHandler(bulkRetryProgressQuery, () => progress);
  let cursor: string | null = null;
  do {
    const page: Awaited<ReturnType<typeof retryTroubleshootingPage>> = await retryTroubleshootingPage({ ...input, cursor, limit: Math.min(PAGE, input.limit - progress.matched) });
    progress.matched += page.matched;
    progress.retried += page.retried;
    progress.failedCount += page.failed.length;
    progress.failed.push(...page.failed.slice(0, KEPT_FAILURES - progress.failed.length));
    cursor = page.nextCursor;
  } while (cursor !== null && progress.matched < input.limit);
  progress.state = 'COMPLETED';
  return progress;
}
