// Flow runs: `runFlowTrigger` plans the active actions of a trigger (instance first, then org),
// records the run, and runs it as the workflow `flow:<instance>:<runId>`, one activity per
// action. The run and its steps are projections of run.started, run.step_recorded,
// run.succeeded and run.failed; script log lines go to logstore.execution_logs.
import { isGrpcDeadlineError, WorkflowFailedError } from '@temporalio/client';
import type { TenantCtx } from '../context';
import { CadenzaError, checkJsonSize, NotFoundError, UnavailableError } from '../errors';
import { transaction, type Tx } from '../db/db';
import { push } from '../eventstore/eventstore';
import { newId } from '../ids';
import { decodeCursor, TIME_ID, toPage, type Page } from '../pagination';
import { recordWorkflowStart, startRecorded, type WorkflowStart } from '../temporal/workflow-starts';
import { FLOW_RUN_LIMITS, flowWorkflowId, type FlowRunInput, type FlowRunOutcome, type FlowRunWorkflow } from '../workflows/flow-run-contract';
import { checkTrigger } from './catalogue';
import { planRunSteps, type RunStepPlan } from './flows';
import { checkQuota } from './quota';
import { recordRunEnded } from './run-records';

export interface RunStep {
  position: number;
  actionId: string;
  actionName: string;
  actionVersion: number;
  owner: 'instance' | 'org';
  allowedToFail: boolean;
  state: 'succeeded' | 'failed';
  startedAt: string;
  endedAt: string;
  durationMs: number;
  error: { kind: string; message: string; line?: number } | null;
  logs: { level: string; message: string; at: string }[];
  logsTruncated: boolean;
}

export interface FlowRunResult {
  /** Null when the trigger has no active action: nothing ran and nothing was recorded. */
  runId: string | null;
  context: Record<string, unknown>;
  steps: RunStep[];
}

export interface Run {
  id: string;
  kind: string;
  orgId: string | null;
  flowType: string;
  triggerType: string;
  state: 'running' | 'succeeded' | 'failed';
  workflowId: string;
  contextIn: Record<string, unknown>;
  contextOut: Record<string, unknown> | null;
  error: Record<string, unknown> | null;
  startedAt: string;
  endedAt: string | null;
  createdBy: string;
  /** The run this one retries, for runs started by POST /v1/runs/{id}/retry. */
  retryOf: string | null;
}

/** One target call attempt of an execution run. */
export interface RunCall {
  position: number;
  attempt: number;
  targetId: string;
  targetName: string;
  targetType: string;
  state: 'succeeded' | 'failed';
  statusCode: number | null;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  error: string | null;
  /** Previews of the body sent and the body answered (null when the call got no answer). */
  request: unknown;
  response: unknown;
}

/** A run stopped by an action that was not allowed to fail; the caller sees which and why. */
export class FlowRunFailedError extends CadenzaError {
  constructor(readonly runId: string, readonly step: RunStep) {
    super(
      'validation',
      `action '${step.actionName}' (version ${step.actionVersion}) failed: ${step.error?.message ?? 'unknown error'}`,
      [{ field: `actions.${step.actionName}`, message: step.error?.message ?? 'failed' }],
      { runId, action: { id: step.actionId, name: step.actionName, version: step.actionVersion }, reason: step.error },
    );
  }
}

/** The run's upper bound: every action's timeout plus the documented overheads. */
export function runBoundMs(steps: RunStepPlan[]): number {
  return steps.reduce((sum, s) => sum + s.timeoutMs + FLOW_RUN_LIMITS.stepOverheadMs, FLOW_RUN_LIMITS.marginMs);
}

export interface FlowTriggerInput {
  flowType: string;
  trigger: string;
  context: Record<string, unknown>;
  /** The org whose actions run after the instance's; the caller's org by default, null for instance actions only. */
  orgId?: string | null;
  /** The steps, when the caller planned them already (planRunSteps in its own transaction, for this org). */
  steps?: RunStepPlan[];
}

interface PreparedRun {
  runId: string;
  input: FlowRunInput;
  boundMs: number;
  start: WorkflowStart;
}

/** Checks the input and the quota, plans the steps and records the run; undefined when nothing would run. */
async function prepareRun(ctx: TenantCtx, input: FlowTriggerInput): Promise<PreparedRun | undefined> {
  checkTrigger(input.flowType, input.trigger);
  checkJsonSize(input.context, 'body.context', FLOW_RUN_LIMITS.contextBytes);
  const orgId = input.orgId === undefined ? ctx.tenant.orgId : input.orgId;
  const steps = input.steps ?? (await transaction(ctx.db, ctx.tenant, (tx) => planRunSteps(tx, ctx.tenant.instanceId, orgId, input.flowType, input.trigger)));
  if (steps.length === 0) return undefined;
  await checkQuota(ctx);

  const runId = newId('run');
  const workflowId = flowWorkflowId(ctx.tenant.instanceId, runId);
  const wfInput: FlowRunInput = { instanceId: ctx.tenant.instanceId, orgId, runId, flowType: input.flowType, trigger: input.trigger, context: input.context, steps };
  const start: WorkflowStart = {
    workflowType: 'flowRunWorkflow',
    workflowId,
    taskQueue: ctx.temporal.taskQueue,
    instanceId: ctx.tenant.instanceId,
    orgId,
    args: [wfInput],
    summary: `flow ${input.flowType}/${input.trigger}`,
  };
  // The run and its start commit together: if this process dies before the start, the dispatcher makes it.
  await transaction(ctx.db, ctx.tenant, async (tx) => {
    await recordRunStarted(tx, ctx, { runId, workflowId, orgId, flowType: input.flowType, trigger: input.trigger, context: input.context });
    await recordWorkflowStart(tx, start);
  });
  return { runId, input: wfInput, boundMs: runBoundMs(steps), start };
}

