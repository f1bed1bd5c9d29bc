// How an action script runs: the user's `function <name>(ctx, api)` is called inside the
// sandbox with a snapshot of the flow context. `api.getContext(path)` and
// `api.setContext(path, value)` read and change the context the next action sees;
// `api.http.fetch(url, init)` goes through the outbound address policy; `api.log` logs.
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
