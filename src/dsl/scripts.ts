// JavaScript in workflows: expression blocks that are not plain data paths, and the Code node.
// Both run in the shared QuickJS sandbox (src/sandbox), never in the host's V8. The guest sees
// n8n's names: $json, $input (all/first/last/item), $node["Name"], $('Name'), and `items`.
import { checkSyntax, runScript } from '../sandbox/sandbox';
import { ExpressionError, scriptBlocks, type ExpressionScope, type ScriptEvaluator } from './expressions';
import type { NodeRegistry } from './registry';
import type { Item } from './types';
import { validateDefinition, type DagIssue, type ValidationResult } from './validate';

/** Deadline of one expression block. */
export const EXPRESSION_TIMEOUT_MS = 1000;
/** Deadline of one Code node run (per item in runOnceForEachItem mode). */
export const CODE_TIMEOUT_MS = 10_000;

const PRELUDE = `function __scope(__items, __nodes, __index) {
  const wrap = (list) => ({ all: () => list, first: () => list[0], last: () => list[list.length - 1], item: list[__index] ?? list[0],
    get json() { return (list[__index] ?? list[0] ?? { json: {} }).json; } });
  const $input = wrap(__items);
  const $node = {};
  for (const k of Object.keys(__nodes)) $node[k] = wrap(__nodes[k]);
  const $ = (name) => { if (!(name in $node)) throw new Error("node '" + name + "' has no output in this run"); return $node[name]; };
  return { $json: ($input.item ?? { json: {} }).json, $input, $node, $ };
}
`;

const expressionSource = (source: string) =>
  `${PRELUDE}function __expression(__items, __nodes, __index) { const { $json, $input, $node, $ } = __scope(__items, __nodes, __index); return (\n${source}\n); }`;

// runOnceForAllItems sees `items`; runOnceForEachItem also sees `item` and `$json` of its item.
const codeSource = (jsCode: string, perItem: boolean) =>
  `${PRELUDE}function __code(__items, __nodes, __index) { const { $json, $input, $node, $ } = __scope(__items, __nodes, __index); const items = __items;${
    perItem ? ' const item = __items[__index];' : ''
  }\n${jsCode}\n}`;

export const sandboxEvaluator: ScriptEvaluator = async (source: string, scope: ExpressionScope) => {
  const r = await runScript({
    source: expressionSource(source),
    entry: '__expression',
    args: [scope.input, scope.nodes, scope.itemIndex],
    fileName: 'expression.js',
    timeoutMs: EXPRESSION_TIMEOUT_MS,
  });
  if (!r.ok) throw new ExpressionError(`expression '${source}' failed: ${r.error.message}`);
  return r.value;
};

function toItems(value: unknown): Item[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((x) => {
    const json = x !== null && typeof x === 'object' && 'json' in x ? (x as Item).json : x;
    return { json: json !== null && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : { value: json } };
  });
}

export class CodeError extends Error {
  override name = 'CodeError';
}

/** Runs a Code node's JavaScript once for all items, or once per item. */
export async function runCode(jsCode: string, perItem: boolean, input: Item[], nodes: Record<string, Item[]>): Promise<Item[]> {
  const run = async (index: number) => {
    const r = await runScript({ source: codeSource(jsCode, perItem), entry: '__code', args: [input, nodes, index], fileName: 'code.js', timeoutMs: CODE_TIMEOUT_MS });
    if (!r.ok) throw new CodeError(`${r.error.kind}: ${r.error.message}${r.error.line ? ` (line ${r.error.line - 2} of the code)` : ''}`);
    return toItems(r.value);
  };
  if (!perItem) return run(0);
  const out: Item[] = [];
  for (let i = 0; i < input.length; i++) out.push(...(await run(i)));
  return out;
}

/** Syntax errors in expression blocks and Code nodes, found by compiling them in the sandbox. */
async function scriptIssues(input: unknown, prefix: string): Promise<DagIssue[]> {
  const nodes = (input as { nodes?: unknown })?.nodes;
  if (!Array.isArray(nodes)) return [];
  const issues: DagIssue[] = [];
  for (const [i, raw] of nodes.entries()) {
    const n = raw as { name?: unknown; type?: unknown; parameters?: Record<string, unknown> };
    const name = typeof n?.name === 'string' ? n.name : undefined;
    const at = `${prefix}.nodes[${i}].parameters`;
    for (const b of scriptBlocks(n?.parameters, at)) {
      const err = await checkSyntax(expressionSource(b.source), 'expression.js');
      if (err) issues.push({ field: b.at, message: `expression '${b.source}' has a syntax error: ${err.message}`, ...(name ? { node: name } : {}) });
    }
    const code = n?.parameters?.jsCode;
    if (n?.type === 'n8n-nodes-base.code' && typeof code === 'string') {
      const err = await checkSyntax(codeSource(code, true), 'code.js');
      if (err) issues.push({ field: `${at}.jsCode`, message: `syntax error: ${err.message}${err.line ? ` (line ${err.line - 2})` : ''}`, ...(name ? { node: name } : {}) });
    }
  }
  return issues;
}

/** validateDefinition plus the syntax of every script, compiled in the sandbox. */
export async function validateWithScripts(input: unknown, registry: NodeRegistry, prefix = 'definition'): Promise<ValidationResult> {
  const result = validateDefinition(input, registry, prefix);
  const more = await scriptIssues(input, prefix);
  if (more.length === 0) return result;
  return { issues: [...result.issues, ...more] };
}
