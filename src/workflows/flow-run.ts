// A flow run: the planned actions in order (instance actions first, then org actions), each in
// its own activity with the action's timeout. A failed step stops the run unless the action is
// allowed to fail; then it is recorded and skipped, and the context stays as it was.
import { proxyActivities } from '@temporalio/workflow';
import type { FlowActivities } from '../activities/flows';
import { FLOW_RUN_LIMITS, type FlowRunInput, type FlowRunOutcome } from './flow-run-contract';

// The run's end must land: retried while PostgreSQL is away, however long.
const { recordFlowRunEnded } = proxyActivities<FlowActivities>({ startToCloseTimeout: '30s', retry: { initialInterval: '1s', maximumInterval: '30s' } });

export async function flowRunWorkflow(input: FlowRunInput): Promise<FlowRunOutcome> {
  let context = input.context;
  const ids = { instanceId: input.instanceId, orgId: input.orgId, runId: input.runId };
  for (const [position, step] of input.steps.entries()) {
    const { runActionStep } = proxyActivities<FlowActivities>({
      startToCloseTimeout: step.timeoutMs + FLOW_RUN_LIMITS.stepOverheadMs,
      // The script's own failures come back as results; only infrastructure errors are retried.
      retry: { maximumAttempts: 2 },
    });
    let out: Awaited<ReturnType<FlowActivities['runActionStep']>>;
    try {
      out = await runActionStep({ ...ids, flowType: input.flowType, trigger: input.trigger, position, step, context });
    } catch (err) {
      out = { state: 'failed', error: { kind: 'runtime', message: err instanceof Error ? err.message : String(err) } };
      if (!step.allowedToFail) {
        await recordFlowRunEnded({ ...ids, state: 'failed', context: null, error: { position, action: step.name, message: out.error.message } });
        return { state: 'failed', context, failedPosition: null, error: out.error.message };
      }
    }
    if (out.state === 'succeeded') context = out.context;
    else if (!step.allowedToFail) {
      await recordFlowRunEnded({ ...ids, state: 'failed', context: null, error: { position, action: step.name, ...out.error } });
      return { state: 'failed', context, failedPosition: position };
    }
  }
  await recordFlowRunEnded({ ...ids, state: 'succeeded', context, error: null });
  return { state: 'succeeded', context };
}
