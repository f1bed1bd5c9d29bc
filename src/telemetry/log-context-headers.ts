// Shared by the Temporal client, the activity interceptor and the workflow interceptors (which
// run in the workflow sandbox: plain data only here).
export interface LogContext {
  requestId?: string;
  correlationId?: string;
}

export const LOG_CONTEXT_HEADERS: Record<keyof LogContext, string> = {
  requestId: 'cadenza-request-id',
  correlationId: 'cadenza-correlation-id',
};
