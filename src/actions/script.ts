// How an action script runs: the user's `function <name>(ctx, api)` is called inside the
// sandbox with a snapshot of the flow context. `api.getContext(path)` and
// `api.setContext(path, value)` read and change the context the next action sees;
// `api.http.fetch(url, init)` goes through the outbound address policy; `api.log` logs.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { AddressPolicy } from '../net/address-policy';
import { fetchHostFunction } from '../sandbox/http';
import { runScript, type RunScriptResult } from '../sandbox/sandbox';

export interface ActionRunInput {
  name: string;
  script: string;
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

export function runActionScript(input: ActionRunInput): Promise<RunScriptResult> {
  return runScript({
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

/** Past the script's own deadline, how long a thread may take before it is terminated. */
const THREAD_GRACE_MS = 2_000;
const THREAD_FILE = path.join(__dirname, 'script-thread.js');

/**
 * A few long-lived threads that run action scripts one at a time each, so a script that spins
 * until its deadline never blocks the worker's event loop. A thread that overstays its script's
 * deadline is terminated and replaced; callers beyond the pool size wait their turn.
 */
export class ScriptThreadPool {
  private readonly idle: Worker[] = [];
  private readonly waiting: ((thread: Worker) => void)[] = [];
  private started = 0;

  constructor(private readonly size: number) {}

  async run(input: ActionThreadInput): Promise<RunScriptResult> {
    const thread = await this.acquire();
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(kill);
        thread.off('message', onMessage);
        thread.off('exit', onExit);
      };
      const onMessage = (result: RunScriptResult) => {
        done();
        this.release(thread);
        resolve(result);
      };
      const onExit = (code: number) => {
        done();
        this.replace();
        reject(new Error(`the script thread exited with code ${code} before it answered`));
      };
      const kill = setTimeout(() => {
        done();
        void thread.terminate();
        this.replace();
        resolve({ ok: false, error: { kind: 'timeout', message: 'the script ran past its timeout and was stopped' }, logs: [], logsTruncated: false, durationMs: Date.now() - started });
      }, input.timeoutMs + THREAD_GRACE_MS);
      thread.on('message', onMessage);
      thread.on('exit', onExit);
      thread.postMessage(input);
    });
  }

  private acquire(): Promise<Worker> {
    const thread = this.idle.pop();
    if (thread !== undefined) return Promise.resolve(thread);
    if (this.started < this.size) return Promise.resolve(this.spawn());
    return new Promise((resolve) => this.waiting.push(resolve));
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

  private release(thread: Worker): void {
    const next = this.waiting.shift();
    if (next !== undefined) next(thread);
    else this.idle.push(thread);
  }

  /** A thread died or was terminated: its slot goes to the next waiter, or back to the pool. */
  private replace(): void {
    this.started--;
    const next = this.waiting.shift();
    if (next !== undefined) next(this.spawn());
  }

  async close(): Promise<void> {
    await Promise.all(this.idle.splice(0).map((t) => t.terminate()));
  }
}
