// The contract of the n8n interpreter workflow, shared by the workflow, its activities and the
// API: input and result types. It keeps only item counts: node data lives in PostgreSQL
// (workflow_node_runs), read by (run, node, run index). No workflow APIs, so processes outside
// the workflow sandbox can import it.
import type { CommandReply } from '../commands/model';
import type { EngineSnapshot } from '../dsl/engine';
import type { RunPlan } from '../dsl/run-plan';
import { DAG_FAILURES } from './dag-contract';

/** ApplicationFailure types of n8n runs and their activities: the DAG runs' and the interpreter's own. */
export const N8N_FAILURES = {
  ...DAG_FAILURES,
  nodeFailed: 'NodeFailed',
  unknownNode: 'UnknownNode',
  badWorkflowId: 'BadWorkflowId',
  noStoredItems: 'NoStoredItems',
} as const;

/** How a run was started; expressions see it as $execution.mode. */
export type RunMode = 'manual' | 'retry' | 'subworkflow' | 'error' | 'webhook' | 'schedule';

export interface N8nRunInput {
  instanceId: string;
  orgId: string | null;
  workflowId: string;
  workflowName: string;
  version: number;
  runId: string;
  plan: RunPlan;
  /** The node the run starts from; its items are the run's input (stored as its run 0). */
  startNode: string;
  startItems: number;
  mode: RunMode;
  /** Nodes that output stored items instead of running: pinData, or what a retry reuses. */
  pinned: string[];
  /** Continue-as-new once history has this many events (Temporal also suggests it). */
  historyEventLimit?: number;
  /** State carried across continue-as-new. */
  carried?: N8nCarried;
}

export interface N8nCarried {
  engine: EngineSnapshot;
  /** Signal payloads not yet taken by a waitForSignal node, by signal name. */
  signals: [string, Record<string, unknown>[]][];
  /** commandReply signals not yet taken by a sendCommand node, by `<domain>/<commandId>`. */
  replies: [string, CommandReply][];
  deadline?: number;
  /** Node runs so far (bounded by plan.maxNodeRuns). */
  steps: number;
  last?: { node: string; run: number };
}

export interface N8nRunResult {
  /** The node that ran last, and its run: its output is the run's result. */
  lastNode: string | null;
  lastRun: number | null;
}

/** Node runs of one task, as the activities do them. */
export type NodeTaskMode = 'run' | 'pin' | 'pass' | 'items' | 'copy' | 'fail';

/** The input of n8nScheduledRun: the Temporal Schedule of one Schedule Trigger node starts it. */
export interface ScheduledRunInput {
  instanceId: string;
  orgId: string | null;
  workflowId: string;
  /** The Schedule Trigger node the run starts from. */
  node: string;
  historyEventLimit?: number;
}
