// One script job of a node run, executed on a script thread (src/actions/script.ts): every
// JavaScript expression of the node for every item, or the node's Code, in one QuickJS runtime
// with one deadline. The host side gives the guest Intl (for Luxon) and timers through `api`.
import fs from 'node:fs';
import path from 'node:path';
import type { HostApi, RunScriptResult, Sandbox } from '../sandbox/sandbox';
import { codeFunction, expressionFunction, guestPrelude, needsLuxon } from './guest';
import type { Item } from './types';

/** Another node's data as the guest sees it. */
export interface RefData {
  /** Output 0 of the node's last run. */
  items: Item[];
  /** Per input item of the running node: its paired item in this node, or why there is none. */
  paired?: (Item | string)[];
  runIndex: number;
  /** False for a node that has not run yet: only its context can be read. */
  executed?: boolean;
  context?: Record<string, unknown>;
  parameters?: Record<string, unknown>;
}

/** Everything a node's scripts can read. */
export interface NodeScriptData {
  node: { name: string; type: string; typeVersion: number; parameters?: Record<string, unknown> };
  /** The node's input 0. */
  items: Item[];
  runIndex: number;
  refs: Record<string, RefData>;
  workflow: { id: string; name: string; active: boolean };
  execution: { id: string; mode: string; resumeUrl?: string; customData?: Record<string, unknown> };
  prevNode?: { name: string; outputIndex: number; runIndex: number };
  context?: Record<string, unknown>;
  timezone: string;
}

export type NodeScriptJob = { data: NodeScriptData; timeoutMs: number; memoryBytes: number } & (
  | { task: 'expressions'; sources: string[]; itemCount: number }
  | { task: 'code'; jsCode: string; perItem: boolean }
);

/** A value, `undefined`, or an error message (with the line in the user's code when known). */
export type GuestValue = { v: unknown; n?: string } | { u: true } | { e: string };

export type NodeScriptResult = { ok: true; values: GuestValue[][] } | { ok: false; error: string };

/** Largest answer of one job (all items' expression values, or a Code node's items). */
export const NODE_JOB_OUTPUT_BYTES = 8 * 1024 * 1024;

const FILE = 'node.js';
let luxonSource: string | undefined;

function luxon(): string {
  luxonSource ??= fs.readFileSync(path.join(path.dirname(require.resolve('luxon/package.json')), 'build/global/luxon.min.js'), 'utf8');
  return luxonSource;
}

/** Host side of the guest's Intl shim and timers; Intl objects live here, referenced by index. */
function hostApi(): HostApi {
  const objects: { format(...a: unknown[]): unknown }[] = [];
  const kinds = { DateTimeFormat: Intl.DateTimeFormat, NumberFormat: Intl.NumberFormat, RelativeTimeFormat: Intl.RelativeTimeFormat, ListFormat: Intl.ListFormat } as const;
  const ctor = (kind: unknown) => {
    const c = kinds[kind as keyof typeof kinds];
    if (c === undefined) throw new Error(`Intl.${String(kind)} is not available`);
    return c as unknown as new (l?: unknown, o?: unknown) => { resolvedOptions?(): unknown; format(...a: unknown[]): unknown };
  };
  return {
    intl: {
      make: ([kind, locales, options]) => {
        if (objects.length >= 10_000) throw new Error('too many Intl objects');
        const C = ctor(kind);
        const o = new C(locales ?? undefined, options ?? undefined);
        objects.push(o);
        return { id: objects.length - 1, resolved: o.resolvedOptions?.() };
      },
      call: ([id, method, args]: unknown[]) => {
        const o = objects[id as number] as unknown as Record<string, (...a: unknown[]) => unknown>;
        if (o === undefined || !['format', 'formatToParts'].includes(method as string)) throw new Error('bad Intl call');
        return o[method as string]!(...(args as unknown[]));
      },
      supported: ([kind, locales]) => (ctor(kind) as unknown as { supportedLocalesOf(l: unknown): string[] }).supportedLocalesOf(locales ?? []),
      canonical: ([locales]) => Intl.getCanonicalLocales((locales ?? []) as string[]),
    },
    sleep: ([ms], call) =>
      new Promise<void>((resolve) => {
        const wait = Math.max(0, Math.min(Number(ms) || 0, call.deadline - Date.now()));
        const t = setTimeout(resolve, wait);
        call.signal.addEventListener('abort', () => clearTimeout(t));
      }),
  };
}

