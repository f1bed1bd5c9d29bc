// Runs one node run: n8n's parameter defaults, expressions resolved per item (data paths here,
// JavaScript in one job on the script thread pool), then the node type's execute. Where the data
// comes from is the caller's: the worker reads PostgreSQL, tests can read memory.
import type { AddressPolicy } from '../net/address-policy';
import { ExpressionError, referencedNodes, resolveTree, scriptSources, type NodeView, type PathScope } from './expressions';
import { cachedReader, tracePairedItem, type RunDataReader, type SourceRef } from './run-data';
import type { NodeScriptData, RefData } from './script-job';
import { schemaOf, withDefaults, type CodeRunner, type ExecuteContext, type NodeRegistry, type NodeType, type ScriptRunner } from './registry';
import type { DagNode, Item, PairedItem } from './types';

/** A script error in a Code node: the user's code threw or did not compile. */
export class CodeError extends Error {
  override name = 'CodeError';
}

/** A node's parameters do not fit its type once expressions are resolved. */
export class ParameterError extends Error {
  override name = 'ParameterError';
}

export interface ScriptLimits {
  /** Deadline of the job that evaluates a node run's JavaScript expressions. */
  expressionTimeoutMs: number;
  /** Deadline of one Code run (all items together, or all items one by one). */
  codeTimeoutMs: number;
  memoryBytes: number;
}

export const SCRIPT_LIMITS: ScriptLimits = { expressionTimeoutMs: 5_000, codeTimeoutMs: 10_000, memoryBytes: 64 * 1024 * 1024 };

export interface RunMeta {
  workflow: { id: string; name: string; active: boolean };
  execution: { id: string; mode: string; customData?: Record<string, unknown> };
  timezone: string;
}

export interface NodeRunInput {
  node: DagNode;
  /** Items per input index. */
  inputs: Item[][];
  /** Where each input came from. */
  source: (SourceRef | null)[];
  runIndex: number;
  /** The node's context, changed in place by the run. */
  context: Record<string, unknown>;
  meta: RunMeta;
}

export interface NodeRunDeps {
  registry: NodeRegistry;
  reader: RunDataReader;
  /** Index of a node's last run in this run, if it ran. */
  lastRun(node: string): number | undefined;
  /** A node's context after its last run. */
  contextOf(node: string): Promise<Record<string, unknown> | undefined>;
  scripts: ScriptRunner;
  limits?: ScriptLimits;
  outbound: AddressPolicy;
  signal: AbortSignal;
  /** Loads and decrypts the credential a node's `credentials` block names for a type. */
  credential?(type: string, ref: { id?: string; name?: string } | undefined): Promise<Record<string, string>>;
}

const NEEDS_PAIRING = /\.item\b|itemMatching|pairedItem/;

/** Other nodes' data that this run's parameters read, with paired items when `.item` is used. */
async function refsFor(input: NodeRunInput, params: Record<string, unknown>, deps: NodeRunDeps, reader: RunDataReader): Promise<Record<string, RefData>> {
  const names = referencedNodes(params);
  const pairing = NEEDS_PAIRING.test(JSON.stringify(params));
  const items = input.inputs[0] ?? [];
  const refs: Record<string, RefData> = {};
  for (const name of names) {
    const run = deps.lastRun(name);
    const context = await deps.contextOf(name);
    // A node that has not run yet still has its context (a loop reads its own before its first run).
    const ref: RefData = run === undefined ? { items: [], runIndex: -1, executed: false, context } : { items: (await reader.read(name, run))?.outputs[0] ?? [], runIndex: run, context };
    if (pairing && run !== undefined) {
      ref.paired = [];
      for (let i = 0; i < items.length; i++) ref.paired.push(await tracePairedItem(reader, input.source, i, name));
    }
    Object.defineProperty(refs, name, { value: ref, enumerable: true, writable: true, configurable: true });
  }
  return refs;
}

