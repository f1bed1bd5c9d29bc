// The node-type registry: each node type has its n8n name, the versions it runs, its parameter
// defaults per version, a zod schema of its parameters and an execute function. Built-ins and
// custom plugins register the same way.
import { z } from 'zod';
import type { AddressPolicy } from '../net/address-policy';
import type { SourceRef } from './run-data';
import type { NodeScriptJob, NodeScriptResult } from './script-job';
import type { Item } from './types';

/**
 * Where a node runs. 'activity' nodes run in the node activity; 'trigger' nodes start a run;
 * 'wait', 'signal' and 'subworkflow' are interpreted by the workflow itself (timers, signals,
 * children); 'command' nodes send through an activity and wait in the workflow for replies;
 * 'decoration' nodes (sticky notes) are never run.
 */
export type NodeKind = 'activity' | 'trigger' | 'wait' | 'signal' | 'subworkflow' | 'command' | 'decoration';

/** Runs a script job of a node (expressions or Code) on the script thread pool. */
export type ScriptRunner = (job: NodeScriptJob) => Promise<NodeScriptResult>;

/** Runs JavaScript for a node that has its own code parameter (Code, Function, Sort). */
export interface CodeRunner {
  /** The code's result per item (perItem), or once (`[result]`); a thrown error is per item. */
  run(jsCode: string, perItem: boolean, items?: Item[]): Promise<({ value: unknown } | { error: string })[]>;
}

export interface ExecuteContext<P> {
  node: { name: string; type: string; typeVersion: number };
  /** Items per input index (an input that got no data is empty). */
  inputs: Item[][];
  /** Where each input came from. */
  source: (SourceRef | null)[];
  /** Parameters (defaults applied, expressions resolved) for one item of input 0; throws that item's expression error. */
  params(itemIndex: number): P;
  /** How many items `params` answers for (at least 1, so a node without input still runs once). */
  itemCount: number;
  runIndex: number;
  /** n8n's continueOnFail(): the node turns an item's error into an `{error}` item and goes on. */
  continueOnFail: boolean;
  /** The node's own context, kept across its runs in this run (SplitInBatches keeps its queue here). */
  context: Record<string, unknown>;
  code: CodeRunner;
  timezone: string;
  outbound: AddressPolicy;
  signal: AbortSignal;
  /** The secret fields of the credential of this type that the node's `credentials` block names. */
  credential(type: string): Promise<Record<string, string>>;
}

export interface NodeType<P = any> {
  /** The n8n type name, e.g. `n8n-nodes-base.set`, or `<package>.<name>` for a plugin. */
  type: string;
  versions: number[];
  description: string;
  kind: NodeKind;
  /** n8n's parameter defaults for a version, applied under the saved parameters. */
  defaults?(version: number): Record<string, unknown>;
  /** Validates the parameters (defaults applied) at save time, and again once expressions are resolved; per version when it is a function. */
  parameters: z.ZodType<P> | ((version: number) => z.ZodType<P>);
  /** Regular outputs, without the error output that continueErrorOutput adds. */
  outputs(params: P, version: number): number;
  /** The credential type the node authenticates with (its `credentials` block must name one), if any. */
  credentialType?(params: P, version: number): string | undefined;
  /** Produces items per output index. Required for 'activity' nodes. */
  execute?(ctx: ExecuteContext<P>): Promise<Item[][]>;
}

export class NodeRegistry {
  private readonly byType = new Map<string, NodeType>();

  register(plugin: NodeType): void {
    if (this.byType.has(plugin.type)) throw new Error(`node type '${plugin.type}' is registered twice`);
    this.byType.set(plugin.type, plugin);
  }

  get(type: string): NodeType | undefined {
    return this.byType.get(type);
  }

  types(): NodeType[] {
    return [...this.byType.values()];
  }
}

/** The parameter schema of one version of a node type. */
export function schemaOf(plugin: NodeType, version: number): z.ZodType {
  return typeof plugin.parameters === 'function' ? plugin.parameters(version) : plugin.parameters;
}

/** A parameter that may also be an n8n expression string (`={{ … }}`), resolved at run time. */
export const expr = <T extends z.ZodType>(schema: T) => z.union([schema, z.string().startsWith('=')]);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Saved parameters over the version's defaults; nested option objects merge key by key. */
export function withDefaults(plugin: NodeType, version: number, params: Record<string, unknown>): Record<string, unknown> {
  const defaults = plugin.defaults?.(version) ?? {};
  const out: Record<string, unknown> = { ...defaults };
  for (const [k, v] of Object.entries(params)) {
    out[k] = isPlainObject(v) && isPlainObject(defaults[k]) ? { ...(defaults[k] as object), ...v } : v;
  }
  return out;
}
