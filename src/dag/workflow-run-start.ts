// Where a run starts: the trigger node its mode prefers, and the items pinned in the definition.
import type { NodeRegistry } from '../dsl/registry';
import type { DagDefinition, Item } from '../dsl/types';
import type { RunMode } from '../workflows/n8n-contract';

/** The definition's pinData for nodes that exist (n8n pins only main output 0). */
export function pinnedItems(def: DagDefinition, names: string[]): Record<string, Item[]> {
  const out: Record<string, Item[]> = {};
  for (const name of names) {
    const list = def.pinData?.[name];
    if (Array.isArray(list)) Object.defineProperty(out, name, { value: list, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

const START_TYPES: Record<RunMode, string[]> = {
  manual: ['n8n-nodes-base.manualTrigger', 'n8n-nodes-base.start', 'n8n-nodes-base.executeWorkflowTrigger', 'n8n-nodes-base.errorTrigger'],
  retry: ['n8n-nodes-base.manualTrigger', 'n8n-nodes-base.start', 'n8n-nodes-base.executeWorkflowTrigger', 'n8n-nodes-base.errorTrigger'],
  subworkflow: ['n8n-nodes-base.executeWorkflowTrigger', 'n8n-nodes-base.manualTrigger', 'n8n-nodes-base.start'],
  error: ['n8n-nodes-base.errorTrigger'],
  webhook: ['n8n-nodes-base.webhook'],
  schedule: ['n8n-nodes-base.scheduleTrigger'],
};

/** The node a run starts from: the first enabled trigger of the kinds the mode prefers, else any enabled trigger. */
export function startNodeOf(def: DagDefinition, registry: NodeRegistry, mode: RunMode): string | undefined {
  const enabled = def.nodes.filter((n) => !n.disabled && registry.get(n.type)?.kind === 'trigger');
  for (const type of START_TYPES[mode]) {
    const hit = enabled.find((n) => n.type === type);
    if (hit) return hit.name;
  }
  return mode === 'error' ? undefined : enabled[0]?.name;
}

