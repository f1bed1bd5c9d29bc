// Deployed workflow code: change it behind patched() (test/unit/replay.test.ts replays saved
// histories). One workflow per command: attempts with backoff, the troubleshooting queue, operator
// actions, replies. Every transition is recorded (event + projection, idempotently) by a local
// activity and mirrored in the CommandStatus search attribute.
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  TimeoutFailure,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { coreCommandActivities, handlerActivities, inlineHandlerActivities } from '../activities/commands';
import {
  cancelSignal,
  cancelUpdate,
  commandReplySignal,
  batchReplySignal,
  completeSignal,
  completeUpdate,
  retrySignal,
  retryUpdate,
  statusQuery,
} from '../commands/messages';
import {
  backoffFor,
  COMMAND_EVENTS,
  COMMAND_FAILURES,
  handlerTaskQueue,
  INLINE_HANDLER_TIMEOUT_MAX_MS,
  TEMPORAL_REPLY_PREFIX,
  type BatchReply,
  type CommandError,
  type CommandEventType,
  type CommandReply,
  type CommandSnapshot,
  type CommandWorkflowInput,
  type OperatorInput,
  type TsqReason,
} from '../commands/model';
import type { BatchCompletion, TransitionSet } from '../commands/projection';
import { CommandStatus } from '../temporal/search-attributes';

type CoreActivities = ReturnType<typeof coreCommandActivities>;
type HandlerActivities = ReturnType<typeof handlerActivities>;
type InlineHandlerActivities = ReturnType<typeof inlineHandlerActivities>;

const { recordCommandTransition } = proxyLocalActivities<CoreActivities>({
  startToCloseTimeout: '30s',
  // A projection write must land eventually: retry while PostgreSQL is away, never give up.
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '30s' },
});

const { handlerQueueHasWorkers } = proxyLocalActivities<CoreActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});

/** A pickup timeout is HANDLER_NOT_FOUND only when no worker polls the domain's handler queue. */
const PICKUP_ASKS_POLLERS = 'pickup-timeout-asks-pollers';
/** Inline domains run the handler as a local activity of this workflow. */
const INLINE_HANDLERS = 'inline-handlers';
/** A retry with no backoff starts at once, without a timer (two history events and a workflow task less). */
const NO_TIMER_WITHOUT_BACKOFF = 'no-timer-without-backoff';
/** After a reschedule, the pickup wait is at least this long, so busy workers cost few history events. */
const RESCHEDULED_PICKUP_MIN_MS = 30_000;

const { deliverCommandReply } = proxyActivities<CoreActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 10, nonRetryableErrorTypes: [COMMAND_FAILURES.replyRejected] },
});

/** `done` is the state right after the operator's transition was recorded: what the update answers. */
type OperatorAction = { kind: 'retry' | 'cancel' | 'complete'; input: OperatorInput; done?: CommandSnapshot };

type AttemptOutcome = { kind: 'completed'; result: unknown } | { kind: 'failed'; error: CommandError } | { kind: 'tsq' };

const MAX_OPERATOR_TEXT = 1000;

function invalidOperatorInput(kind: OperatorAction['kind'], input: OperatorInput | undefined): string | undefined {
  if (input === undefined || input === null || typeof input !== 'object') return 'input must be an object such as {"operator": "alice"}';
  if (input.operator !== undefined && (typeof input.operator !== 'string' || input.operator.length > 200)) return 'operator must be a string of at most 200 characters';
  if (input.reason !== undefined && (typeof input.reason !== 'string' || input.reason.length > MAX_OPERATOR_TEXT)) return `reason must be a string of at most ${MAX_OPERATOR_TEXT} characters`;
  if (kind === 'cancel' && (typeof input.reason !== 'string' || input.reason.trim() === '')) return 'cancel needs a reason';
  return undefined;
}

function isPickupTimeout(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof TimeoutFailure && err.cause.timeoutType === 'SCHEDULE_TO_START';
}