/**
 * Runs the active actions of one trigger synchronously and returns the resulting context.
 * For the command bus: `runFlowTrigger(ctx, { flowType: 'command', trigger: 'preSend', context })`.
 * Throws ValidationError (unknown flow or trigger, context too large), QuotaExceededError,
 * FlowRunFailedError (an action that may not fail failed) or UnavailableError.
 */
export async function runFlowTrigger(ctx: TenantCtx, input: FlowTriggerInput): Promise<FlowRunResult> {
  const run = await prepareRun(ctx, input);
  if (run === undefined) return { runId: null, context: input.context, steps: [] };
  const outcome = await executeFlowWorkflow(ctx, run);
  const steps = await transaction(ctx.db, ctx.tenant, (tx) => readSteps(tx, ctx.tenant.instanceId, run.runId));
  if (outcome.state === 'failed') {
    const failed = steps.find((s) => s.position === outcome.failedPosition);
    if (failed !== undefined) throw new FlowRunFailedError(run.runId, failed);
    throw new UnavailableError(`flow run ${run.runId} failed: ${outcome.error ?? 'unknown error'}`);
  }
  return { runId: run.runId, context: outcome.context, steps };
}

/**
 * Starts the run and returns without waiting: for triggers that must never block their caller
 * (the command flow's postCompletion and postTroubleshooting). The trace is at GET /v1/runs/{runId}.
 */
export async function startFlowTrigger(ctx: TenantCtx, input: FlowTriggerInput): Promise<{ runId: string | null }> {
  const run = await prepareRun(ctx, input);
  if (run === undefined) return { runId: null };
  await startRecorded(ctx, run.start);
  return { runId: run.runId };
}

/**
 * Starts the run and waits for it up to its bound. The bound is the caller's, not the run's: a
 * run still going when its caller gives up (Temporal or PostgreSQL slow or away) finishes and
 * records its own end, so its row never contradicts its workflow.
 */
async function executeFlowWorkflow(ctx: TenantCtx, run: PreparedRun): Promise<FlowRunOutcome> {
  const { runId } = run.input;
  if (!(await startRecorded(ctx, run.start))) throw new UnavailableError(`flow run ${runId} could not be started yet (Temporal is unreachable); it will run once Temporal is back`);
  const { connection, workflow } = ctx.temporal.client;
  try {
    return await connection.withDeadline(Date.now() + run.boundMs, () => workflow.getHandle<FlowRunWorkflow>(run.start.workflowId).result());
  } catch (err) {
    if (isGrpcDeadlineError(err)) throw new UnavailableError(`flow run ${runId} did not finish within ${run.boundMs} ms; its trace shows how it ends`);
    if (err instanceof WorkflowFailedError) {
      // The workflow itself failed (not an action): it never reached its own end record.
      const { instanceId, orgId } = run.input;
      await recordRunEnded(ctx.db, { instanceId, orgId, runId, state: 'failed', context: null, error: { message: err.cause?.message ?? err.message } });
      throw new UnavailableError(`flow run ${runId} failed: ${err.cause?.message ?? err.message}`);
    }
    throw err;
  }
}

async function recordRunStarted(
  tx: Tx,
  ctx: TenantCtx,
  r: { runId: string; workflowId: string; orgId: string | null; flowType: string; trigger: string; context: Record<string, unknown> },
): Promise<void> {
  await push(tx, ctx.tenant.instanceId, ctx.tenant.actor, [
    {
      aggregateType: 'run',
      aggregateId: r.runId,
      orgId: r.orgId,
      type: 'run.started',
      payload: { kind: 'flow', flowType: r.flowType, triggerType: r.trigger, workflowId: r.workflowId },
      expectedSequence: 0,
      project: async (ptx, e) => {
        await ptx.query(
          `INSERT INTO runs (instance_id, id, org_id, kind, flow_type, trigger_type, state, workflow_id, context_in, started_at, created_by)
           VALUES ($1, $2, $3, 'flow', $4, $5, 'running', $6, $7, $8, $9)`,
          [e.instanceId, r.runId, e.orgId, r.flowType, r.trigger, r.workflowId, JSON.stringify(r.context), e.createdAt, e.creator],
        );
      },
    },
  ]);
}

