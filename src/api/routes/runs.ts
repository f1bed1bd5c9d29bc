import { retryRun } from '../../runs/retry';
import { getRun, listRuns } from '../../runs/runs';
import { Run, RunCall, RunStep } from '../../runs/view';
import { route } from '../route';
import { PageQuery, pageOf, z } from '../schema';

const RunTrace = Run.extend({ steps: z.array(RunStep), calls: z.array(RunCall) }).openapi('RunTrace');
const IdempotencyKey = z.string().min(1).max(200);
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
  route({
    method: 'post',
    path: '/v1/runs/{runId}/retry',
    summary: 'Retry a run',
    description: 'Starts a new run from the stored input, linked to the original (retryOf). The same idempotency key answers with the same new run.',
    tags: ['runs'],
    auth: 'operator',
    params: z.object({ runId: z.string().min(1).max(100) }),
    body: z.strictObject({ idempotencyKey: IdempotencyKey }).openapi('RetryRun'),
    responses: {
      202: { description: 'The new run', schema: z.object({ runId: z.string(), retryOf: z.string(), created: z.boolean() }) },
      404: { description: 'No such run' },
      422: { description: 'The run is still running, or its trigger or execution is gone' },
      429: { description: 'The monthly action-seconds quota is used up' },
    },
    handler: async (ctx, { params, body }) => ({ status: 202, body: await retryRun(ctx, params.runId, body.idempotencyKey) }),
  }),
];
