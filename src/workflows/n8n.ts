// The n8n interpreter workflow: n8n's execution order (src/dsl/engine.ts) on Temporal. Each node
// run is one activity that reads and writes its items in PostgreSQL, so this workflow's state and
// its continue-as-new carry only item counts. Waits, signals, sub-workflows and command replies
// are handled here. Deterministic code only; changes once shipped go behind patched() (the
// replay test replays saved histories of this workflow too). It replaced dagWorkflow for new runs;
// dagWorkflow stays registered for the runs it started.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  executeChild,
  isCancellation,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  startChild,
  uuid4,
  TimeoutFailure,
  workflowInfo,
} from '@temporalio/workflow';
import type { DagActivities, SentCommand } from '../activities/dag';
import type { N8nActivities, NodeTaskInput, NodeTaskResult } from '../activities/n8n';
import { commandReplySignal } from '../commands/messages';
import { commandAggregateId, type CommandReply } from '../commands/model';
import { Engine, type Task } from '../dsl/engine';
import type { RunPlanNode } from '../dsl/run-plan';
import { commandOutcomeFailure, dagSignal, dagWorkflowId } from './dag-contract';
import { N8N_FAILURES, type N8nCarried, type N8nRunInput, type N8nRunResult, type NodeTaskMode } from './n8n-contract';

class NodeFailed extends Error {
  constructor(readonly node: string, message: string) {
    super(`node '${node}' failed: ${message}`);
  }
}
class TimedOut extends Error {}
class TooManyRuns extends Error {}

const DEFAULT_HISTORY_LIMIT = 10_000;
/** Patch: a node attempt lost with its worker runs again instead of failing the node. */
const NODE_SURVIVES_WORKER_LOSS = 'node-survives-worker-loss';
/** How many times in a row one node run may be lost with its worker before the node fails. */
const LOST_WORKER_RERUNS = 5;
/** How the sendN8nCommands activity itself is retried (node retries resend under new ids); its ids make resends safe. */
const SEND_RETRY = { initialInterval: '1s', maximumInterval: '30s' } as const;

// Run and node records must land: retried while PostgreSQL is away, however long.
const bookkeeping = proxyActivities<DagActivities & N8nActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

/** A run id like the API's (`run_` + 16 lowercase characters), deterministic in workflow code. */
export function newRunId(): string {
  return `run_${uuid4().replace(/-/g, '').slice(0, 16)}`;
}

/** The activity stopped heartbeating: its worker died (or hung) mid-run. */
function lostWithWorker(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof TimeoutFailure && err.cause.timeoutType === 'HEARTBEAT';
}

function errorMessage(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  // Activity and child failures wrap the real error in `cause`.
  while (e?.cause !== undefined && typeof e.cause === 'object' && e.cause !== null) e = e.cause as typeof e;
  return e?.message ?? String(err);
}

function replyFailure(reply: CommandReply): string {
  const why = reply.outcome === 'FAILED' ? (reply.error?.message ?? 'no error given') : (reply.reason ?? 'no reason given');
  return `command ${reply.domain}/${reply.commandId} ${reply.outcome}: ${why}`;
}

class Interpreter {
  readonly engine: Engine;
  private readonly byName: Map<string, RunPlanNode>;
  private readonly pinned: Set<string>;
  private readonly scope = new CancellationScope();
  private readonly running = new Map<string, Promise<void>>();
  private events = 0;
  private fatal: Error | undefined;

  constructor(private readonly input: N8nRunInput, readonly state: N8nCarried, private readonly signals: Map<string, Record<string, unknown>[]>, private readonly replies: Map<string, CommandReply>) {
    this.engine = new Engine({ nodes: input.plan.nodes, edges: input.plan.edges, order: input.plan.order }, state.engine);
    this.byName = new Map(input.plan.nodes.map((n) => [n.name, n]));
    this.pinned = new Set(input.pinned);
  }

