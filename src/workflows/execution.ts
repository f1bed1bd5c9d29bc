// An execution run: the snapshotted targets in order, one activity per call. A call target's
// response becomes the next body; a failing target stops the run only with interruptOnError;
// async targets run in their own workflow and never delay this one. Event runs retry calls
// with the target's backoff policy; synchronous runs call once, bounded by the timeout.
import { ActivityFailure, ApplicationFailure, ParentClosePolicy, proxyActivities, startChild, workflowInfo } from '@temporalio/workflow';
import type { TargetActivities } from '../activities/targets';
import type { TargetSnapshot } from '../targets/targets';
import { EXECUTION_RUN_LIMITS, type ExecutionRunInput, type ExecutionRunOutcome, type TargetError } from './execution-contract';

// The run's records must land: retried while PostgreSQL is away, however long.
const records = proxyActivities<TargetActivities>({ startToCloseTimeout: '30s', retry: { initialInterval: '1s', maximumInterval: '30s' } });

function callOptions(target: TargetSnapshot, retried: boolean) {
  const p = target.retryPolicy;
  return {
    startToCloseTimeout: target.timeoutMs + EXECUTION_RUN_LIMITS.callOverheadMs,
    retry: retried
      ? { maximumAttempts: p.maxAttempts, initialInterval: p.initialIntervalSeconds * 1000, backoffCoefficient: p.backoffCoefficient, maximumInterval: p.maxIntervalSeconds * 1000 }
      : { maximumAttempts: 1 },
  };
}

function targetError(target: TargetSnapshot, err: unknown): TargetError {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  const details = cause instanceof ApplicationFailure ? (cause.details?.[0] as { status?: number; body?: unknown } | undefined) : undefined;
  return { target: { id: target.id, name: target.name }, message: cause instanceof Error ? cause.message : String(cause), status: details?.status ?? null, body: details?.body ?? null };
}

export async function executionWorkflow(input: ExecutionRunInput): Promise<ExecutionRunOutcome> {
  const { instanceId, runId } = input;
  const workflowId = workflowInfo().workflowId;
  const orgId = input.orgId ?? null;
  await records.recordExecutionRunStarted({ instanceId, orgId, runId, workflowId, executionId: input.executionId, condition: input.condition, body: input.body, mode: input.mode, retryOf: input.retryOf, retryKey: input.retryKey, createdBy: input.createdBy });
  let body = input.body;
  for (const [position, target] of input.targets.entries()) {
    if (target.type === 'async' && input.mode !== 'async') {
      await startChild(executionWorkflow, {
        workflowId: `${workflowId}:async:${position}`,
        parentClosePolicy: ParentClosePolicy.ABANDON,
        args: [{ ...input, runId: `${runId}-a${position}`, mode: 'async', body, targets: [target], retryOf: null, retryKey: null }],
      });
      continue;
    }
    const { callTarget } = proxyActivities<TargetActivities>(callOptions(target, input.mode !== 'sync'));
    try {
      const out = await callTarget({ instanceId, runId, position, target, body });
      if (target.type === 'call') body = out.body;
    } catch (err) {
      if (!target.interruptOnError) continue;
      const error = targetError(target, err);
      await records.recordExecutionRunEnded({ instanceId, orgId, runId, state: 'failed', body, error: { ...error } });
      return { state: 'failed', runId, body, error };
    }
  }
  await records.recordExecutionRunEnded({ instanceId, orgId, runId, state: 'succeeded', body, error: null });
  return { state: 'succeeded', runId, body };
}
