// The contract of a flow run, shared by its workflow, its activities and every caller: the
// workflow id, the input and outcome, and the limits the workflow and the domain both read.
import type { RunStepPlan } from '../flows/flows';

export const FLOW_RUN_LIMITS = {
  /** Largest context in and out of a run (serialized JSON). */
  contextBytes: 256 * 1024,
  /** Per step on top of the action's own timeout: loading the version and recording the step. */
  stepOverheadMs: 5_000,
  /** Per run on top of all steps: recording the run and the workflow's own tasks. */
  marginMs: 10_000,
  /** Log lines kept in a run step (all lines also go to logstore.execution_logs). */
  stepLogLines: 100,
};

export const flowWorkflowId = (instanceId: string, runId: string) => `flow:${instanceId}:${runId}`;

export interface FlowRunInput {
  instanceId: string;
  orgId: string | null;
  runId: string;
  flowType: string;
  trigger: string;
  context: Record<string, unknown>;
  steps: RunStepPlan[];
}

export type FlowRunOutcome =
  | { state: 'succeeded'; context: Record<string, unknown> }
  | { state: 'failed'; context: Record<string, unknown>; failedPosition: number | null; error?: string };

/** The workflow's signature, for typed handles. */
export type FlowRunWorkflow = (input: FlowRunInput) => Promise<FlowRunOutcome>;