  /** Runs until no node is left ('done'), or until history asks for a new run ('continue'). */
  async run(): Promise<'done' | 'continue'> {
    let draining = false;
    for (;;) {
      if (this.fatal) throw this.stop(this.fatal);
      if (!draining && this.historyIsLong()) draining = true;
      while (!draining && this.running.size < this.input.plan.maxParallel) {
        const task = this.engine.next(new Set(this.running.keys()));
        if (task === undefined) break;
        if (++this.state.steps > this.input.plan.maxNodeRuns) throw this.stop(new TooManyRuns(`the run exceeded ${this.input.plan.maxNodeRuns} node runs (settings.maxNodeRuns); does a loop never end?`));
        this.launch(task);
      }
      if (this.running.size === 0) {
        this.state.engine = this.engine.snapshot();
        return draining ? 'continue' : 'done';
      }
      const seen = this.events;
      const remaining = this.state.deadline === undefined ? undefined : this.state.deadline - Date.now();
      if (remaining !== undefined && remaining <= 0) throw this.stop(new TimedOut());
      if (remaining === undefined) await condition(() => this.events !== seen);
      else if (!(await condition(() => this.events !== seen, remaining))) throw this.stop(new TimedOut());
    }
  }

  result(): N8nRunResult {
    return { lastNode: this.state.last?.node ?? null, lastRun: this.state.last?.run ?? null };
  }

  private stop(err: Error): Error {
    this.scope.cancel();
    return err;
  }

  private historyIsLong(): boolean {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength > (this.input.historyEventLimit ?? DEFAULT_HISTORY_LIMIT);
  }

  private launch(task: Task): void {
    const node = this.byName.get(task.node)!;
    const runIndex = this.engine.nextRunIndex(task.node);
    const done = this.scope
      .run(() => this.execute(node, task, runIndex))
      .then(
        (result) => {
          this.engine.complete(task, result.counts);
          this.state.last = { node: task.node, run: runIndex };
        },
        (err: unknown) => {
          if (!this.fatal && !isCancellation(err)) this.fatal = err instanceof NodeFailed || err instanceof TooManyRuns ? err : new NodeFailed(task.node, errorMessage(err));
        },
      )
      .finally(() => {
        this.running.delete(task.node);
        this.events++;
      });
    this.running.set(task.node, done);
  }

  private base(node: string, task: Task, runIndex: number, mode: NodeTaskMode): NodeTaskInput {
    const i = this.input;
    return {
      instanceId: i.instanceId,
      orgId: i.orgId,
      runId: i.runId,
      workflowId: i.workflowId,
      workflowName: i.workflowName,
      version: i.version,
      runMode: i.mode,
      timezone: i.plan.timezone ?? 'UTC',
      node,
      runIndex,
      inputs: task.inputs,
      mode,
      lastRuns: this.engine.lastRuns(),
      maxAttempts: 1,
    };
  }

  /** Records a node run the workflow decided (copy, pass, items, failure) in one short activity. */
  private record(node: string, task: Task, runIndex: number, mode: NodeTaskMode, extra: Partial<NodeTaskInput> = {}): Promise<NodeTaskResult> {
    return bookkeeping.runN8nNode({ ...this.base(node, task, runIndex, mode), ...extra });
  }

  private async execute(node: RunPlanNode, task: Task, runIndex: number): Promise<NodeTaskResult> {
    if (this.pinned.has(node.name) && !node.disabled) return this.record(node.name, task, runIndex, 'pin');
    if (node.disabled) return this.record(node.name, task, runIndex, 'pass');
    try {
      switch (node.kind) {
        case 'trigger':
          return await this.record(node.name, task, runIndex, 'items', { items: [{}] });
        case 'wait':
          await this.waiting(node.name, 'waiting');
          await sleep(node.wait!.ms ?? Math.max(0, node.wait!.until! - Date.now()));
          return await this.record(node.name, task, runIndex, 'pass');
        case 'signal':
          return await this.record(node.name, task, runIndex, 'items', { items: [await this.signal(node)] });
        case 'subworkflow':
          return await this.child(node, task, runIndex);
        case 'command':
          return await this.commands(node, task, runIndex);
        default:
          return await this.activity(node, task, runIndex);
      }
    } catch (err) {
      if (isCancellation(err)) throw err;
      if (node.onError === 'fallback') return this.fallback(node, task, runIndex, errorMessage(err));
      // The node activity already applied onError and recorded the failure: the run stops.
      if (isNodeFailure(err)) throw new NodeFailed(node.name, errorMessage(err));
      // A failure decided here (signal timeout, failed child or command): onError applies in the activity.
      try {
        return await this.record(node.name, task, runIndex, 'fail', { error: errorMessage(err) });
      } catch (e) {
        if (isCancellation(e)) throw e;
        throw new NodeFailed(node.name, errorMessage(e));
      }
    }
  }

