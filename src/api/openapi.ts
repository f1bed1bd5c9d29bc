import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import type { AnyRoute } from './route';
import { PROBLEM_CONTENT_TYPE } from './problem';
import { z } from './schema';

const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem', { description: 'RFC 9457 problem details. `errors` names each invalid field.' });

/** What any route that needs a key may answer besides its own statuses. */
const TENANT_ERRORS: Record<number, string> = {
  400: 'Malformed input, or X-Cadenza-Org missing where an org must be named; `errors` names the field',
  401: 'No API key, or an unknown or revoked one',
  403: 'The key lacks the role this needs, an org key called an instance-level route, a system key called an instance route, or an instance key a system route',
  404: 'Not found in the caller\'s tenant, or X-Cadenza-Org names no org of the instance',
  422: 'A field is invalid; `errors` names it',
  503: 'PostgreSQL or Temporal is unreachable; resend the same request after Retry-After seconds',
};

/** What a route called with an instance's key may answer besides: its rate limit. */
const RATE_LIMITED = { 429: "The instance's API request rate limit is used up; resend after Retry-After seconds" };

/** What a route that reads a JSON body may answer besides. */
const BODY_ERRORS: Record<number, string> = {
  413: 'The body, or a JSON field of it with a documented size limit, is larger than the route accepts (for a field, `errors` names it)',
  415: 'The body is not JSON',
};

const OrgHeader = z.object({
  'x-cadenza-org': z
    .string()
    .max(100)
    .optional()
    .openapi({ description: 'With an instance-wide key: the org the call acts in (an unknown org answers 404). An org key may only name its own org.' }),
});

const problemContent = { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } };

const RETRY_AFTER = { 'Retry-After': { description: 'Seconds to wait before resending the same request', schema: { type: 'integer' } } };

export function buildOpenApi(routes: AnyRoute[], serverUrl: string): unknown {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'A Cadenza API key (cdz_…). Instance-wide keys pick an org with the X-Cadenza-Org header.',
  });
  registry.register('Problem', ProblemSchema);
  for (const r of routes) {
    const responses: Record<string, unknown> = {};
    for (const [status, spec] of Object.entries(r.responses)) {
      // Errors are problem+json; a route's own error statuses say why in their description.
      if (Number(status) >= 400) responses[status] = { description: spec.description, content: problemContent };
      else responses[status] = spec.schema ? { description: spec.description, content: { [spec.contentType ?? 'application/json']: { schema: spec.schema } } } : { description: spec.description };
    }
    const keyed = r.auth !== 'public' && r.auth !== 'system';
    const errors = { ...(r.auth === 'public' ? {} : TENANT_ERRORS), ...(keyed ? RATE_LIMITED : {}), ...(r.body === undefined ? {} : BODY_ERRORS) };
    for (const [status, description] of Object.entries(errors)) responses[status] ??= { description, content: problemContent };
    // Both say when to resend (Retry-After); a route's own 429 may also be the instance's rate limit.
    for (const status of ['429', '503']) if (responses[status] !== undefined) responses[status] = { headers: RETRY_AFTER, ...(responses[status] as object) };
    registry.registerPath({
      method: r.method,
      path: r.path,
      summary: r.summary,
      description: r.description,
      tags: r.tags,
      security: r.auth === 'public' ? [] : [{ [bearer.name]: [] }],
      request: {
        params: r.params,
        query: r.query,
        headers: r.auth === 'public' || r.auth === 'system' ? undefined : OrgHeader,
        body: r.body ? { required: !r.body.safeParse(undefined).success, content: { 'application/json': { schema: r.body } } } : undefined,
      },
      responses: responses as never,
    });
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Cadenza API',
      version: '1',
      description:
        'Commands with a troubleshooting queue, action flows and workflows on Temporal. Errors are RFC 9457 problem+json. ' +
        'A method a path does not support answers 405 with an Allow header. No string may hold U+0000 (PostgreSQL cannot store it): such a request answers 422 naming the field.',
    },
    servers: [{ url: serverUrl }],
  });
}

