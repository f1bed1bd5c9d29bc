// Built-in nodes with no logic of their own: the triggers that start a run, No Operation, and the
// canvas's sticky notes (accepted, never run).
import { z } from 'zod';
import type { NodeType } from '../registry';

const Loose = z.looseObject({});

const trigger = (type: string, versions: number[], description: string): NodeType => ({
  type,
  versions,
  description,
  kind: 'trigger',
  parameters: Loose,
  outputs: () => 1,
});

export const manualTrigger = trigger('n8n-nodes-base.manualTrigger', [1], 'Start of a run: emits the run input (one empty item by default).');
export const start = trigger('n8n-nodes-base.start', [1], 'Legacy n8n start node; same as the manual trigger.');
export const executeWorkflowTrigger = trigger('n8n-nodes-base.executeWorkflowTrigger', [1, 1.1], "Start of a workflow run by Execute Workflow: emits the caller's items.");
export const errorTrigger = trigger('n8n-nodes-base.errorTrigger', [1], 'Start of an error workflow: emits the failed run and its error.');

export const noOp: NodeType = {
  type: 'n8n-nodes-base.noOp',
  versions: [1],
  description: 'Passes its input through.',
  kind: 'activity',
  parameters: Loose,
  outputs: () => 1,
  execute: async (ctx) => [(ctx.inputs[0] ?? []).map((item, i) => ({ ...item, pairedItem: { item: i } }))],
};

export const stickyNote: NodeType = {
  type: 'n8n-nodes-base.stickyNote',
  versions: [1],
  description: 'A note on the canvas; never runs and has no connections.',
  kind: 'decoration',
  parameters: Loose,
  outputs: () => 0,
};
