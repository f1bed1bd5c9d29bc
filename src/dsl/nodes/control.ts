// Nodes the interpreter workflow runs itself, with Temporal timers, signals and child workflows.
import { z } from 'zod';
import type { NodePlugin } from '../registry';

const UNIT_MS = { seconds: 1000, minutes: 60_000, hours: 3_600_000, days: 86_400_000 } as const;
/** Longest Wait node: 30 days. */
export const MAX_WAIT_MS = 30 * 86_400_000;

const WaitParams = z.looseObject({
  resume: z.literal('timeInterval').default('timeInterval'),
  amount: z.number().min(0).default(1),
  unit: z.enum(['seconds', 'minutes', 'hours', 'days']).default('hours'),
}).refine((p) => p.amount * UNIT_MS[p.unit] <= MAX_WAIT_MS, { message: 'must be at most 30 days', path: ['amount'] });

export function waitMs(params: Record<string, unknown>): number {
  const p = WaitParams.parse(params);
  return p.amount * UNIT_MS[p.unit];
}

export const wait: NodePlugin<z.infer<typeof WaitParams>> = {
  type: 'n8n-nodes-base.wait',
  versions: [1, 1.1],
  description: 'Waits for a duration (resume: timeInterval), then passes its input through.',
  kind: 'wait',
  parameters: WaitParams,
  outputs: () => 1,
};

const SignalParams = z.looseObject({
  signalName: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'letters, digits, . _ - (1 to 100)'),
  timeoutSeconds: z.number().int().min(1).max(30 * 86_400).optional(),
});

export const waitForSignal: NodePlugin<z.infer<typeof SignalParams>> = {
  type: 'cadenza.waitForSignal',
  versions: [1],
  description: 'Waits for POST /v1/workflow-runs/{runId}/signals/{signalName}; emits its body. Fails after timeoutSeconds.',
  kind: 'signal',
  parameters: SignalParams,
  outputs: () => 1,
};

const WorkflowRef = z.union([z.string().min(1), z.looseObject({ value: z.string().min(1) })]);
const ExecuteParams = z.looseObject({
  source: z.literal('database').optional(),
  workflowId: WorkflowRef,
  /** Cadenza: pin the child's version; its latest version otherwise. */
  version: z.number().int().min(1).optional(),
});

export function childWorkflowId(params: Record<string, unknown>): { workflowId: string; version?: number } {
  const p = ExecuteParams.parse(params);
  return { workflowId: typeof p.workflowId === 'string' ? p.workflowId : p.workflowId.value, version: p.version };
}

export const executeWorkflow: NodePlugin<z.infer<typeof ExecuteParams>> = {
  type: 'n8n-nodes-base.executeWorkflow',
  versions: [1, 1.1, 1.2],
  description: 'Runs another Cadenza workflow as a child workflow with this node\'s items; emits its last node\'s items.',
  kind: 'subworkflow',
  parameters: ExecuteParams,
  outputs: () => 1,
};
