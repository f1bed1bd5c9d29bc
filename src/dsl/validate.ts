// Validates an n8n-format definition and returns EVERY problem at once, each with a JSON path
// and, where one is involved, the node's name. A valid definition also yields its Plan.
import { z } from 'zod';
import { referencedNodes } from './expressions';
import { edgesOf, findCycle, incomingEdges } from './graph';
import type { Plan, PlanNode } from './plan';
import type { NodeRegistry } from './registry';
import { childWorkflowId, waitMs } from './nodes/control';
import { Conditions, unsupportedOperations } from './nodes/conditions';
import type { DagDefinition, DagNode } from './types';

export const LIMITS = {
  nodes: 500,
  definitionBytes: 1024 * 1024,
  maxTries: 10,
  waitBetweenTriesMs: 300_000,
  maxParallel: 50,
  defaultMaxParallel: 10,
  executionTimeoutSeconds: 7 * 86_400,
  nodeTimeoutSeconds: 3600,
  defaultNodeTimeoutSeconds: 300,
  /** How long a sendCommand node waits for its commands' outcomes unless its timeoutSeconds says. */
  defaultCommandTimeoutSeconds: 86_400,
  /** Most commands one sendCommand node sends (one per input item). */
  commandsPerNode: 100,
} as const;

export interface DagIssue {
  field: string;
  message: string;
  node?: string;
}

const ON_ERROR = ['stopWorkflow', 'continueRegularOutput', 'continueErrorOutput', 'skip', 'fallback'] as const;

const NodeShape = z.looseObject({
  id: z.string().max(200).optional(),
  name: z.string().min(1).max(200),
  type: z.string().min(1).max(200),
  typeVersion: z.number().positive(),
  parameters: z.record(z.string(), z.unknown()).default({}),
  position: z.tuple([z.number(), z.number()]).optional(),
  disabled: z.boolean().optional(),
  retryOnFail: z.boolean().optional(),
  maxTries: z.number().int().min(1).max(LIMITS.maxTries).optional(),
  waitBetweenTries: z.number().int().min(0).max(LIMITS.waitBetweenTriesMs).optional(),
  onError: z.enum(ON_ERROR).optional(),
  continueOnFail: z.boolean().optional(),
  cadenza: z
    .strictObject({
      backoffCoefficient: z.number().min(1).max(10).optional(),
      maxWaitBetweenTries: z.number().int().min(1).max(LIMITS.waitBetweenTriesMs * 12).optional(),
      fallbackNode: z.string().min(1).max(200).optional(),
      timeoutSeconds: z.number().int().min(1).max(LIMITS.nodeTimeoutSeconds).optional(),
    })
    .optional(),
});

const Target = z.looseObject({ node: z.string().min(1), type: z.string().default('main'), index: z.number().int().min(0).default(0) });
const DefinitionShape = z.looseObject({
  name: z.string().max(200).optional(),
  nodes: z.array(z.unknown()).max(LIMITS.nodes, `must have at most ${LIMITS.nodes} nodes`),
  connections: z.record(z.string(), z.looseObject({ main: z.array(z.array(Target).nullable()).optional() })).default({}),
  settings: z
    .looseObject({
      executionTimeout: z.number().int().min(-1).max(LIMITS.executionTimeoutSeconds).optional(),
      errorWorkflow: z.string().min(1).max(100).optional(),
      maxParallel: z.number().int().min(1).max(LIMITS.maxParallel).optional(),
    })
    .optional(),
});

function pathOf(prefix: string, path: PropertyKey[]): string {
  return path.reduce<string>((out, p) => (typeof p === 'number' ? `${out}[${p}]` : `${out}.${String(p)}`), prefix);
}

function zodIssues(err: z.ZodError, prefix: string, node?: string): DagIssue[] {
  return err.issues.map((i) => ({ field: pathOf(prefix, i.path), message: i.message, ...(node ? { node } : {}) }));
}

