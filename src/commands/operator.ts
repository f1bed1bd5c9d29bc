// Operator actions on the troubleshooting queue. Each is a workflow update, so the answer is
// synchronous and the workflow serialises concurrent operators; its validator refuses a command
// that is not in the queue (409).
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Operation, TenantCtx } from '../context';
import { transaction } from '../db/db';
import { ConflictError } from '../errors';
import { bulkRetryProgressQuery, cancelUpdate, completeUpdate, retryUpdate } from './messages';
import { newId } from '../ids';
import { NotFoundError } from '../errors';
import { CadenzaOrg } from '../temporal/search-attributes';
import { startWorkflow } from '../temporal/workflow-starts';
import { bulkRetryWorkflowId, commandWorkflowId, type BulkRetryInput, type BulkRetryProgress, type CommandSnapshot, type OperatorInput } from './model';
import { findCommandRow, findCommandRowIn, listTroubleshooting, toCommand, type TroubleshootingFilter } from './queries';
import type { CommandView } from './view';

export type OperatorAction = 'retry' | 'cancel' | 'complete';

const UPDATES = { retry: retryUpdate, cancel: cancelUpdate, complete: completeUpdate } as const;
const OPERATIONS: Record<OperatorAction, Operation> = { retry: 'RetryCommand', cancel: 'CancelCommand', complete: 'CompleteCommand' };

export async function operate(
  ctx: TenantCtx,
  action: OperatorAction,
  domain: string,
  commandId: string,
  input: { reason?: string; result?: unknown },
): Promise<CommandView> {
  const { row, hooks } = await transaction(ctx.db, ctx.tenant, async (tx) => ({
    row: await findCommandRowIn(tx, ctx.tenant, domain, commandId),
    hooks: await ctx.operationHooks.plan(tx, ctx, OPERATIONS[action]),
  }));
  // The request/ targets may veto an operator's action; they change nothing of it.
  await hooks.request(ctx, { domain, commandId, type: row.type, status: row.status, tsqReason: row.tsq_reason, ...input, operator: ctx.tenant.actor }, []);
  const handle = ctx.temporal.client.workflow.getHandle(commandWorkflowId(ctx.tenant.instanceId, domain, commandId, row.org_id));
  try {
    await handle.executeUpdate<CommandSnapshot, [OperatorInput]>(UPDATES[action], {
      args: [{ ...input, operator: ctx.tenant.actor }],
    });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const cause = err.cause as Error | undefined;
      throw new ConflictError(`cannot ${action} ${domain}/${commandId}: ${cause?.message ?? err.message}`, { commandStatus: row.status });
    }
    // A finished workflow accepts no updates (the server answers NOT_FOUND, "already completed"): the command left the queue long ago.
    if (err instanceof WorkflowNotFoundError) {
      throw new ConflictError(`cannot ${action} ${domain}/${commandId}: it is ${row.status}, not in the troubleshooting queue`, { commandStatus: row.status });
    }
    throw err;
  }
  return hooks.response(ctx, toCommand(await findCommandRow({ ...ctx, tenant: { ...ctx.tenant, orgId: row.org_id } }, domain, commandId)));
}

type BulkRetryPage = { matched: number; retried: number; failed: BulkRetryProgress['failed']; nextCursor: string | null };

/** Retries one page of a bulk retry (the selected entries, or the queue entries matching the filter), a few at a time; the bulk retry workflow's step. */
export async function retryPage(ctx: TenantCtx, input: Omit<BulkRetryInput, 'instanceId' | 'orgId' | 'operator'> & { cursor: string | null }): Promise<BulkRetryPage> {
  const { entries, nextCursor } = input.commands !== undefined ? selectionPage(input.commands, input.cursor, input.limit) : await filterPage(ctx, input);
  const out: BulkRetryPage = { matched: entries.length, retried: 0, failed: [], nextCursor };
  const queue = [...entries];
  const worker = async () => {
    for (let c = queue.shift(); c !== undefined; c = queue.shift()) {
      try {
        await operate(ctx, 'retry', c.domain, c.commandId, { reason: input.reason });
        out.retried += 1;
      } catch (err) {
        out.failed.push({ domain: c.domain, commandId: c.commandId, error: (err as Error).message });
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return out;
}

type Entries = { entries: { domain: string; commandId: string }[]; nextCursor: string | null };

// A selection pages by offset; the cursor is the index of the next entry.
function selectionPage(commands: { domain: string; commandId: string }[], cursor: string | null, limit: number): Entries {
  const from = cursor === null ? 0 : Number(cursor);
  const to = from + limit;
  return { entries: commands.slice(from, to), nextCursor: to < commands.length ? String(to) : null };
}

async function filterPage(ctx: TenantCtx, f: TroubleshootingFilter & { limit: number; cursor: string | null }): Promise<Entries> {
  const page = await listTroubleshooting(ctx, { domain: f.domain, type: f.type, tsqReason: f.tsqReason, limit: f.limit, cursor: f.cursor ?? undefined });
  return { entries: page.items, nextCursor: page.nextCursor };
}

export interface BulkRetryView extends BulkRetryProgress {
  id: string;
}

export type BulkRetryRequest = Omit<BulkRetryInput, 'instanceId' | 'orgId' | 'operator'>;

/** Starts a bulk retry of the selected entries, or of every queue entry matching the filter (up to `limit`); poll its progress. */
export async function startBulkRetry(ctx: TenantCtx, request: BulkRetryRequest): Promise<BulkRetryView> {
  const id = newId('bulk');
  const f: BulkRetryRequest = request.commands !== undefined ? { commands: request.commands, reason: request.reason, limit: request.commands.length } : request;
  const hooks = await transaction(ctx.db, ctx.tenant, (tx) => ctx.operationHooks.plan(tx, ctx, 'BulkRetryCommands'));
  // The request/ targets may veto a bulk retry; each entry it retries then runs the RetryCommand hooks.
  await hooks.request(ctx, { ...f, operator: ctx.tenant.actor }, []);
  const input: BulkRetryInput = { instanceId: ctx.tenant.instanceId, orgId: ctx.tenant.orgId, operator: ctx.tenant.actor, ...f };
  await startWorkflow(ctx.temporal, {
    workflowType: 'bulkRetryWorkflow',
    workflowId: bulkRetryWorkflowId(ctx.tenant.instanceId, id),
    taskQueue: ctx.temporal.taskQueue,
    instanceId: ctx.tenant.instanceId,
    orgId: ctx.tenant.orgId,
    args: [input],
    summary: f.commands !== undefined ? `bulk retry of ${f.commands.length} selected` : `bulk retry ${f.domain ?? 'all domains'}${f.type ? `/${f.type}` : ''}`,
  });
  return hooks.response(ctx, { id, filter: { domain: f.domain ?? null, type: f.type ?? null }, state: 'RUNNING', matched: 0, retried: 0, failedCount: 0, failed: [] });
}

export async function getBulkRetry(ctx: TenantCtx, id: string): Promise<BulkRetryView> {
  const handle = ctx.temporal.client.workflow.getHandle(bulkRetryWorkflowId(ctx.tenant.instanceId, id));
  try {
    const description = await handle.describe();
    const progress = description.status.name === 'COMPLETED' ? ((await handle.result()) as BulkRetryProgress) : await handle.query(bulkRetryProgressQuery);
    const org = description.typedSearchAttributes.get(CadenzaOrg) ?? null;
    if (ctx.tenant.orgId !== null && org !== ctx.tenant.orgId) throw new NotFoundError('bulk retry', id);
    return { id, ...progress };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new NotFoundError('bulk retry', id);
    throw err;
  }
}
