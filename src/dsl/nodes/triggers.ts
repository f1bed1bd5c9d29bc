// Triggers that start runs without /execute once their workflow is active: Webhook (served under
// /v1/hooks/<instance>/<path>) and Schedule Trigger (a Temporal Schedule); and Respond to
// Webhook, which answers a webhook call from inside the run. src/dag/triggers.ts serves them.
import { z } from 'zod';
import { expr, type NodeType } from '../registry';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
/** One path segment: the webhook URL is /v1/hooks/<instance>/<path>. */
export const WEBHOOK_PATH = /^[A-Za-z0-9._~-]{1,200}$/;

const WebhookParams = z.looseObject({
  httpMethod: z.enum(METHODS).default('GET'),
  path: z.string().regex(WEBHOOK_PATH, 'must be one URL path segment of letters, digits and . _ ~ - (at most 200)'),
  authentication: z.enum(['none', 'basicAuth', 'headerAuth']).default('none'),
  responseMode: z.enum(['onReceived', 'lastNode', 'responseNode']).default('onReceived'),
  responseCode: z.number().int().min(100).max(599).default(200),
  responseData: z.enum(['firstEntryJson', 'allEntries', 'noData']).default('firstEntryJson'),
  options: z
    .looseObject({
      responseHeaders: z.looseObject({ entries: z.array(z.looseObject({ name: z.string().min(1).max(200), value: z.string().max(8192) })).max(50) }).optional(),
    })
    .default({}),
});
export type WebhookParams = z.infer<typeof WebhookParams>;

/** The credential each webhook authentication checks callers against. */
export const WEBHOOK_AUTH = { none: undefined, basicAuth: 'httpBasicAuth', headerAuth: 'httpHeaderAuth' } as const;

export const webhook: NodeType<WebhookParams> = {
  type: 'n8n-nodes-base.webhook',
  versions: [1, 1.1, 2, 2.1],
  description: 'Starts a run for each call of /v1/hooks/<instance>/<path> while the workflow is active; answers at once, when the last node finishes, or from Respond to Webhook.',
  kind: 'trigger',
  parameters: WebhookParams,
  outputs: () => 1,
  credentialType: (p) => WEBHOOK_AUTH[p.authentication],
};

const Interval = z.discriminatedUnion('field', [
  z.looseObject({ field: z.literal('seconds'), secondsInterval: z.number().int().min(1).max(86_400).default(30) }),
  z.looseObject({ field: z.literal('minutes'), minutesInterval: z.number().int().min(1).max(1440).default(5) }),
  z.looseObject({ field: z.literal('hours'), hoursInterval: z.number().int().min(1).max(23).default(1), triggerAtMinute: z.number().int().min(0).max(59).default(0) }),
  z.looseObject({
    field: z.literal('days'),
    daysInterval: z.number().int().min(1).max(31).default(1),
    triggerAtHour: z.number().int().min(0).max(23).default(0),
    triggerAtMinute: z.number().int().min(0).max(59).default(0),
  }),
  z.looseObject({
    field: z.literal('weeks'),
    weeksInterval: z.literal(1).default(1),
    triggerAtDay: z.array(z.number().int().min(0).max(6)).min(1).max(7).default([0]),
    triggerAtHour: z.number().int().min(0).max(23).default(0),
    triggerAtMinute: z.number().int().min(0).max(59).default(0),
  }),
  z.looseObject({
    field: z.literal('months'),
    monthsInterval: z.number().int().min(1).max(12).default(1),
    triggerAtDayOfMonth: z.number().int().min(1).max(31).default(1),
    triggerAtHour: z.number().int().min(0).max(23).default(0),
    triggerAtMinute: z.number().int().min(0).max(59).default(0),
  }),
  z.looseObject({ field: z.literal('cronExpression'), expression: z.string().min(1).max(200) }),
]);
export type ScheduleInterval = z.infer<typeof Interval>;

const ScheduleParams = z.looseObject({
  rule: z.looseObject({ interval: z.array(z.preprocess((v) => ({ field: 'days', ...(v as object) }), Interval)).min(1).max(20) }).default({ interval: [{ field: 'days' }] as never }),
});
export type ScheduleParams = z.infer<typeof ScheduleParams>;

export const scheduleTrigger: NodeType<ScheduleParams> = {
  type: 'n8n-nodes-base.scheduleTrigger',
  versions: [1, 1.1, 1.2, 1.3],
  description: 'Starts a run on each rule (seconds, minutes, hours, days, weeks, months or cron) while the workflow is active, as a Temporal Schedule in the workflow timezone.',
  kind: 'trigger',
  parameters: ScheduleParams,
  outputs: () => 1,
};

const RespondParams = z.looseObject({
  respondWith: z.enum(['firstIncomingItem', 'allIncomingItems', 'json', 'text', 'noData', 'redirect']).default('firstIncomingItem'),
  responseBody: z.unknown().optional(),
  redirectURL: z.string().max(8192).optional(),
  options: z
    .looseObject({
      responseCode: expr(z.number().int().min(100).max(599)).optional(),
      responseHeaders: z.looseObject({ entries: z.array(z.looseObject({ name: z.string().min(1).max(200), value: z.string().max(8192) })).max(50) }).optional(),
    })
    .default({}),
});
type RespondParams = z.infer<typeof RespondParams>;

/** What Respond to Webhook answers; kept in the node's context, where the waiting webhook call reads it. */
export interface WebhookResponse {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
  text?: string;
}

function responseOf(p: RespondParams, items: Record<string, unknown>[]): WebhookResponse {
  const headers = Object.fromEntries((p.options.responseHeaders?.entries ?? []).map((e) => [e.name.toLowerCase(), e.value]));
  const status = typeof p.options.responseCode === 'number' ? p.options.responseCode : p.respondWith === 'redirect' ? 307 : 200;
  switch (p.respondWith) {
    case 'firstIncomingItem':
      return { status, headers, body: items[0] ?? {} };
    case 'allIncomingItems':
      return { status, headers, body: items };
    case 'json':
      return { status, headers, body: typeof p.responseBody === 'string' ? JSON.parse(p.responseBody) : (p.responseBody ?? {}) };
    case 'text':
      return { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, text: typeof p.responseBody === 'string' ? p.responseBody : JSON.stringify(p.responseBody ?? '') };
    case 'redirect':
      return { status, headers: { ...headers, location: p.redirectURL ?? '' } };
    case 'noData':
      return { status, headers };
  }
}

export const respondToWebhook: NodeType<RespondParams> = {
  type: 'n8n-nodes-base.respondToWebhook',
  versions: [1, 1.1, 1.2, 1.3, 1.4, 1.5],
  description: 'Answers the webhook call that started the run (once, with the first run), then passes its input through.',
  kind: 'activity',
  parameters: RespondParams,
  outputs: () => 1,
  execute: async (ctx) => {
    const items = ctx.inputs[0] ?? [];
    // n8n answers once: a later run of this node (or of another Respond node) does not change the answer.
    if (ctx.context.response === undefined) ctx.context.response = responseOf(ctx.params(0), items.map((i) => i.json));
    return [items.map((item, i) => ({ ...item, pairedItem: { item: i } }))];
  },
};
