// The DAG interpreter (Temporal's dsl-interpreter pattern): one workflow type walks the pinned
// definition's plan with a ready set. Activity nodes run in runDagNode; timers, signals and
// child workflows run here. Deterministic code only. Changes to this file once it has shipped
// must go behind patched() — test/integration/workflows-replay.test.ts replays a saved history.
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  executeChild,
  isCancellation,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  sleep,
  startChild,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { DagActivities, NodeRecord, SentCommand } from '../activities/dag';
import { commandReplySignal } from '../commands/messages';
import { commandAggregateId, type CommandReply } from '../commands/model';
import { incomingEdges } from '../dsl/graph';
import type { Plan, PlanNode } from '../dsl/plan';
import type { DagNode, Item } from '../dsl/types';
import { commandOutcomeFailure, DAG_FAILURES, dagSignal, dagWorkflowId, type Carried, type DagRunInput, type DagRunResult, type NodeState, type Outputs, type Status } from './dag-contract';

class NodeFailed extends Error {
  constructor(readonly node: string, message: string) {
    super(`node '${node}' failed: ${message}`);
  }
}
class TimedOut extends Error {}

/** How the sendDagCommands activity itself is retried (node retries resend under new ids); its ids make resends safe. */
const SEND_RETRY = { initialInterval: '1s', maximumInterval: '30s' } as const;

const DEFAULT_HISTORY_LIMIT = 10_000;

// Run and node records must land: retried while PostgreSQL is away, however long.
const bookkeeping = proxyActivities<DagActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

/** A run id like the API's (`run_` + 16 lowercase characters), deterministic in workflow code. */
function newRunId(): string {
  return `run_${uuid4().replace(/-/g, '').slice(0, 16)}`;
}

function errorMessage(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  // Activity and child failures wrap the real error in `cause`.
  while (e?.cause !== undefined && typeof e.cause === 'object' && e.cause !== null) e = e.cause as typeof e;
  return e?.message ?? String(err);
}

function isNonRetryable(err: unknown): boolean {
  const cause = (err as { cause?: unknown }).cause;
  return (err instanceof ApplicationFailure && err.nonRetryable === true) || (cause instanceof ApplicationFailure && cause.nonRetryable === true);
}

function replyFailure(reply: CommandReply): string {
  const why = reply.outcome === 'FAILED' ? (reply.error?.message ?? 'no error given') : (reply.reason ?? 'no reason given');
  return `command ${reply.domain}/${reply.commandId} ${reply.outcome}: ${why}`;
}

function initialState(input: DagRunInput): Carried {
  const nodes: Record<string, NodeState> = {};
  for (const n of input.plan.nodes) {
    const reused = input.reused?.[n.name];
    nodes[n.name] = reused ? { status: 'completed', outputs: reused.outputs, order: 0 } : { status: 'pending' };
  }
  const deadline = input.plan.executionTimeoutMs === undefined ? undefined : Date.now() + input.plan.executionTimeoutMs;
  return { nodes, order: 0, signals: {}, ...(deadline === undefined ? {} : { deadline }) };
}

function triggerItems(input: unknown): Item[] {
  const list = Array.isArray(input) ? input : [input ?? {}];
  return list.map((v) => ({ json: v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v } }));
}

class Interpreter {
  private readonly plan: Plan;
  private readonly byName: Map<string, PlanNode>;
  private readonly defNodes: Map<string, DagNode>;
  private readonly fallbacks: Set<string>;
  private readonly scope = new CancellationScope();
  private readonly records: NodeRecord[] = [];
  private running = 0;
  private events = 0;
  private fatal: Error | undefined;

  constructor(private readonly input: DagRunInput, private readonly state: Carried) {
    this.plan = input.plan;
    this.byName = new Map(this.plan.nodes.map((n) => [n.name, n]));
    this.defNodes = new Map(input.definition.nodes.map((n) => [n.name, n]));
    this.fallbacks = new Set(this.plan.nodes.flatMap((n) => (n.fallbackNode ? [n.fallbackNode] : [])));
  }

