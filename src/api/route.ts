// A route is declared once: its schemas validate the request and describe it in OpenAPI.
// The handler does three things: take the parsed input, call one domain function, map the result.
import express, { type Request, type RequestHandler, type Router } from 'express';
import type { AppCtx, Role, SystemCtx, Tenant, TenantCtx } from '../context';
import { BadRequestError, CadenzaError, ValidationError } from '../errors';
import { takeRequestToken } from '../tenancy/rate-limit';
import { resolveSystem, resolveTenant } from './auth';
import { problem, sendProblem } from './problem';
import { z, zodIssues } from './schema';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface Reply {
  status: number;
  body?: unknown;
  /** A body that is not JSON (Prometheus text); its Content-Type goes in `headers`. */
  text?: string;
  headers?: Record<string, string>;
}

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** application/json unless said otherwise. */
  contentType?: string;
}

type Input<P, Q, B> = { params: P; query: Q; body: B };

interface BaseSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  method: Method;
  /** OpenAPI style: /v1/orgs/{orgId} */
  path: string;
  summary: string;
  description?: string;
  tags: string[];
  params?: P;
  query?: Q;
  body?: B;
  /** Largest accepted request body; 64 KiB unless the route says otherwise. */
  bodyLimitBytes?: number;
  responses: Record<number, ResponseSpec>;
}

export interface TenantRouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> extends BaseSpec<P, Q, B> {
  /** The least role that may call the route. */
  auth: Role;
  handler: (ctx: TenantCtx, input: Input<z.infer<P>, z.infer<Q>, z.infer<B>>, req: Request) => Promise<Reply>;
}

export interface PublicRouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> extends BaseSpec<P, Q, B> {
  auth: 'public';
  handler: (ctx: AppCtx, input: Input<z.infer<P>, z.infer<Q>, z.infer<B>>, req: Request) => Promise<Reply>;
}

export interface SystemRouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> extends BaseSpec<P, Q, B> {
  /** A system key only (instance keys answer 403). */
  auth: 'system';
  handler: (ctx: SystemCtx, input: Input<z.infer<P>, z.infer<Q>, z.infer<B>>, req: Request) => Promise<Reply>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = TenantRouteSpec<any, any, any> | PublicRouteSpec<any, any, any> | SystemRouteSpec<any, any, any>;

const Empty = z.object({});
type EmptyT = typeof Empty;

export function route<P extends z.ZodType = EmptyT, Q extends z.ZodType = EmptyT, B extends z.ZodType = EmptyT>(
  spec: TenantRouteSpec<P, Q, B>,
): AnyRoute {
  return spec;
}

export function publicRoute<P extends z.ZodType = EmptyT, Q extends z.ZodType = EmptyT, B extends z.ZodType = EmptyT>(
  spec: Omit<PublicRouteSpec<P, Q, B>, 'auth'>,
): AnyRoute {
  return { ...spec, auth: 'public' };
}

export function systemRoute<P extends z.ZodType = EmptyT, Q extends z.ZodType = EmptyT, B extends z.ZodType = EmptyT>(
  spec: Omit<SystemRouteSpec<P, Q, B>, 'auth'>,
): AnyRoute {
  return { ...spec, auth: 'system' };
}

export const DEFAULT_BODY_LIMIT = 64 * 1024;

/** How long a request waits for Temporal (its retries included) before it answers 503. */
export const TEMPORAL_DEADLINE_MS = 15_000;

export function expressPath(openApiPath: string): string {
  return openApiPath.replace(/\{([^}]+)\}/g, ':$1');
}

