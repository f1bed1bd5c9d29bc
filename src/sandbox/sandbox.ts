// The script sandbox: untrusted JavaScript runs in QuickJS (WebAssembly), never in the host's
// V8. A script sees only the standard ECMAScript built-ins plus the `api` object its caller
// passes in: there is no require, process, filesystem, timers or network inside. Each run gets a
// fresh runtime with a deadline interrupt, a memory cap, and caps on its output and log size.
// Host functions may return promises; the guest then sees a promise it can await.
import { newQuickJSWASMModule, RELEASE_SYNC, type QuickJSContext, type QuickJSDeferredPromise, type QuickJSHandle, type QuickJSWASMModule } from 'quickjs-emscripten';

/** What a host function gets besides its (JSON) arguments. */
export interface HostCall {
  /** Aborted when the run ends or passes its deadline; pass it on to I/O. */
  signal: AbortSignal;
  /** Epoch milliseconds after which the run is stopped. */
  deadline: number;
}

/** A host function: JSON arguments in, a JSON value (or a promise of one) out. */
export type HostFunction = (args: unknown[], call: HostCall) => unknown;
/** A tree of host functions, exposed to the script as a plain object of functions. */
export interface HostApi {
  [name: string]: HostFunction | HostApi;
}

export interface RunScriptInput {
  /** The script, evaluated as a global script; error line numbers refer to it. */
  source: string;
  /** A global function of the script to call; without it, the script's completion value is the result. */
  entry?: string;
  /** JSON arguments of `entry`; the `api` object follows them. */
  args?: unknown[];
  /** Host functions, also reachable as the global `api`. `api.log` is built in. */
  host?: HostApi;
  /** Shown in error stacks, e.g. `action.js`. */
  fileName?: string;
  timeoutMs: number;
  memoryBytes?: number;
  maxOutputBytes?: number;
  maxLogBytes?: number;
}

/** `busy`: the script never ran, because its tenant had too many scripts waiting for a thread. */
export type SandboxErrorKind = 'syntax' | 'timeout' | 'memory' | 'output_too_large' | 'runtime' | 'not_a_function' | 'busy';

export interface SandboxError {
  kind: SandboxErrorKind;
  message: string;
  /** 1-based line in `source`, when the engine reports one. */
  line?: number;
}

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  at: string;
}

export type RunScriptResult =
  | { ok: true; value: unknown; logs: LogLine[]; logsTruncated: boolean; durationMs: number }
  | { ok: false; error: SandboxError; logs: LogLine[]; logsTruncated: boolean; durationMs: number };

export const SANDBOX_DEFAULTS = {
  memoryBytes: 32 * 1024 * 1024,
  maxOutputBytes: 256 * 1024,
  maxLogBytes: 64 * 1024,
  stackBytes: 512 * 1024,
};

const FILE = 'script.js';

// The stock variant loads its Emscripten module with a dynamic import(), which Jest's CommonJS
// runtime rejects; require() loads the same file everywhere.
const VARIANT: typeof RELEASE_SYNC = {
  ...RELEASE_SYNC,
  importModuleLoader: async () => require('@jitl/quickjs-wasmfile-release-sync/emscripten-module') as Awaited<ReturnType<typeof RELEASE_SYNC.importModuleLoader>>,
};

/**
 * The QuickJS engine of one thread: its entry point (the API process's context, each script
 * thread) creates one and passes it down. The WebAssembly module loads on first use and is
 * replaced when a run leaves it broken (see dispose).
 */
export class Sandbox {
  private modulePromise: Promise<QuickJSWASMModule> | undefined;

  private quickjs(): Promise<QuickJSWASMModule> {
    this.modulePromise ??= newQuickJSWASMModule(VARIANT);
    return this.modulePromise;
  }

  /** Compiles without running: undefined when the syntax is fine, else the error with its line. */
  async checkSyntax(source: string, fileName = FILE): Promise<SandboxError | undefined> {
    const [err] = await this.checkSyntaxMany([source], fileName);
    return err;
  }

