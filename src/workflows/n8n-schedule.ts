// One due time of a Schedule Trigger node: the Temporal Schedule of an active workflow starts
// this workflow, which records a run of the workflow's latest version (starting from the node,
// with n8n's schedule item) and runs it as its child, so the schedule's overlap policy sees the
// run itself. Deterministic code only; changes once shipped go behind patched().
import { executeChild, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { N8nActivities } from '../activities/n8n';
import { dagWorkflowId } from './dag-contract';
import { n8nWorkflow, newRunId } from './n8n';
import type { N8nRunResult, ScheduledRunInput } from './n8n-contract';

const bookkeeping = proxyActivities<N8nActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

export async function n8nScheduledRun(input: ScheduledRunInput): Promise<N8nRunResult> {
  const runId = newRunId();
  const run = await bookkeeping.prepareN8nTriggerRun({ ...input, runId, firedAt: workflowInfo().startTime.getTime() });
  return executeChild(n8nWorkflow, {
    workflowId: dagWorkflowId(input.instanceId, input.workflowId, runId),
    args: [run],
    typedSearchAttributes: workflowInfo().typedSearchAttributes,
  });
}
