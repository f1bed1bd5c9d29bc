// Code (n8n-nodes-base.code v1/v2): JavaScript run in the QuickJS sandbox, once for all items
// or once per item. Returns items ({json} or plain objects).
import { z } from 'zod';
import type { NodePlugin } from '../registry';
import { runCode } from '../scripts';

/** Longest jsCode accepted. */
export const CODE_MAX_BYTES = 64 * 1024;

const CodeParams = z.looseObject({
  mode: z.enum(['runOnceForAllItems', 'runOnceForEachItem']).default('runOnceForAllItems'),
  language: z.literal('javaScript').default('javaScript'),
  jsCode: z.string().min(1).refine((c) => Buffer.byteLength(c) <= CODE_MAX_BYTES, `must be at most ${CODE_MAX_BYTES} bytes`),
});

export const code: NodePlugin<z.infer<typeof CodeParams>> = {
  type: 'n8n-nodes-base.code',
  versions: [1, 2],
  description: 'Runs JavaScript in the sandbox (no require, process, timers or network); returns items.',
  kind: 'activity',
  parameters: CodeParams,
  outputs: () => 1,
  execute: async (ctx) => {
    const p = ctx.params(0);
    return [await runCode(p.jsCode, p.mode === 'runOnceForEachItem', ctx.inputs.flat(), ctx.nodes)];
  },
};