const lineOf = (source: string, marker: string) => source.slice(0, source.indexOf(marker)).split('\n').length;

function expressionsProgram(sources: string[]): string {
  const fns = sources.map((s, i) => expressionFunction(`__e${i}`, s)).join('');
  return `${fns}
function __job(data, job) {
  __luxonSetup(data);
  var fns = [${sources.map((_, i) => `__e${i}`).join(', ')}];
  var out = [];
  for (var i = 0; i < job.itemCount; i++) {
    var s = __scope(data, i);
    out.push(fns.map(function (f) { try { return __plain(f(s)); } catch (e) { __rethrowFatal(e); return { e: e && e.message !== undefined ? String(e.message) : String(e) }; } }));
  }
  return out;
}`;
}

function codeProgram(jsCode: string, perItem: boolean): string {
  return `${codeFunction('__code', jsCode, perItem)}
function __err(e) { __rethrowFatal(e); return { e: e && e.message !== undefined ? String(e.message) : String(e), stack: e && e.stack ? String(e.stack) : '' }; }
async function __job(data, job) {
  __luxonSetup(data);
  if (!job.perItem) {
    try { return [[__plain(await __code(__scope(data, 0)))]]; } catch (e) { return [[__err(e)]]; }
  }
  var out = [];
  for (var i = 0; i < data.items.length; i++) {
    try { out.push([__plain(await __code(__scope(data, i)))]); } catch (e) { out.push([__err(e)]); }
  }
  return out;
}`;
}

/** The user's line of an error thrown in the Code function, read from the guest stack. */
function withLine(value: { e: string; stack?: string }, codeLine: number): GuestValue {
  const m = new RegExp(`__code \\(${FILE}:(\\d+)`).exec(value.stack ?? '') ?? new RegExp(`${FILE}:(\\d+)`).exec(value.stack ?? '');
  const line = m ? Number(m[1]) - codeLine : undefined;
  return { e: line !== undefined && line > 0 ? `${value.e} [line ${line}]` : value.e };
}

export async function runNodeScriptJob(sandbox: Sandbox, job: NodeScriptJob): Promise<NodeScriptResult> {
  const program = job.task === 'expressions' ? expressionsProgram(job.sources) : codeProgram(job.jsCode, job.perItem);
  const body = guestPrelude() + program;
  const source = (needsLuxon(program) ? luxon() + '\n' : '') + body;
  const codeLine = job.task === 'code' ? lineOf(source, 'async function __code(') : 0;
  const jobArgs = job.task === 'expressions' ? { itemCount: job.itemCount } : { perItem: job.perItem };
  const r: RunScriptResult = await sandbox.runScript({
    source,
    entry: '__job',
    args: [job.data, jobArgs],
    host: hostApi(),
    fileName: FILE,
    timeoutMs: job.timeoutMs,
    memoryBytes: job.memoryBytes,
    maxOutputBytes: NODE_JOB_OUTPUT_BYTES,
  });
  if (!r.ok) return { ok: false, error: r.error.kind === 'syntax' && job.task === 'code' && r.error.line ? `${r.error.message} [line ${r.error.line - codeLine}]` : r.error.message };
  const values = r.value as ({ e: string; stack?: string } | GuestValue)[][];
  if (job.task === 'expressions') return { ok: true, values: values as GuestValue[][] };
  return { ok: true, values: values.map((row) => row.map((v) => ('e' in v ? withLine(v, codeLine) : v))) };
}
