// How an action script runs: the user's `function <name>(ctx, api)` is called inside the
// sandbox with a snapshot of the flow context. `api.getContext(path)` and
// `api.setContext(path, value)` read and change the context the next action sees;
// `api.http.fetch(url, init)` goes through the outbound address policy; `api.log` logs.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { NodeScriptJob, NodeScriptResult } from '../dsl/script-job';
import type { ActionApi } from './view';
import type { AddressPolicy } from '../net/address-policy';
import { fetchHostFunction } from '../sandbox/http';
import type { RunScriptInput, RunScriptResult, Sandbox } from '../sandbox/sandbox';

export interface ActionRunInput {
  name: string;
  script: string;
  /** `zitadel-v1` runs through zitadel-v1.ts instead (see runActionJob in script-thread.ts). */
  api: ActionApi;
  timeoutMs: number;
  memoryBytes: number;
  maxContextBytes: number;
  flowType: string;
  trigger: string;
  context: Record<string, unknown>;
  policy: AddressPolicy;
}

// Appended after the user's script, so error lines still point into it. `path` is dotted.
const WRAPPER = `
;function __cadenzaAction(meta, context, host) {
  let current = context;
  const split = (path) => String(path).split('.').filter((p) => p !== '');
  const api = {
    log: host.log,
    getContext(path) {
      let v = current;
      for (const p of split(path === undefined ? '' : path)) v = v === null || typeof v !== 'object' ? undefined : v[p];
      return v === undefined ? undefined : JSON.parse(JSON.stringify(v));
    },
    setContext(path, value) {
      const parts = split(path);
      if (parts.length === 0) throw new TypeError('setContext needs a field path');
      let o = current;
      for (const p of parts.slice(0, -1)) {
        if (o[p] === null || typeof o[p] !== 'object') o[p] = {};
        o = o[p];
      }
      if (value === undefined) delete o[parts[parts.length - 1]];
      else o[parts[parts.length - 1]] = JSON.parse(JSON.stringify(value));
    },
    http: {
      async fetch(url, init) {
        const r = await host.http.fetch(url, init);
        return { status: r.status, ok: r.ok, headers: r.headers, text: () => r.text, json: () => JSON.parse(r.text) };
      },
    },
  };
  const ctx = Object.freeze({ flowType: meta.flowType, trigger: meta.trigger, context: JSON.parse(JSON.stringify(current)) });
  return Promise.resolve(__ACTION__(ctx, api)).then(() => current);
}`;

export function runActionScript(sandbox: Sandbox, input: ActionRunInput): Promise<RunScriptResult> {
  return sandbox.runScript({
    source: input.script + WRAPPER.replace('__ACTION__', input.name),
    entry: '__cadenzaAction',
    args: [{ flowType: input.flowType, trigger: input.trigger }, input.context],
    host: { http: { fetch: fetchHostFunction(input.policy) } },
    fileName: 'action.js',
    timeoutMs: input.timeoutMs,
    memoryBytes: input.memoryBytes,
    maxOutputBytes: input.maxContextBytes,
  });
}

export type ActionThreadInput = Omit<ActionRunInput, 'policy'> & { allowlist: string[] };

/** A script with no host functions (Code nodes, expressions): everything it needs is in its arguments. */
export type PlainScriptInput = Omit<RunScriptInput, 'host'>;

/** A job answered with the sandbox's result: an action (with its api and outbound policy) or a plain script. */
export type SandboxJob = { kind: 'action'; input: ActionThreadInput } | { kind: 'script'; input: PlainScriptInput };

/** What a script thread runs: a sandbox job, or a workflow node's expressions or Code. */
export type ScriptJob = SandboxJob | { kind: 'node'; input: NodeScriptJob };

/** A job that did not run (queue full, thread overstayed), in the shape its caller reads. */
function notRun(job: ScriptJob, kind: 'busy' | 'timeout', message: string, durationMs: number): RunScriptResult | NodeScriptResult {
  if (job.kind === 'node') return { ok: false, error: message };
  return { ok: false, error: { kind, message }, logs: [], logsTruncated: false, durationMs };
}

/** Past the script's own deadline, how long a thread may take before it is terminated. */
const THREAD_GRACE_MS = 2_000;
const THREAD_FILE = path.join(__dirname, 'script-thread.js');

/** Scripts of one tenant that may wait for a thread; more are refused at once. */
export const SCRIPT_QUEUE_PER_TENANT = 200;

const BUSY = `${SCRIPT_QUEUE_PER_TENANT} scripts of this tenant already wait for a script thread; try again later`;