interface RunRow {
  id: string;
  kind: string;
  org_id: string | null;
  flow_type: string;
  trigger_type: string;
  state: Run['state'];
  workflow_id: string;
  context_in: Record<string, unknown>;
  context_out: Record<string, unknown> | null;
  error: Record<string, unknown> | null;
  started_at: Date;
  ended_at: Date | null;
  created_by: string;
  retry_of: string | null;
}

interface StepRow {
  position: number;
  action_id: string;
  action_name: string;
  action_version: number;
  owner: 'instance' | 'org';
  allowed_to_fail: boolean;
  state: 'succeeded' | 'failed';
  started_at: Date;
  ended_at: Date;
  error: RunStep['error'];
  logs: RunStep['logs'];
  logs_truncated: boolean;
}

const toRun = (r: RunRow): Run => ({
  id: r.id,
  kind: r.kind,
  orgId: r.org_id,
  flowType: r.flow_type,
  triggerType: r.trigger_type,
  state: r.state,
  workflowId: r.workflow_id,
  contextIn: r.context_in,
  contextOut: r.context_out,
  error: r.error,
  startedAt: r.started_at.toISOString(),
  endedAt: r.ended_at?.toISOString() ?? null,
  createdBy: r.created_by,
  retryOf: r.retry_of,
});

const toStep = (r: StepRow): RunStep => ({
  position: r.position,
  actionId: r.action_id,
  actionName: r.action_name,
  actionVersion: r.action_version,
  owner: r.owner,
  allowedToFail: r.allowed_to_fail,
  state: r.state,
  startedAt: r.started_at.toISOString(),
  endedAt: r.ended_at.toISOString(),
  durationMs: r.ended_at.getTime() - r.started_at.getTime(),
  error: r.error,
  logs: r.logs,
  logsTruncated: r.logs_truncated,
});

// An org-scoped key, or an instance key that picked an org, sees that org's runs only.
const runOrgFilter = (ctx: TenantCtx): string | null => ctx.tenant.orgId;

export async function listRuns(
  ctx: TenantCtx,
  input: { limit: number; cursor?: string; state?: Run['state']; kind?: string; since?: string },
): Promise<Page<Run>> {
  const after = decodeCursor(input.cursor, TIME_ID);
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    const { rows } = await tx.query<RunRow>(
      `SELECT * FROM runs
        WHERE instance_id = $1
          AND ($2::text IS NULL OR org_id = $2)
          AND ($3::text IS NULL OR state = $3)
          AND ($4::text IS NULL OR kind = $4)
          AND ($5::timestamptz IS NULL OR started_at >= $5)
          AND ($6::timestamptz IS NULL OR (started_at, id) < ($6, $7))
        ORDER BY started_at DESC, id DESC LIMIT $8`,
      [ctx.tenant.instanceId, runOrgFilter(ctx), input.state ?? null, input.kind ?? null, input.since ?? null, after?.[0] ?? null, after?.[1] ?? null, input.limit + 1],
    );
    return toPage(rows, input.limit, toRun, (r) => [r.started_at.toISOString(), r.id]);
  });
}

export async function getRun(ctx: TenantCtx, runId: string): Promise<Run & { steps: RunStep[]; calls: RunCall[] }> {
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    const { rows } = await tx.query<RunRow>('SELECT * FROM runs WHERE instance_id = $1 AND id = $2 AND ($3::text IS NULL OR org_id = $3)', [
      ctx.tenant.instanceId,
      runId,
      runOrgFilter(ctx),
    ]);
    if (rows[0] === undefined) throw new NotFoundError('run', runId);
    return { ...toRun(rows[0]), steps: await readSteps(tx, ctx.tenant.instanceId, runId), calls: await readCalls(tx, ctx.tenant.instanceId, runId) };
  });
}

async function readSteps(tx: Tx, instanceId: string, runId: string): Promise<RunStep[]> {
  const { rows } = await tx.query<StepRow>('SELECT * FROM run_steps WHERE instance_id = $1 AND run_id = $2 ORDER BY position', [instanceId, runId]);
  return rows.map(toStep);
}

async function readCalls(tx: Tx, instanceId: string, runId: string): Promise<RunCall[]> {
  const { rows } = await tx.query<{
    position: number;
    attempt: number;
    target_id: string;
    target_name: string;
    target_type: string;
    state: RunCall['state'];
    status_code: number | null;
    started_at: Date;
    ended_at: Date;
    error: string | null;
    request: unknown;
    response: unknown;
  }>(
    'SELECT * FROM run_calls WHERE instance_id = $1 AND run_id = $2 ORDER BY position, attempt',
    [instanceId, runId],
  );
  return rows.map((r) => ({
    position: r.position,
    attempt: r.attempt,
    targetId: r.target_id,
    targetName: r.target_name,
    targetType: r.target_type,
    state: r.state,
    statusCode: r.status_code,
    startedAt: r.started_at.toISOString(),
    endedAt: r.ended_at.toISOString(),
    durationMs: r.ended_at.getTime() - r.started_at.getTime(),
    error: r.error,
    request: r.request,
    response: r.response,
  }));
}