  /** Compiles several sources in one runtime (cheap per source); an entry per source. */
  async checkSyntaxMany(sources: string[], fileName = FILE): Promise<(SandboxError | undefined)[]> {
    const runtime = (await this.quickjs()).newRuntime();
    runtime.setMemoryLimit(SANDBOX_DEFAULTS.memoryBytes);
    const vm = runtime.newContext();
    try {
      return sources.map((source) => {
        const res = vm.evalCode(source, fileName, { compileOnly: true });
        if (res.error === undefined) {
          res.value.dispose();
          return undefined;
        }
        const err = toSandboxError(vm.dump(res.error), fileName);
        res.error.dispose();
        return { ...err, kind: 'syntax' as const };
      });
    } finally {
      this.dispose(vm);
    }
  }

  /** Runs a script (and optionally one of its functions) under the limits; never throws for script faults. */
  async runScript(input: RunScriptInput): Promise<RunScriptResult> {
    // The engine loads once per thread; that is not the script's time.
    const engine = await this.quickjs();
    const started = Date.now();
    const deadline = started + input.timeoutMs;
    const logs = new LogBuffer(input.maxLogBytes ?? SANDBOX_DEFAULTS.maxLogBytes);
    const finish = (r: { ok: true; value: unknown } | { ok: false; error: SandboxError }): RunScriptResult => ({
      ...r,
      logs: logs.lines,
      logsTruncated: logs.truncated,
      durationMs: Date.now() - started,
    });

    const runtime = engine.newRuntime();
    runtime.setMemoryLimit(input.memoryBytes ?? SANDBOX_DEFAULTS.memoryBytes);
    runtime.setMaxStackSize(SANDBOX_DEFAULTS.stackBytes);
    runtime.setInterruptHandler(() => Date.now() > deadline);
    const vm = runtime.newContext();
    const abort = new AbortController();
    const run = new GuestRun(vm, abort.signal, deadline, input.fileName ?? FILE);
    try {
      const api = run.track(run.hostObject(input.host ?? {}));
      run.addLog(api, logs);
      vm.setProp(vm.global, 'api', api);
      const outcome = await run.execute(input, api);
      if (!outcome.ok) return finish(outcome);
      const json = outcome.value === undefined ? undefined : JSON.stringify(outcome.value);
      const limit = input.maxOutputBytes ?? SANDBOX_DEFAULTS.maxOutputBytes;
      if (json !== undefined && Buffer.byteLength(json) > limit) {
        return finish({ ok: false, error: { kind: 'output_too_large', message: `the result is larger than ${limit} bytes` } });
      }
      return finish(outcome);
    } finally {
      abort.abort();
      run.dispose();
      this.dispose(vm);
    }
  }

  /**
   * Evaluates one JavaScript expression against named JSON values, e.g. for `{{ $json.name }}`
   * templates: `sandbox.evaluateExpression('$json.a + 1', { $json: { a: 1 } })`.
   */
  async evaluateExpression(
    expression: string,
    scope: Record<string, unknown>,
    limits: { timeoutMs?: number; memoryBytes?: number; maxOutputBytes?: number } = {},
  ): Promise<RunScriptResult> {
    const names = Object.keys(scope);
    for (const n of names) if (!/^[A-Za-z_$][\w$]*$/.test(n)) throw new Error(`'${n}' is not a valid scope name`);
    // The expression sits on line 1 of the function body, so reported lines stay meaningful.
    const source = `function __expression(${names.join(', ')}) { return (\n${expression}\n); }`;
    return this.runScript({
      source,
      entry: '__expression',
      args: names.map((n) => scope[n]),
      fileName: 'expression.js',
      timeoutMs: limits.timeoutMs ?? 1000,
      memoryBytes: limits.memoryBytes,
      maxOutputBytes: limits.maxOutputBytes,
    });
  }

  /** Disposes a context and its runtime; a broken module is dropped so the next run starts clean. */
  private dispose(vm: QuickJSContext): void {
    const runtime = vm.runtime;
    try {
      vm.dispose();
      runtime.dispose();
    } catch {
      this.modulePromise = undefined;
    }
  }
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: SandboxError };

/** The handles of one run; everything it creates is disposed before the runtime is. */
class GuestRun {
  private readonly pending = new Set<QuickJSDeferredPromise>();
  private readonly handles: QuickJSHandle[] = [];
  private closed = false;

