// Failure-rate alerts over runs: create, list, read state and history, remove.
import { addAlert, ALERT_LIMITS, getAlert, listAlerts, removeAlert } from '../../alerts/alerts';
import { route } from '../route';
import { z } from '../schema';

const Alert = z
  .object({
    id: z.string(),
    orgId: z.string().nullable().openapi({ description: "The owning org; null for the instance's alerts, which count every org's runs." }),
    name: z.string(),
    scope: z.enum(['target', 'action', 'flow']),
    scopeId: z.string().nullable(),
    failureRateThreshold: z.number(),
    window: z.number().int(),
    minRuns: z.number().int(),
    notifyTargetId: z.string(),
    evaluateEverySeconds: z.number().int(),
    state: z.enum(['ok', 'firing']),
    lastRate: z.number().nullable(),
    lastRuns: z.number().int().nullable(),
    lastEvaluatedAt: z.string().nullable(),
    lastFiredAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('Alert');
const AlertFiring = z.object({ firedAt: z.string(), failureRate: z.number(), runs: z.number().int(), notifyStatus: z.number().int().nullable(), notifyError: z.string().nullable() });
const CreateAlert = z
  .strictObject({
    name: z.string().min(1).max(200),
    scope: z.enum(['target', 'action', 'flow']),
    scopeId: z.string().min(1).max(200).nullable().optional().openapi({ description: 'A target id, action id or flow type; the whole scope when absent.' }),
    failureRateThreshold: z.number().gt(0).max(1).openapi({ description: 'Failed share of runs (calls for targets) in the window, more than 0 and at most 1.' }),
    window: z.number().int().min(ALERT_LIMITS.minWindowSeconds).max(ALERT_LIMITS.maxWindowSeconds).openapi({ description: `Seconds, ${ALERT_LIMITS.minWindowSeconds} to ${ALERT_LIMITS.maxWindowSeconds}. The alert fires at most once per window.` }),
    minRuns: z.number().int().min(1).max(1_000_000),
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
    responses: { 201: { description: 'The alert', schema: Alert }, 409: { description: 'The name is taken' }, 422: { description: 'Invalid alert' } },
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
    responses: { 200: { description: 'The alert', schema: Alert.extend({ history: z.array(AlertFiring) }) }, 404: { description: 'No such alert' } },
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