/** Maps an attempt's failure to what happens next. */
function classify(err: unknown): { error: CommandError; next: 'retry' | 'tsq' | 'fail'; reason?: TsqReason } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof TimeoutFailure) {
    if (cause.timeoutType === 'SCHEDULE_TO_START') {
      return { error: { kind: 'HANDLER_NOT_FOUND', message: 'no worker serving this domain picked the command up in time' }, next: 'tsq', reason: 'HANDLER_NOT_FOUND' };
    }
    // A crash (no heartbeat) or a hang (start-to-close) counts as a failed attempt.
    return { error: { kind: 'TIMEOUT', message: `handler ${cause.timeoutType === 'HEARTBEAT' ? 'stopped heartbeating (worker crash?)' : 'timed out'}`, code: cause.timeoutType }, next: 'retry' };
  }
  if (cause instanceof ApplicationFailure) {
    const details = cause.details?.[0] as { code?: string; details?: unknown } | undefined;
    const error = { message: cause.message, code: details?.code, details: details?.details };
    if (cause.type === COMMAND_FAILURES.businessRule) return { error: { kind: 'BUSINESS_RULE', ...error }, next: 'fail' };
    if (cause.type === COMMAND_FAILURES.permanent) return { error: { kind: 'PERMANENT', ...error }, next: 'tsq', reason: 'PERMANENT' };
    if (cause.type === COMMAND_FAILURES.handlerNotFound) return { error: { kind: 'HANDLER_NOT_FOUND', ...error }, next: 'tsq', reason: 'HANDLER_NOT_FOUND' };
    // An inline attempt whose worker was lost: the counterpart of a missed heartbeat.
    if (cause.type === COMMAND_FAILURES.handlerLost) return { error: { kind: 'TIMEOUT', message: cause.message, code: 'WORKFLOW_TASK' }, next: 'retry' };
    return { error: { kind: 'TRANSIENT', ...error }, next: 'retry' };
  }
  return { error: { kind: 'TRANSIENT', message: err instanceof Error ? err.message : String(err) }, next: 'retry' };
}

