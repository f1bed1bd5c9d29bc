// Validates an n8n-format definition and returns EVERY problem at once, each with a JSON path
// and, where one is involved, the node's name. A valid definition also yields its RunPlan.
// Work is linear in the size of the definition (the expression scanners are linear too).
import { z } from 'zod';
import { referencedNodes } from './expressions';
import { edgesOf, incomingEdges } from './graph';
import type { RunPlan, RunPlanNode } from './run-plan';
import { schemaOf, withDefaults, type NodeRegistry, type NodeType } from './registry';
import { Conditions, unsupportedOperations } from './nodes/conditions';
import { childPlan, waitPlan } from './nodes/control';
import { mergeRequiredInputs } from './nodes/merge';
import type { DagDefinition, DagNode } from './types';

export const LIMITS = {
  nodes: 500,
  definitionBytes: 1024 * 1024,
  maxTries: 10,
  waitBetweenTriesMs: 300_000,
  maxParallel: 50,
  /** n8n runs one node at a time; more is Cadenza's opt-in. */
  defaultMaxParallel: 1,
  executionTimeoutSeconds: 7 * 86_400,
  nodeTimeoutSeconds: 3600,
  defaultNodeTimeoutSeconds: 300,
  /** How long a sendCommand node waits for its commands' outcomes unless its timeoutSeconds says. */
  defaultCommandTimeoutSeconds: 86_400,
  /** Most commands one sendCommand node sends (one per input item). */
  commandsPerNode: 100,
  /** Most node runs in one run (loops), unless settings.maxNodeRuns lowers it. */
  nodeRuns: 10_000,
  /** Items pinned per node in pinData. */
  pinnedItems: 1000,
} as const;

export interface DagIssue {
  field: string;
  message: string;
  node?: string;
}

const ON_ERROR = ['stopWorkflow', 'continueRegularOutput', 'continueErrorOutput', 'skip', 'fallback'] as const;
const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);

/** Schedule Trigger: what a due run does while the last one still runs (Temporal's overlap policies). */
export const SCHEDULE_OVERLAP = ['allowAll', 'skip', 'bufferOne', 'bufferAll'] as const;

const NodeShape = z.looseObject({
  id: z.string().max(200).optional(),
  name: z
    .string()
    .min(1)
    .max(200)
    .refine((n) => !RESERVED.has(n), 'must not be __proto__, constructor or prototype'),
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
  executeOnce: z.boolean().optional(),
  alwaysOutputData: z.boolean().optional(),
  cadenza: z
    .strictObject({
      backoffCoefficient: z.number().min(1).max(10).optional(),
      maxWaitBetweenTries: z.number().int().min(1).max(LIMITS.waitBetweenTriesMs * 12).optional(),
      fallbackNode: z.string().min(1).max(200).optional(),
      timeoutSeconds: z.number().int().min(1).max(LIMITS.nodeTimeoutSeconds).optional(),
      overlap: z.enum(SCHEDULE_OVERLAP).optional(),
    })
    .optional(),
});

const Target = z.looseObject({ node: z.string().min(1), type: z.string().default('main'), index: z.number().int().min(0).default(0) });
const PinnedItem = z.looseObject({ json: z.record(z.string(), z.unknown()) });
const DefinitionShape = z.looseObject({
  name: z.string().max(200).optional(),
  nodes: z.array(z.unknown()).max(LIMITS.nodes, `must have at most ${LIMITS.nodes} nodes`),
  connections: z.record(z.string(), z.looseObject({ main: z.array(z.array(Target).nullable()).optional() })).default({}),
  pinData: z.record(z.string(), z.array(PinnedItem).max(LIMITS.pinnedItems)).optional(),
  settings: z
    .looseObject({
      executionOrder: z.enum(['v0', 'v1']).optional(),
      executionTimeout: z.number().int().min(-1).max(LIMITS.executionTimeoutSeconds).optional(),
      errorWorkflow: z.string().min(1).max(100).optional(),
      maxParallel: z.number().int().min(1).max(LIMITS.maxParallel).optional(),
      maxNodeRuns: z.number().int().min(1).max(LIMITS.nodeRuns).optional(),
      timezone: z
        .string()
        .max(100)
        .refine((tz) => tz === 'DEFAULT' || isTimezone(tz), 'must be an IANA timezone such as Europe/Berlin')
        .optional(),
    })
    .optional(),
});

function isTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function pathOf(prefix: string, path: PropertyKey[]): string {
  return path.reduce<string>((out, p) => (typeof p === 'number' ? `${out}[${p}]` : `${out}.${String(p)}`), prefix);
}

function zodIssues(err: z.ZodError, prefix: string, node?: string): DagIssue[] {
  return err.issues.map((i) => ({ field: pathOf(prefix, i.path), message: i.message, ...(node ? { node } : {}) }));
}

/** Conditions whose operation this build cannot evaluate, wherever a node keeps them. */
function conditionIssues(params: Record<string, unknown>, version: number, prefix: string, node: string): DagIssue[] {
  const found: DagIssue[] = [];
  const check = (value: unknown, at: string) => {
    const c = Conditions.safeParse(value);
    if (c.success) for (const op of unsupportedOperations(c.data)) found.push({ field: `${at}.conditions`, message: `operation '${op}' is not supported`, node });
  };
  if (params.conditions !== undefined && Array.isArray((params.conditions as { conditions?: unknown }).conditions)) check(params.conditions, `${prefix}.conditions`);
  const rules = (params.rules as { values?: unknown[] } | undefined)?.values;
  if (Array.isArray(rules) && version >= 3) rules.forEach((r, i) => check((r as { conditions?: unknown })?.conditions, `${prefix}.rules.values[${i}].conditions`));
  return found;
}

interface NodeCheck {
  issues: DagIssue[];
  node?: DagNode;
  plugin?: NodeType;
  plan?: RunPlanNode;
}

function describeVersions(versions: number[]): string {
  return versions.join(', ');
}

function checkNode(raw: unknown, index: number, registry: NodeRegistry, prefix: string, pinned: Set<string>): NodeCheck {
  const at = `${prefix}.nodes[${index}]`;
  const shape = NodeShape.safeParse(raw);
  const name = typeof (raw as { name?: unknown })?.name === 'string' ? (raw as { name: string }).name : undefined;
  if (!shape.success) return { issues: zodIssues(shape.error, at, name) };
  const node = shape.data as DagNode;
  const plugin = registry.get(node.type);
  if (plugin === undefined) {
    return { issues: [{ field: `${at}.type`, message: `unknown node type '${node.type}' (node '${node.name}', typeVersion ${node.typeVersion}); see the supported types in the README`, node: node.name }], node };
  }
  if (!plugin.versions.includes(node.typeVersion)) {
    return {
      issues: [{ field: `${at}.typeVersion`, message: `${node.type} has no version ${node.typeVersion} (node '${node.name}'; supported: ${describeVersions(plugin.versions)})`, node: node.name }],
      node,
      plugin,
    };
  }
  const withDefs = withDefaults(plugin, node.typeVersion, node.parameters);
  const params = schemaOf(plugin, node.typeVersion).safeParse(withDefs);
  const issues = [...(params.success ? [] : zodIssues(params.error, `${at}.parameters`, node.name)), ...conditionIssues(node.parameters, node.typeVersion, `${at}.parameters`, node.name)];
  if (node.onError === 'fallback' && node.cadenza?.fallbackNode === undefined) {
    issues.push({ field: `${at}.cadenza.fallbackNode`, message: "is required when onError is 'fallback'", node: node.name });
  }
  const credential = params.success ? plugin.credentialType?.(params.data, node.typeVersion) : undefined;
  if (credential !== undefined && credentialRef(node, credential) === undefined) {
    issues.push({ field: `${at}.credentials.${credential}`, message: `is required: node '${node.name}' authenticates with a ${credential} credential ({"id": …} or {"name": …})`, node: node.name });
  }
  if (issues.length > 0 || !params.success) return { issues, node, plugin };
  try {
    return { issues, node, plugin, plan: planNode(node, plugin, params.data, pinned.has(node.name)) };
  } catch (err) {
    return { issues: [{ field: `${at}.parameters`, message: (err as Error).message, node: node.name }], node, plugin };
  }
}