  constructor(
    private readonly vm: QuickJSContext,
    private readonly signal: AbortSignal,
    private readonly deadline: number,
    private readonly fileName: string,
  ) {}

  /** Disposed with the run, whatever happens. */
  track(handle: QuickJSHandle): QuickJSHandle {
    this.handles.push(handle);
    return handle;
  }

  hostObject(api: HostApi): QuickJSHandle {
    const obj = this.vm.newObject();
    for (const [name, value] of Object.entries(api)) {
      const child = typeof value === 'function' ? this.hostFunction(name, value) : this.hostObject(value);
      this.vm.setProp(obj, name, child);
      child.dispose();
    }
    return obj;
  }

  /** `api.log(...)` logs at info; `api.log.warn(...)` and `api.log.error(...)` too. */
  addLog(api: QuickJSHandle, logs: LogBuffer): void {
    const log = this.hostFunction('log', (args) => logs.add('info', args));
    for (const level of ['warn', 'error'] as const) {
      const fn = this.hostFunction(level, (args) => logs.add(level, args));
      this.vm.setProp(log, level, fn);
      fn.dispose();
    }
    this.vm.setProp(api, 'log', log);
    log.dispose();
  }

  private hostFunction(name: string, fn: HostFunction): QuickJSHandle {
    return this.vm.newFunction(name, (...argHandles) => {
      const args = argHandles.map((h) => this.vm.dump(h) as unknown);
      let result: unknown;
      try {
        result = fn(args, { signal: this.signal, deadline: this.deadline });
      } catch (err) {
        return { error: this.newError(err) };
      }
      if (!isThenable(result)) return this.fromJson(result);
      const deferred = this.vm.newPromise();
      this.pending.add(deferred);
      result.then(
        (value) => this.settle(deferred, { value }),
        (error: unknown) => this.settle(deferred, { error }),
      );
      return deferred.handle;
    });
  }

  private settle(deferred: QuickJSDeferredPromise, outcome: { value: unknown } | { error: unknown }): void {
    if (this.closed || !deferred.alive) return;
    // Nothing here may throw: it runs in a host promise callback, where a throw would be unhandled.
    try {
      const handle = 'value' in outcome ? this.fromJson(outcome.value) : this.newError(outcome.error);
      if ('value' in outcome) deferred.resolve(handle);
      else deferred.reject(handle);
      handle.dispose();
    } catch (err) {
      try {
        const handle = this.newError(err);
        deferred.reject(handle);
        handle.dispose();
      } catch {
        // The guest cannot even take an error (out of memory): the deadline ends the run.
      }
    }
    this.pending.delete(deferred);
    deferred.dispose();
    try {
      this.pump();
    } catch {
      // as above
    }
  }

  /** Runs the guest's pending promise jobs; an interrupted job's error is the run's timeout. */
  pump(): void {
    const res = this.vm.runtime.executePendingJobs();
    if (res.error !== undefined) res.error.dispose();
  }

  private newError(err: unknown): QuickJSHandle {
    return this.vm.newError({ name: 'Error', message: err instanceof Error ? err.message : String(err) });
  }

  /** A guest value from a JSON-compatible host value. */
  fromJson(value: unknown): QuickJSHandle {
    if (value === undefined) return this.vm.undefined;
    // JSON.parse, not an object literal: a "__proto__" key must stay a plain property.
    const json = this.vm.getProp(this.vm.global, 'JSON');
    const parse = this.vm.getProp(json, 'parse');
    const text = this.vm.newString(JSON.stringify(value));
    const parsed = this.vm.callFunction(parse, json, text);
    for (const h of [json, parse, text]) h.dispose();
    return this.vm.unwrapResult(parsed);
  }

  async execute(input: RunScriptInput, api: QuickJSHandle): Promise<Outcome> {
    const evaluated = this.vm.evalCode(input.source, this.fileName);
    if (evaluated.error !== undefined) return this.failure(evaluated.error);
    if (input.entry === undefined) return this.settleValue(evaluated.value);
    evaluated.value.dispose();

    const fn = this.track(this.vm.getProp(this.vm.global, input.entry));
    if (this.vm.typeof(fn) !== 'function') {
      return { ok: false, error: { kind: 'not_a_function', message: `the script does not define function ${input.entry}` } };
    }
    const args = (input.args ?? []).map((a) => this.fromJson(a));
    const called = this.vm.callFunction(fn, this.vm.undefined, ...args, api);
    for (const a of args) a.dispose();
    if (called.error !== undefined) return this.failure(called.error);
    return this.settleValue(called.value);
  }