function pathScope(data: NodeScriptData, itemIndex: number): PathScope {
  const views = new Map<string, NodeView>();
  return {
    items: data.items,
    itemIndex,
    runIndex: data.runIndex,
    node(name) {
      if (!Object.prototype.hasOwnProperty.call(data.refs, name)) throw new ExpressionError(`Referenced node hasn't been executed: '${name}'`);
      let v = views.get(name);
      if (v === undefined) {
        const ref = data.refs[name]!;
        v = {
          executed: ref.executed !== false,
          context: ref.context ?? {},
          items: ref.items,
          paired(i) {
            const p = ref.paired?.[i];
            if (typeof p === 'string') throw new ExpressionError(p);
            if (p === undefined) throw new ExpressionError(`Paired item data for item from node '${name}' is unavailable`);
            return p;
          },
        };
        views.set(name, v);
      }
      return v;
    },
  };
}

type Resolved = { ok: true; params: unknown } | { ok: false; error: Error };

/** The parameters for each item: data paths read here, JavaScript in one thread-pool job. */
async function resolveParams(params: Record<string, unknown>, data: NodeScriptData, itemCount: number, deps: NodeRunDeps): Promise<Resolved[]> {
  const sources = scriptSources(params);
  let values: import('./script-job').GuestValue[][] = [];
  if (sources.length > 0) {
    const limits = deps.limits ?? SCRIPT_LIMITS;
    const r = await deps.scripts({ task: 'expressions', data, sources, itemCount, timeoutMs: limits.expressionTimeoutMs, memoryBytes: limits.memoryBytes });
    if (!r.ok) throw new ExpressionError(`expressions of node '${data.node.name}' failed: ${r.error}`);
    values = r.values;
  }
  const index = new Map(sources.map((s, i) => [s, i]));
  const out: Resolved[] = [];
  for (let i = 0; i < itemCount; i++) {
    try {
      const params2 = resolveTree(params, pathScope(data, i), (src) => {
        const v = values[i]?.[index.get(src)!];
        if (v === undefined) throw new ExpressionError(`expression '${src}' has no value`);
        if ('e' in v) throw new ExpressionError(v.e);
        return 'u' in v ? undefined : v.v;
      });
      out.push({ ok: true, params: params2 });
    } catch (err) {
      out.push({ ok: false, error: err as Error });
    }
  }
  return out;
}

function codeRunner(data: NodeScriptData, deps: NodeRunDeps): CodeRunner {
  return {
    async run(jsCode, perItem, items) {
      const limits = deps.limits ?? SCRIPT_LIMITS;
      const r = await deps.scripts({ task: 'code', data: items ? { ...data, items } : data, jsCode, perItem, timeoutMs: limits.codeTimeoutMs, memoryBytes: limits.memoryBytes });
      if (!r.ok) throw new CodeError(r.error);
      return r.values.map((row) => {
        const v = row[0]!;
        if ('e' in v) return { error: v.e };
        return { value: 'u' in v ? undefined : v.v };
      });
    },
  };
}

/** Output items in n8n's shape; an item without pairedItem pairs with the same index of input 0. */
function normalize(outputs: Item[][], inputCount: number): Item[][] {
  return outputs.map((list) =>
    (list ?? []).map((item, i) => {
      const json = item.json !== null && typeof item.json === 'object' && !Array.isArray(item.json) ? item.json : {};
      const out: Item = { json };
      if (item.binary !== undefined) out.binary = item.binary;
      if (item.pairedItem !== undefined) out.pairedItem = item.pairedItem;
      else if (inputCount === 1) out.pairedItem = { item: 0 };
      else if (i < inputCount) out.pairedItem = { item: i };
      return out;
    }),
  );
}

/** A node run with its parameters resolved for every item, ready to execute. */
export interface PreparedRun {
  plugin: NodeType;
  version: number;
  inputs: Item[][];
  data: NodeScriptData;
  itemCount: number;
  /** Parameters of item i, or its expression error. */
  params(i: number): unknown;
}

