// n8n's execution order as a pure state machine: an execution stack of node tasks, nodes with
// several inputs waiting until each input has data, and every run of every node recorded. The
// interpreter workflow drives it (deterministic code only: no imports but types); the nodes
// themselves run elsewhere and report how many items each output got.
import type { Edge } from './graph';

export type ExecutionOrder = 'v1' | 'legacy';

export interface EngineNode {
  name: string;
  /** Canvas position: v1 runs the branches of a node top to bottom, then left to right. */
  position: [number, number];
  /** Inputs that must have data before a waiting node runs with what it has (n8n's requiredInputs). */
  requiredInputs?: number | number[];
}

export interface EnginePlan {
  nodes: EngineNode[];
  edges: Edge[];
  order: ExecutionOrder;
}

/** Items on output `output` of run `run` of node `node`. */
export interface TaskInput {
  node: string;
  output: number;
  run: number;
  count: number;
}

/** One entry of the execution stack: a node and its data per input index (null: none came). */
export interface Task {
  node: string;
  inputs: (TaskInput | null)[];
}

/** A node run as the engine needs it: items per output. */
export interface NodeRun {
  counts: number[];
}

export interface EngineSnapshot {
  stack: Task[];
  /** Per node, the partial input sets it waits on, oldest first (n8n's waitingExecution). */
  waiting: [string, (TaskInput | null | undefined)[][]][];
  runs: [string, NodeRun[]][];
}

/** n8n's v1 sort: the node placed lowest on the canvas is added first, so the top one runs first. */
function v1Before(a: EngineNode, b: EngineNode): number {
  if (a.position[1] !== b.position[1]) return b.position[1] - a.position[1];
  return b.position[0] - a.position[0];
}

export class Engine {
  private readonly stack: Task[];
  private readonly waiting: Map<string, (TaskInput | null | undefined)[][]>;
  private readonly runs: Map<string, NodeRun[]>;
  private readonly byName: Map<string, EngineNode>;
  /** Per node, how many input indices it has (n8n waits for all of them when there are several). */
  private readonly inputCount = new Map<string, number>();
  /** Per source node, its connections by output index. */
  private readonly outgoing = new Map<string, Edge[][]>();
  private readonly parents = new Map<string, Set<string>>();

  constructor(private readonly plan: EnginePlan, snapshot?: EngineSnapshot) {
    this.byName = new Map(plan.nodes.map((n) => [n.name, n]));
    for (const e of plan.edges) {
      this.inputCount.set(e.to, Math.max(this.inputCount.get(e.to) ?? 0, e.input + 1));
      const outs = this.outgoing.get(e.from) ?? [];
      (outs[e.output] ??= []).push(e);
      this.outgoing.set(e.from, outs);
      const p = this.parents.get(e.to) ?? new Set<string>();
      p.add(e.from);
      this.parents.set(e.to, p);
    }
    this.stack = snapshot ? snapshot.stack.map((t) => ({ node: t.node, inputs: [...t.inputs] })) : [];
    this.waiting = new Map(snapshot?.waiting ?? []);
    this.runs = new Map(snapshot?.runs ?? []);
  }

  snapshot(): EngineSnapshot {
    return { stack: this.stack.map((t) => ({ ...t })), waiting: [...this.waiting], runs: [...this.runs] };
  }

  runsOf(node: string): NodeRun[] {
    return this.runs.get(node) ?? [];
  }

  /** Index the next run of `node` gets. */
  nextRunIndex(node: string): number {
    return this.runsOf(node).length;
  }


  /** Records the start node's run (its items come from the run's input) and schedules its children. */
  begin(start: string, counts: number[]): void {
    this.complete({ node: start, inputs: [] }, counts);
  }

  /** Records a run that schedules nothing (a fallback node standing in for another). */
  record(node: string, counts: number[]): number {
    const list = this.runs.get(node) ?? [];
    list.push({ counts });
    this.runs.set(node, list);
    return list.length - 1;
  }

  /** The last run index of every node that ran. */
  lastRuns(): [string, number][] {
    return [...this.runs].map(([node, runs]) => [node, runs.length - 1]);
  }


  /** The next task to run, or undefined when the run is over. Tasks of `busy` nodes stay queued. */
  next(busy: ReadonlySet<string> = new Set()): Task | undefined {
    for (let i = 0; i < this.stack.length; i++) {
      const task = this.stack[i]!;
      if (busy.has(task.node)) continue;
      this.stack.splice(i, 1);
      return task;
    }
    if (this.stack.length > 0 || busy.size > 0) return undefined;
    if (this.plan.order === 'v1' && this.releaseWaiting()) return this.next(busy);
    return undefined;
  }

