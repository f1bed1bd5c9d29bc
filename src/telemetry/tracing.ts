// OpenTelemetry tracing, configured by the standard OTEL_* variables and off when none is set.
// A trace starts at the HTTP request (or continues the caller's W3C traceparent), goes through
// the Temporal client's workflow start, the workflow run and its activities (Temporal's
// OpenTelemetry interceptors carry it in headers), into handler code and to targets as traceparent.
import { context, propagation, trace, type Span, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource, envDetectorSync } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  NodeTracerProvider,
  NoopSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  makeWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkerOptions } from '@temporalio/worker';

export const TRACER_NAME = 'cadenza';

export interface Tracing {
  enabled: boolean;
  /** Where workflow spans go: the Temporal worker's `exporter` sink feeds them to this. */
  processor: SpanProcessor;
  resource: Resource;
  shutdown(): Promise<void>;
}

type Env = Record<string, string | undefined>;

/** Which exporter the OTEL_* variables ask for; undefined when tracing is off. */
export function exporterFromEnv(env: Env): SpanExporter | undefined {
  if (/^true$/i.test(env.OTEL_SDK_DISABLED ?? '')) return undefined;
  const kind = env.OTEL_TRACES_EXPORTER?.split(',')[0]?.trim();
  if (kind === 'none') return undefined;
  if (kind === 'console') return new ConsoleSpanExporter();
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (kind === 'otlp' || endpoint !== undefined) return new OTLPTraceExporter();
  return undefined;
}

let installed: Tracing | undefined;

/**
 * Installs tracing for the process, once (the first call wins): from the OTEL_* variables, or
 * with `exporter` (tests pass an in-memory one). Off, it registers nothing and costs nothing.
 */
export function installTracing(serviceName: string, options: { env?: Env; exporter?: SpanExporter } = {}): Tracing {
  if (installed !== undefined) return installed;
  const env = options.env ?? process.env;
  const resource = Resource.default().merge(new Resource({ 'service.name': serviceName })).merge(envDetectorSync.detect());
  const exporter = options.exporter ?? exporterFromEnv(env);
  if (exporter === undefined) {
    installed = { enabled: false, processor: new NoopSpanProcessor(), resource, shutdown: async () => undefined };
    return installed;
  }
  // An in-memory exporter (tests) sees each span as it ends; a network one gets batches.
  const processor = options.exporter !== undefined ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter);
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  provider.register();
  installed = { enabled: true, processor, resource, shutdown: () => provider.shutdown() };
  return installed;
}

export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/** The W3C trace headers of the active span, for an outbound call (a target, a reply). */
export function traceHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  propagation.inject(context.active(), headers);
  return headers;
}

/** The active span, for handler code that adds its own spans or attributes. */
export function activeSpan(): Span {
  return trace.getActiveSpan() ?? trace.wrapSpanContext({ traceId: '00000000000000000000000000000000', spanId: '0000000000000000', traceFlags: 0 });
}

/** Runs `fn` in a span that ends with it, recording an error. */
export async function inSpan<T>(name: string, attributes: Record<string, string | number>, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: 2, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** The Temporal client's interceptor: each workflow start, signal and update gets a span and carries the trace. */
export function clientTracingInterceptor(): OpenTelemetryWorkflowClientInterceptor {
  return new OpenTelemetryWorkflowClientInterceptor();
}

/** Worker options that trace activities and receive the workflow sandbox's spans (the bundle carries the workflow interceptors). */
export function workerTracingOptions(t: Tracing): Pick<WorkerOptions, 'sinks'> & { activityInterceptors: NonNullable<NonNullable<WorkerOptions['interceptors']>['activity']> } {
  return {
    sinks: { exporter: makeWorkflowExporter(t.processor, t.resource) },
    activityInterceptors: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })],
  };
}
