// Alerts on failure rates (target calls, action steps, flow runs, commands, workflow runs) and on
// the troubleshooting queue's depth: create, list, read state and history, remove.
import { addAlert, ALERT_LIMITS, getAlert, listAlerts, removeAlert } from '../../alerts/alerts';
import { Alert, ALERT_SCOPES, AlertWithHistory } from '../../alerts/view';
import { route } from '../route';
import { z } from '../schema';

const CreateAlert = z
  .strictObject({
    name: z.string().min(1).max(200),
    scope: z.enum(ALERT_SCOPES).openapi({
      description:
        "What the alert watches. Failure rates over the window: target (calls), action (steps), flow (flow runs), command (commands that settled: failed by a business rule or parked in the troubleshooting queue, out of those also completed) and workflow (workflow runs that finished: failed or timed out, out of those also completed). troubleshooting: the number of commands parked in the troubleshooting queue now.",
    }),
    scopeId: z
      .string()
      .min(1)
      .max(200)
      .nullable()
      .optional()
      .openapi({ description: 'A target id, action id, flow type, command domain (command, troubleshooting) or workflow id; the whole scope when absent.' }),
    failureRateThreshold: z
      .number()
      .gt(0)
      .max(1)
      .optional()
      .openapi({ description: 'Required for every scope but troubleshooting (refused there): failed share in the window, more than 0 and at most 1.' }),
    window: z.number().int().min(ALERT_LIMITS.minWindowSeconds).max(ALERT_LIMITS.maxWindowSeconds).openapi({ description: `Seconds, ${ALERT_LIMITS.minWindowSeconds} to ${ALERT_LIMITS.maxWindowSeconds}. The alert fires at most once per window.` }),
    minRuns: z.number().int().min(1).max(1_000_000).optional().openapi({ description: 'Required with failureRateThreshold: the fewest settled runs (calls, commands) the rate needs.' }),
    depthThreshold: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .optional()
      .openapi({ description: 'Required for scope troubleshooting (refused elsewhere): fires when this many commands, or more, are parked.' }),
    notifyTargetId: z.string().min(1).max(100),
    evaluateEverySeconds: z.number().int().min(ALERT_LIMITS.minEvaluateSeconds).max(ALERT_LIMITS.maxEvaluateSeconds).optional().openapi({ description: `${ALERT_LIMITS.minEvaluateSeconds} to ${ALERT_LIMITS.maxEvaluateSeconds} s; ${ALERT_LIMITS.defaultEvaluateSeconds} s by default.` }),
  })
  .openapi('CreateAlert');
const AlertParams = z.object({ alertId: z.string().min(1).max(100) });

export const alertRoutes = [
  route({
    method: 'post',
    path: '/v1/alerts',
    summary: 'Create an alert',
    tags: ['alerts'],
    auth: 'admin',
    body: CreateAlert,
    responses: { 201: { description: 'The alert', schema: Alert }, 409: { description: 'The name is taken' }, 422: { description: 'Invalid alert, or thresholds that do not fit its scope' } },
    handler: async (ctx, { body }) => ({ status: 201, body: await addAlert(ctx, body) }),
  }),
  route({
    method: 'get',
    path: '/v1/alerts',
    summary: 'List alerts',
    tags: ['alerts'],
    auth: 'viewer',
    responses: { 200: { description: 'The alerts', schema: z.object({ items: z.array(Alert) }) } },
    handler: async (ctx) => ({ status: 200, body: await listAlerts(ctx) }),
  }),
  route({
    method: 'get',
    path: '/v1/alerts/{alertId}',
    summary: 'Get an alert with its state and firing history',
    tags: ['alerts'],
    auth: 'viewer',
    params: AlertParams,
    responses: { 200: { description: 'The alert', schema: AlertWithHistory }, 404: { description: 'No such alert' } },
    handler: async (ctx, { params }) => ({ status: 200, body: await getAlert(ctx, params.alertId) }),
  }),
  route({
    method: 'delete',
    path: '/v1/alerts/{alertId}',
    summary: 'Remove an alert',
    tags: ['alerts'],
    auth: 'admin',
    params: AlertParams,
    responses: { 204: { description: 'Removed' }, 404: { description: 'No such alert' } },
    handler: async (ctx, { params }) => {
      await removeAlert(ctx, params.alertId);
      return { status: 204 };
    },
  }),
];
