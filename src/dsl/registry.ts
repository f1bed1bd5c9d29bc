// The node-plugin registry: each node type has a name, the versions it accepts, a zod schema of
// its parameters and an execute function. Built-ins and custom plugins register the same way.
import { z } from 'zod';
import type { AddressPolicy } from '../net/address-policy';
import { resolveParametersAsync } from './expressions';
import { sandboxEvaluator } from './scripts';
import type { Item } from './types';

/**
 * Where a node runs. 'activity' nodes run in the runDagNode activity; 'trigger', 'wait',
 * 'signal' and 'subworkflow' are interpreted by the workflow itself (timers, signals, children);
 * 'command' nodes send through the sendDagCommands activity and wait in the workflow for replies.
 */
export type NodeKind = 'activity' | 'trigger' | 'wait' | 'signal' | 'subworkflow' | 'command';

export interface NodeContext<P> {
  nodeName: string;
  /** Items per input index. */
  inputs: Item[][];
  /** Parameters with expressions resolved for one item of input 0 (or of all inputs joined). */
  params(itemIndex: number): P;
  /** How many items `params` can be asked about (at least 1, so itemless nodes still run once). */
  itemCount: number;
  /** Output-0 items of the nodes this node's parameters refer to, by name. */
  nodes: Record<string, Item[]>;
  outbound: AddressPolicy;
  signal: AbortSignal;
}

export interface NodePlugin<P = any> {
  /** The n8n type name, e.g. `n8n-nodes-base.set`, or `<package>.<name>` for a plugin. */
  type: string;
  versions: number[];
  description: string;
  kind: NodeKind;
  /** Validates the raw parameters (expressions still unresolved) at save time and at run time. */
  parameters: z.ZodType<P>;
  /** Regular outputs, excluding the error output that continueErrorOutput adds. */
  outputs(params: P): number;
  /** Produces items per output index. Required for 'activity' nodes. */
  execute?(ctx: NodeContext<P>): Promise<Item[][]>;
}

export class NodeRegistry {
  private readonly byType = new Map<string, NodePlugin>();

  register(plugin: NodePlugin): void {
    if (this.byType.has(plugin.type)) throw new Error(`node type '${plugin.type}' is registered twice`);
    this.byType.set(plugin.type, plugin);
  }

  get(type: string): NodePlugin | undefined {
    return this.byType.get(type);
  }

  types(): NodePlugin[] {
    return [...this.byType.values()];
  }
}

/** A parameter that may also be an n8n expression string (`={{ … }}`), resolved at run time. */
export const expr = <T extends z.ZodType>(schema: T) => z.union([schema, z.string().startsWith('=')]);

/** Resolves a node's parameters for each input item (scripts in the sandbox) and re-validates them. */
export async function resolveNodeParams<P>(plugin: NodePlugin<P>, raw: Record<string, unknown>, inputs: Item[][], nodes: Record<string, Item[]>): Promise<P[]> {
  const input = inputs.flat();
  const itemCount = Math.max(1, input.length);
  const resolved: P[] = [];
  for (let itemIndex = 0; itemIndex < itemCount; itemIndex++) {
    const value = await resolveParametersAsync(raw, { input, itemIndex, nodes }, sandboxEvaluator);
    const parsed = plugin.parameters.safeParse(value);
    if (!parsed.success) throw new Error(`parameters after expressions: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    resolved.push(parsed.data);
  }
  return resolved;
}

/** Runs an activity node: resolves expressions per item, then executes. */
export async function executeNode(
  plugin: NodePlugin,
  raw: Record<string, unknown>,
  base: Omit<NodeContext<unknown>, 'params' | 'itemCount' | 'nodes'>,
  nodes: Record<string, Item[]>,
): Promise<Item[][]> {
  if (plugin.execute === undefined) throw new Error(`node type '${plugin.type}' cannot run in an activity`);
  const resolved = await resolveNodeParams(plugin, raw, base.inputs, nodes);
  return plugin.execute({ ...base, nodes, params: (i) => resolved[i] ?? resolved[0], itemCount: resolved.length });
}
