// Running executions from the API: synchronous conditions (request, response, function) wait
// for their run, bounded by the targets' timeouts; event runs are started by the event
// dispatcher.
import crypto from 'node:crypto';
import { isGrpcDeadlineError, WorkflowFailedError } from '@temporalio/client';
import type { Operation, PlannedOperation, TemporalDeps, TenantCtx } from '../context';
import { checkJsonSize, NotFoundError, TargetFailedError, UnavailableError, ValidationError } from '../errors';
import { transaction, type Tx } from '../db/db';
import { EXTERNAL_AGGREGATE_PREFIX, INTERNAL_AGGREGATE_TYPES, push } from '../eventstore/eventstore';
import { newId } from '../ids';
import { startWorkflow } from '../temporal/workflow-starts';
import { EXECUTION_RUN_LIMITS, executionWorkflowId, type ExecutionRunInput, type ExecutionWorkflow, type ExecutionRunOutcome } from '../workflows/execution-contract';
import { candidateConditions, matchExecution, matchExecutions, type MatchedExecution } from './executions';

/** Run ids of event runs derive from their workflow id, so a repeated start names the same run. */
export const eventRunId = (workflowId: string) => `run_${crypto.createHash('sha256').update(workflowId).digest('hex').slice(0, 16)}`;

function syncBoundMs(m: MatchedExecution): number {
  return m.targets.reduce((sum, t) => sum + (t.type === 'async' ? 0 : t.timeoutMs + EXECUTION_RUN_LIMITS.callOverheadMs), EXECUTION_RUN_LIMITS.marginMs);
}

/** Starts an execution run; an existing workflow of the same id is kept (idempotent). */
export async function startExecutionRun(temporal: TemporalDeps, workflowId: string, input: ExecutionRunInput): Promise<void> {
  await startWorkflow(temporal, {
    workflowType: 'executionWorkflow',
    workflowId,
    taskQueue: temporal.taskQueue,
    instanceId: input.instanceId,
    orgId: input.orgId ?? null,
    args: [input],
    summary: `execution ${input.condition}`,
  });
}

/** The function a call in the caller's org runs: the org's own function/<name>, else the instance's. */
async function matchFunction(ctx: TenantCtx, name: string): Promise<MatchedExecution | undefined> {
  const { instanceId, orgId } = ctx.tenant;
  const candidates = candidateConditions('function', name);
  return transaction(ctx.db, ctx.tenant, async (tx) => (orgId === null ? undefined : await matchExecution(tx, instanceId, orgId, candidates)) ?? matchExecution(tx, instanceId, null, candidates));
}

async function runMatched(ctx: TenantCtx, matched: MatchedExecution, body: unknown): Promise<ExecutionRunOutcome | undefined> {
  if (matched.targets.length === 0) return undefined;
  const { instanceId } = ctx.tenant;
  const runId = newId('run');
  const workflowId = executionWorkflowId(instanceId, runId, matched.executionId);
  const input: ExecutionRunInput = {
    instanceId, orgId: matched.orgId, runId, executionId: matched.executionId, condition: matched.condition, mode: 'sync', body, targets: matched.targets, retryOf: null, retryKey: null, createdBy: ctx.tenant.actor,
  };
  const bound = syncBoundMs(matched);
  await startExecutionRun(ctx.temporal, workflowId, input);
  // The bound is the caller's: a run still going when its caller gives up finishes and records its own end.
  const { connection, workflow } = ctx.temporal.client;
  try {
    return await connection.withDeadline(Date.now() + bound, () => workflow.getHandle<ExecutionWorkflow>(workflowId).result());
  } catch (err) {
    if (isGrpcDeadlineError(err)) throw new UnavailableError(`execution run ${runId} did not finish within ${bound} ms; its trace shows how it ends`);
    if (err instanceof WorkflowFailedError) throw new UnavailableError(`execution run ${runId} failed: ${err.cause?.message ?? err.message}`);
    throw err;
  }
}

function failIfInterrupted(outcome: ExecutionRunOutcome): unknown {
  if (outcome.state === 'succeeded') return outcome.body;
  const { error } = outcome;
  throw new TargetFailedError(`target '${error.target.name}' failed: ${error.message}`, { runId: outcome.runId, target: error.target, targetStatus: error.status, targetBody: error.body });
}