/** The path of the first string holding U+0000, which PostgreSQL cannot store, or undefined. */
export function nulPath(value: unknown, at: string): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? at : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [k, v] of Object.entries(value)) {
    if (k.includes('\u0000')) return at;
    const found = nulPath(v, Array.isArray(value) ? `${at}[${k}]` : `${at}.${k}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

function parsePart<T extends z.ZodType>(schema: T | undefined, value: unknown, prefix: string): z.infer<T> {
  if (schema === undefined) return {} as z.infer<T>;
  const nul = nulPath(value, prefix);
  if (nul !== undefined) throw ValidationError.field(nul, 'must not contain the NUL character (U+0000)');
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(zodIssues(result.error, prefix));
  return result.data;
}

function jsonBody(spec: AnyRoute): RequestHandler {
  const parse = express.json({ limit: spec.bodyLimitBytes ?? DEFAULT_BODY_LIMIT, type: ['application/json', 'application/*+json'] });
  return (req, res, next) => {
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (hasBody && !req.is(['application/json', 'application/*+json'])) {
      sendProblem(res, problem(415, 'unsupported-media-type', 'The request body must be JSON (Content-Type: application/json)'));
      return;
    }
    parse(req, res, next);
  };
}

export function mountRoute(router: Router, app: AppCtx, spec: AnyRoute): void {
  const handlers: RequestHandler[] = [
    (_req, res, next) => {
      res.locals.route = spec.path;
      next();
    },
  ];
  if (spec.auth === 'system') {
    handlers.push(async (req, res, next) => {
      res.locals.system = await resolveSystem(app, req);
      next();
    });
  } else if (spec.auth !== 'public') {
    const minRole = spec.auth;
    // Authenticate before reading the body, so a caller without a key learns nothing else.
    handlers.push(async (req, res, next) => {
      const tenant = await resolveTenant({ ...app, log: req.log ?? app.log }, req, minRole);
      res.locals.tenant = tenant;
      if (tenant.limits?.rateLimit) await takeRequestToken(app.db, tenant, tenant.limits.rateLimit, `${spec.method.toUpperCase()} ${spec.path}`);
      next();
    });
  }
  if (spec.body !== undefined) handlers.push(jsonBody(spec));
  handlers.push(async (req, res) => {
    const ctx: AppCtx = { ...app, log: req.log ?? app.log };
    const input = parseInput(spec, req);
    // A call to Temporal that would outlast this answers 503 (a synchronous run sets its own, longer bound).
    const { connection } = app.temporal.client;
    const reply = await connection.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () =>
      spec.auth === 'public'
        ? spec.handler(ctx, input, req)
        : spec.auth === 'system'
          ? spec.handler({ ...ctx, system: res.locals.system as SystemCtx['system'] }, input, req)
          : spec.handler({ ...ctx, tenant: res.locals.tenant as Tenant }, input, req),
    );
    for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
    if (reply.text !== undefined) res.status(reply.status).send(reply.text);
    else if (reply.body === undefined) res.status(reply.status).end();
    else res.status(reply.status).json(reply.body);
  });
  router[spec.method](expressPath(spec.path), ...handlers);
}

function parseInput(spec: AnyRoute, req: Request) {
  return {
    params: parsePart(spec.params, req.params, 'path'),
    query: parsePart(spec.query, req.query ?? {}, 'query'),
    body: parsePart(spec.body, req.body, 'body'),
  };
}

/** Errors from body-parser (malformed JSON, size) carry a `type` and a `status`. */
export function bodyParserError(err: unknown, limit?: number): CadenzaError | undefined {
  if (typeof err !== 'object' || err === null || !('type' in err)) return undefined;
  const type = (err as { type: unknown }).type;
  if (type === 'entity.parse.failed') return new BadRequestError('The request body is not valid JSON', [{ field: 'body', message: 'is not valid JSON' }]);
  if (type === 'entity.too.large') {
    const max = (err as { limit?: number }).limit ?? limit;
    return new CadenzaError('payload_too_large', `The request body is larger than ${max} bytes`, [{ field: 'body', message: `must be at most ${max} bytes` }], { limitBytes: max });
  }
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') return new BadRequestError('Unsupported body encoding', [{ field: 'body', message: 'has an unsupported encoding' }]);
  return undefined;
}