function planNode(node: DagNode, plugin: NodeType, params: unknown, pinned: boolean): RunPlanNode {
  const tries = node.retryOnFail ? (node.maxTries ?? 3) : 1;
  const wait = node.waitBetweenTries ?? 1000;
  const coefficient = node.cadenza?.backoffCoefficient ?? 1;
  const p = node.parameters;
  const kind = plugin.kind;
  const required = node.type === 'n8n-nodes-base.merge' ? mergeRequiredInputs(p, node.typeVersion) : undefined;
  return {
    name: node.name,
    kind,
    position: node.position ?? [0, 0],
    disabled: node.disabled === true,
    pinned,
    outputs: plugin.outputs(params, node.typeVersion),
    retry: {
      maximumAttempts: tries,
      initialIntervalMs: Math.max(1, wait),
      backoffCoefficient: coefficient,
      maximumIntervalMs: Math.max(1, node.cadenza?.maxWaitBetweenTries ?? (coefficient === 1 ? wait : wait * 100)),
    },
    timeoutMs: (node.cadenza?.timeoutSeconds ?? LIMITS.defaultNodeTimeoutSeconds) * 1000,
    onError: node.onError ?? (node.continueOnFail ? 'continueRegularOutput' : 'stopWorkflow'),
    ...(node.cadenza?.fallbackNode ? { fallbackNode: node.cadenza.fallbackNode } : {}),
    ...(required !== undefined ? { requiredInputs: required } : {}),
    ...(kind === 'wait' ? { wait: waitPlan(p, node.typeVersion) } : {}),
    ...(kind === 'signal' ? { signal: { name: String(p.signalName), ...(typeof p.timeoutSeconds === 'number' ? { timeoutMs: p.timeoutSeconds * 1000 } : {}) } } : {}),
    ...(kind === 'subworkflow' ? { child: childPlan(p) } : {}),
    ...(kind === 'command' ? { command: { timeoutMs: (typeof p.timeoutSeconds === 'number' ? p.timeoutSeconds : LIMITS.defaultCommandTimeoutSeconds) * 1000 } } : {}),
  };
}

export interface ValidationResult {
  issues: DagIssue[];
  /** Present when there are no issues. */
  plan?: RunPlan;
}

/** Ids of the other workflows a definition runs (Execute Workflow nodes, settings.errorWorkflow), with where they are named. */
export function workflowReferences(def: DagDefinition, prefix = 'definition'): { id: string; field: string }[] {
  const refs: { id: string; field: string }[] = [];
  def.nodes.forEach((n, i) => {
    if (n.type !== 'n8n-nodes-base.executeWorkflow' || n.disabled) return;
    const w = n.parameters?.workflowId;
    const id = typeof w === 'string' ? w : typeof (w as { value?: unknown })?.value === 'string' ? (w as { value: string }).value : undefined;
    if (id !== undefined && !id.startsWith('=')) refs.push({ id, field: `${prefix}.nodes[${i}].parameters.workflowId` });
  });
  if (def.settings?.errorWorkflow) refs.push({ id: def.settings.errorWorkflow, field: `${prefix}.settings.errorWorkflow` });
  return refs;
}

/** The id or name a node's `credentials` block gives for a type. */
function credentialRef(node: DagNode, type: string): { id?: string; name?: string } | undefined {
  const ref = (node.credentials as Record<string, unknown> | undefined)?.[type] as { id?: unknown; name?: unknown } | undefined;
  if (ref === null || typeof ref !== 'object') return undefined;
  const out = { ...(typeof ref.id === 'string' && ref.id !== '' ? { id: ref.id } : {}), ...(typeof ref.name === 'string' && ref.name !== '' ? { name: ref.name } : {}) };
  return out.id === undefined && out.name === undefined ? undefined : out;
}

