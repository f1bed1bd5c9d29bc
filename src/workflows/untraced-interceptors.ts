// Workflow interceptors of the bundle a worker loads with tracing off (src/worker/bundle.ts):
// the OpenTelemetry ones, whose spans the worker drops, for every workflow but the command
// workflow. Their span ids come from the workflow's seeded random numbers, so a workflow that
// draws its own (dag and n8n ids) must keep them to replay alike with tracing on or off; the
// command workflow draws none, and its spans cost about a fifth of the workflow thread's CPU
// (bench/README.md, "per-command CPU").
import { workflowInfo, type WorkflowInterceptors } from '@temporalio/workflow';

/** Workflows that draw no random numbers, so that their spans are safe to skip. */
const WITHOUT_SPANS = new Set(['commandWorkflow']);

export const interceptors = (): WorkflowInterceptors => {
  if (WITHOUT_SPANS.has(workflowInfo().workflowType)) return {};
  // Required here, not imported: the sandbox evaluates a workflow's modules for each run.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tracing = require('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors') as { interceptors: () => WorkflowInterceptors };
  return tracing.interceptors();
};
