// The request id and correlation id of the work in progress. The API sets them per request; the
// Temporal client carries them to workflows in headers (cadenza-request-id,
// cadenza-correlation-id), workflows pass them on to their activities and children, and the
// activity interceptor restores them, so every log line of the work a request caused names it.
import { AsyncLocalStorage } from 'node:async_hooks';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { Next, WorkflowClientInterceptor, WorkflowSignalInput, WorkflowSignalWithStartInput, WorkflowStartInput, WorkflowStartUpdateInput } from '@temporalio/client';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';
import { LOG_CONTEXT_HEADERS, type LogContext } from './log-context-headers';

export type { LogContext };

const storage = new AsyncLocalStorage<LogContext>();
const NONE: LogContext = {};

export function currentLogContext(): LogContext {
  return storage.getStore() ?? NONE;
}

/** Runs `fn` with these ids added to the current ones (pino's mixin puts them on every line). */
export function withLogContext<T>(values: LogContext, fn: () => T): T {
  const merged = { ...currentLogContext() };
  for (const [k, v] of Object.entries(values) as [keyof LogContext, string | undefined][]) if (v !== undefined) merged[k] = v;
  return storage.run(merged, fn);
}

function headersOf(ctx: LogContext): Record<string, Payload> {
  const headers: Record<string, Payload> = {};
  for (const [key, header] of Object.entries(LOG_CONTEXT_HEADERS) as [keyof LogContext, string][]) {
    const value = ctx[key];
    if (value !== undefined) headers[header] = defaultPayloadConverter.toPayload(value);
  }
  return headers;
}

function fromHeaders(headers: Record<string, Payload>): LogContext {
  const ctx: LogContext = {};
  for (const [key, header] of Object.entries(LOG_CONTEXT_HEADERS) as [keyof LogContext, string][]) {
    const payload = headers[header];
    if (payload !== undefined) ctx[key] = defaultPayloadConverter.fromPayload<string>(payload);
  }
  return ctx;
}

const withHeaders = <T extends { headers: Record<string, Payload> }>(input: T): T => ({ ...input, headers: { ...headersOf(currentLogContext()), ...input.headers } });

/** Client side: workflow starts, signals and updates carry the current ids. */
export class LogContextClientInterceptor implements WorkflowClientInterceptor {
  start(input: WorkflowStartInput, next: Next<WorkflowClientInterceptor, 'start'>) {
    return next(withHeaders(input));
  }
  signal(input: WorkflowSignalInput, next: Next<WorkflowClientInterceptor, 'signal'>) {
    return next(withHeaders(input));
  }
  signalWithStart(input: WorkflowSignalWithStartInput, next: Next<WorkflowClientInterceptor, 'signalWithStart'>) {
    return next(withHeaders(input));
  }
  startUpdate(input: WorkflowStartUpdateInput, next: Next<WorkflowClientInterceptor, 'startUpdate'>) {
    return next(withHeaders(input));
  }
}

/** Worker side: an activity runs with the ids its workflow passed on, and the SDK's own activity lines carry them. */
export const logContextActivityInterceptor: ActivityInterceptorsFactory = () => {
  let ids: LogContext = {};
  const inbound: ActivityInboundCallsInterceptor = {
    execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
      ids = fromHeaders(input.headers);
      return withLogContext(ids, () => next(input));
    },
  };
  return { inbound, outbound: { getLogAttributes: (input, next) => next({ ...input, ...ids }) } };
};
