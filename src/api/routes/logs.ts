// The logstore, read: API requests, script log lines, quota use and refusals, and the month's
// quota usage. Viewers may read; an org key sees its org's rows only.
import { quotaUsage } from '../../flows/quota';
import { listExecutionLogs, listQuotaLogs, listRequestLogs } from '../../logstore/logs';
import { route } from '../route';
import { PageQuery, pageOf, z } from '../schema';

const LogQuery = PageQuery.extend({
  from: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Rows written at or after this time.' }),
  to: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Rows written before this time.' }),
});
const Id = z.string().openapi({ description: 'Rows are served newest first, by id.' });

const RequestLog = z
  .object({
    id: Id,
    orgId: z.string().nullable(),
    keyId: z.string().nullable(),
    requestId: z.string(),
    correlationId: z.string().nullable(),
    method: z.string(),
    route: z.string().nullable().openapi({ description: 'The route template, e.g. /v1/commands/:domain/:commandId.' }),
    path: z.string(),
    status: z.number().int(),
    durationMs: z.number(),
    createdAt: z.string(),
  })
  .openapi('RequestLog');
const ExecutionLog = z
  .object({
    id: Id,
    orgId: z.string().nullable(),
    runId: z.string(),
    actionId: z.string(),
    actionVersion: z.number().int(),
    level: z.string(),
    message: z.string(),
    loggedAt: z.string(),
    createdAt: z.string(),
  })
  .openapi('ExecutionLog');
const QuotaLog = z
  .object({
    id: Id,
    orgId: z.string().nullable(),
    unit: z.enum(['action_seconds', 'api_requests']).openapi({ description: "action_seconds: an action step's use, or a run refused by the action quota; api_requests: an API request refused by the instance's rate limit." }),
    amount: z.number(),
    allowed: z.boolean().openapi({ description: 'false: refused with 429 (the action quota used up, or the rate limit).' }),
    reason: z.string().nullable(),
    runId: z.string().nullable(),
    actionId: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('QuotaLog');
const QuotaUsage = z
  .object({
    unit: z.literal('action_seconds'),
    periodStart: z.string(),
    periodEnd: z.string(),
    used: z.number(),
    limit: z.number().nullable().openapi({ description: 'null: no quota.' }),
    remaining: z.number().nullable(),
    usedByOrg: z.number().nullable().openapi({ description: "The calling org's share; null for an instance-level call." }),
  })
  .openapi('QuotaUsage');

export const logRoutes = [
  route({
    method: 'get',
    path: '/v1/logs/requests',
    summary: 'API requests, newest first',
    tags: ['logs'],
    auth: 'viewer',
    query: LogQuery.extend({
      status: z.coerce.number().int().min(100).max(599).optional(),
      route: z.string().max(500).optional().openapi({ description: 'A route template, e.g. /v1/commands.' }),
      method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).optional(),
    }),
    responses: { 200: { description: 'A page of request logs', schema: pageOf(RequestLog, 'RequestLogPage') } },
    handler: async (ctx, { query }) => ({ status: 200, body: await listRequestLogs(ctx, query) }),
  }),
  route({
    method: 'get',
    path: '/v1/logs/executions',
    summary: 'Script log lines of action runs, newest first',
    tags: ['logs'],
    auth: 'viewer',
    query: LogQuery.extend({
      level: z.enum(['info', 'warn', 'error']).optional(),
      runId: z.string().max(200).optional(),
      actionId: z.string().max(200).optional(),
    }),
    responses: { 200: { description: 'A page of execution logs', schema: pageOf(ExecutionLog, 'ExecutionLogPage') } },
    handler: async (ctx, { query }) => ({ status: 200, body: await listExecutionLogs(ctx, query) }),
  }),
  route({
    method: 'get',
    path: '/v1/logs/quota',
    summary: 'Quota use of each action step, and refused runs, newest first',
    tags: ['logs'],
    auth: 'viewer',
    query: LogQuery.extend({
      allowed: z.enum(['true', 'false']).optional(),
      runId: z.string().max(200).optional(),
    }),
    responses: { 200: { description: 'A page of quota logs', schema: pageOf(QuotaLog, 'QuotaLogPage') } },
    handler: async (ctx, { query }) => ({ status: 200, body: await listQuotaLogs(ctx, { ...query, allowed: query.allowed === undefined ? undefined : query.allowed === 'true' }) }),
  }),
  route({
    method: 'get',
    path: '/v1/quota',
    summary: "This month's action-seconds: used and limit",
    tags: ['logs'],
    auth: 'viewer',
    responses: { 200: { description: 'The quota usage', schema: QuotaUsage } },
    handler: async (ctx) => ({ status: 200, body: await quotaUsage(ctx) }),
  }),
];