  /**
   * A node run whose worker died is not the node's failure: its heartbeat times out, and the node
   * runs again (its own tries counted afresh) on a live worker, up to LOST_WORKER_RERUNS times.
   */
  private async activity(node: RunPlanNode, task: Task, runIndex: number): Promise<NodeTaskResult> {
    for (let lost = 0; ; lost++) {
      try {
        return await this.activityAttempts(node, task, runIndex);
      } catch (err) {
        if (lost >= LOST_WORKER_RERUNS || !lostWithWorker(err) || !patched(NODE_SURVIVES_WORKER_LOSS)) throw err;
      }
    }
  }

  private activityAttempts(node: RunPlanNode, task: Task, runIndex: number): Promise<NodeTaskResult> {
    const r = node.retry;
    const acts = proxyActivities<N8nActivities>({
      startToCloseTimeout: node.timeoutMs,
      // The node activity heartbeats, so an attempt on a worker that died is retried within this.
      heartbeatTimeout: Math.min(node.timeoutMs, 30_000),
      retry: { maximumAttempts: r.maximumAttempts, initialInterval: r.initialIntervalMs, backoffCoefficient: r.backoffCoefficient, maximumInterval: r.maximumIntervalMs },
    });
    return acts.runN8nNode({ ...this.base(node.name, task, runIndex, 'run'), maxAttempts: r.maximumAttempts });
  }

  /** The node's fallback runs with its input; its output becomes the node's. */
  private async fallback(node: RunPlanNode, task: Task, runIndex: number, message: string): Promise<NodeTaskResult> {
    const fb = this.byName.get(node.fallbackNode!)!;
    const fbRun = this.engine.nextRunIndex(fb.name);
    let result: NodeTaskResult;
    try {
      result = await this.activity({ ...fb, onError: 'stopWorkflow' }, task, fbRun);
    } catch (err) {
      throw new NodeFailed(fb.name, errorMessage(err));
    }
    this.engine.record(fb.name, result.counts);
    return this.record(node.name, task, runIndex, 'copy', { from: [{ runId: this.input.runId, node: fb.name, runIndex: fbRun }], error: message, handledBy: `fallback:${fb.name}` });
  }

  /** Writes a node's waiting state at once (the API shows it while the run waits). */
  private async waiting(name: string, status: 'waiting' | 'running'): Promise<void> {
    await bookkeeping.recordDagNodes({ instanceId: this.input.instanceId, runId: this.input.runId, nodes: [{ name, status, started: true }] });
  }

  private async signal(node: RunPlanNode): Promise<Record<string, unknown>> {
    const { name, timeoutMs } = node.signal!;
    await this.waiting(node.name, 'waiting');
    const has = () => (this.signals.get(name)?.length ?? 0) > 0;
    if (timeoutMs === undefined) await condition(has);
    else if (!(await condition(has, timeoutMs))) throw ApplicationFailure.nonRetryable(`no '${name}' signal within ${timeoutMs} ms`, N8N_FAILURES.signalTimeout);
    return this.signals.get(name)!.shift()!;
  }

