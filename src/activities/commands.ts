// Activities of the command bus. The core ones run on the workflow task queue (projection
// writes as local activities, reply delivery); runCommandHandler runs on each domain's handler
// queue, in workers that serve that domain.
import os from 'node:os';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { AppCtx } from '../context';
import type { Command, HandlerRegistry } from '../commands/handlers';
import { COMMAND_EVENTS, type BulkRetryInput } from '../commands/model';
import { retryPage } from '../commands/operator';
import { recordStarted, recordTransition, type TransitionInput, type TransitionOutcome } from '../commands/projection';
import { commandFlowContext } from '../commands/send';
import type { Tx } from '../db/db';
import { planRunSteps, type RunStepPlan } from '../flows/flows';
import { startFlowTrigger } from '../flows/runs';
import { postReply, replySigningKey } from '../commands/replies';
import { createAddressPolicy } from '../net/address-policy';

export interface HandlerInput extends Command {
  attempt: number;
  maxAttempts: number;
  totalAttempts: number;
  heartbeatIntervalMs: number;
}

/** The command flow trigger a transition fires, if any. */
function postTrigger(input: TransitionInput): 'postCompletion' | 'postTroubleshooting' | undefined {
  const types = input.events.map((e) => e.type);
  if (types.includes(COMMAND_EVENTS.completed) || types.includes(COMMAND_EVENTS.operatorComplete)) return 'postCompletion';
  if (types.includes(COMMAND_EVENTS.movedToTsq)) return 'postTroubleshooting';
  return undefined;
}

/**
 * Starts the command flow's post-transition actions without waiting for them. They never block
 * or fail the command: a failure to start is logged, and the run's own trace shows the rest.
 */
async function firePostTrigger(ctx: AppCtx, input: TransitionInput, trigger: 'postCompletion' | 'postTroubleshooting', steps: RunStepPlan[]): Promise<void> {
  if (steps.length === 0) return;
  const tenant = { instanceId: input.instanceId, orgId: input.orgId, role: 'admin' as const, actor: 'system', keyId: null, keyOrgId: null };
  const context = {
    ...commandFlowContext({ domain: input.domain, type: input.type, commandId: input.commandId, correlationId: input.correlationId }),
    transition: input.events.map((e) => ({ type: e.type, payload: e.payload })),
  };
  try {
    await startFlowTrigger({ ...ctx, tenant }, { flowType: 'command', trigger, context, orgId: input.orgId, steps });
  } catch (err) {
    ctx.log.warn({ err, trigger, domain: input.domain, commandId: input.commandId }, 'could not start the command flow trigger');
  }
}

export function coreCommandActivities(ctx: AppCtx) {
  const policy = createAddressPolicy(ctx.config.outboundAllowlist);
  return {
    async recordCommandTransition(input: TransitionInput): Promise<TransitionOutcome> {
      const trigger = postTrigger(input);
      // The trigger's actions are planned in the recording's transaction; only the first
      // recording fires it, so a replayed local activity starts no second run.
      const plan = trigger && ((tx: Tx) => planRunSteps(tx, input.instanceId, input.orgId, 'command', trigger));
      const { read: steps, ...out } = await recordTransition(ctx.db, input, plan);
      if (out.recorded && trigger !== undefined && steps !== undefined) await firePostTrigger(ctx, input, trigger, steps);
      return out;
    },

    /** One page of a bulk retry, acting as the operator who started it. */
    retryTroubleshootingPage(input: BulkRetryInput & { cursor: string | null }) {
      const tenant = { instanceId: input.instanceId, orgId: input.orgId, role: 'operator' as const, actor: input.operator, keyId: null, keyOrgId: input.orgId };
      return retryPage({ ...ctx, tenant }, input);
    },

    /** Signed with the reply key of the command's owner (orgId is absent in workflows started before orgs had their own). */
    async deliverCommandReply(input: { instanceId: string; orgId?: string | null; url: string; body: unknown }): Promise<number> {
      const key = await replySigningKey(ctx.db, ctx.config, input.instanceId, input.orgId ?? null);
      try {
        return await postReply(policy, input.url, key, input.body);
      } catch (err) {
        if (err instanceof Error && (err.name === 'ReplyRejected' || err.name === 'OutboundAddressRefused')) throw ApplicationFailure.nonRetryable(err.message, 'ReplyRejected');
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

export function handlerActivities(ctx: AppCtx, registry: HandlerRegistry) {
  return {
    async runCommandHandler(input: HandlerInput): Promise<unknown> {
      await recordStarted(ctx.db, input);
      const handler = registry.get(input.domain, input.type);
      if (handler === undefined) {
        throw ApplicationFailure.nonRetryable(`no handler for ${input.domain}/${input.type} on worker ${os.hostname()}:${process.pid}`, 'HandlerNotFound');
      }
      const { attempt, maxAttempts, totalAttempts, heartbeatIntervalMs, ...command } = input;
      const activity = Context.current();
      // Liveness: heartbeat while the handler runs, so a dead worker is noticed within the heartbeat timeout.
      const beat = setInterval(() => activity.heartbeat(), heartbeatIntervalMs);
      try {
        return await handler.handle(command, {
          attempt,
          maxAttempts,
          totalAttempts,
          correlationId: command.correlationId,
          heartbeat: (details?: unknown) => activity.heartbeat(details),
          signal: activity.cancellationSignal,
        });
      } catch (err) {
        throw toFailure(err);
      } finally {
        clearInterval(beat);
      }
    },
  };
}
