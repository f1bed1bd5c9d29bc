import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import type { AnyRoute } from './route';
import { PROBLEM_CONTENT_TYPE } from './problem';
import { z } from './schema';

export const ProblemSchema = z
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

const COMMON_ERRORS: Record<number, string> = {
  401: 'No API key, or an unknown or revoked one',
  403: 'The key lacks the role this needs',
  422: 'A field is invalid; `errors` names it',
};

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
      responses[status] = spec.schema
        ? { description: spec.description, content: { [spec.contentType ?? 'application/json']: { schema: spec.schema } } }
        : { description: spec.description };
    }
    const errors = r.auth === 'public' ? {} : COMMON_ERRORS;
    for (const [status, description] of Object.entries(errors)) {
      responses[status] ??= { description, content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } } };
    }
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
        body: r.body ? { content: { 'application/json': { schema: r.body } } } : undefined,
      },
      responses: responses as never,
    });
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Cadenza API',
      version: '1',
      description: 'Commands with a troubleshooting queue, action flows and workflows on Temporal. Errors are RFC 9457 problem+json.',
    },
    servers: [{ url: serverUrl }],
  });
}