  /** Execute Workflow: the other workflow runs as a child (once, or once per item); its last node's items come back. */
  private async child(node: RunPlanNode, task: Task, runIndex: number): Promise<NodeTaskResult> {
    const c = node.child!;
    await this.waiting(node.name, 'running');
    const items = task.inputs[0]?.count ?? 0;
    const from: NonNullable<NodeTaskInput['from']> = [];
    for (const itemIndex of c.each ? Array.from({ length: items }, (_, i) => i) : [undefined]) {
      const childInput = await bookkeeping.prepareN8nChild({
        runId: newRunId(),
        parentRunId: this.input.runId,
        instanceId: this.input.instanceId,
        orgId: this.input.orgId,
        workflowId: c.workflowId,
        ...(c.version !== undefined ? { version: c.version } : {}),
        historyEventLimit: this.input.historyEventLimit,
        items: { from: task.inputs[0] ?? null, parentRunId: this.input.runId, ...(itemIndex !== undefined ? { itemIndex } : {}) },
        ...(c.workflowId.startsWith('=') ? { caller: this.base(node.name, task, runIndex, 'run') } : {}),
      });
      const options = { workflowId: dagWorkflowId(this.input.instanceId, c.workflowId, childInput.runId), args: [childInput] as [N8nRunInput], typedSearchAttributes: workflowInfo().typedSearchAttributes };
      if (!c.wait) {
        await startChild(n8nWorkflow, { ...options, parentClosePolicy: ParentClosePolicy.ABANDON });
        continue;
      }
      const result = await executeChild(n8nWorkflow, options);
      if (result.lastNode !== null) from.push({ runId: childInput.runId, node: result.lastNode, runIndex: result.lastRun! });
    }
    if (!c.wait) return this.record(node.name, task, runIndex, 'pass');
    return this.record(node.name, task, runIndex, 'copy', { from });
  }

  /** Tries a sendCommand node up to its maxTries: each try sends new commands and waits for their outcomes. */
  private async commands(node: RunPlanNode, task: Task, runIndex: number): Promise<NodeTaskResult> {
    const r = node.retry;
    for (let attempt = 1; ; attempt++) {
      try {
        const items = await this.commandTry(node, task, runIndex, attempt);
        return await this.record(node.name, task, runIndex, 'items', { items });
      } catch (err) {
        if (attempt >= r.maximumAttempts || isCancellation(err) || isNonRetryable(err)) throw err;
        await bookkeeping.recordDagNodes({ instanceId: this.input.instanceId, runId: this.input.runId, nodes: [{ name: node.name, status: 'retrying', error: errorMessage(err) }] });
        await sleep(Math.min(r.initialIntervalMs * r.backoffCoefficient ** (attempt - 1), r.maximumIntervalMs));
      }
    }
  }

  private async commandTry(node: RunPlanNode, task: Task, runIndex: number, attempt: number): Promise<Record<string, unknown>[]> {
    const acts = proxyActivities<N8nActivities>({ startToCloseTimeout: node.timeoutMs, retry: SEND_RETRY });
    const { mode: _mode, maxAttempts: _max, ...base } = this.base(node.name, task, runIndex, 'run');
    const sent = await acts.sendN8nCommands({ ...base, temporalWorkflowId: workflowInfo().workflowId, attempt });
    await this.waiting(node.name, 'waiting');
    const replies = await this.awaitReplies(sent, node.command!.timeoutMs);
    const failed = replies.find((x) => x.outcome !== 'SUCCESS');
    if (failed !== undefined) throw ApplicationFailure.retryable(replyFailure(failed), commandOutcomeFailure(failed.outcome));
    return replies.map((x) => ({ commandId: x.commandId, outcome: x.outcome, result: x.result ?? null }));
  }

  /** Waits for every command's reply (the signal may have come before the wait began). */
  private async awaitReplies(sent: SentCommand[], timeoutMs: number): Promise<CommandReply[]> {
    const keys = sent.map((c) => commandAggregateId(c.domain, c.commandId));
    const all = () => sent.every((c, i) => c.reply !== undefined || this.replies.has(keys[i]!));
    if (!(await condition(all, timeoutMs))) {
      const open = sent.filter((c, i) => c.reply === undefined && !this.replies.has(keys[i]!)).map((c) => `${c.domain}/${c.commandId}`);
      throw ApplicationFailure.retryable(`no outcome of ${open.join(', ')} within ${timeoutMs} ms`, N8N_FAILURES.commandTimeout);
    }
    return sent.map((c, i) => {
      const reply = c.reply ?? this.replies.get(keys[i]!)!;
      this.replies.delete(keys[i]!);
      return reply;
    });
  }
}

