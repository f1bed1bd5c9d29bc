// The contract of the DAG interpreter workflow, shared by the workflow, its activities and the
// API: input and result types, the signal, and the workflow id scheme. No workflow APIs but
// defineSignal, so processes outside the workflow sandbox can import it.
import { defineSignal } from '@temporalio/workflow';
import type { CommandReply } from '../commands/model';
import type { Plan } from '../dsl/plan';
import type { DagDefinition, Item } from '../dsl/types';

/** ApplicationFailure types of DAG runs and their activities. */
export const DAG_FAILURES = {
  runFailed: 'DagRunFailed',
  runTimedOut: 'DagRunTimedOut',
  signalTimeout: 'SignalTimeout',
  commandTimeout: 'CommandTimeout',
  workflowNotFound: 'WorkflowNotFound',
  invalidWorkflow: 'InvalidWorkflow',
  nodeOutputTooLarge: 'NodeOutputTooLarge',
  tooManyCommands: 'TooManyCommands',
} as const;

/** The failure type of a sendCommand node whose command did not succeed: CommandFailed or CommandCanceled. */
export const commandOutcomeFailure = (outcome: CommandReply['outcome']) => `Command${outcome}` as const;

/** Delivers a named signal to waitForSignal nodes; the API sends it. */
export const dagSignal = defineSignal<[{ name: string; payload: Record<string, unknown> }]>('dagSignal');

export type Outputs = (Item[] | null)[];

export interface ReusedOutput {
  outputs: Outputs;
  fromRunId: string;
}

export interface DagRunInput {
  instanceId: string;
  orgId: string | null;
  workflowId: string;
  workflowName: string;
  version: number;
  runId: string;
  definition: DagDefinition;
  plan: Plan;
  input: unknown;
  /** Outputs reused from an earlier run by a retry, by node name. */
  reused?: Record<string, ReusedOutput>;
  /** State carried across continue-as-new. */
  carried?: Carried;
  /** Continue-as-new once history has this many events (Temporal also suggests it). */
  historyEventLimit?: number;
}

export type Status = 'pending' | 'completed' | 'skipped' | 'failed';
export interface NodeState {
  status: Status;
  outputs?: Outputs;
  order?: number;
}

export interface Carried {
  nodes: Record<string, NodeState>;
  order: number;
  signals: Record<string, Record<string, unknown>[]>;
  /** commandReply signals for sendCommand nodes, by `<domain>/<commandId>`, until a node takes them. */
  replies?: Record<string, CommandReply>;
  deadline?: number;
}

export interface DagRunResult {
  lastNode: string | null;
  items: Item[];
}

export function dagWorkflowId(instanceId: string, workflowId: string, runId: string): string {
  return `dag:${instanceId}:${workflowId}:${runId}`;
}