  /** Records a finished run of `task.node` with its item counts per output and schedules what follows. */
  complete(task: Task, counts: number[]): void {
    const list = this.runs.get(task.node) ?? [];
    const run = list.length;
    list.push({ counts });
    this.runs.set(task.node, list);
    const adds: { edge: Edge; order: number }[] = [];
    (this.outgoing.get(task.node) ?? []).forEach((edges, output) => {
      const count = counts[output] ?? 0;
      for (const edge of edges ?? []) {
        if (!this.byName.has(edge.to)) continue;
        // v1 only follows outputs with items; the legacy order also feeds empty data to inputs after the first.
        if (count > 0 || (this.plan.order === 'legacy' && edge.input > 0)) adds.push({ edge, order: adds.length });
      }
    });
    if (this.plan.order === 'v1') {
      adds.sort((a, b) => v1Before(this.byName.get(a.edge.to)!, this.byName.get(b.edge.to)!) || a.order - b.order);
    }
    for (const { edge } of adds) {
      this.add(edge.to, edge.input, { node: task.node, output: edge.output, run, count: counts[edge.output] ?? 0 });
    }
  }

  private enqueue(task: Task): void {
    // v1 runs the newest branch first (depth first); the legacy order runs breadth first.
    if (this.plan.order === 'v1') this.stack.unshift(task);
    else this.stack.push(task);
  }

  private add(node: string, input: number, data: TaskInput): void {
    const inputs = this.inputCount.get(node) ?? 1;
    if (inputs <= 1) {
      const list: (TaskInput | null)[] = [];
      list[input] = data;
      this.enqueue({ node, inputs: Array.from(list, (x) => x ?? null) });
      return;
    }
    const sets = this.waiting.get(node) ?? [];
    const wasWaiting = sets.length > 0;
    // The oldest set still missing this input takes it; else a new set starts.
    let set = sets.find((s) => s[input] === undefined);
    if (set === undefined) {
      set = Array.from({ length: inputs }, () => undefined);
      sets.push(set);
    }
    set[input] = data;
    this.waiting.set(node, sets);
    if (set.every((x) => x !== undefined)) {
      sets.splice(sets.indexOf(set), 1);
      if (sets.length === 0) this.waiting.delete(node);
      this.enqueue({ node, inputs: set.map((x) => x ?? null) });
      return;
    }
    if (!wasWaiting && this.plan.order === 'legacy') this.forceParents(node, data.node);
  }

  /**
   * The legacy order runs the other branches of a node that waits for several inputs even when
   * nothing led there: each parent chain that has not started is started at its root.
   */
  private forceParents(node: string, from: string): void {
    const scheduled = new Set(this.stack.map((t) => t.node));
    for (const parent of this.parents.get(node) ?? []) {
      if (parent === from || scheduled.has(parent) || this.runs.has(parent)) continue;
      const chain = this.ancestors(parent);
      if ([...chain].some((n) => this.runs.has(n) || scheduled.has(n))) continue;
      const roots = [...chain].filter((n) => (this.parents.get(n)?.size ?? 0) === 0);
      for (const root of roots.length > 0 ? roots : [parent]) {
        this.stack.push({ node: root, inputs: [] });
        scheduled.add(root);
      }
    }
  }

  private ancestors(node: string): Set<string> {
    const seen = new Set<string>([node]);
    const queue = [node];
    while (queue.length > 0) {
      for (const p of this.parents.get(queue.shift()!) ?? []) {
        if (!seen.has(p)) {
          seen.add(p);
          queue.push(p);
        }
      }
    }
    return seen;
  }

  /** v1: once the stack is empty, the first node still waiting runs with the inputs it has. */
  private releaseWaiting(): boolean {
    for (const [node, sets] of this.waiting) {
      const set = sets[0];
      if (set === undefined || !this.hasRequiredInputs(node, set)) continue;
      sets.shift();
      if (sets.length === 0) this.waiting.delete(node);
      this.stack.push({ node, inputs: set.map((x) => x ?? null) });
      return true;
    }
    return false;
  }

  /** A waiting node whose required inputs got no items never runs (a Merge choosing a branch). */
  private hasRequiredInputs(node: string, set: (TaskInput | null | undefined)[]): boolean {
    const required = this.byName.get(node)?.requiredInputs;
    const filled = (i: number) => (set[i]?.count ?? 0) > 0;
    if (required === undefined) return true;
    if (typeof required === 'number') return set.filter((_, i) => filled(i)).length >= required;
    return required.every(filled);
  }
}
