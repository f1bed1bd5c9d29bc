// Workflows (n8n DAG definitions), their versions, runs, node runs and activation as the API shows them: one
// schema each that the routes answer with (and the OpenAPI document describes), whose inferred
// types the domain returns.
import type { DagDefinition, Item } from '../dsl/types';
import { z } from '../zod';

// n8n's JSON is checked by the workflow validator (every error at once), so the schema only
// requires an object here and keeps n8n's extra fields.
export const WorkflowDefinition = z.looseObject({}).openapi('WorkflowDefinition', { description: "n8n workflow JSON: nodes, connections (keyed by node name), settings." });

export const WorkflowSummary = z
  .object({
    id: z.string(),
    orgId: z.string().nullable(),
    name: z.string(),
    version: z.number(),
    versionLabel: z.string().nullable(),
    createdAt: z.string(),
    createdBy: z.string(),
    updatedAt: z.string(),
    active: z.boolean().openapi({ description: 'Its Webhook and Schedule Trigger nodes start runs (POST /v1/workflows/{workflowId}/activate).' }),
  })
  .openapi('WorkflowSummary');
export type WorkflowSummary = z.infer<typeof WorkflowSummary>;

export const Workflow = WorkflowSummary.extend({ definition: WorkflowDefinition }).openapi('Workflow');
/** The definition as the validator accepted it. */
export type Workflow = WorkflowSummary & { definition: DagDefinition };

export const WorkflowVersionSummary = z
  .object({ workflowId: z.string(), version: z.number(), label: z.string().nullable(), createdAt: z.string(), createdBy: z.string() })
  .openapi('WorkflowVersionSummary');
export type WorkflowVersionSummary = z.infer<typeof WorkflowVersionSummary>;

export const WorkflowVersion = WorkflowVersionSummary.extend({ definition: WorkflowDefinition }).openapi('WorkflowVersion');
export type WorkflowVersion = WorkflowVersionSummary & { definition: DagDefinition };

export const RunStatus = z.enum(['running', 'completed', 'failed', 'cancelled', 'timed_out']);
export type RunStatus = z.infer<typeof RunStatus>;

export const WorkflowRunNode = z
  .object({
    name: z.string(),
    status: z.string(),
    runs: z.number().openapi({ description: 'How many times the node ran; the fields below are about its last run.' }),
    attempts: z.number(),
    input: z.unknown(),
    output: z.unknown(),
    error: z.object({ message: z.string() }).nullable(),
    handledBy: z.string().nullable(),
    reusedFromRun: z.string().nullable(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
  })
  .openapi('WorkflowRunNode');
export type WorkflowRunNode = z.infer<typeof WorkflowRunNode>;

export const WorkflowRun = z
  .object({
    id: z.string(),
    workflowId: z.string(),
    workflowName: z.string(),
    version: z.number(),
    status: RunStatus,
    input: z.unknown(),
    error: z.object({ message: z.string(), node: z.string().nullable() }).nullable(),
    retryOf: z.string().nullable(),
    parentRunId: z.string().nullable(),
    temporalWorkflowId: z.string(),
    createdBy: z.string(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    nodes: z.array(WorkflowRunNode).optional(),
  })
  .openapi('WorkflowRun');
export type WorkflowRun = z.infer<typeof WorkflowRun>;

const WorkflowNodeRun = z
  .object({
    runIndex: z.number(),
    status: z.enum(['completed', 'failed', 'skipped']),
    source: z.array(z.object({ node: z.string(), output: z.number(), run: z.number() }).nullable()).openapi({ description: 'Per input: the node run it came from.' }),
    output: z.array(z.array(z.looseObject({ json: z.record(z.string(), z.unknown()) }))).openapi({ description: 'Items per output (n8n items with json and pairedItem).' }),
    error: z.object({ message: z.string() }).nullable(),
    handledBy: z.string().nullable(),
    finishedAt: z.string(),
  })
  .openapi('WorkflowNodeRun');

/** Every run of one node of a run (GET /v1/workflow-runs/{runId}/nodes/{node}). */
export const WorkflowNodeRuns = z.object({ node: z.string(), runs: z.array(WorkflowNodeRun) }).openapi('WorkflowNodeRuns');
/** The output as stored: n8n items (Item has no index signature, so it is named here). */
export type WorkflowNodeRuns = { node: string; runs: (Omit<z.infer<typeof WorkflowNodeRun>, 'output'> & { output: Item[][] })[] };

export const WorkflowActivation = z
  .object({
    id: z.string(),
    active: z.boolean(),
    webhooks: z.array(z.object({ node: z.string(), method: z.string(), url: z.string().openapi({ description: '/v1/hooks/{instanceId}/{path}' }) })),
    schedules: z.array(z.object({ node: z.string(), scheduleId: z.string().openapi({ description: 'The Temporal Schedule (temporal schedule list)' }) })),
  })
  .openapi('WorkflowActivation');
export type WorkflowActivation = z.infer<typeof WorkflowActivation>;
