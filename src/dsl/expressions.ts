// n8n expressions in parameters: a string starting with '=' whose `{{ … }}` parts are read.
// Plain data paths rooted at $json, $input, $node["Name"] and $('Name') are read here directly
// (fast, no JavaScript). Any other block is JavaScript and goes to a ScriptEvaluator, which the
// caller backs with the QuickJS sandbox: never eval or new Function in the host. Import-free.
import type { Item } from './types';

export class ExpressionError extends Error {
  override name = 'ExpressionError';
}

/** What an expression can see while one item is processed. */
export interface ExpressionScope {
  /** The node's input items (input 0 first, then the others). */
  input: Item[];
  itemIndex: number;
  /** Output-0 items of earlier nodes, by node name. */
  nodes: Record<string, Item[]>;
}

type Segment = { key: string | number } | { call: string };
interface Path {
  root: '$json' | '$input' | '$node';
  node?: string;
  segments: Segment[];
}

const BLOCK = /\{\{([\s\S]*?)\}\}/g;

export function isExpression(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith('=');
}

/** The `{{ … }}` bodies of an expression string. */
function blocks(expr: string): string[] {
  return [...expr.slice(1).matchAll(BLOCK)].map((m) => m[1]!.trim());
}

/** Parses one `{{ }}` body into a path; throws ExpressionError naming what is unsupported. */
export function parsePath(src: string): Path {
  let i = 0;
  const fail = (why: string): never => {
    throw new ExpressionError(`unsupported expression '${src}': ${why} (only $json, $input, $node["Name"] and $('Name') paths are supported)`);
  };
  const ident = (): string => {
    const m = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(src.slice(i));
    if (!m) return fail(`expected a name at position ${i}`);
    i += m[0].length;
    return m[0];
  };
  const quoted = (): string => {
    const q = src[i];
    if (q !== '"' && q !== "'") return fail(`expected a quoted name at position ${i}`);
    const end = src.indexOf(q, i + 1);
    if (end < 0) return fail('unterminated string');
    const s = src.slice(i + 1, end);
    i = end + 1;
    return s;
  };
  const expect = (ch: string) => {
    if (src[i] !== ch) fail(`expected '${ch}' at position ${i}`);
    i += 1;
  };
  let path: Path;
  if (src.startsWith('$json')) {
    i = 5;
    path = { root: '$json', segments: [] };
  } else if (src.startsWith('$input')) {
    i = 6;
    path = { root: '$input', segments: [] };
  } else if (src.startsWith('$node[')) {
    i = 6;
    const node = quoted();
    expect(']');
    path = { root: '$node', node, segments: [] };
  } else if (src.startsWith('$(')) {
    i = 2;
    const node = quoted();
    expect(')');
    path = { root: '$node', node, segments: [] };
  } else {
    return fail('unknown root');
  }
  while (i < src.length) {
    const ch = src[i];
    if (ch === '.') {
      i += 1;
      const name = ident();
      if (src[i] === '(') {
        expect('(');
        expect(')');
        path.segments.push({ call: name });
      } else path.segments.push({ key: name });
    } else if (ch === '[') {
      i += 1;
      if (src[i] === '"' || src[i] === "'") path.segments.push({ key: quoted() });
      else {
        const m = /^\d+/.exec(src.slice(i));
        if (!m) fail(`expected an index at position ${i}`);
        i += m![0].length;
        path.segments.push({ key: Number(m![0]) });
      }
      expect(']');
    } else if (ch === ' ' || ch === '\t' || ch === '\n') {
      i += 1;
      if (src.slice(i).trim() !== '') fail('only one path per {{ }} block');
    } else {
      fail(`unexpected '${ch}' at position ${i}`);
    }
  }
  return path;
}

/** Throws ExpressionError for the first unsupported block; used by the validator. */
export function checkExpression(expr: string): void {
  for (const b of blocks(expr)) parsePath(b);
}

