// RFC 9457 problem+json: the one place errors become HTTP responses.
import type { Response } from 'express';
import { isDbUnavailable } from '../db/db';
import { CadenzaError, type ErrorKind, type FieldIssue } from '../errors';
import { isTemporalUnavailable } from '../temporal/connection';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** What a 503 tells the client to wait before it resends (the same request, with the same ids). */
export const RETRY_AFTER_SECONDS = 5;

const STATUS: Record<ErrorKind, number> = {
  bad_request: 400,
  validation: 422,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  quota_exceeded: 429,
  rate_limited: 429,
  target_failed: 424,
  unavailable: 503,
};

const TITLE: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'Payload too large',
  415: 'Unsupported media type',
  422: 'Validation failed',
  424: 'Target failed',
  429: 'Quota exceeded',
  500: 'Internal server error',
  503: 'Service unavailable',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  requestId?: string;
  errors?: FieldIssue[];
  [extra: string]: unknown;
}

export function problemType(slug: string): string {
  return `urn:cadenza:problem:${slug}`;
}

export function problem(status: number, slug: string, detail: string, extra: Record<string, unknown> = {}): Problem {
  // Extension members never override the standard ones.
  return { ...extra, type: problemType(slug), title: TITLE[status] ?? 'Error', status, detail };
}

/** The dependency a failure shows to be away, if any. */
function unavailableDependency(err: unknown): 'postgres' | 'temporal' | undefined {
  if (isDbUnavailable(err)) return 'postgres';
  if (isTemporalUnavailable(err)) return 'temporal';
  return undefined;
}

const DEPENDENCY_NAME = { postgres: 'PostgreSQL', temporal: 'Temporal' } as const;

/** Maps a thrown value to a problem; unknown errors become a 500 without internals. */
export function problemFromError(err: unknown): Problem {
  const away = unavailableDependency(err);
  if (away !== undefined) {
    return problem(503, 'unavailable', `${DEPENDENCY_NAME[away]} is unreachable; resend the same request after Retry-After seconds`, { dependency: away });
  }
  if (err instanceof CadenzaError) {
    const status = STATUS[err.kind];
    return problem(status, err.kind.replace(/_/g, '-'), err.message, {
      ...(err.issues.length > 0 ? { errors: err.issues } : {}),
      ...err.extra,
    });
  }
  return problem(500, 'internal', 'The server failed to handle the request; see the logs for the request id');
}

export function sendProblem(res: Response, p: Problem): void {
  const requestId = res.getHeader('x-request-id');
  if (p.status === 503) res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
  if (p.status === 429 && typeof p.retryAfterSeconds === 'number') res.setHeader('Retry-After', String(p.retryAfterSeconds));
  res
    .status(p.status)
    .type(PROBLEM_CONTENT_TYPE)
    .json({ ...p, instance: p.instance ?? res.req.originalUrl, ...(requestId ? { requestId: String(requestId) } : {}) });
}