/** Conditions whose operation this build cannot evaluate, wherever a node keeps them. */
function conditionIssues(params: Record<string, unknown>, prefix: string, node: string): DagIssue[] {
  const found: DagIssue[] = [];
  const check = (value: unknown, at: string) => {
    const c = Conditions.safeParse(value);
    if (c.success) for (const op of unsupportedOperations(c.data)) found.push({ field: `${at}.conditions`, message: `operation '${op}' is not supported`, node });
  };
  if (params.conditions !== undefined) check(params.conditions, `${prefix}.conditions`);
  const rules = (params.rules as { values?: unknown[] } | undefined)?.values;
  if (Array.isArray(rules)) rules.forEach((r, i) => check((r as { conditions?: unknown })?.conditions, `${prefix}.rules.values[${i}].conditions`));
  return found;
}

interface NodeCheck {
  issues: DagIssue[];
  node?: DagNode;
  plan?: PlanNode;
}

function checkNode(raw: unknown, index: number, registry: NodeRegistry, prefix: string): NodeCheck {
  const at = `${prefix}.nodes[${index}]`;
  const shape = NodeShape.safeParse(raw);
  const name = typeof (raw as { name?: unknown })?.name === 'string' ? (raw as { name: string }).name : undefined;
  if (!shape.success) return { issues: zodIssues(shape.error, at, name) };
  const node = shape.data as DagNode;
  const plugin = registry.get(node.type);
  if (plugin === undefined) {
    return { issues: [{ field: `${at}.type`, message: `unknown node type '${node.type}'`, node: node.name }], node };
  }
  if (!plugin.versions.includes(node.typeVersion)) {
    return { issues: [{ field: `${at}.typeVersion`, message: `${node.type} has no version ${node.typeVersion} (known: ${plugin.versions.join(', ')})`, node: node.name }], node };
  }
  const params = plugin.parameters.safeParse(node.parameters);
  const issues = [
    ...(params.success ? [] : zodIssues(params.error, `${at}.parameters`, node.name)),
    ...conditionIssues(node.parameters, `${at}.parameters`, node.name),
  ];
  if (node.onError === 'fallback' && node.cadenza?.fallbackNode === undefined) {
    issues.push({ field: `${at}.cadenza.fallbackNode`, message: "is required when onError is 'fallback'", node: node.name });
  }
  if (issues.length > 0 || !params.success) return { issues, node };
  return { issues, node, plan: planNode(node, plugin.kind, plugin.outputs(params.data)) };
}

function planNode(node: DagNode, kind: PlanNode['kind'], outputs: number): PlanNode {
  const tries = node.retryOnFail ? (node.maxTries ?? 3) : 1;
  const wait = node.waitBetweenTries ?? 1000;
  const coefficient = node.cadenza?.backoffCoefficient ?? 1;
  const p = node.parameters;
  return {
    name: node.name,
    kind,
    disabled: node.disabled === true,
    outputs,
    retry: {
      maximumAttempts: tries,
      initialIntervalMs: Math.max(1, wait),
      backoffCoefficient: coefficient,
      maximumIntervalMs: Math.max(1, node.cadenza?.maxWaitBetweenTries ?? (coefficient === 1 ? wait : wait * 100)),
    },
    timeoutMs: (node.cadenza?.timeoutSeconds ?? LIMITS.defaultNodeTimeoutSeconds) * 1000,
    onError: node.onError ?? (node.continueOnFail ? 'continueRegularOutput' : 'stopWorkflow'),
    ...(node.cadenza?.fallbackNode ? { fallbackNode: node.cadenza.fallbackNode } : {}),
    ...(kind === 'wait' ? { waitMs: waitMs(p) } : {}),
    ...(kind === 'signal'
      ? { signal: { name: String(p.signalName), ...(typeof p.timeoutSeconds === 'number' ? { timeoutMs: p.timeoutSeconds * 1000 } : {}) } }
      : {}),
    ...(kind === 'subworkflow' ? { child: childWorkflowId(p) } : {}),
    ...(kind === 'command' ? { command: { timeoutMs: (typeof p.timeoutSeconds === 'number' ? p.timeoutSeconds : LIMITS.defaultCommandTimeoutSeconds) * 1000 } } : {}),
    refs: [...referencedNodes(node.parameters)],
  };
}

export interface ValidationResult {
  issues: DagIssue[];
  /** Present when there are no issues. */
  plan?: Plan;
}

