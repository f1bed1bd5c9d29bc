import { getRun, listRuns } from '../../flows/runs';
import { route } from '../route';
import { PageQuery, pageOf, z } from '../schema';

const Run = z
  .object({
    id: z.string(),
    kind: z.string(),
    orgId: z.string().nullable(),
    flowType: z.string(),
    triggerType: z.string(),
    state: z.enum(['running', 'succeeded', 'failed']),
    workflowId: z.string(),
    contextIn: z.record(z.string(), z.unknown()),
    contextOut: z.record(z.string(), z.unknown()).nullable(),
    error: z.record(z.string(), z.unknown()).nullable(),
    startedAt: z.string(),
    endedAt: z.string().nullable(),
    createdBy: z.string(),
    retryOf: z.string().nullable(),
  })
  .openapi('Run');
const RunTrace = Run.extend({ steps: z.array(z.record(z.string(), z.unknown())), calls: z.array(z.record(z.string(), z.unknown())) }).openapi('RunTrace');
const RunsQuery = PageQuery.extend({
  state: z.enum(['running', 'succeeded', 'failed']).optional(),
  kind: z.enum(['flow', 'execution']).optional(),
  since: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Runs started at or after this time (ISO 8601).' }),
});

export const runRoutes = [
  route({
    method: 'get',
    path: '/v1/runs',
    summary: 'List runs, newest first',
    description: 'An org key (or X-Cadenza-Org) sees the runs of that org only.',
    tags: ['runs'],
    auth: 'viewer',
    query: RunsQuery,
    responses: { 200: { description: 'A page of runs', schema: pageOf(Run, 'RunPage') } },
    handler: async (ctx, { query }) => ({ status: 200, body: await listRuns(ctx, query) }),
  }),
  route({
    method: 'get',
    path: '/v1/runs/{runId}',
    summary: 'Get the trace of a run',
    description: 'The run with its steps in order: action, version, state, timing, error and the first log lines.',
    tags: ['runs'],
    auth: 'viewer',
    params: z.object({ runId: z.string().min(1).max(100) }),
    responses: { 200: { description: 'The run and its steps', schema: RunTrace }, 404: { description: 'No such run' } },
    handler: async (ctx, { params }) => ({ status: 200, body: await getRun(ctx, params.runId) }),
  }),
];