/**
 * A few long-lived threads that run scripts one at a time each, so a script that spins until its
 * deadline never blocks the worker's event loop. A thread that overstays its script's deadline
 * is terminated and replaced. Threads are shared fairly between tenants (instances): one tenant
 * runs at most size - 1 scripts at once (all of them when the pool has one thread), so a thread
 * stays for the others; waiting scripts are served tenant by tenant in turn, and at most
 * SCRIPT_QUEUE_PER_TENANT of one tenant wait, so one tenant cannot starve another.
 *
 * The one entry point is `run(tenant, job)`: pass the instance id as the tenant.
 */
export class ScriptThreadPool {
  private readonly idle: Worker[] = [];
  private readonly waiting = new Map<string, ((thread: Worker) => void)[]>();
  private readonly running = new Map<string, number>();
  /** Tenants with waiting scripts, in the order they are served. */
  private readonly turn: string[] = [];
  private started = 0;

  constructor(private readonly size: number) {}

  /** How many scripts one tenant may run at once. */
  get perTenant(): number {
    return Math.max(1, this.size - 1);
  }

  /** A node job answers with values per item; the others with the sandbox's result. */
  run(tenant: string, job: { kind: 'node'; input: NodeScriptJob }): Promise<NodeScriptResult>;
  run(tenant: string, job: SandboxJob): Promise<RunScriptResult>;
  async run(tenant: string, job: ScriptJob): Promise<RunScriptResult | NodeScriptResult> {
    const thread = await this.acquire(tenant);
    if (thread === undefined) return notRun(job, 'busy', BUSY, 0);
    const started = Date.now();
    return new Promise<RunScriptResult | NodeScriptResult>((resolve, reject) => {
      const done = () => {
        clearTimeout(kill);
        thread.off('message', onMessage);
        thread.off('exit', onExit);
      };
      const onMessage = (result: RunScriptResult | NodeScriptResult) => {
        done();
        this.release(tenant, thread);
        resolve(result);
      };
      const onExit = (code: number) => {
        done();
        this.replace(tenant);
        reject(new Error(`the script thread exited with code ${code} before it answered`));
      };
      const kill = setTimeout(() => {
        done();
        void thread.terminate();
        this.replace(tenant);
        resolve(notRun(job, 'timeout', 'the script ran past its timeout and was stopped', Date.now() - started));
      }, job.input.timeoutMs + THREAD_GRACE_MS);
      thread.on('message', onMessage);
      thread.on('exit', onExit);
      thread.postMessage(job);
    });
  }

  /** A thread for the tenant now, a promise of one when it waits its turn, or undefined when its queue is full. */
  private acquire(tenant: string): Promise<Worker | undefined> {
    const queue = this.waiting.get(tenant) ?? [];
    if ((this.running.get(tenant) ?? 0) < this.perTenant && queue.length === 0) {
      const thread = this.idle.pop() ?? (this.started < this.size ? this.spawn() : undefined);
      if (thread !== undefined) {
        this.running.set(tenant, (this.running.get(tenant) ?? 0) + 1);
        return Promise.resolve(thread);
      }
    }
    if (queue.length >= SCRIPT_QUEUE_PER_TENANT) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      if (queue.length === 0) {
        this.waiting.set(tenant, queue);
        this.turn.push(tenant);
      }
      queue.push(resolve);
    });
  }

  private spawn(): Worker {
    this.started++;
    const thread = new Worker(THREAD_FILE);
    thread.unref(); // idle threads must not keep a stopping worker process alive
    thread.on('error', () => undefined); // surfaces as 'exit', handled per run
    thread.once('exit', () => {
      // An idle thread that died leaves the pool; a busy one is replaced by its run.
      const i = this.idle.indexOf(thread);
      if (i >= 0) {
        this.idle.splice(i, 1);
        this.started--;
      }
    });
    return thread;
  }

  private release(tenant: string, thread: Worker): void {
    this.running.set(tenant, (this.running.get(tenant) ?? 1) - 1);
    if (!this.handOver(() => thread)) this.idle.push(thread);
  }

  /** A thread died or was terminated: its slot goes to the next in turn, or back to the pool. */
  private replace(tenant: string): void {
    this.running.set(tenant, (this.running.get(tenant) ?? 1) - 1);
    this.started--;
    this.handOver(() => this.spawn());
  }

  /** Gives a thread to the first tenant in turn that waits and is under its share; false when none. */
  private handOver(thread: () => Worker): boolean {
    const i = this.turn.findIndex((t) => (this.running.get(t) ?? 0) < this.perTenant);
    if (i < 0) return false;
    const [tenant] = this.turn.splice(i, 1) as [string];
    const queue = this.waiting.get(tenant)!;
    const next = queue.shift()!;
    if (queue.length > 0) this.turn.push(tenant); // the back of the line, behind the others
    else this.waiting.delete(tenant);
    this.running.set(tenant, (this.running.get(tenant) ?? 0) + 1);
    next(thread());
    return true;
  }

  async close(): Promise<void> {
    await Promise.all(this.idle.splice(0).map((t) => t.terminate()));
  }
}
