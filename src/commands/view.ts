// The command as the API shows it: one schema that the routes answer with (and the OpenAPI
// document describes), whose inferred type the domain returns and the client library exposes.
import { z } from '../zod';
import { COMMAND_STATUSES, TSQ_REASONS } from './model';

export const CommandStatus = z.enum(COMMAND_STATUSES);
export const TsqReason = z.enum(TSQ_REASONS);

export const CommandError = z.object({ kind: z.string(), message: z.string(), code: z.string().optional(), details: z.unknown().optional() });

export const CommandView = z
  .object({
    domain: z.string(),
    commandId: z.string(),
    type: z.string(),
    status: CommandStatus,
    orgId: z.string().nullable(),
    correlationId: z.string(),
    replyTo: z.string().nullable(),
    batchId: z.string().nullable(),
    payload: z.unknown(),
    attempts: z.number().int(),
    totalAttempts: z.number().int(),
    maxAttempts: z.number().int(),
    lastError: CommandError.nullable(),
    tsqReason: TsqReason.nullable().openapi({ description: 'Why the command is (or last was) in the troubleshooting queue' }),
    result: z.unknown(),
    nextAttemptAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    workflowId: z.string().openapi({ description: 'The Temporal workflow id: command:<instance>:<domain>:<commandId>' }),
  })
  .openapi('Command');
export type CommandView = z.infer<typeof CommandView>;