const NODE_REF = /\$\(\s*(['"])(.*?)\1\s*\)|\$node\[\s*(['"])(.*?)\3\s*\]/g;

/** Names of nodes a parameter tree reads through $node["Name"] or $('Name'), in expressions or code. */
export function referencedNodes(value: unknown, into = new Set<string>()): Set<string> {
  if (typeof value === 'string') {
    for (const m of value.matchAll(NODE_REF)) into.add((m[2] ?? m[4])!);
  } else if (Array.isArray(value)) value.forEach((v) => referencedNodes(v, into));
  else if (value !== null && typeof value === 'object') Object.values(value).forEach((v) => referencedNodes(v, into));
  return into;
}

/** Every `{{ }}` body in a parameter tree that is not a plain data path (it needs the sandbox). */
export function scriptBlocks(value: unknown, at: string, into: { at: string; source: string }[] = []): { at: string; source: string }[] {
  if (isExpression(value)) {
    for (const b of blocks(value)) {
      try {
        parsePath(b);
      } catch {
        into.push({ at, source: b });
      }
    }
  } else if (Array.isArray(value)) value.forEach((v, i) => scriptBlocks(v, `${at}[${i}]`, into));
  else if (value !== null && typeof value === 'object') Object.entries(value).forEach(([k, v]) => scriptBlocks(v, `${at}.${k}`, into));
  return into;
}

/** Evaluates a JavaScript expression block in the sandbox; supplied by the caller. */
export type ScriptEvaluator = (source: string, scope: ExpressionScope) => Promise<unknown>;

async function evaluateBlock(src: string, scope: ExpressionScope, script: ScriptEvaluator): Promise<unknown> {
  let path: Path;
  try {
    path = parsePath(src);
  } catch (err) {
    if (err instanceof ExpressionError) return script(src, scope);
    throw err;
  }
  return evaluatePath(path, scope);
}

/** Like `evaluate`, but blocks that are not data paths run as JavaScript through `script`. */
export async function evaluateWithScripts(expr: string, scope: ExpressionScope, script: ScriptEvaluator): Promise<unknown> {
  const body = expr.slice(1);
  const whole = /^\s*\{\{([\s\S]*?)\}\}\s*$/.exec(body);
  if (whole && !whole[1]!.includes('{{')) return evaluateBlock(whole[1]!.trim(), scope, script);
  let out = '';
  let last = 0;
  for (const m of body.matchAll(BLOCK)) {
    out += body.slice(last, m.index) + stringify(await evaluateBlock(m[1]!.trim(), scope, script));
    last = m.index! + m[0].length;
  }
  return out + body.slice(last);
}

/** Resolves every expression in a parameter tree for one item, running scripts in the sandbox. */
export async function resolveParametersAsync<T>(value: T, scope: ExpressionScope, script: ScriptEvaluator): Promise<T> {
  if (isExpression(value)) return (await evaluateWithScripts(value, scope, script)) as T;
  if (Array.isArray(value)) return (await Promise.all(value.map((v) => resolveParametersAsync(v, scope, script)))) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await resolveParametersAsync(v, scope, script);
    return out as T;
  }
  return value;
}

function walk(value: unknown, segments: Segment[], items: Item[]): unknown {
  let cur: unknown = value;
  for (const s of segments) {
    if ('call' in s) {
      if (s.call === 'first') cur = items[0];
      else if (s.call === 'last') cur = items[items.length - 1];
      else if (s.call === 'all') cur = items;
      else if (s.call === 'toString') cur = cur === undefined || cur === null ? '' : typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
      else throw new ExpressionError(`unsupported call ${s.call}()`);
      continue;
    }
    if (cur === null || cur === undefined) return undefined;
    if (typeof cur === 'object' && Object.prototype.hasOwnProperty.call(cur, s.key)) cur = (cur as Record<string | number, unknown>)[s.key];
    else return undefined;
  }
  return cur;
}

function evaluatePath(p: Path, scope: ExpressionScope): unknown {
  const current = scope.input[scope.itemIndex] ?? scope.input[0];
  if (p.root === '$json') return walk(current?.json, p.segments, scope.input);
  const items = p.root === '$input' ? scope.input : scope.nodes[p.node!];
  if (p.root === '$node' && items === undefined) throw new ExpressionError(`node '${p.node}' has no output in this run`);
  const [first, ...rest] = p.segments;
  // $input.item / $('X').item are the item paired with the current one; .json on $node["X"] too.
  if (first && 'key' in first && (first.key === 'item' || first.key === 'json')) {
    const paired = items![scope.itemIndex] ?? items![0];
    return first.key === 'json' ? walk(paired?.json, rest, items!) : walk(paired, rest, items!);
  }
  return walk(items, p.segments, items!);
}

function stringify(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** Evaluates an expression string: one whole `={{ x }}` keeps x's type, mixed text becomes a string. */
export function evaluate(expr: string, scope: ExpressionScope): unknown {
  const body = expr.slice(1);
  const whole = /^\s*\{\{([\s\S]*?)\}\}\s*$/.exec(body);
  if (whole && !whole[1]!.includes('{{')) return evaluatePath(parsePath(whole[1]!.trim()), scope);
  return body.replace(BLOCK, (_m, inner: string) => stringify(evaluatePath(parsePath(inner.trim()), scope)));
}

/** Resolves every expression in a parameter tree for one item. */
export function resolveParameters<T>(value: T, scope: ExpressionScope): T {
  if (isExpression(value)) return evaluate(value, scope) as T;
  if (Array.isArray(value)) return value.map((v) => resolveParameters(v, scope)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveParameters(v, scope);
    return out as T;
  }
  return value;
}
