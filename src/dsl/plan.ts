// The plan of the first interpreter (dagWorkflow), kept for the runs it started; new runs use
// RunPlan (src/dsl/run-plan.ts).
import type { Edge } from './graph';
import type { OnError } from './types';

export interface RetryPlan {
  maximumAttempts: number;
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
}

export interface PlanNode {
  name: string;
  kind: 'activity' | 'trigger' | 'wait' | 'signal' | 'subworkflow' | 'command';
  disabled: boolean;
  /** Regular outputs; the error output (continueErrorOutput) is index `outputs`. */
  outputs: number;
  retry: RetryPlan;
  timeoutMs: number;
  onError: OnError;
  fallbackNode?: string;
  waitMs?: number;
  signal?: { name: string; timeoutMs?: number };
  child?: { workflowId: string; version?: number };
  /** sendCommand: how long to wait for the commands' outcomes. */
  command?: { timeoutMs: number };
  /** Nodes whose output this node's expressions read. */
  refs: string[];
}

export interface Plan {
  nodes: PlanNode[];
  edges: Edge[];
  maxParallel: number;
  executionTimeoutMs?: number;
  errorWorkflow?: string;
}
