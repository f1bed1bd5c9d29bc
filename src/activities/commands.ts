// Activities of the command bus. The core ones run on the workflow task queue (projection
// writes as local activities, reply delivery); runCommandHandler runs on each domain's handler
// queue, in workers that serve that domain.
import os from 'node:os';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { AppCtx } from '../context';
import type { Command, HandlerRegistry } from '../commands/handlers';
import { COMMAND_EVENTS, COMMAND_FAILURES, type BulkRetryInput } from '../commands/model';
import { retryPage } from '../commands/operator';
import { recordStarted, recordTransition, type TransitionInput, type TransitionOutcome } from '../commands/projection';
import type { Tx } from '../db/db';
import { commandFlowContext } from '../flows/command-hooks';
import { planRunSteps, type RunStepPlan } from '../flows/flows';
import { startFlowTrigger } from '../flows/flow-runs';
import { postReply, replySigningKey } from '../commands/replies';
import type { Metrics } from '../metrics/metrics';
import { activeSpan } from '../telemetry/tracing';
import { createAddressPolicy } from '../net/address-policy';
import { lastActivityPollMs } from '../temporal/pollers';
import { persist } from './persist';

/** A handler queue polled within this long has workers (Temporal's own poller history is five minutes). */
const HANDLER_POLLED_WITHIN_MS = 5 * 60_000;

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

/** Counts a newly recorded transition that ends a command or parks it. */
function countTransition(metrics: Metrics, input: TransitionInput, command: { sentAt: Date; totalAttempts: number } | undefined): void {
  const details = { attempts: command?.totalAttempts, sentAt: command?.sentAt };
  for (const e of input.events) {
    if (e.type === COMMAND_EVENTS.completed || e.type === COMMAND_EVENTS.operatorComplete) metrics.commandFinished(input, 'completed', details);
    if (e.type === COMMAND_EVENTS.failed) metrics.commandFinished(input, 'failed', details);
    if (e.type === COMMAND_EVENTS.operatorCancel) metrics.commandFinished(input, 'canceled', details);
    if (e.type === COMMAND_EVENTS.movedToTsq) metrics.commandFinished(input, 'parked', { ...details, reason: String(e.payload.reason) });
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
      const { read: steps, command, ...out } = await recordTransition(ctx.db, input, plan);
      if (out.recorded) countTransition(ctx.metrics, input, command);
      if (out.recorded && trigger !== undefined && steps !== undefined) await firePostTrigger(ctx, input, trigger, steps);
      return out;
    },

    /**
     * Whether a worker polled a domain's handler queue lately (Temporal lists pollers for about
     * five minutes after their last poll; a busy worker polls again when a slot frees up). Then
     * workers serve the domain and were busy or briefly away: the attempt waits again.
     */
    async handlerQueueHasWorkers(input: { handlerTaskQueue: string }): Promise<boolean> {
      const last = await lastActivityPollMs(ctx.temporal, input.handlerTaskQueue);
      return last !== undefined && Date.now() - last < HANDLER_POLLED_WITHIN_MS;
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
        if (err instanceof Error && (err.name === COMMAND_FAILURES.replyRejected || err.name === 'OutboundAddressRefused')) throw ApplicationFailure.nonRetryable(err.message, COMMAND_FAILURES.replyRejected);
        throw err;
      }
    },
  };
}

/** Error classes are matched by name, so handler modules with their own copy of them still work. */
function toFailure(err: unknown): ApplicationFailure {
  const e: Error & { code?: string; details?: unknown } = err instanceof Error ? err : new Error(String(err));
  const details = [{ code: e.code, details: e.details }];
  if (e.name === COMMAND_FAILURES.businessRule || e.name === COMMAND_FAILURES.permanent) {
    return ApplicationFailure.create({ message: e.message, type: e.name, nonRetryable: true, details });
  }
  return ApplicationFailure.create({ message: e.message, type: COMMAND_FAILURES.transient, details });
}

/** This worker process, as recorded with each STARTED event. */
const WORKER = `${os.hostname()}:${process.pid}`;

/** How an attempt keeps Temporal told that its worker lives: heartbeats, or nothing (inline). */
type Liveness = { heartbeat(details?: unknown): void; intervalMs: number } | null;

/** One attempt of a handler: STARTED recorded, the handler run, its failure mapped for the workflow. */
async function runAttempt(ctx: AppCtx, registry: HandlerRegistry, input: HandlerInput, liveness: Liveness, served: (domain: string) => boolean): Promise<unknown> {
  const { attempt, maxAttempts, totalAttempts, heartbeatIntervalMs: _interval, ...command } = input;
  const activity = Context.current();
  // Liveness from the start (recording STARTED may wait for PostgreSQL), so a dead worker is
  // noticed within the heartbeat timeout and a live one never is taken for dead.
  const beat = liveness && setInterval(() => liveness.heartbeat(), liveness.intervalMs);
  const timer = ctx.metrics.handlerDuration.startTimer({ domain: input.domain, type: input.type });
  let outcome = 'error';
  try {
    const { startedBy } = await persist(() => recordStarted(ctx.db, { ...input, worker: WORKER }));
    if (liveness === null && startedBy !== WORKER) {
      // Inline: the workflow task that ran this attempt on another worker timed out (it crashed
      // or was killed mid-handler); the attempt counts as failed, as a missed heartbeat does.
      throw ApplicationFailure.nonRetryable(`the worker running attempt ${attempt} (${startedBy ?? 'unknown'}) stopped before it finished (worker crash?)`, COMMAND_FAILURES.handlerLost);
    }
    const handler = served(input.domain) ? registry.get(input.domain, input.type) : undefined;
    if (handler === undefined) {
      throw ApplicationFailure.nonRetryable(`no handler for ${input.domain}/${input.type} on worker ${WORKER}`, COMMAND_FAILURES.handlerNotFound);
    }
    let result: unknown;
    try {
      result = await handler.handle(command, {
        attempt,
        maxAttempts,
        totalAttempts,
        correlationId: command.correlationId,
        heartbeat: (details?: unknown) => liveness?.heartbeat(details),
        signal: activity.cancellationSignal,
        span: activeSpan(),
        log: ctx.log.child({ domain: input.domain, type: input.type, commandId: input.commandId }),
      });
    } catch (err) {
      const failure = toFailure(err);
      outcome = failure.type === COMMAND_FAILURES.businessRule ? 'business_rule' : failure.nonRetryable ? 'permanent' : 'error';
      throw failure;
    }
    outcome = 'success';
    return result;
  } finally {
    if (beat) clearInterval(beat);
    timer({ outcome });
  }
}

/** Handlers on each domain's own queue, as regular activities that heartbeat. */
export function handlerActivities(ctx: AppCtx, registry: HandlerRegistry) {
  return {
    runCommandHandler(input: HandlerInput): Promise<unknown> {
      const activity = Context.current();
      return runAttempt(ctx, registry, input, { heartbeat: (d) => activity.heartbeat(d), intervalMs: input.heartbeatIntervalMs }, () => true);
    },
  };
}

/**
 * Handlers of inline domains: a local activity of the command workflow, on the core queue. A
 * local activity cannot heartbeat; the workflow task's timeout notices a lost worker instead.
 */
export function inlineHandlerActivities(ctx: AppCtx, registry: HandlerRegistry, domains: string[]) {
  return {
    runCommandHandlerInline(input: HandlerInput): Promise<unknown> {
      return runAttempt(ctx, registry, input, null, (domain) => domains.includes(domain));
    },
  };
}
