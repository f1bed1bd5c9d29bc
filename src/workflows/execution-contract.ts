// The contract of an execution run, shared by its workflow, its activities and every caller:
// the workflow id, the input and outcome, and the limits the workflow and the domain both read.
import type { TargetSnapshot } from '../targets/targets';

export const EXECUTION_RUN_LIMITS = {
  /** Per call on top of the target's timeout: the activity's own time to load the key and record the call. */
  callOverheadMs: 5_000,
  /** Per synchronous run on top of all calls. */
  marginMs: 10_000,
  /** Largest body in and out of a run (serialized JSON). */
  bodyBytes: 256 * 1024,
};

export const executionWorkflowId = (instanceId: string, causeId: string, executionId: string) => `execution:${instanceId}:${causeId}:${executionId}`;

export interface ExecutionRunInput {
  instanceId: string;
  /** The execution's owner, whose run this is: an org, or null for the instance (absent in runs started before orgs owned executions). */
  orgId?: string | null;
  runId: string;
  executionId: string;
  condition: string;
  /** sync: a caller waits (request, response, function); event: delivery with retries; async: an async target's own run. */
  mode: 'sync' | 'event' | 'async';
  body: unknown;
  targets: TargetSnapshot[];
  retryOf: string | null;
  retryKey: string | null;
  createdBy: string;
}

export interface TargetError {
  target: { id: string; name: string };
  message: string;
  status: number | null;
  body: unknown;
}

export type ExecutionRunOutcome = { state: 'succeeded'; runId: string; body: unknown } | { state: 'failed'; runId: string; body: unknown; error: TargetError };

/** The workflow's signature, for typed handles. */
export type ExecutionWorkflow = (input: ExecutionRunInput) => Promise<ExecutionRunOutcome>;
