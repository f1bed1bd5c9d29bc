// Operator actions on the troubleshooting queue. Each is a workflow update, so the answer is
// synchronous and the workflow serialises concurrent operators; its validator refuses a command
// that is not in the queue (409).
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { TenantCtx } from '../context';
import { ConflictError } from '../errors';
import { cancelUpdate, completeUpdate, retryUpdate } from './messages';
import { commandWorkflowId, type CommandSnapshot, type OperatorInput } from './model';
import { findCommandRow, getCommand, listTroubleshooting, type CommandView } from './queries';

export type OperatorAction = 'retry' | 'cancel' | 'complete';

const UPDATES = { retry: retryUpdate, cancel: cancelUpdate, complete: completeUpdate } as const;

export async function operate(
  ctx: TenantCtx,
  action: OperatorAction,
  domain: string,
  commandId: string,
  input: { reason?: string; result?: unknown },
): Promise<CommandView> {
  const row = await findCommandRow(ctx, domain, commandId);
  const handle = ctx.temporal.client.workflow.getHandle(commandWorkflowId(ctx.tenant.instanceId, domain, commandId));
  try {
    await handle.executeUpdate<CommandSnapshot, [OperatorInput]>(UPDATES[action], {
      args: [{ ...input, operator: ctx.tenant.actor }],
    });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const cause = err.cause as Error | undefined;
      throw new ConflictError(`cannot ${action} ${domain}/${commandId}: ${cause?.message ?? err.message}`, { commandStatus: row.status });
    }
    // A finished workflow accepts no updates: the command left the queue long ago.
    if (err instanceof WorkflowNotFoundError || /already completed/i.test(String((err as Error).message))) {
      throw new ConflictError(`cannot ${action} ${domain}/${commandId}: it is ${row.status}, not in the troubleshooting queue`, { commandStatus: row.status });
    }
    throw err;
  }
  return getCommand(ctx, domain, commandId);
}

export interface BulkRetryReport {
  matched: number;
  retried: number;
  failed: { domain: string; commandId: string; error: string }[];
  /** Present when more entries matched than `limit`: call again to continue. */
  remaining: boolean;
}

/** Retries up to `limit` queue entries matching the filter, a few at a time, and reports the outcome. */
export async function bulkRetry(ctx: TenantCtx, f: { domain?: string; type?: string; reason?: string; limit: number }): Promise<BulkRetryReport> {
  const page = await listTroubleshooting(ctx, { domain: f.domain, type: f.type, limit: f.limit });
  const report: BulkRetryReport = { matched: page.items.length, retried: 0, failed: [], remaining: page.nextCursor !== null };
  const queue = [...page.items];
  const worker = async () => {
    for (let c = queue.shift(); c !== undefined; c = queue.shift()) {
      try {
        await operate(ctx, 'retry', c.domain, c.commandId, { reason: f.reason });
        report.retried += 1;
      } catch (err) {
        report.failed.push({ domain: c.domain, commandId: c.commandId, error: (err as Error).message });
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return report;
}
