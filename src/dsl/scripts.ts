// The syntax of a definition's JavaScript (expression blocks, Code, Function and Sort code),
// compiled in the QuickJS sandbox when the definition is saved. Running it is the script thread
// pool's job (src/dsl/script-job.ts). The number of blocks is bounded, so a request's work is too.
import type { Sandbox } from '../sandbox/sandbox';
import { scriptBlocks } from './expressions';
import { CODE_LINE_OFFSET, codeFunction, expressionFunction } from './guest';
import type { NodeRegistry } from './registry';
import { validateDefinition, type DagIssue, type ValidationResult } from './validate';

/** Most JavaScript expression blocks and code parameters checked in one definition. */
export const SCRIPTS_PER_DEFINITION = 5000;

const CODE_PARAMS: Record<string, string> = {
  'n8n-nodes-base.code': 'jsCode',
  'n8n-nodes-base.function': 'functionCode',
  'n8n-nodes-base.functionItem': 'functionCode',
};

interface Check {
  at: string;
  node?: string;
  label: string;
  source: string;
  /** Lines before the user's first line in `source`. */
  offset: number;
}

function collect(input: unknown, prefix: string): Check[] {
  const nodes = (input as { nodes?: unknown })?.nodes;
  if (!Array.isArray(nodes)) return [];
  const checks: Check[] = [];
  for (const [i, raw] of nodes.entries()) {
    const n = raw as { name?: unknown; type?: unknown; parameters?: Record<string, unknown> };
    const node = typeof n?.name === 'string' ? n.name : undefined;
    const at = `${prefix}.nodes[${i}].parameters`;
    for (const b of scriptBlocks(n?.parameters, at)) checks.push({ at: b.at, node, label: `expression '${b.source.slice(0, 200)}'`, source: expressionFunction('__e', b.source), offset: 1 });
    const key = CODE_PARAMS[String(n?.type)];
    const code = key ? n?.parameters?.[key] : undefined;
    if (typeof code === 'string') checks.push({ at: `${at}.${key}`, node, label: 'code', source: codeFunction('__code', code, false), offset: CODE_LINE_OFFSET });
    const sortCode = n?.parameters?.type === 'code' ? n?.parameters?.code : undefined;
    if (typeof sortCode === 'string' && (n?.type === 'n8n-nodes-base.sort' || n?.type === 'n8n-nodes-base.itemLists')) {
      checks.push({ at: `${at}.code`, node, label: 'code', source: `function __cmp(a, b) {\n${sortCode}\n}`, offset: 1 });
    }
  }
  return checks;
}

/** Syntax errors in expression blocks and code, found by compiling them in the sandbox. */
async function scriptIssues(sandbox: Sandbox, input: unknown, prefix: string): Promise<DagIssue[]> {
  const checks = collect(input, prefix);
  if (checks.length > SCRIPTS_PER_DEFINITION) {
    return [{ field: `${prefix}.nodes`, message: `has ${checks.length} JavaScript expressions and code parameters; the limit is ${SCRIPTS_PER_DEFINITION}` }];
  }
  const errors = await sandbox.checkSyntaxMany(checks.map((c) => c.source), 'workflow.js');
  return checks.flatMap((c, i) => {
    const err = errors[i];
    if (err === undefined) return [];
    const line = err.line !== undefined && err.line - c.offset > 0 ? ` (line ${err.line - c.offset})` : '';
    return [{ field: c.at, message: `${c.label} has a syntax error: ${err.message}${line}`, ...(c.node ? { node: c.node } : {}) }];
  });
}

/** validateDefinition plus the syntax of every script, compiled in the sandbox. */
export async function validateWithScripts(sandbox: Sandbox, input: unknown, registry: NodeRegistry, prefix = 'definition'): Promise<ValidationResult> {
  const result = validateDefinition(input, registry, prefix);
  const more = await scriptIssues(sandbox, input, prefix);
  if (more.length === 0) return result;
  return { issues: [...result.issues, ...more] };
}