/** The credentials the enabled nodes of a (valid) definition authenticate with. */
export function credentialReferences(def: DagDefinition, registry: NodeRegistry, prefix = 'definition'): { type: string; ref: { id?: string; name?: string }; field: string; node: string }[] {
  const refs: { type: string; ref: { id?: string; name?: string }; field: string; node: string }[] = [];
  def.nodes.forEach((n, i) => {
    const plugin = registry.get(n.type);
    if (n.disabled || plugin?.credentialType === undefined) return;
    const params = schemaOf(plugin, n.typeVersion).safeParse(withDefaults(plugin, n.typeVersion, n.parameters ?? {}));
    const type = params.success ? plugin.credentialType(params.data, n.typeVersion) : undefined;
    const ref = type === undefined ? undefined : credentialRef(n, type);
    if (type !== undefined && ref !== undefined) refs.push({ type, ref, field: `${prefix}.nodes[${i}].credentials.${type}`, node: n.name });
  });
  return refs;
}

/** Every problem with a definition; `prefix` is the JSON path of the definition in the request. */
export function validateDefinition(input: unknown, registry: NodeRegistry, prefix = 'definition'): ValidationResult {
  const bytes = Buffer.byteLength(JSON.stringify(input ?? null), 'utf8');
  if (bytes > LIMITS.definitionBytes) return { issues: [{ field: prefix, message: `is ${bytes} bytes; the limit is ${LIMITS.definitionBytes} bytes` }] };
  const shape = DefinitionShape.safeParse(input);
  if (!shape.success) return { issues: zodIssues(shape.error, prefix) };
  const def = shape.data as DagDefinition;
  const issues: DagIssue[] = [];
  const pinned = new Set(Object.keys(def.pinData ?? {}));
  const checks = (shape.data.nodes as unknown[]).map((raw, i) => checkNode(raw, i, registry, prefix, pinned));
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
      if (plan && output >= plan.outputs + (plan.onError === 'continueErrorOutput' ? 1 : 0) && (targets ?? []).length > 0) {
        issues.push({ field: `${prefix}.connections.${source}.main[${output}]`, message: `node '${source}' has no output ${output}`, node: source });
      }
      (targets ?? []).forEach((t, j) => {
        if (!known(t.node)) issues.push({ field: `${prefix}.connections.${source}.main[${output}][${j}].node`, message: `connection to missing node '${t.node}'`, node: source });
      });
    });
  }
  for (const name of pinned) {
    if (!known(name)) issues.push({ field: `${prefix}.pinData.${name}`, message: `pinned data for missing node '${name}'`, node: name });
  }

  const runnable = (n: string) => byName.get(n)?.check.plan?.kind !== 'decoration';
  const edges = edgesOf(def).filter((e) => byName.has(e.from) && byName.has(e.to) && runnable(e.from) && runnable(e.to));

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
    for (const ref of referencedNodes(n.parameters)) {
      if (!byName.has(ref)) issues.push({ field: `${prefix}.nodes[${index}].parameters`, message: `expression reads node '${ref}', which does not exist`, node: n.name });
    }
  }

  const hasStart = checks.some((c) => c.node && !c.node.disabled && c.plugin?.kind === 'trigger');
  if (!hasStart) issues.push({ field: `${prefix}.nodes`, message: 'has no start node (an enabled manual trigger, start, execute-workflow trigger or error trigger)' });

  if (issues.length > 0) return { issues };
  const settings = def.settings ?? {};
  return {
    issues,
    plan: {
      nodes: checks.flatMap((c) => (c.plan && c.plan.kind !== 'decoration' ? [c.plan] : [])),
      edges,
      order: settings.executionOrder === 'v1' ? 'v1' : 'legacy',
      maxParallel: settings.maxParallel ?? LIMITS.defaultMaxParallel,
      maxNodeRuns: (settings as { maxNodeRuns?: number }).maxNodeRuns ?? LIMITS.nodeRuns,
      ...(settings.executionTimeout !== undefined && settings.executionTimeout > 0 ? { executionTimeoutMs: settings.executionTimeout * 1000 } : {}),
      ...(settings.errorWorkflow ? { errorWorkflow: settings.errorWorkflow } : {}),
      ...(settings.timezone && settings.timezone !== 'DEFAULT' ? { timezone: settings.timezone } : {}),
    },
  };
}