/** The node activity failed the node itself (stopWorkflow): its row is written already. */
function isNodeFailure(err: unknown): boolean {
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof ApplicationFailure && cause.type === N8N_FAILURES.nodeFailed;
}

function isNonRetryable(err: unknown): boolean {
  const cause = (err as { cause?: unknown }).cause;
  return (err instanceof ApplicationFailure && err.nonRetryable === true) || (cause instanceof ApplicationFailure && cause.nonRetryable === true);
}

/** A signal name the API accepts: no prototype keys (the map is a Map, but names show up in JSON too). */
const RESERVED_SIGNALS = new Set(['__proto__', 'constructor', 'prototype']);

/** Interprets one pinned workflow version with n8n's semantics. Fails (after recording) when a node stops it. */
export async function n8nWorkflow(input: N8nRunInput): Promise<N8nRunResult> {
  const state: N8nCarried = input.carried ?? {
    engine: { stack: [], waiting: [], runs: [] },
    signals: [],
    replies: [],
    steps: 0,
    ...(input.plan.executionTimeoutMs === undefined ? {} : { deadline: Date.now() + input.plan.executionTimeoutMs }),
  };
  const signals = new Map(state.signals);
  const replies = new Map(state.replies);
  setHandler(dagSignal, ({ name, payload }) => {
    if (typeof name !== 'string' || RESERVED_SIGNALS.has(name)) return;
    signals.set(name, [...(signals.get(name) ?? []), payload]);
  });
  setHandler(commandReplySignal, (reply) => {
    replies.set(commandAggregateId(reply.domain, reply.commandId), reply);
  });
  const interpreter = new Interpreter(input, state, signals, replies);
  if (input.carried === undefined) interpreter.engine.begin(input.startNode, [input.startItems]);
  const ids = { instanceId: input.instanceId, runId: input.runId };
  let outcome: 'done' | 'continue';
  try {
    outcome = await interpreter.run();
  } catch (err) {
    await CancellationScope.nonCancellable(async () => {
      const status = isCancellation(err) ? 'cancelled' : err instanceof TimedOut ? 'timed_out' : 'failed';
      const message = status === 'timed_out' ? `the run exceeded its executionTimeout of ${input.plan.executionTimeoutMs} ms` : errorMessage(err);
      const node = err instanceof NodeFailed ? err.node : null;
      await bookkeeping.finishDagRun({ ...ids, status, error: { message, node } });
      if (status !== 'cancelled' && input.plan.errorWorkflow) await startErrorWorkflow(input, message, node);
    });
    if (isCancellation(err)) throw err;
    throw ApplicationFailure.nonRetryable(errorMessage(err), err instanceof TimedOut ? N8N_FAILURES.runTimedOut : N8N_FAILURES.runFailed);
  }
  if (outcome === 'continue') {
    return continueAsNew<typeof n8nWorkflow>({ ...input, carried: { ...state, signals: [...signals], replies: [...replies] } });
  }
  await bookkeeping.finishDagRun({ ...ids, status: 'completed', error: null });
  return interpreter.result();
}

/** Starts settings.errorWorkflow (same org) with n8n's error-trigger data; its own failure is only recorded. */
async function startErrorWorkflow(input: N8nRunInput, message: string, node: string | null): Promise<void> {
  try {
    const errInput = await bookkeeping.prepareN8nChild({
      runId: newRunId(),
      parentRunId: input.runId,
      instanceId: input.instanceId,
      orgId: input.orgId,
      workflowId: input.plan.errorWorkflow!,
      historyEventLimit: input.historyEventLimit,
      items: {
        error: {
          execution: { id: input.runId, error: { message, node }, lastNodeExecuted: node, mode: input.mode },
          workflow: { id: input.workflowId, name: input.workflowName, version: input.version },
        },
      },
    });
    await startChild(n8nWorkflow, {
      workflowId: dagWorkflowId(input.instanceId, errInput.workflowId, errInput.runId),
      args: [errInput],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: workflowInfo().typedSearchAttributes,
    });
  } catch {
    // The run's own failure is what matters; a missing error workflow must not hide it.
  }
}
