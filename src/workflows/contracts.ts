// The workflow types Cadenza starts: each one's arguments, from its contract, and the CadenzaKind
// search attribute its runs carry. temporal/workflow-starts.ts types every start by this table.
import type { BulkRetryInput, CommandWorkflowInput } from '../commands/model';
import type { AlertWorkflowInput } from './alert-contract';
import type { DagRunInput } from './dag-contract';
import type { ExecutionRunInput } from './execution-contract';
import type { FlowRunInput } from './flow-run-contract';
import type { N8nRunInput } from './n8n-contract';

export interface WorkflowArgs {
  commandWorkflow: [CommandWorkflowInput];
  bulkRetryWorkflow: [BulkRetryInput];
  flowRunWorkflow: [FlowRunInput];
  executionWorkflow: [ExecutionRunInput];
  dagWorkflow: [DagRunInput];
  n8nWorkflow: [N8nRunInput];
  alertWorkflow: [AlertWorkflowInput];
}

export type WorkflowType = keyof WorkflowArgs;

/** The CadenzaKind search attribute of each workflow type's runs. */
export const WORKFLOW_KINDS = {
  commandWorkflow: 'command',
  bulkRetryWorkflow: 'bulk-retry',
  flowRunWorkflow: 'flow',
  executionWorkflow: 'execution',
  dagWorkflow: 'dag',
  n8nWorkflow: 'dag',
  alertWorkflow: 'alert',
} as const satisfies Record<WorkflowType, string>;
