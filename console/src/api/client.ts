// The console's one way to the API: a client typed by the OpenAPI document the API itself
// produces at build time (generated/api.d.ts), so an API change the console does not follow
// fails the build. Every call carries the session's key and, if one is picked, its org.
import createClient from 'openapi-fetch';
import type { components, paths } from '../../generated/api';
import { readSession } from './session';

export type Schemas = components['schemas'];
export type Command = Schemas['Command'];
export type Problem = Schemas['Problem'];

export const api = createClient<paths>({ baseUrl: window.location.origin });

api.use({
  onRequest({ request }) {
    const session = readSession();
    if (session !== undefined) {
      request.headers.set('authorization', `Bearer ${session.key}`);
      if (session.org !== null) request.headers.set('x-cadenza-org', session.org);
    }
    return request;
  },
});

/** A non-2xx answer, with the problem+json body the API sends. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Partial<Problem> | undefined,
  ) {
    super(problem?.detail ?? `The API answered ${status}`);
    this.name = 'ApiError';
  }

  /** The field errors of a 4xx, "field: message" each. */
  get fieldErrors(): string[] {
    return (this.problem?.errors ?? []).map((e) => `${e.field}: ${e.message}`);
  }
}

const listeners = new Set<(err: ApiError) => void>();

/** Called on every 401, so the console can ask for a key again. */
export function onUnauthorized(listener: (err: ApiError) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Awaits an openapi-fetch call and returns its data, or throws an ApiError. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) {
    const err = new ApiError(response.status, typeof error === 'object' && error !== null ? (error as Partial<Problem>) : undefined);
    if (response.status === 401) for (const l of listeners) l(err);
    throw err;
  }
  return data as T;
}