  /** Runs until every node is settled ('done') or history asks for a new run ('continue'). */
  async run(): Promise<'done' | 'continue'> {
    let draining = false;
    for (;;) {
      if (this.fatal) throw this.stop(this.fatal);
      const ready = this.settle();
      if (ready.length === 0 && this.running === 0) {
        // Fallback nodes nobody needed are skipped last, which also settles their children.
        const unused = [...this.fallbacks].filter((n) => this.state.nodes[n]!.status === 'pending');
        if (unused.length === 0) break;
        for (const n of unused) this.settleAs(n, 'skipped', undefined);
        continue;
      }
      if (!draining && this.historyIsLong()) draining = true;
      if (draining && this.running === 0) {
        await this.flush();
        return 'continue';
      }
      if (!draining) {
        for (const r of ready) {
          if (this.running >= this.plan.maxParallel) break;
          this.launch(r.node, r.inputs);
        }
      }
      const seen = this.events;
      const remaining = this.state.deadline === undefined ? undefined : this.state.deadline - Date.now();
      if (remaining !== undefined && remaining <= 0) throw this.stop(new TimedOut());
      if (remaining === undefined) await condition(() => this.events !== seen);
      else if (!(await condition(() => this.events !== seen, remaining))) throw this.stop(new TimedOut());
    }
    await this.flush();
    return 'done';
  }

  result(): DagRunResult {
    let last: string | null = null;
    let order = -1;
    for (const [name, s] of Object.entries(this.state.nodes)) {
      if (s.status === 'completed' && (s.order ?? 0) > order) [last, order] = [name, s.order ?? 0];
    }
    return { lastNode: last, items: last === null ? [] : (this.state.nodes[last]!.outputs?.[0] ?? []) };
  }

  async flush(): Promise<void> {
    if (this.records.length === 0) return;
    const nodes = this.records.splice(0);
    await CancellationScope.nonCancellable(() => bookkeeping.recordDagNodes({ instanceId: this.input.instanceId, runId: this.input.runId, nodes }));
  }

  private stop(err: Error): Error {
    this.scope.cancel();
    return err;
  }

  private historyIsLong(): boolean {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength > (this.input.historyEventLimit ?? DEFAULT_HISTORY_LIMIT);
  }

  /** Marks nodes that can no longer receive data as skipped; returns the nodes ready to run. */
  private settle(): { node: PlanNode; inputs: Item[][] }[] {
    const ready: { node: PlanNode; inputs: Item[][] }[] = [];
    let changed = true;
    while (changed) {
      changed = false;
      ready.length = 0;
      for (const node of this.plan.nodes) {
        if (this.state.nodes[node.name]!.status !== 'pending' || this.fallbacks.has(node.name) || this.isRunning(node.name)) continue;
        const incoming = incomingEdges(this.plan.edges, node.name);
        if (incoming.length === 0) {
          if (node.kind === 'trigger' && !node.disabled) ready.push({ node, inputs: [triggerItems(this.input.input)] });
          else {
            this.settleAs(node.name, 'skipped', undefined);
            changed = true;
          }
          continue;
        }
        const parents = incoming.map((e) => this.state.nodes[e.from]!);
        if (parents.some((p) => p.status === 'pending')) continue;
        const inputs: Item[][] = [];
        let active = false;
        for (const e of incoming) {
          const out = this.state.nodes[e.from]!.outputs?.[e.output];
          if (out === null || out === undefined) continue;
          active = true;
          inputs[e.input] = [...(inputs[e.input] ?? []), ...out];
        }
        if (active) ready.push({ node, inputs: Array.from(inputs, (x) => x ?? []) });
        else {
          // Every parent settled and none sends data: an If/Switch branch that was not taken.
          this.settleAs(node.name, 'skipped', undefined);
          changed = true;
        }
      }
    }
    return ready;
  }

  private readonly inFlight = new Set<string>();
  private isRunning(name: string): boolean {
    return this.inFlight.has(name);
  }

  private settleAs(name: string, status: Status, outputs: Outputs | undefined, record: Partial<NodeRecord> = {}): void {
    const s = this.state.nodes[name]!;
    s.status = status;
    s.outputs = outputs;
    s.order = ++this.state.order;
    if (status === 'skipped' && record.status === undefined) this.records.push({ name, status: 'skipped', ...record });
    else if (Object.keys(record).length > 0) this.records.push({ name, ...record });
    this.events++;
  }