/** POST /v1/functions/{name}/call: runs function/<name> and returns the final body (request/ and response/CallFunction around it). */
export async function callFunction(ctx: TenantCtx, name: string, payload: unknown): Promise<{ runId: string; body: unknown }> {
  checkJsonSize(payload, 'body.payload', EXECUTION_RUN_LIMITS.bodyBytes);
  const hooks = await planHooks(ctx, 'CallFunction');
  const request = await hooks.request(ctx, { name, payload }, ['payload']);
  const matched = await matchFunction(ctx, name);
  const outcome = matched === undefined ? undefined : await runMatched(ctx, matched, request.payload);
  if (outcome === undefined) throw new NotFoundError('function', name);
  return hooks.response(ctx, { runId: outcome.runId, body: failIfInterrupted(outcome) });
}

/** The operation's hooks for a call that has no read transaction of its own to plan them in. */
const planHooks = (ctx: TenantCtx, operation: Operation): Promise<PlannedOperation> => transaction(ctx.db, ctx.tenant, (tx) => ctx.operationHooks.plan(tx, ctx, operation));

/** The request/ and response/ executions of an operation: the instance's, then the caller's org's. */
export interface MatchedHooks {
  request: MatchedExecution[];
  response: MatchedExecution[];
}

/**
 * The request/<operation> and response/<operation> executions of one of Cadenza's own API
 * operations, for a call in `orgId` (null: at instance level), matched once per call in the
 * caller's transaction: one query when none could match (the common case).
 */
export async function matchOperationHooks(tx: Tx, instanceId: string, orgId: string | null, operation: Operation): Promise<MatchedHooks> {
  const request = candidateConditions('request', operation);
  const response = candidateConditions('response', operation);
  const { rowCount } = await tx.query("SELECT 1 FROM executions WHERE instance_id = $1 AND org_key IN ('', $2) AND condition = ANY($3) LIMIT 1", [
    instanceId,
    orgId ?? '',
    [...request, ...response],
  ]);
  if (rowCount === 0) return { request: [], response: [] };
  return { request: await matchExecutions(tx, instanceId, orgId, request), response: await matchExecutions(tx, instanceId, orgId, response) };
}

/**
 * Runs a hook's executions in order: call targets may rewrite the body, each seeing the last
 * one's; a failing target with interruptOnError vetoes it (TargetFailedError, 424).
 */
export async function applyHook<B>(ctx: TenantCtx, matched: MatchedExecution[], body: B): Promise<B> {
  let out = body;
  for (const m of matched) {
    const outcome = await runMatched(ctx, m, out);
    if (outcome !== undefined) out = failIfInterrupted(outcome) as B;
  }
  return out;
}

/**
 * External events may not pass for Cadenza's own: their aggregate type and the first part of
 * their type must not be an internal aggregate type (a 422 naming the field).
 */
function checkExternalEvent(input: { type: string; aggregateType: string }): void {
  if (INTERNAL_AGGREGATE_TYPES.includes(input.aggregateType) || input.aggregateType.startsWith(EXTERNAL_AGGREGATE_PREFIX)) {
    throw ValidationError.field('body.aggregateType', `'${input.aggregateType}' is reserved for Cadenza's own events`);
  }
  const group = input.type.split('.')[0]!;
  if (INTERNAL_AGGREGATE_TYPES.includes(group)) throw ValidationError.field('body.type', `types starting with '${group}.' are reserved for Cadenza's own events`);
}

/**
 * Ingests an external event: stored under `external.<aggregateType>` in the caller's org and
 * delivered by the event dispatcher (request/ and response/PushEvent around it).
 */
export async function pushExternalEvent(ctx: TenantCtx, input: { type: string; aggregateType: string; aggregateId: string; payload: Record<string, unknown> }): Promise<{ eventId: string; position: string }> {
  checkJsonSize(input.payload, 'body.payload', EXECUTION_RUN_LIMITS.bodyBytes);
  checkExternalEvent(input);
  const hooks = await planHooks(ctx, 'PushEvent');
  const { payload } = await hooks.request<{ payload: unknown }>(ctx, input, ['payload']);
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw ValidationError.field('body.payload', 'a request/PushEvent target returned a payload that is not an object');
  checkJsonSize(payload, 'body.payload', EXECUTION_RUN_LIMITS.bodyBytes);
  const eventId = newId('evt');
  const aggregateType = EXTERNAL_AGGREGATE_PREFIX + input.aggregateType;
  const [stored] = await transaction(ctx.db, ctx.tenant, (tx) =>
    push(tx, ctx.tenant.instanceId, ctx.tenant.actor, [{ aggregateType, aggregateId: input.aggregateId, type: input.type, payload, eventId, orgId: ctx.tenant.orgId }]),
  );
  return hooks.response(ctx, { eventId, position: stored!.position });
}
