// n8n expressions in parameters: a string starting with '=' whose `{{ … }}` blocks are read.
// Plain data paths ($json.a, $input.item.json.b, $('Name').item.json.c, $node["Name"].json.d,
// $runIndex) are read here directly. Any other block is JavaScript: it runs in the QuickJS
// sandbox on the script thread pool (src/dsl/scripts.ts), never in the host, and its value is
// handed to `resolveTree`. Scanning is linear (src/dsl/tokenizer.ts). Import-free of Node APIs.
import { blocks, isExpression, nodeRefsIn, parseDataPath, segments, type DataPath } from './tokenizer';
import type { Item } from './types';

export { isExpression };

export class ExpressionError extends Error {
  override name = 'ExpressionError';
}

/** Another node's data as an expression sees it. */
export interface NodeView {
  /** False for a node that has not run yet: only its context can be read. */
  executed: boolean;
  /** The node's context (SplitInBatches keeps noItemsLeft, currentRunIndex… there). */
  context: Record<string, unknown>;
  /** Items on output 0 of the node's last run. */
  items: Item[];
  /** The item of this node that the current item derives from (n8n's paired item). */
  paired(itemIndex: number): Item;
}

/** What a data path can read while one item is processed. */
export interface PathScope {
  /** The node's input items (input 0). */
  items: Item[];
  itemIndex: number;
  runIndex: number;
  node(name: string): NodeView;
}

function walk(value: unknown, steps: DataPath['steps'], list: Item[]): unknown {
  let cur: unknown = value;
  for (const s of steps) {
    if ('call' in s) {
      if (s.call === 'first') cur = list[0];
      else if (s.call === 'last') cur = list[list.length - 1];
      else if (s.call === 'all') cur = list;
      else cur = cur === undefined || cur === null ? '' : typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
      continue;
    }
    // As in JavaScript: reading a property of undefined or null is an error.
    if (cur === null || cur === undefined) throw new ExpressionError(`Cannot read properties of ${cur} (reading '${s.key}')`);
    if (typeof cur === 'object' && Object.prototype.hasOwnProperty.call(cur, s.key)) cur = (cur as Record<string | number, unknown>)[s.key];
    else if (typeof cur === 'string' && s.key === 'length') cur = cur.length;
    else cur = undefined;
  }
  return cur;
}

/** Reads a data path. */
export function readPath(p: DataPath, scope: PathScope): unknown {
  if (p.root === '$runIndex') return scope.runIndex;
  if (p.root === '$itemIndex') return scope.itemIndex;
  const current = scope.items[scope.itemIndex];
  if (p.root === '$json') return walk(current?.json, p.steps, scope.items);
  const view: NodeView | undefined = p.root === '$input' ? undefined : scope.node(p.node!);
  const list = view ? view.items : scope.items;
  const [first, ...rest] = p.steps;
  if (view && first && 'key' in first && first.key === 'context') return walk(view.context, rest, list);
  if (view && !view.executed) throw new ExpressionError(`Referenced node hasn't been executed: '${p.node}'`);
  if (first && 'key' in first && first.key === 'item') {
    const item = view ? view.paired(scope.itemIndex) : current;
    return walk(item, rest, list);
  }
  if (first && 'key' in first && first.key === 'json' && view) {
    // $node["Name"].json: the item at the same index (n8n's legacy accessor).
    return walk((list[scope.itemIndex] ?? list[0])?.json, rest, list);
  }
  return walk(list, p.steps, list);
}

/** Names of nodes a parameter tree reads, in expressions or code. */
export function referencedNodes(value: unknown, into = new Set<string>()): Set<string> {
  if (typeof value === 'string') nodeRefsIn(value, into);
  else if (Array.isArray(value)) value.forEach((v) => referencedNodes(v, into));
  else if (value !== null && typeof value === 'object') Object.values(value).forEach((v) => referencedNodes(v, into));
  return into;
}

/** Every `{{ }}` block in a parameter tree that is not a plain data path, with its JSON path. */
export function scriptBlocks(value: unknown, at: string, into: { at: string; source: string }[] = []): { at: string; source: string }[] {
  if (isExpression(value)) {
    for (const b of blocks(value)) if (parseDataPath(b) === undefined) into.push({ at, source: b });
  } else if (Array.isArray(value)) value.forEach((v, i) => scriptBlocks(v, `${at}[${i}]`, into));
  else if (value !== null && typeof value === 'object') Object.entries(value).forEach(([k, v]) => scriptBlocks(v, `${at}.${k}`, into));
  return into;
}

/** The distinct JavaScript blocks of a parameter tree. */
export function scriptSources(value: unknown): string[] {
  return [...new Set(scriptBlocks(value, '').map((b) => b.source))];
}

/** How n8n writes a value into text: null and undefined as nothing, anything else as JavaScript's String(). */
export function toText(v: unknown): string {
  if (v === undefined || v === null) return '';
  return String(v);
}

/** Supplies the value of a JavaScript block for the current item (or throws its error). */
export type ScriptValue = (source: string) => unknown;

function blockValue(code: string, scope: PathScope, script: ScriptValue): unknown {
  const path = parseDataPath(code);
  return path === undefined ? script(code) : readPath(path, scope);
}

/** Evaluates one expression string: a lone `{{ x }}` keeps x's type, anything else is text. */
export function evaluateExpression(expr: string, scope: PathScope, script: ScriptValue): unknown {
  const parts = segments(expr.slice(1));
  if (parts.length === 1 && 'code' in parts[0]!) return blockValue(parts[0].code, scope, script);
  let out = '';
  for (const s of parts) out += 'text' in s ? s.text : toText(blockValue(s.code, scope, script));
  return out;
}

/** Resolves every expression of a parameter tree for one item. */
export function resolveTree(value: unknown, scope: PathScope, script: ScriptValue): unknown {
  if (isExpression(value)) return evaluateExpression(value, scope, script);
  if (Array.isArray(value)) return value.map((v) => resolveTree(v, scope, script));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveTree(v, scope, script);
    return out;
  }
  return value;
}