  private launch(node: PlanNode, inputs: Item[][]): void {
    this.running++;
    this.inFlight.add(node.name);
    const done = () => {
      this.running--;
      this.inFlight.delete(node.name);
    };
    this.scope
      .run(() => this.execute(node, inputs))
      .then(
        ({ outputs, record }) => {
          done();
          this.settleAs(node.name, 'completed', outputs, record);
        },
        async (err: unknown) => {
          done();
          if (this.fatal || isCancellation(err)) {
            this.events++;
            return;
          }
          await this.handleFailure(node, inputs, err);
        },
      );
  }

  private async execute(node: PlanNode, inputs: Item[][]): Promise<{ outputs: Outputs; record: Partial<NodeRecord> }> {
    const items = inputs.flat();
    if (node.kind === 'trigger') return { outputs: [items], record: { status: 'completed', output: [items], finished: true } };
    if (node.disabled) return { outputs: [items], record: { status: 'skipped', handledBy: 'disabled', output: [items] } };
    if (node.kind === 'wait') {
      await this.recordNow({ name: node.name, status: 'waiting', started: true });
      await sleep(node.waitMs!);
      return { outputs: [items], record: { status: 'completed', output: [items], finished: true } };
    }
    if (node.kind === 'signal') return this.waitForSignal(node);
    if (node.kind === 'subworkflow') return this.runChild(node, items);
    if (node.kind === 'command') return this.sendCommands(node, inputs);
    return { outputs: await this.runActivity(node, inputs), record: {} };
  }

  /** Writes a node's waiting state at once, with the records buffered so far. */
  private async recordNow(record: NodeRecord): Promise<void> {
    const nodes = [...this.records.splice(0), record];
    await bookkeeping.recordDagNodes({ instanceId: this.input.instanceId, runId: this.input.runId, nodes });
  }

  /** Output-0 items of the nodes the node's expressions read. */
  private refsOf(node: PlanNode): Record<string, Item[]> {
    const refs: Record<string, Item[]> = {};
    for (const ref of node.refs) refs[ref] = this.state.nodes[ref]?.outputs?.[0] ?? [];
    return refs;
  }

  private runActivity(node: PlanNode, inputs: Item[][]): Promise<Outputs> {
    const r = node.retry;
    const acts = proxyActivities<DagActivities>({
      startToCloseTimeout: node.timeoutMs,
      // runDagNode heartbeats, so an attempt on a worker that died is retried within this.
      heartbeatTimeout: Math.min(node.timeoutMs, 30_000),
      retry: {
        maximumAttempts: r.maximumAttempts,
        initialInterval: r.initialIntervalMs,
        backoffCoefficient: r.backoffCoefficient,
        maximumInterval: r.maximumIntervalMs,
      },
    });
    return acts.runDagNode({
      instanceId: this.input.instanceId,
      runId: this.input.runId,
      node: this.defNodes.get(node.name)!,
      inputs,
      refs: this.refsOf(node),
      maxAttempts: r.maximumAttempts,
    });
  }

  private async waitForSignal(node: PlanNode): Promise<{ outputs: Outputs; record: Partial<NodeRecord> }> {
    const { name, timeoutMs } = node.signal!;
    await this.recordNow({ name: node.name, status: 'waiting', started: true });
    const has = () => (this.state.signals[name]?.length ?? 0) > 0;
    if (timeoutMs === undefined) await condition(has);
    else if (!(await condition(has, timeoutMs))) throw ApplicationFailure.nonRetryable(`no '${name}' signal within ${timeoutMs} ms`, DAG_FAILURES.signalTimeout);
    const payload = this.state.signals[name]!.shift()!;
    const items = [{ json: payload }];
    return { outputs: [items], record: { status: 'completed', output: [items], finished: true } };
  }

