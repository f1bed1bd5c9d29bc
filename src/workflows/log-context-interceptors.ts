// Workflow interceptors (bundled with the workflow code, not a workflow): the request and
// correlation ids that came with the workflow's start go on every workflow log line and on to
// its activities, child workflows and continued runs. Headers play no part in replay.
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { WorkflowInterceptors } from '@temporalio/workflow';
import { LOG_CONTEXT_HEADERS } from '../telemetry/log-context-headers';

const NAMES = Object.values(LOG_CONTEXT_HEADERS);

export const interceptors = (): WorkflowInterceptors => {
  const carried: Record<string, Payload> = {};
  const attributes: Record<string, string> = {};
  const remember = (headers: Record<string, Payload>) => {
    for (const [key, header] of Object.entries(LOG_CONTEXT_HEADERS)) {
      const payload = headers[header];
      if (payload === undefined || header in carried) continue;
      carried[header] = payload;
      attributes[key] = defaultPayloadConverter.fromPayload<string>(payload);
    }
  };
  const passOn = <T extends { headers: Record<string, Payload> }>(input: T): T => {
    const own = Object.fromEntries(Object.entries(input.headers).filter(([k]) => NAMES.includes(k)));
    return { ...input, headers: { ...input.headers, ...carried, ...own } };
  };
  return {
    // The start's headers are read from its activation, before the SDK logs "Workflow started".
    internals: [
      {
        activate: (input, next) => {
          for (const job of input.activation.jobs ?? []) if (job.initializeWorkflow?.headers) remember(job.initializeWorkflow.headers as Record<string, Payload>);
          return next(input);
        },
      },
    ],
    outbound: [
      {
        scheduleActivity: (input, next) => next(passOn(input)),
        scheduleLocalActivity: (input, next) => next(passOn(input)),
        startChildWorkflowExecution: (input, next) => next(passOn(input)),
        continueAsNew: (input, next) => next(passOn(input)),
        getLogAttributes: (input, next) => next({ ...input, ...attributes }),
      },
    ],
  };
};
