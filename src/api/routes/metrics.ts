import { CadenzaError, UnauthorizedError } from '../../errors';
import { METRICS_CONTENT_TYPE, scrapeAllowed } from '../../metrics/metrics';
import { publicRoute } from '../route';
import { z } from '../schema';

export const metricsRoutes = [
  publicRoute({
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics of this process, for the operator',
    description:
      'Served on the API port only when CADENZA_METRICS_TOKEN is set, to callers that send it as `Authorization: Bearer <token>`; ' +
      'API keys of tenants never read it. Without a token it answers 404 here; scrape the listener on CADENZA_METRICS_PORT instead.',
    tags: ['health'],
    responses: {
      200: { description: 'Prometheus text exposition format', schema: z.string(), contentType: METRICS_CONTENT_TYPE },
      401: { description: 'The metrics token is missing or wrong' },
      404: { description: 'No metrics token is configured: /metrics is not served on the API port' },
    },
    handler: async (ctx, _input, req) => {
      const allowed = scrapeAllowed(ctx.config.metrics.token, req.headers.authorization, false);
      if (allowed === 'off') throw new CadenzaError('not_found', '/metrics is not served on the API port without CADENZA_METRICS_TOKEN; scrape the CADENZA_METRICS_PORT listener');
      if (allowed === 'unauthorized') throw new UnauthorizedError('/metrics needs the metrics token (Authorization: Bearer <CADENZA_METRICS_TOKEN>)');
      return { status: 200, text: await ctx.metrics.text(), headers: { 'content-type': METRICS_CONTENT_TYPE } };
    },
  }),
];