  private async runChild(node: PlanNode, items: Item[]): Promise<{ outputs: Outputs; record: Partial<NodeRecord> }> {
    const child = node.child!;
    await this.recordNow({ name: node.name, status: 'running', started: true });
    const childInput = await bookkeeping.prepareDagRun({
      runId: newRunId(),
      instanceId: this.input.instanceId,
      orgId: this.input.orgId,
      workflowId: child.workflowId,
      version: child.version,
      input: items.map((i) => i.json),
      parentRunId: this.input.runId,
    });
    const result = await executeChild(dagWorkflow, {
      workflowId: dagWorkflowId(this.input.instanceId, child.workflowId, childInput.runId),
      args: [childInput],
      typedSearchAttributes: workflowInfo().typedSearchAttributes,
    });
    return { outputs: [result.items], record: { status: 'completed', output: [result.items], finished: true } };
  }

  /** Tries a sendCommand node up to its maxTries: each try sends new commands and waits for them. */
  private async sendCommands(node: PlanNode, inputs: Item[][]): Promise<{ outputs: Outputs; record: Partial<NodeRecord> }> {
    const r = node.retry;
    for (let attempt = 1; ; attempt++) {
      try {
        const items = await this.commandTry(node, inputs, attempt);
        return { outputs: [items], record: { status: 'completed', output: [items], finished: true } };
      } catch (err) {
        if (attempt >= r.maximumAttempts || isCancellation(err) || isNonRetryable(err)) throw err;
        await this.recordNow({ name: node.name, status: 'retrying', error: errorMessage(err) });
        await sleep(Math.min(r.initialIntervalMs * r.backoffCoefficient ** (attempt - 1), r.maximumIntervalMs));
      }
    }
  }

  private async commandTry(node: PlanNode, inputs: Item[][], attempt: number): Promise<Item[]> {
    const acts = proxyActivities<DagActivities>({ startToCloseTimeout: node.timeoutMs, retry: SEND_RETRY });
    const sent = await acts.sendDagCommands({
      instanceId: this.input.instanceId,
      orgId: this.input.orgId,
      runId: this.input.runId,
      temporalWorkflowId: workflowInfo().workflowId,
      node: this.defNodes.get(node.name)!,
      inputs,
      refs: this.refsOf(node),
      attempt,
    });
    await this.recordNow({ name: node.name, status: 'waiting' });
    const replies = await this.awaitReplies(sent, node.command!.timeoutMs);
    const failed = replies.find((x) => x.outcome !== 'SUCCESS');
    if (failed !== undefined) throw ApplicationFailure.retryable(replyFailure(failed), commandOutcomeFailure(failed.outcome));
    return replies.map((x) => ({ json: { commandId: x.commandId, outcome: x.outcome, result: x.result ?? null } }));
  }

  /** Waits for every command's reply (the signal may have come before the wait began). */
  private async awaitReplies(sent: SentCommand[], timeoutMs: number): Promise<CommandReply[]> {
    const replies = (this.state.replies ??= {});
    const keys = sent.map((c) => commandAggregateId(c.domain, c.commandId));
    const all = () => sent.every((c, i) => c.reply !== undefined || replies[keys[i]!] !== undefined);
    if (!(await condition(all, timeoutMs))) {
      const open = sent.filter((c, i) => c.reply === undefined && replies[keys[i]!] === undefined).map((c) => `${c.domain}/${c.commandId}`);
      throw ApplicationFailure.retryable(`no outcome of ${open.join(', ')} within ${timeoutMs} ms`, DAG_FAILURES.commandTimeout);
    }
    return sent.map((c, i) => {
      const reply = c.reply ?? replies[keys[i]!]!;
      delete replies[keys[i]!];
      return reply;
    });
  }

  private async handleFailure(node: PlanNode, inputs: Item[][], err: unknown): Promise<void> {
    const message = errorMessage(err);
    const items = inputs.flat();
    const withError = (items.length > 0 ? items : [{ json: {} }]).map((i) => ({ json: { ...i.json, error: message } }));
    const failed = { status: 'failed' as const, error: message, finished: true };
    switch (node.onError) {
      case 'continueRegularOutput':
        return this.settleAs(node.name, 'completed', [withError], { ...failed, handledBy: 'continueRegularOutput' });
      case 'continueErrorOutput': {
        const outputs: Outputs = Array.from({ length: node.outputs + 1 }, () => null);
        outputs[node.outputs] = withError;
        return this.settleAs(node.name, 'completed', outputs, { ...failed, handledBy: 'continueErrorOutput' });
      }
      case 'skip':
        // Goes on without this node's output: its input passes through to its children.
        return this.settleAs(node.name, 'completed', [items], { ...failed, status: 'skipped', handledBy: 'skip' });
      case 'fallback':
        return this.runFallback(node, inputs, message);
      default:
        this.settleAs(node.name, 'failed', undefined, failed);
        this.fatal = new NodeFailed(node.name, message);
    }
  }

