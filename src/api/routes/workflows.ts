import { createWorkflow, getVersion, getWorkflow, listVersions, listWorkflows, validateOnly } from '../../dag/definitions';
import { cancelWorkflowRun, executeWorkflow, getNodeRuns, getWorkflowRun, listWorkflowRuns, NODE_RUNS_PAGE, retryWorkflowRun, signalWorkflowRun } from '../../dag/workflow-runs';
import { activateWorkflow, deactivateWorkflow, removeWorkflow, saveVersion } from '../../dag/triggers';
import { LIMITS } from '../../dsl/validate';
import { ValidationError } from '../../errors';
import { RunStatus, Workflow, WorkflowActivation, WorkflowDefinition, WorkflowNodeRuns, WorkflowRun, WorkflowSummary, WorkflowVersion, WorkflowVersionSummary } from '../../dag/view';
import { route } from '../route';
import { PageQuery, pageOf, z, words } from '../schema';

const Issue = z.object({ field: z.string(), message: z.string(), node: z.string().optional() }).openapi('WorkflowIssue');
const SaveWorkflow = z
  .strictObject({
    name: words(200).optional().openapi({ description: 'Defaults to definition.name.' }),
    definition: WorkflowDefinition,
    versionLabel: z.string().max(100).optional().openapi({ description: 'Semantic version; must be greater than the latest label.' }),
  })
  .openapi('SaveWorkflow');

const Id = z.string().min(1).max(100);
const RunsQuery = PageQuery.extend({ status: RunStatus.optional() });
const WorkflowParams = z.object({ workflowId: Id });
const RunParams = z.object({ runId: Id });
const DEFINITION_BODY_LIMIT = LIMITS.definitionBytes + 64 * 1024;