/** Every problem with a definition; `prefix` is the JSON path of the definition in the request. */
export function validateDefinition(input: unknown, registry: NodeRegistry, prefix = 'definition'): ValidationResult {
  const bytes = Buffer.byteLength(JSON.stringify(input ?? null), 'utf8');
  if (bytes > LIMITS.definitionBytes) return { issues: [{ field: prefix, message: `is ${bytes} bytes; the limit is ${LIMITS.definitionBytes} bytes` }] };
  const shape = DefinitionShape.safeParse(input);
  if (!shape.success) return { issues: zodIssues(shape.error, prefix) };
  const def = shape.data as DagDefinition;
  const issues: DagIssue[] = [];
  const checks = (shape.data.nodes as unknown[]).map((raw, i) => checkNode(raw, i, registry, prefix));
  checks.forEach((c) => issues.push(...c.issues));

  const byName = new Map<string, { index: number; check: NodeCheck }>();
  checks.forEach((c, index) => {
    if (c.node === undefined) return;
    if (byName.has(c.node.name)) issues.push({ field: `${prefix}.nodes[${index}].name`, message: `duplicate node name '${c.node.name}'`, node: c.node.name });
    else byName.set(c.node.name, { index, check: c });
  });
  const known = (n: string) => byName.has(n) || checks.some((c) => c.node === undefined);

  for (const [source, kinds] of Object.entries(def.connections)) {
    const src = byName.get(source);
    if (!known(source)) issues.push({ field: `${prefix}.connections.${source}`, message: `connection from missing node '${source}'`, node: source });
    (kinds.main ?? []).forEach((targets, output) => {
      const plan = src?.check.plan;
      if (plan && output >= plan.outputs + (src!.check.node!.onError === 'continueErrorOutput' ? 1 : 0)) {
        issues.push({ field: `${prefix}.connections.${source}.main[${output}]`, message: `node '${source}' has no output ${output}`, node: source });
      }
      (targets ?? []).forEach((t, j) => {
        if (!known(t.node)) issues.push({ field: `${prefix}.connections.${source}.main[${output}][${j}].node`, message: `connection to missing node '${t.node}'`, node: source });
      });
    });
  }

  const edges = edgesOf(def).filter((e) => byName.has(e.from) && byName.has(e.to));
  const cycle = findCycle([...byName.keys()], edges);
  if (cycle) issues.push({ field: `${prefix}.connections.${cycle[0]}`, message: `cycle: ${cycle.join(' → ')}`, node: cycle[0] });

  for (const { index, check } of byName.values()) {
    const n = check.node!;
    const fb = n.cadenza?.fallbackNode;
    if (fb !== undefined) {
      const target = byName.get(fb)?.check;
      const at = `${prefix}.nodes[${index}].cadenza.fallbackNode`;
      if (target === undefined) issues.push({ field: at, message: `fallback node '${fb}' does not exist`, node: n.name });
      else if (fb === n.name || incomingEdges(edges, fb).length > 0 || target.plan?.kind === 'trigger') {
        issues.push({ field: at, message: `fallback node '${fb}' must be another node with no incoming connections and not a trigger`, node: n.name });
      }
    }
    for (const ref of check.plan?.refs ?? []) {
      if (!byName.has(ref)) issues.push({ field: `${prefix}.nodes[${index}].parameters`, message: `expression reads node '${ref}', which does not exist`, node: n.name });
    }
  }

  const plans = checks.map((c) => c.plan);
  const hasStart = checks.some((c) => c.node && !c.node.disabled && registry.get(c.node.type)?.kind === 'trigger');
  if (!hasStart) issues.push({ field: `${prefix}.nodes`, message: 'has no start node (an enabled manual trigger, start, execute-workflow trigger or error trigger)' });

  if (issues.length > 0) return { issues };
  const settings = def.settings ?? {};
  return {
    issues,
    plan: {
      nodes: plans as PlanNode[],
      edges,
      maxParallel: settings.maxParallel ?? LIMITS.defaultMaxParallel,
      ...(settings.executionTimeout !== undefined && settings.executionTimeout > 0 ? { executionTimeoutMs: settings.executionTimeout * 1000 } : {}),
      ...(settings.errorWorkflow ? { errorWorkflow: settings.errorWorkflow } : {}),
    },
  };
}
