// Code (v1, v2) and the legacy Function and Function Item nodes: JavaScript in the QuickJS
// sandbox on the script thread pool, once for all items or once per item, with n8n's names
// ($input, $json, $('Node'), items, item, $now, DateTime…) and top-level await.
import { z } from 'zod';
import { CodeError } from '../node-runner';
import type { ExecuteContext, NodeType } from '../registry';
import type { Item } from '../types';
import { isObject } from './util';

/** Longest code accepted. */
export const CODE_MAX_BYTES = 64 * 1024;

const Source = z.string().refine((c) => Buffer.byteLength(c) <= CODE_MAX_BYTES, `must be at most ${CODE_MAX_BYTES} bytes`);
const CodeParams = z.looseObject({
  mode: z.enum(['runOnceForAllItems', 'runOnceForEachItem']).default('runOnceForAllItems'),
  language: z.enum(['javaScript']).default('javaScript'),
  jsCode: Source.default(''),
});
const FunctionParams = z.looseObject({ functionCode: Source.default('') });

class CodeResultError extends CodeError {}

/** n8n's reading of returned values: `{json}` items, or plain objects that become an item's json. */
function toItems(value: unknown, what: string): Item[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((x) => {
    if (!isObject(x)) throw new CodeResultError(`${what} doesn't return items properly: an item is a ${Array.isArray(x) ? 'list' : typeof x}, not an object`);
    if (isObject(x.json)) return { json: x.json, ...(isObject(x.binary) ? { binary: x.binary } : {}) };
    return { json: x };
  });
}

function errorItem(message: string, index: number): Item {
  return { json: { error: message }, pairedItem: { item: index } };
}

/** Runs code for all items; outputs pair by position when the counts match, else with the one input item. */
async function allItems(ctx: ExecuteContext<unknown>, code: string, what: string): Promise<Item[]> {
  const input = ctx.inputs[0] ?? [];
  const [r] = await ctx.code.run(code, false);
  try {
    if (r === undefined || 'error' in r) throw new CodeError(r ? r.error : `${what} did not run`);
    const items = toItems(r.value, what);
    return items.map((it, i) => ({ ...it, ...(items.length === input.length ? { pairedItem: { item: i } } : input.length === 1 ? { pairedItem: { item: 0 } } : {}) }));
  } catch (err) {
    if (!ctx.continueOnFail) throw err;
    return [{ json: { error: (err as Error).message } }];
  }
}

async function eachItem(ctx: ExecuteContext<unknown>, code: string, what: string, jsonOnly: boolean): Promise<Item[]> {
  const results = await ctx.code.run(code, true);
  const out: Item[] = [];
  results.forEach((r, i) => {
    try {
      if ('error' in r) throw new CodeError(r.error.replace(/\[line (\d+)\]$/, `[line $1, for item ${i}]`));
      if (r.value === undefined || r.value === null) return;
      if (!isObject(r.value)) throw new CodeResultError(`${what} doesn't return an object [item ${i}]`);
      const [item] = jsonOnly ? [{ json: r.value }] : toItems(r.value, what);
      out.push({ ...item!, pairedItem: { item: i } });
    } catch (err) {
      if (!ctx.continueOnFail) throw err;
      out.push(errorItem((err as Error).message, i));
    }
  });
  return out;
}

export const code: NodeType<z.infer<typeof CodeParams>> = {
  type: 'n8n-nodes-base.code',
  versions: [1, 2],
  description: 'Runs JavaScript in the sandbox (no require, process or network), once for all items or once per item; top-level await works.',
  kind: 'activity',
  parameters: CodeParams,
  outputs: () => 1,
  execute: async (ctx) => {
    const p = ctx.params(0);
    return [p.mode === 'runOnceForEachItem' ? await eachItem(ctx, p.jsCode, 'Code', false) : await allItems(ctx, p.jsCode, 'Code')];
  },
};

export const functionNode: NodeType<z.infer<typeof FunctionParams>> = {
  type: 'n8n-nodes-base.function',
  versions: [1],
  description: 'Legacy Function: JavaScript over `items`, returning items.',
  kind: 'activity',
  parameters: FunctionParams,
  outputs: () => 1,
  execute: async (ctx) => [await allItems(ctx, ctx.params(0).functionCode, 'Function')],
};

export const functionItem: NodeType<z.infer<typeof FunctionParams>> = {
  type: 'n8n-nodes-base.functionItem',
  versions: [1],
  description: 'Legacy Function Item: JavaScript per item; `item` is the item\'s JSON and the result is its new JSON.',
  kind: 'activity',
  parameters: FunctionParams,
  outputs: () => 1,
  execute: async (ctx) => [await eachItem(ctx, `item = $json;\n${ctx.params(0).functionCode}`, 'Function Item', true)],
};
