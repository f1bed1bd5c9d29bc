// Split In Batches ("Loop Over Items"): hands out its input a batch per run and keeps the rest
// in the node's context, which lives across the node's runs. v1 has one output and stops the
// branch when nothing is left; v2 (loop, done) and v3 (done, loop) collect what comes back and
// emit it on `done` at the end. The context also tells expressions `noItemsLeft`,
// `currentRunIndex`, `maxRunIndex` and `done`.
import { z } from 'zod';
import type { NodeType } from '../registry';
import type { SourceRef } from '../run-data';
import type { Item } from '../types';

const Params = z.looseObject({
  batchSize: z.union([z.number().int().min(1), z.string().startsWith('=')]).optional(),
  options: z.looseObject({ reset: z.unknown().optional() }).default({}),
});

interface LoopContext {
  items?: Item[];
  processedItems?: Item[];
  currentRunIndex?: number;
  maxRunIndex?: number;
  noItemsLeft?: boolean;
  done?: boolean;
  sourceData?: (SourceRef | null)[];
}

export const splitInBatches: NodeType<z.infer<typeof Params>> = {
  type: 'n8n-nodes-base.splitInBatches',
  versions: [1, 2, 3],
  description: 'Loops over its input in batches: v1 emits a batch per run; v2 (loop, done) and v3 (done, loop) emit the items that came back on done.',
  kind: 'activity',
  defaults: (v) => ({ batchSize: v >= 3 ? 1 : 10 }),
  parameters: Params,
  outputs: (_p, v) => (v >= 2 ? 2 : 1),
  execute: async (ctx) => {
    const version = ctx.node.typeVersion;
    const p = ctx.params(0);
    const size = Math.max(1, Number(p.batchSize ?? (version >= 3 ? 1 : 10)));
    const c = ctx.context as LoopContext;
    const input = ctx.inputs[0] ?? [];
    const tag = (item: Item, index: number, source: SourceRef | null): Item => ({ json: item.json, pairedItem: { item: index, ...(source ? { sourceOverwrite: source } : {}) } });
    let batch: Item[];
    if (c.items === undefined || p.options.reset === true || p.options.reset === 'true') {
      const all = input.map((item, i) => tag(item, i, null));
      c.currentRunIndex = 0;
      c.maxRunIndex = Math.ceil(all.length / size);
      c.sourceData = ctx.source;
      batch = all.splice(0, size);
      // Items kept for later runs pair with the node's first input, wherever they come back from.
      c.items = all.map((item) => tag(item, (item.pairedItem as { item: number }).item, ctx.source[0] ?? null));
      c.processedItems = [];
    } else {
      c.currentRunIndex = (c.currentRunIndex ?? 0) + 1;
      batch = c.items.splice(0, size);
      const back = ctx.source[0] ?? null;
      c.processedItems = [...(c.processedItems ?? []), ...input.map((item, i) => tag(item, i, back))];
    }
    c.noItemsLeft = c.items.length === 0;
    if (batch.length === 0) {
      c.done = true;
      const done = c.processedItems ?? [];
      // A finished loop starts over with its next input (nested loops).
      c.items = undefined;
      if (version < 2) return [[]];
      return version >= 3 ? [done, []] : [[], done];
    }
    c.done = false;
    return version >= 3 ? [[], batch] : version >= 2 ? [batch, []] : [batch];
  },
};
