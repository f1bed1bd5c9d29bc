// Activities of the command bus. The core ones run on the workflow task queue (projection
// writes as local activities, reply delivery); runCommandHandler runs on each domain's handler
// queue, in workers that serve that domain.
import os from 'node:os';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { AppCtx } from '../context';
import type { HandlerRegistry } from '../commands/handlers';
import { recordTransition, type TransitionInput } from '../commands/projection';
import { postReply, replySigningKey } from '../commands/replies';

export interface HandlerInput {
  instanceId: string;
  orgId: string | null;
  domain: string;
  type: string;
  commandId: string;
  correlationId: string;
  payload: unknown;
  attempt: number;
  maxAttempts: number;
  totalAttempts: number;
  heartbeatIntervalMs: number;
}

export function coreCommandActivities(ctx: AppCtx) {
  return {
    recordCommandTransition: (input: TransitionInput) => recordTransition(ctx.db, input),

    async deliverCommandReply(input: { instanceId: string; url: string; body: unknown }): Promise<number> {
      const key = replySigningKey(ctx.config.masterKey!, input.instanceId);
      try {
        return await postReply(input.url, key, input.body);
      } catch (err) {
        if (err instanceof Error && err.name === 'ReplyRejected') throw ApplicationFailure.nonRetryable(err.message, 'ReplyRejected');
        throw err;
      }
    },
  };
}

/** Error classes are matched by name, so handler modules with their own copy of them still work. */
function toFailure(err: unknown): ApplicationFailure {
  const e: Error & { code?: string; details?: unknown } = err instanceof Error ? err : new Error(String(err));
  const details = [{ code: e.code, details: e.details }];
  if (e.name === 'BusinessRuleError' || e.name === 'PermanentCommandError') {
    return ApplicationFailure.create({ message: e.message, type: e.name, nonRetryable: true, details });
  }
  return ApplicationFailure.create({ message: e.message, type: 'TransientCommandError', details });
}

export function handlerActivities(registry: HandlerRegistry) {
  return {
    async runCommandHandler(input: HandlerInput): Promise<unknown> {
      const handler = registry.get(input.domain, input.type);
      if (handler === undefined) {
        throw ApplicationFailure.nonRetryable(`no handler for ${input.domain}/${input.type} on worker ${os.hostname()}:${process.pid}`, 'HandlerNotFound');
      }
      const activity = Context.current();
      // Liveness: heartbeat while the handler runs, so a dead worker is noticed within the heartbeat timeout.
      const beat = setInterval(() => activity.heartbeat(), input.heartbeatIntervalMs);
      try {
        return await handler.handle(
          {
            instanceId: input.instanceId,
            orgId: input.orgId,
            domain: input.domain,
            type: input.type,
            commandId: input.commandId,
            correlationId: input.correlationId,
            payload: input.payload,
          },
          {
            attempt: input.attempt,
            maxAttempts: input.maxAttempts,
            totalAttempts: input.totalAttempts,
            correlationId: input.correlationId,
            heartbeat: (details?: unknown) => activity.heartbeat(details),
            signal: activity.cancellationSignal,
          },
        );
      } catch (err) {
        throw toFailure(err);
      } finally {
        clearInterval(beat);
      }
    },
  };
}
