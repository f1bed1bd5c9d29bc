// n8n's test harness node `n8n-nodes-testing.testData`: emits its `data` parameter as items
// (an object is one item). Loaded from this folder by the conformance suite only.
const { z } = require('zod');

module.exports = {
  type: 'n8n-nodes-testing.testData',
  versions: [1],
  description: "The items in parameters.data (n8n's test harness node).",
  parameters: z.looseObject({ data: z.unknown().optional() }),
  async execute(ctx) {
    const data = ctx.params(0).data;
    const list = Array.isArray(data) ? data : data === undefined ? [] : [data];
    return [list.map((json, i) => ({ json, pairedItem: { item: Math.min(i, Math.max(0, (ctx.inputs[0] ?? []).length - 1)) } }))];
  },
};