  /** Awaits a guest promise (pumping its jobs) within the deadline, then reads the value as JSON. */
  private async settleValue(handle: QuickJSHandle): Promise<Outcome> {
    if (!this.isPromise(handle)) return this.readJson(handle);
    const native = this.vm.resolvePromise(handle);
    handle.dispose();
    this.pump();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(0, this.deadline - Date.now()));
    });
    const settled = await Promise.race([native, timeout]);
    clearTimeout(timer);
    if (settled === 'timeout') {
      this.closed = true;
      return { ok: false, error: timeoutError() };
    }
    if (settled.error !== undefined) return this.failure(settled.error);
    return this.readJson(settled.value);
  }

  private isPromise(handle: QuickJSHandle): boolean {
    const state = this.vm.getPromiseState(handle);
    return !(state.type === 'fulfilled' && state.notAPromise === true);
  }

  private readJson(handle: QuickJSHandle): Outcome {
    try {
      if (this.vm.typeof(handle) === 'undefined') return { ok: true, value: undefined };
      const json = this.vm.getProp(this.vm.global, 'JSON');
      const stringify = this.vm.getProp(json, 'stringify');
      const res = this.vm.callFunction(stringify, json, handle);
      json.dispose();
      stringify.dispose();
      if (res.error !== undefined) return this.failure(res.error);
      const text = this.vm.getString(res.value);
      res.value.dispose();
      return { ok: true, value: text === undefined ? undefined : JSON.parse(text) };
    } finally {
      handle.dispose();
    }
  }

  private failure(errorHandle: QuickJSHandle): Outcome {
    const dumped = this.vm.dump(errorHandle) as unknown;
    errorHandle.dispose();
    if (Date.now() > this.deadline) return { ok: false, error: timeoutError() };
    return { ok: false, error: toSandboxError(dumped, this.fileName) };
  }

  dispose(): void {
    this.closed = true;
    for (const d of this.pending) if (d.alive) d.dispose();
    this.pending.clear();
    for (const h of this.handles) if (h.alive) h.dispose();
  }
}

function timeoutError(): SandboxError {
  return { kind: 'timeout', message: 'the script ran past its timeout and was stopped' };
}

function isThenable(v: unknown): v is Promise<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

function toSandboxError(dumped: unknown, fileName: string): SandboxError {
  const e = (typeof dumped === 'object' && dumped !== null ? dumped : { message: String(dumped) }) as {
    name?: string;
    message?: string;
    stack?: string;
    lineNumber?: number;
  };
  const message = e.name !== undefined ? `${e.name}: ${e.message ?? ''}` : String(e.message ?? 'unknown error');
  const lineMatch = new RegExp(`${fileName.replace(/\./g, '\\.')}:(\\d+)`).exec(e.stack ?? '');
  const line = e.lineNumber ?? (lineMatch ? Number(lineMatch[1]) : undefined);
  let kind: SandboxErrorKind = 'runtime';
  if (e.name === 'SyntaxError') kind = 'syntax';
  else if (e.name === 'InternalError' && /out of memory|stack overflow/.test(e.message ?? '')) kind = 'memory';
  else if (e.name === 'InternalError' && /interrupted/.test(e.message ?? '')) kind = 'timeout';
  if (kind === 'memory') return { kind, message: `the script exceeded its memory limit (${e.message})`, line };
  if (kind === 'timeout') return timeoutError();
  return { kind, message, line };
}

class LogBuffer {
  readonly lines: LogLine[] = [];
  truncated = false;
  private bytes = 0;
  constructor(private readonly limit: number) {}

  add(level: LogLine['level'], args: unknown[]): void {
    if (this.truncated) return;
    const message = args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a) ?? String(a))).join(' ');
    const size = Buffer.byteLength(message);
    if (this.bytes + size > this.limit) {
      this.truncated = true;
      return;
    }
    this.bytes += size;
    this.lines.push({ level, message, at: new Date().toISOString() });
  }
}
