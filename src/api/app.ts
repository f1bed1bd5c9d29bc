import crypto from 'node:crypto';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import express, { type ErrorRequestHandler, type Express, type Request, type RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import { publicUrl } from '../config/config';
import type { AppCtx, Tenant } from '../context';
import type { RequestLogWriter } from '../logstore/requests';
import { withLogContext } from '../telemetry/log-context';
import { tracer } from '../telemetry/tracing';
import { mountConsole } from './console';
import { mountDocs } from './docs';
import { buildOpenApi } from './openapi';
import { problem, problemFromError, sendProblem } from './problem';
import { bodyParserError, expressPath, mountRoute, type AnyRoute } from './route';
import { allRoutes } from './routes';

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,100}$/;

function correlationHeader(req: Request): string | undefined {
  const value = req.headers['x-correlation-id'];
  return typeof value === 'string' ? value.slice(0, 200) : undefined;
}

export interface AppOptions {
  routes?: AnyRoute[];
  requestLog?: RequestLogWriter;
  serverUrl?: string;
}

export function createApp(ctx: AppCtx, options: AppOptions = {}): Express {
  const routes = options.routes ?? allRoutes;
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  app.use(
    pinoHttp({
      logger: ctx.log,
      genReqId: (req, res) => {
        const incoming = req.headers['x-request-id'];
        const id = typeof incoming === 'string' && REQUEST_ID_RE.test(incoming) ? incoming : crypto.randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics' },
    }),
  );
  app.use((req, _res, next) => withLogContext({ requestId: String(req.id), correlationId: correlationHeader(req) }, next));
  app.use(traceRequests());

  app.use(countRequests(ctx));

  if (options.requestLog) {
    const writer = options.requestLog;
    app.use((req, res, next) => {
      const started = process.hrtime.bigint();
      res.on('finish', () => {
        const tenant = res.locals.tenant as Tenant | undefined;
        writer.write({
          instanceId: tenant?.instanceId ?? null,
          orgId: tenant?.orgId ?? null,
          keyId: tenant?.keyId ?? null,
          requestId: String(res.getHeader('x-request-id') ?? ''),
          correlationId: correlationHeader(req) ?? null,
          method: req.method,
          route: (req.route as { path?: string } | undefined)?.path ?? null,
          path: req.path.slice(0, 500),
          status: res.statusCode,
          durationMs: Number(process.hrtime.bigint() - started) / 1e6,
        });
      });
      next();
    });
  }

  const router = express.Router();
  for (const r of routes) mountRoute(router, ctx, r);
  mountMethodNotAllowed(router, routes);
  const openapi = buildOpenApi(routes, options.serverUrl ?? publicUrl(ctx.config));
  router.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  mountDocs(router);
  mountConsole(router);
  app.use(router);

  app.use((req, res) => {
    sendProblem(res, problem(404, 'not-found', `No route ${req.method} ${req.path}; see /docs`));
  });
  app.use(errorHandler);
  return app;
}

/**
 * A server span per request, continuing the caller's W3C traceparent; named by the route
 * template once routing has found it. Everything the request does runs inside it.
 */
function traceRequests(): RequestHandler {
  return (req, res, next) => {
    const parent = propagation.extract(context.active(), req.headers);
    const span = tracer().startSpan(`${req.method}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'url.path': req.path } }, parent);
    res.on('finish', () => {
      const route = res.locals.route as string | undefined;
      if (route !== undefined) {
        span.updateName(`${req.method} ${route}`);
        span.setAttribute('http.route', route);
      }
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(parent, span), next);
  };
}

/** HTTP metrics by route template (the OpenAPI path), never by the concrete path. */
function countRequests(ctx: AppCtx): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const route = (res.locals.route as string | undefined) ?? 'unmatched';
      ctx.metrics.httpRequests.observe({ method: req.method, route, status: String(res.statusCode) }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
}

/** A path the API serves, asked with a method it does not support: 405 with the methods it does. */
function mountMethodNotAllowed(router: express.Router, routes: AnyRoute[]): void {
  const methods = new Map<string, Set<string>>();
  for (const r of routes) (methods.get(r.path) ?? methods.set(r.path, new Set()).get(r.path)!).add(r.method.toUpperCase());
  for (const [path, allowed] of methods) {
    const allow = [...allowed, ...(allowed.has('GET') ? ['HEAD'] : [])].join(', ');
    router.all(expressPath(path), (req, res) => {
      res.setHeader('Allow', allow);
      sendProblem(res, problem(405, 'method-not-allowed', `${req.method} is not supported on ${req.path}; use ${allow}`));
    });
  }
}

const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const p = problemFromError(bodyParserError(err) ?? err);
  if (p.status === 503) req.log.warn({ err }, 'request failed: a dependency is unavailable');
  else if (p.status >= 500) req.log.error({ err }, 'request failed');
  if (res.headersSent) return;
  if (p.status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
  sendProblem(res, p);
};