  private async runFallback(node: PlanNode, inputs: Item[][], message: string): Promise<void> {
    const fb = this.byName.get(node.fallbackNode!)!;
    this.running++;
    try {
      const { outputs, record } = await this.scope.run(() => this.execute(fb, inputs));
      this.settleAs(fb.name, 'completed', outputs, record);
      this.settleAs(node.name, 'completed', outputs, { status: 'failed', error: message, finished: true, handledBy: `fallback:${fb.name}` });
    } catch (err) {
      if (this.fatal || isCancellation(err)) return;
      this.settleAs(fb.name, 'failed', undefined, { status: 'failed', error: errorMessage(err), finished: true });
      this.settleAs(node.name, 'failed', undefined, { status: 'failed', error: message, finished: true });
      this.fatal = new NodeFailed(fb.name, errorMessage(err));
    } finally {
      this.running--;
      this.events++;
    }
  }
}

/** Interprets one pinned workflow version. Fails (after recording) when a node stops it. */
export async function dagWorkflow(input: DagRunInput): Promise<DagRunResult> {
  const state = input.carried ?? initialState(input);
  setHandler(dagSignal, ({ name, payload }) => {
    (state.signals[name] ??= []).push(payload);
  });
  setHandler(commandReplySignal, (reply) => {
    (state.replies ??= {})[commandAggregateId(reply.domain, reply.commandId)] = reply;
  });
  const ids = { instanceId: input.instanceId, runId: input.runId };
  if (input.carried === undefined) {
    await bookkeeping.beginDagRun({ ...ids, reused: input.reused ?? {} });
  }
  const interpreter = new Interpreter(input, state);
  let outcome: 'done' | 'continue';
  try {
    outcome = await interpreter.run();
  } catch (err) {
    await CancellationScope.nonCancellable(async () => {
      await interpreter.flush();
      const status = isCancellation(err) ? 'cancelled' : err instanceof TimedOut ? 'timed_out' : 'failed';
      const message = status === 'timed_out' ? `the run exceeded its executionTimeout of ${input.plan.executionTimeoutMs} ms` : errorMessage(err);
      const node = err instanceof NodeFailed ? err.node : null;
      await bookkeeping.finishDagRun({ ...ids, status, error: { message, node } });
      if (status !== 'cancelled' && input.plan.errorWorkflow) await startErrorWorkflow(input, message, node);
    });
    if (isCancellation(err)) throw err;
    throw ApplicationFailure.nonRetryable(errorMessage(err), err instanceof TimedOut ? DAG_FAILURES.runTimedOut : DAG_FAILURES.runFailed);
  }
  if (outcome === 'continue') return continueAsNew<typeof dagWorkflow>({ ...input, carried: state });
  await bookkeeping.finishDagRun({ ...ids, status: 'completed', error: null });
  return interpreter.result();
}

/** Starts settings.errorWorkflow with n8n's error-trigger data; its own failure is only recorded. */
async function startErrorWorkflow(input: DagRunInput, message: string, node: string | null): Promise<void> {
  try {
    const errInput = await bookkeeping.prepareDagRun({
      runId: newRunId(),
      instanceId: input.instanceId,
      orgId: input.orgId,
      workflowId: input.plan.errorWorkflow!,
      input: {
        execution: { id: input.runId, error: { message, node }, lastNodeExecuted: node, mode: 'error' },
        workflow: { id: input.workflowId, name: input.workflowName, version: input.version },
      },
      parentRunId: input.runId,
    });
    await startChild(dagWorkflow, {
      workflowId: dagWorkflowId(input.instanceId, errInput.workflowId, errInput.runId),
      args: [errInput],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: workflowInfo().typedSearchAttributes,
    });
  } catch {
    // The run's own failure is what matters; a missing error workflow must not hide it.
  }
}