export async function commandWorkflow(input: CommandWorkflowInput): Promise<CommandSnapshot> {
  const { policy } = input;
  const state: CommandSnapshot = { status: 'PENDING', attempts: 0, totalAttempts: 0, lastError: null, tsqReason: null };
  let step = 0;
  let pending: OperatorAction | null = null;

  const handlerQueue = handlerTaskQueue(workflowInfo().taskQueue, input.domain);
  const handlerWith = (pickupTimeoutMs: number) =>
    proxyActivities<HandlerActivities>({
      taskQueue: handlerQueue,
      startToCloseTimeout: policy.handlerTimeoutMs,
      heartbeatTimeout: policy.heartbeatTimeoutMs,
      scheduleToStartTimeout: pickupTimeoutMs,
      // Attempts are counted here, not by Temporal, so each one is audited and visible.
      retry: { maximumAttempts: 1 },
    });

  const inline = proxyLocalActivities<InlineHandlerActivities>({
    startToCloseTimeout: Math.min(policy.handlerTimeoutMs, INLINE_HANDLER_TIMEOUT_MAX_MS),
    retry: { maximumAttempts: 1 },
  });

  /**
   * Runs one attempt, inline or on the domain's queue. A pickup timeout while workers poll the
   * domain's queue (busy, or back from an outage) schedules the same attempt again instead of
   * parking it as HANDLER_NOT_FOUND.
   */
  async function runHandler(args: Parameters<HandlerActivities['runCommandHandler']>[0]): Promise<unknown> {
    if (policy.execution === 'inline' && patched(INLINE_HANDLERS)) return inline.runCommandHandlerInline(args);
    for (let pickupTimeoutMs = policy.pickupTimeoutMs; ; pickupTimeoutMs = Math.max(policy.pickupTimeoutMs, RESCHEDULED_PICKUP_MIN_MS)) {
      try {
        return await handlerWith(pickupTimeoutMs).runCommandHandler(args);
      } catch (err) {
        if (!isPickupTimeout(err) || !patched(PICKUP_ASKS_POLLERS)) throw err;
        if (!(await handlerQueueHasWorkers({ handlerTaskQueue: handlerQueue }))) throw err;
        log.warn('no worker picked the attempt up in time, but workers poll the domain: scheduling it again', { attempt: args.attempt, pickupTimeoutMs });
      }
    }
  }

  setHandler(statusQuery, () => ({ ...state }));

  const accept = (kind: OperatorAction['kind']) => (op: OperatorInput) => {
    const invalid = invalidOperatorInput(kind, op);
    if (invalid !== undefined || state.status !== 'IN_TROUBLESHOOTING_QUEUE' || pending !== null) {
      log.warn('operator signal ignored', { kind, status: state.status, invalid });
      return;
    }
    pending = { kind, input: op };
  };
  const validate = (kind: OperatorAction['kind']) => (op: OperatorInput) => {
    const invalid = invalidOperatorInput(kind, op);
    if (invalid !== undefined) throw ApplicationFailure.nonRetryable(invalid, COMMAND_FAILURES.invalidOperatorInput);
    if (state.status !== 'IN_TROUBLESHOOTING_QUEUE' || pending !== null) {
      throw ApplicationFailure.nonRetryable(`the command is ${state.status}, not in the troubleshooting queue`, COMMAND_FAILURES.notInTroubleshootingQueue);
    }
  };
  const operate = (kind: OperatorAction['kind']) => async (op: OperatorInput) => {
    const action: OperatorAction = { kind, input: op };
    pending = action;
    // Answer once the main loop has recorded the transition.
    await condition(() => action.done !== undefined);
    return action.done!;
  };
  setHandler(retrySignal, accept('retry'));
  setHandler(cancelSignal, accept('cancel'));
  setHandler(completeSignal, accept('complete'));
  setHandler(retryUpdate, operate('retry'), { validator: validate('retry') });
  setHandler(cancelUpdate, operate('cancel'), { validator: validate('cancel') });
  setHandler(completeUpdate, operate('complete'), { validator: validate('complete') });

  async function record(
    events: { type: CommandEventType; payload?: Record<string, unknown> }[],
    set: TransitionSet,
    options: { creator?: string; batchOutcome?: 'completed' | 'failed' | 'canceled' } = {},
  ): Promise<BatchCompletion | null> {
    step += 1;
    const out = await recordCommandTransition({
      instanceId: input.instanceId,
      orgId: input.orgId,
      domain: input.domain,
      commandId: input.commandId,
      type: input.type,
      correlationId: input.correlationId,
      step,
      events: events.map((e) => ({ type: e.type, payload: e.payload ?? {} })),
      creator: options.creator ?? 'system',
      set,
      batch: input.batchId === null ? null : { batchId: input.batchId, outcome: options.batchOutcome ?? null },
    });
    const previous = state.status;
    if (set.status !== undefined) state.status = set.status;
    if (set.attempts !== undefined) state.attempts = set.attempts;
    if (set.totalAttempts !== undefined) state.totalAttempts = set.totalAttempts;
    if (set.lastError !== undefined) state.lastError = set.lastError;
    if (set.tsqReason !== undefined) state.tsqReason = set.tsqReason;
    if (state.status !== previous) upsertSearchAttributes([{ key: CommandStatus, value: state.status }]);
    return out.batchCompleted;
  }

  async function runAttempts(): Promise<AttemptOutcome> {
    for (let attempt = 1; ; attempt++) {
      const total = state.totalAttempts + 1;
      // The handler activity records STARTED itself when a worker picks the attempt up: one
      // local activity less per attempt, and IN_PROGRESS means a handler really has it.
      Object.assign(state, { status: 'IN_PROGRESS', attempts: attempt, totalAttempts: total });
      upsertSearchAttributes([{ key: CommandStatus, value: 'IN_PROGRESS' }]);
      try {
        const result = await runHandler({
          instanceId: input.instanceId,
          orgId: input.orgId,
          domain: input.domain,
          type: input.type,
          commandId: input.commandId,
          correlationId: input.correlationId,
          payload: input.payload,
          attempt,
          maxAttempts: policy.maxAttempts,
          totalAttempts: total,
          heartbeatIntervalMs: Math.max(50, Math.floor(policy.heartbeatTimeoutMs / 3)),
        });
        return { kind: 'completed', result };
      } catch (err) {
        const { error, next, reason } = classify(err);
        const failed = { type: COMMAND_EVENTS.attemptFailed, payload: { attempt, error } };
        if (next === 'fail') return { kind: 'failed', error };
        if (next === 'retry' && attempt < policy.maxAttempts) {
          const delayMs = backoffFor(policy, attempt);
          const nextAttemptAt = new Date(Date.now() + delayMs).toISOString();
          await record([failed, { type: COMMAND_EVENTS.retryScheduled, payload: { attempt, nextAttempt: attempt + 1, delayMs, nextAttemptAt } }], {
            status: 'RETRY_WAIT',
            lastError: error,
            nextAttemptAt,
          });
          if (delayMs > 0 || !patched(NO_TIMER_WITHOUT_BACKOFF)) await sleep(delayMs);
          continue;
        }
        const tsqReason: TsqReason = reason ?? 'EXHAUSTED';
        await record([failed, { type: COMMAND_EVENTS.movedToTsq, payload: { reason: tsqReason, attempts: attempt, error } }], {
          status: 'IN_TROUBLESHOOTING_QUEUE',
          lastError: error,
          tsqReason,
        });
        return { kind: 'tsq' };
      }
    }
  }

  async function sendReply(reply: CommandReply): Promise<void> {
    if (input.replyTo === null) return;
    try {
      await deliver(input.replyTo, reply, 'commandReply');
      await record([{ type: COMMAND_EVENTS.replySent, payload: { replyTo: input.replyTo, outcome: reply.outcome } }], {});
    } catch (err) {
      const message = err instanceof ActivityFailure && err.cause ? err.cause.message : err instanceof Error ? err.message : String(err);
      await record([{ type: COMMAND_EVENTS.replyFailed, payload: { replyTo: input.replyTo, outcome: reply.outcome, error: message } }], {});
    }
  }

  async function deliver(replyTo: string, body: CommandReply | BatchReply, kind: 'commandReply' | 'batchReply'): Promise<void> {
    if (replyTo.startsWith(TEMPORAL_REPLY_PREFIX)) {
      const target = getExternalWorkflowHandle(replyTo.slice(TEMPORAL_REPLY_PREFIX.length));
      if (kind === 'commandReply') await target.signal(commandReplySignal, body as CommandReply);
      else await target.signal(batchReplySignal, body as BatchReply);
    } else {
      await deliverCommandReply({ instanceId: input.instanceId, orgId: input.orgId, url: replyTo, body });
    }
  }

  async function finishBatch(batch: BatchCompletion | null): Promise<void> {
    if (batch === null || batch.replyTo === null) return;
    const { replyTo, ...reply } = batch;
    try {
      await deliver(replyTo, reply, 'batchReply');
    } catch (err) {
      log.warn('batch reply failed', { batchId: batch.batchId, error: String(err) });
    }
  }

  const base = { commandId: input.commandId, domain: input.domain, type: input.type, correlationId: input.correlationId };

  for (;;) {
    const outcome = await runAttempts();
    if (outcome.kind === 'completed') {
      const batch = await record([{ type: COMMAND_EVENTS.completed, payload: { result: outcome.result ?? null } }], { status: 'COMPLETED', result: outcome.result ?? null }, { batchOutcome: 'completed' });
      await sendReply({ ...base, outcome: 'SUCCESS', result: outcome.result ?? null });
      await finishBatch(batch);
      break;
    }
    if (outcome.kind === 'failed') {
      const batch = await record([{ type: COMMAND_EVENTS.failed, payload: { error: outcome.error } }], { status: 'FAILED', lastError: outcome.error }, { batchOutcome: 'failed' });
      await sendReply({ ...base, outcome: 'FAILED', error: outcome.error });
      await finishBatch(batch);
      break;
    }

    await condition(() => pending !== null);
    const action = pending!;
    const operator = action.input.operator ?? 'unknown';
    const reason = action.input.reason;
    if (action.kind === 'retry') {
      await record([{ type: COMMAND_EVENTS.operatorRetry, payload: { operator, reason: reason ?? null } }], { status: 'PENDING', attempts: 0, tsqReason: null }, { creator: operator });
      action.done = { ...state };
      pending = null;
      continue;
    }
    if (action.kind === 'cancel') {
      const batch = await record([{ type: COMMAND_EVENTS.operatorCancel, payload: { operator, reason: reason ?? null } }], { status: 'CANCELED', tsqReason: null }, { creator: operator, batchOutcome: 'canceled' });
      action.done = { ...state };
      pending = null;
      await sendReply({ ...base, outcome: 'CANCELED', reason });
      await finishBatch(batch);
      break;
    }
    const result = action.input.result ?? null;
    const batch = await record([{ type: COMMAND_EVENTS.operatorComplete, payload: { operator, reason: reason ?? null, result } }], { status: 'COMPLETED', result, tsqReason: null }, { creator: operator, batchOutcome: 'completed' });
    action.done = { ...state };
    pending = null;
    await sendReply({ ...base, outcome: 'SUCCESS', result });
    await finishBatch(batch);
    break;
  }

  await condition(allHandlersFinished);
  return { ...state };
}