export const workflowRoutes = [
  route({
    method: 'post',
    path: '/v1/workflows/validate',
    summary: 'Validate a workflow definition',
    description: 'Returns 200 when valid, else 422 with every error, each with a JSON path and the node name.',
    tags: ['workflows'],
    auth: 'viewer',
    body: z.strictObject({ definition: WorkflowDefinition }),
    bodyLimitBytes: DEFINITION_BODY_LIMIT,
    responses: { 200: { description: 'Valid', schema: z.object({ valid: z.literal(true), errors: z.array(Issue) }) }, 422: { description: 'Every error' } },
    handler: async (ctx, { body }) => {
      const result = await validateOnly(ctx, body.definition);
      if (!result.valid) throw new ValidationError(result.errors, `the workflow definition has ${result.errors.length} error(s)`);
      return { status: 200, body: result };
    },
  }),
  route({
    method: 'post',
    path: '/v1/workflows',
    summary: 'Create a workflow (version 1)',
    tags: ['workflows'],
    auth: 'admin',
    body: SaveWorkflow,
    bodyLimitBytes: DEFINITION_BODY_LIMIT,
    responses: { 201: { description: 'The new workflow', schema: Workflow }, 422: { description: 'Every validation error' } },
    handler: async (ctx, { body }) => ({ status: 201, body: await createWorkflow(ctx, body) }),
  }),
  route({
    method: 'get',
    path: '/v1/workflows',
    summary: 'List workflows',
    tags: ['workflows'],
    auth: 'viewer',
    query: PageQuery.extend({ name: z.string().max(200).optional(), orgId: Id.optional() }),
    responses: { 200: { description: 'A page of workflows', schema: pageOf(WorkflowSummary, 'WorkflowPage') } },
    handler: async (ctx, { query }) => ({ status: 200, body: await listWorkflows(ctx, query) }),
  }),
  route({
    method: 'get',
    path: '/v1/workflows/{workflowId}',
    summary: 'Get a workflow with its latest version',
    tags: ['workflows'],
    auth: 'viewer',
    params: WorkflowParams,
    responses: { 200: { description: 'The workflow', schema: Workflow }, 404: { description: 'No such workflow' } },
    handler: async (ctx, { params }) => ({ status: 200, body: await getWorkflow(ctx, params.workflowId) }),
  }),
  route({
    method: 'put',
    path: '/v1/workflows/{workflowId}',
    summary: 'Save a new immutable version',
    tags: ['workflows'],
    auth: 'admin',
    params: WorkflowParams,
    body: SaveWorkflow,
    bodyLimitBytes: DEFINITION_BODY_LIMIT,
    responses: { 200: { description: 'The workflow at its new version', schema: Workflow }, 404: { description: 'No such workflow' }, 422: { description: 'Every validation error' } },
    handler: async (ctx, { params, body }) => ({ status: 200, body: await saveVersion(ctx, params.workflowId, body) }),
  }),
  route({
    method: 'delete',
    path: '/v1/workflows/{workflowId}',
    summary: 'Delete a workflow (soft; versions and runs are kept)',
    tags: ['workflows'],
    auth: 'admin',
    params: WorkflowParams,
    responses: { 204: { description: 'Deleted' }, 404: { description: 'No such workflow' } },
    handler: async (ctx, { params }) => {
      await removeWorkflow(ctx, params.workflowId);
      return { status: 204 };
    },
  }),
  route({
    method: 'get',
    path: '/v1/workflows/{workflowId}/versions',
    summary: 'List the versions of a workflow',
    tags: ['workflows'],
    auth: 'viewer',
    params: WorkflowParams,
    query: PageQuery,
    responses: { 200: { description: 'A page of versions', schema: pageOf(WorkflowVersionSummary, 'WorkflowVersionPage') } },
    handler: async (ctx, { params, query }) => ({ status: 200, body: await listVersions(ctx, params.workflowId, query) }),
  }),
  route({
    method: 'get',
    path: '/v1/workflows/{workflowId}/versions/{version}',
    summary: 'Get one version of a workflow',
    tags: ['workflows'],
    auth: 'viewer',
    params: WorkflowParams.extend({ version: z.coerce.number().int().min(1).max(2_147_483_647) }),
    responses: { 200: { description: 'The version', schema: WorkflowVersion }, 404: { description: 'No such version' } },
    handler: async (ctx, { params }) => ({ status: 200, body: await getVersion(ctx, params.workflowId, params.version) }),
  }),
  route({
    method: 'post',
    path: '/v1/workflows/{workflowId}/execute',
    summary: 'Start a run, pinned to the latest or the given version',
    tags: ['workflows'],
    auth: 'operator',
    params: WorkflowParams,
    body: z.strictObject({
      input: z.unknown().optional(),
      version: z.number().int().min(1).optional(),
      ignorePinData: z.boolean().optional().openapi({ description: "Run every node, also those with items in the definition's pinData." }),
    }),
    bodyLimitBytes: 512 * 1024,
    responses: { 202: { description: 'The run, started', schema: WorkflowRun }, 404: { description: 'No such workflow' }, 422: { description: 'Bad input, or the version is not valid any more' } },
    handler: async (ctx, { params, body }) => ({ status: 202, body: await executeWorkflow(ctx, params.workflowId, body) }),
  }),
  route({
    method: 'post',
    path: '/v1/workflows/{workflowId}/activate',
    summary: 'Activate: its Webhook nodes answer and its Schedule Trigger nodes run (latest version)',
    description: 'Saving a new version of an active workflow moves its triggers to it (a version without trigger nodes deactivates it).',
    tags: ['workflows'],
    auth: 'admin',
    params: WorkflowParams,
    responses: {
      200: { description: 'Active, with its webhook URLs and schedules', schema: WorkflowActivation },
      404: { description: 'No such workflow' },
      409: { description: 'Another active workflow serves the same webhook method and path' },
      422: { description: 'No enabled Webhook or Schedule Trigger node, or a schedule Temporal refuses' },
    },
    handler: async (ctx, { params }) => ({ status: 200, body: await activateWorkflow(ctx, params.workflowId) }),
  }),
  route({
    method: 'post',
    path: '/v1/workflows/{workflowId}/deactivate',
    summary: 'Deactivate: remove its webhooks and schedules (runs already started go on)',
    tags: ['workflows'],
    auth: 'admin',
    params: WorkflowParams,
    responses: { 200: { description: 'Inactive', schema: WorkflowActivation }, 404: { description: 'No such workflow' } },
    handler: async (ctx, { params }) => ({ status: 200, body: await deactivateWorkflow(ctx, params.workflowId) }),
  }),
  route({
    method: 'get',
    path: '/v1/workflows/{workflowId}/runs',
    summary: 'List the runs of a workflow, newest first',
    tags: ['workflows'],
    auth: 'viewer',
    params: WorkflowParams,
    query: RunsQuery,
    responses: { 200: { description: 'A page of runs', schema: pageOf(WorkflowRun, 'WorkflowRunPage') } },
    handler: async (ctx, { params, query }) => ({ status: 200, body: await listWorkflowRuns(ctx, params.workflowId, query) }),
  }),
  route({
    method: 'get',
    path: '/v1/workflow-runs',
    summary: 'List the runs of every workflow, newest first',
    description: 'Without the nodes; GET /v1/workflow-runs/{runId} has them. An org key sees the runs of its org only.',
    tags: ['workflows'],
    auth: 'viewer',
    query: RunsQuery,
    responses: { 200: { description: 'A page of runs', schema: pageOf(WorkflowRun, 'WorkflowRunPage') } },
    handler: async (ctx, { query }) => ({ status: 200, body: await listWorkflowRuns(ctx, null, query) }),
  }),
  route({
    method: 'get',
    path: '/v1/workflow-runs/{runId}',
    summary: 'Get a run with the status, attempts, truncated input and output, error and timing of each node',
    tags: ['workflows'],
    auth: 'viewer',
    params: RunParams,
    responses: { 200: { description: 'The run', schema: WorkflowRun }, 404: { description: 'No such run' } },
    handler: async (ctx, { params }) => ({ status: 200, body: await getWorkflowRun(ctx, params.runId) }),
  }),
  route({
    method: 'get',
    path: '/v1/workflow-runs/{runId}/nodes/{nodeName}',
    summary: "Get every run of one node with its whole output (n8n's run data)",
    description: `At most ${NODE_RUNS_PAGE} runs, oldest first.`,
    tags: ['workflows'],
    auth: 'viewer',
    params: RunParams.extend({ nodeName: z.string().min(1).max(200) }),
    responses: { 200: { description: 'The node runs', schema: WorkflowNodeRuns }, 404: { description: 'No such run or node' } },
    handler: async (ctx, { params }) => ({ status: 200, body: await getNodeRuns(ctx, params.runId, params.nodeName) }),
  }),
  route({
    method: 'post',
    path: '/v1/workflow-runs/{runId}/cancel',
    summary: 'Cancel a running run',
    tags: ['workflows'],
    auth: 'operator',
    params: RunParams,
    responses: { 202: { description: 'Cancellation requested' }, 409: { description: 'The run is not running' } },
    handler: async (ctx, { params }) => {
      await cancelWorkflowRun(ctx, params.runId);
      return { status: 202 };
    },
  }),
  route({
    method: 'post',
    path: '/v1/workflow-runs/{runId}/retry',
    summary: 'Rerun from a node on the same or a newer version, reusing completed outputs',
    tags: ['workflows'],
    auth: 'operator',
    params: RunParams,
    body: z.strictObject({ fromNode: z.string().min(1).max(200).optional(), version: z.number().int().min(1).optional() }),
    responses: { 202: { description: 'The new run', schema: WorkflowRun }, 409: { description: 'The run is still running or has no failed node' } },
    handler: async (ctx, { params, body }) => ({ status: 202, body: await retryWorkflowRun(ctx, params.runId, body) }),
  }),
  route({
    method: 'post',
    path: '/v1/workflow-runs/{runId}/signals/{name}',
    summary: 'Send a signal to a run (resumes a waitForSignal node)',
    tags: ['workflows'],
    auth: 'operator',
    params: RunParams.extend({ name: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/) }),
    body: z.record(z.string(), z.unknown()).optional(),
    responses: { 202: { description: 'Delivered' }, 404: { description: 'No such run' }, 409: { description: 'The run is not running' }, 422: { description: 'A reserved signal name (__proto__, constructor, prototype)' } },
    handler: async (ctx, { params, body }) => {
      await signalWorkflowRun(ctx, params.runId, params.name, body ?? {});
      return { status: 202 };
    },
  }),
];