/** n8n's defaults, executeOnce, other nodes' data and every item's parameters. */
export async function prepareNodeRun(input: NodeRunInput, deps: NodeRunDeps): Promise<PreparedRun> {
  const plugin = deps.registry.get(input.node.type);
  if (plugin === undefined) throw new ParameterError(`node type '${input.node.type}' is not registered on this worker`);
  const version = input.node.typeVersion;
  const params = withDefaults(plugin, version, input.node.parameters ?? {});
  const inputs = input.node.executeOnce ? input.inputs.map((x) => x.slice(0, 1)) : input.inputs;
  const reader = cachedReader(deps.reader);
  const items = inputs[0] ?? [];
  const prev = input.source[0];
  const data: NodeScriptData = {
    node: { name: input.node.name, type: input.node.type, typeVersion: version, parameters: params },
    items,
    runIndex: input.runIndex,
    refs: await refsFor({ ...input, inputs }, params, deps, reader),
    workflow: input.meta.workflow,
    execution: input.meta.execution,
    ...(prev ? { prevNode: { name: prev.node, outputIndex: prev.output, runIndex: prev.run } } : {}),
    context: input.context,
    timezone: input.meta.timezone,
  };
  const itemCount = Math.max(1, items.length);
  const resolved = await resolveParams(params, data, itemCount, deps);
  const schema = schemaOf(plugin, version);
  const parsed = resolved.map((r): Resolved => {
    if (!r.ok) return r;
    const p = schema.safeParse(r.params);
    if (p.success) return { ok: true, params: p.data };
    return { ok: false, error: new ParameterError(`parameters after expressions: ${p.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`) };
  });
  return {
    plugin,
    version,
    inputs,
    data,
    itemCount,
    params(i) {
      const r = parsed[i] ?? parsed[0]!;
      if (!r.ok) throw r.error;
      return r.params;
    },
  };
}

/** Runs one node run and returns its items per output; throws when the node fails as a whole. */
export async function runNode(input: NodeRunInput, deps: NodeRunDeps): Promise<Item[][]> {
  const run = await prepareNodeRun(input, deps);
  if (run.plugin.execute === undefined) throw new ParameterError(`node type '${input.node.type}' does not run in an activity`);
  const continueOnFail = input.node.continueOnFail === true || input.node.onError === 'continueRegularOutput' || input.node.onError === 'continueErrorOutput';
  const ctx: ExecuteContext<unknown> = {
    node: { name: input.node.name, type: input.node.type, typeVersion: run.version },
    inputs: run.inputs,
    source: input.source,
    params: run.params,
    itemCount: run.itemCount,
    runIndex: input.runIndex,
    continueOnFail,
    context: input.context,
    code: codeRunner(run.data, deps),
    timezone: input.meta.timezone,
    outbound: deps.outbound,
    signal: deps.signal,
    credential: async (type) => {
      if (deps.credential === undefined) throw new ParameterError('credentials are available in n8n runs only');
      return deps.credential(type, (input.node.credentials as Record<string, { id?: string; name?: string }> | undefined)?.[type]);
    },
  };
  const outputs = normalize(await run.plugin.execute(ctx), run.data.items.length);
  if (input.node.alwaysOutputData && outputs.every((o) => o.length === 0)) outputs[0] = [{ json: {}, pairedItem: { item: 0 } }];
  return input.node.onError === 'continueErrorOutput' ? routeErrors(outputs, run.inputs) : outputs;
}

/** An `{error}` item a node made of a failed input item. */
function isErrorItem(item: Item): boolean {
  const keys = Object.keys(item.json);
  return 'error' in item.json && (keys.length === 1 || (keys.length === 2 && 'message' in item.json));
}

/** continueErrorOutput: error items move to the extra last output, merged over the input item they failed on. */
export function routeErrors(outputs: Item[][], inputs: Item[][]): Item[][] {
  const errors: Item[] = [];
  const regular = outputs.map((list) =>
    list.filter((item) => {
      if (!isErrorItem(item)) return true;
      const p = Array.isArray(item.pairedItem) ? item.pairedItem[0] : typeof item.pairedItem === 'number' ? { item: item.pairedItem } : item.pairedItem;
      const source = p === undefined ? undefined : inputs[p.input ?? 0]?.[p.item];
      errors.push(source ? { ...item, json: { ...source.json, ...item.json } } : item);
      return false;
    }),
  );
  return [...regular, errors];
}

/** The input passed through unchanged, as n8n does for a disabled node. */
export function passThrough(inputs: Item[][]): Item[][] {
  return [(inputs[0] ?? []).map((item, i) => ({ ...item, pairedItem: { item: i } satisfies PairedItem }))];
}
