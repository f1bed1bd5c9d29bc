import { callWebhook, WEBHOOK_WAIT_MS } from '../../dag/triggers';
import { RUN_INPUT_LIMIT_BYTES } from '../../dag/workflow-runs';
import { publicRoute, type AnyRoute, type Method } from '../route';
import { z } from '../schema';

// Webhook nodes of active workflows, as n8n serves them under /webhook/<path>. No API key: the
// instance comes from the URL, and the call answers 404 unless an active workflow has a Webhook
// node with this method and path.
const HookParams = z.object({ instanceId: z.string().min(1).max(100), hookPath: z.string().min(1).max(200) });

const hook = (method: Method): AnyRoute =>
  publicRoute({
    method,
    path: '/v1/hooks/{instanceId}/{hookPath}',
    summary: `Call a Webhook node (${method.toUpperCase()}) of an active workflow`,
    description: `Starts a run from the node with n8n's item {headers, params, query, body, webhookUrl, executionMode}. The node's responseMode decides the answer: onReceived at once ({"message": "Workflow was started"}), lastNode with the last node's items, responseNode with what Respond to Webhook set; a failed run answers 500, no answer within ${WEBHOOK_WAIT_MS / 1000} s answers 504 (the run goes on).`,
    tags: ['workflows'],
    params: HookParams,
    // A JSON object or array, as n8n's webhooks take them (a bare null or string is not a body).
    ...(method === 'get' ? {} : { body: z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional(), bodyLimitBytes: RUN_INPUT_LIMIT_BYTES }),
    responses: {
      200: { description: "The node's answer (its responseCode, or Respond to Webhook's)", schema: z.unknown() },
      400: { description: 'The body is not a JSON object or array' },
      404: { description: 'No active workflow serves this method and path' },
      422: { description: 'The path is longer than its limits (instance id 100, path 200 characters)' },
      500: { description: 'The run failed (lastNode, responseNode)' },
      503: { description: 'PostgreSQL or Temporal is unreachable; resend after Retry-After seconds' },
      504: { description: 'No answer in time; the run goes on' },
    },
    handler: async (ctx, { params, body }, req) => {
      // Any query parameters go into the item, as n8n passes them; none are declared.
      const query = req.query as Record<string, unknown>;
      const answer = await callWebhook(ctx, { instanceId: params.instanceId, method: method.toUpperCase(), path: params.hookPath, headers: req.headers, query, body });
      return { status: answer.status, headers: answer.headers, ...(answer.text !== undefined ? { text: answer.text } : answer.body !== undefined ? { body: answer.body } : {}) };
    },
  });

export const hookRoutes: AnyRoute[] = (['get', 'post', 'put', 'patch', 'delete'] as const).map(hook);
