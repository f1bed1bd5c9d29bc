// Flow runs: `runFlowTrigger` plans the active actions of a trigger (instance first, then org),
// records the run, and runs it as the workflow `flow:<instance>:<runId>`, one activity per
// action. The run and its steps are projections of run.started, run.step_recorded,
// run.succeeded and run.failed (runs/records.ts); script log lines go to logstore.execution_logs.
import { isGrpcDeadlineError, WorkflowFailedError } from '@temporalio/client';
import type { TenantCtx } from '../context';
import { CadenzaError, checkJsonSize, UnavailableError } from '../errors';
import { transaction } from '../db/db';
import { newId } from '../ids';
import { readSteps, type RunStep } from '../runs/runs';
import { recordFlowRunStarted, recordRunEnded } from '../runs/records';
import { recordWorkflowStart, startRecorded, type WorkflowStart } from '../temporal/workflow-starts';
import { FLOW_RUN_LIMITS, flowWorkflowId, type FlowRunInput, type FlowRunOutcome, type FlowRunWorkflow } from '../workflows/flow-run-contract';
import { checkTrigger } from './catalogue';
import { planRunSteps, type RunStepPlan } from './flows';
import { checkQuota } from './quota';

export interface FlowRunResult {
  /** Null when the trigger has no active action: nothing ran and nothing was recorded. */
  runId: string | null;
  context: Record<string, unknown>;
  steps: RunStep[];
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
    await recordFlowRunStarted(tx, ctx, { runId, workflowId, orgId, flowType: input.flowType, trigger: input.trigger, context: input.context });
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
