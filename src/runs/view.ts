// Runs as the API shows them: one schema per shape that the routes answer with (and the OpenAPI
// document describes), whose inferred types the read side returns.
import { PREVIEW_BYTES } from '../preview';
import { z } from '../zod';

export const Run = z
  .object({
    id: z.string(),
    kind: z.string(),
    orgId: z.string().nullable(),
    flowType: z.string(),
    triggerType: z.string(),
    state: z.enum(['running', 'succeeded', 'failed']),
    workflowId: z.string(),
    contextIn: z.record(z.string(), z.unknown()),
    contextOut: z.record(z.string(), z.unknown()).nullable(),
    error: z.record(z.string(), z.unknown()).nullable(),
    startedAt: z.string(),
    endedAt: z.string().nullable(),
    createdBy: z.string(),
    // The run this one retries, for runs started by POST /v1/runs/{id}/retry.
    retryOf: z.string().nullable(),
  })
  .openapi('Run');
export const RunStep = z
  .object({
    position: z.number().int(),
    actionId: z.string(),
    actionName: z.string(),
    actionVersion: z.number().int(),
    owner: z.enum(['instance', 'org']),
    allowedToFail: z.boolean(),
    state: z.enum(['succeeded', 'failed']),
    startedAt: z.string(),
    endedAt: z.string(),
    durationMs: z.number(),
    error: z.object({ kind: z.string(), message: z.string(), line: z.number().optional() }).nullable(),
    logs: z.array(z.object({ level: z.string(), message: z.string(), at: z.string() })),
    logsTruncated: z.boolean(),
  })
  .openapi('RunStep', { description: 'One action of a flow run, pinned to the version it ran.' });
export const RunCall = z
  .object({
    position: z.number().int(),
    attempt: z.number().int(),
    targetId: z.string(),
    targetName: z.string(),
    targetType: z.string(),
    state: z.enum(['succeeded', 'failed']),
    statusCode: z.number().int().nullable(),
    startedAt: z.string(),
    endedAt: z.string(),
    durationMs: z.number(),
    error: z.string().nullable(),
    request: z.unknown().openapi({ description: `The body sent, cut to ${PREVIEW_BYTES} bytes of JSON ({truncated, bytes, preview}).` }),
    response: z.unknown().openapi({ description: 'The body answered, cut the same way; null when no answer came.' }),
  })
  .openapi('RunCall', { description: 'One attempt of one target call of an execution run.' });
export type Run = z.infer<typeof Run>;
export type RunStep = z.infer<typeof RunStep>;
/** One target call attempt of an execution run. */
export type RunCall = z.infer<typeof RunCall>;
