// What the n8n interpreter workflow needs to know about each node, computed once from a valid
// definition by the registry (outside the workflow), so the workflow stays free of schemas.
import type { Edge } from './graph';
import type { ChildPlan, WaitPlan } from './nodes/control';
import type { NodeKind } from './registry';
import type { OnError } from './types';

export interface RetryPlan {
  maximumAttempts: number;
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
}

export interface RunPlanNode {
  name: string;
  kind: NodeKind;
  position: [number, number];
  disabled: boolean;
  /** Items pinned in the definition's pinData: the node outputs them instead of running. */
  pinned: boolean;
  /** Regular outputs; with continueErrorOutput the error output is index `outputs`. */
  outputs: number;
  retry: RetryPlan;
  timeoutMs: number;
  onError: OnError;
  fallbackNode?: string;
  /** Inputs that must have data before a waiting node runs with what it has (n8n's requiredInputs). */
  requiredInputs?: number | number[];
  wait?: WaitPlan;
  signal?: { name: string; timeoutMs?: number };
  child?: ChildPlan;
  command?: { timeoutMs: number };
}

export interface RunPlan {
  nodes: RunPlanNode[];
  edges: Edge[];
  order: 'v1' | 'legacy';
  /** Tasks of different nodes running at once (1: n8n's one node at a time). */
  maxParallel: number;
  /** Most node runs in one run: a loop that never ends fails here. */
  maxNodeRuns: number;
  executionTimeoutMs?: number;
  errorWorkflow?: string;
  timezone?: string;
}
