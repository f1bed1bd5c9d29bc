// Nodes the interpreter workflow runs itself, with Temporal timers, signals and child workflows.
import { z } from 'zod';
import type { NodeType } from '../registry';

const UNIT_MS = { seconds: 1000, minutes: 60_000, hours: 3_600_000, days: 86_400_000 } as const;
/** Longest Wait node: 30 days. */
export const MAX_WAIT_MS = 30 * 86_400_000;

const WaitParams = z.looseObject({
  resume: z.enum(['timeInterval', 'specificTime']).default('timeInterval'),
  amount: z.number().min(0).optional(),
  unit: z.enum(['seconds', 'minutes', 'hours', 'days']).optional(),
  dateTime: z.string().optional(),
});

export interface WaitPlan {
  /** A fixed duration, or… */
  ms?: number;
  /** …a moment (epoch ms) the node waits for. */
  until?: number;
}

/** n8n's defaults: v1 waits 1 hour, v1.1 5 seconds. */
const waitDefaults = (v: number) => (v < 1.1 ? { amount: 1, unit: 'hours' } : { amount: 5, unit: 'seconds' });

export function waitPlan(params: Record<string, unknown>, version: number): WaitPlan {
  const p = WaitParams.parse({ ...waitDefaults(version), ...params });
  if (p.resume === 'specificTime') {
    const until = Date.parse(p.dateTime ?? '');
    if (Number.isNaN(until)) throw new Error(`dateTime '${p.dateTime ?? ''}' is not a date`);
    return { until };
  }
  return { ms: Math.min(MAX_WAIT_MS, (p.amount ?? 1) * UNIT_MS[p.unit ?? 'hours']) };
}

export const wait: NodeType<z.infer<typeof WaitParams>> = {
  type: 'n8n-nodes-base.wait',
  versions: [1, 1.1],
  description: 'Waits for a duration or until a date (a durable timer, at most 30 days), then passes its input through.',
  kind: 'wait',
  defaults: waitDefaults,
  parameters: WaitParams.refine((p) => p.resume !== 'timeInterval' || (p.amount ?? 1) * UNIT_MS[p.unit ?? 'hours'] <= MAX_WAIT_MS, { message: 'must be at most 30 days', path: ['amount'] }),
  outputs: () => 1,
};

const SignalParams = z.looseObject({
  signalName: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}$/, 'letters, digits, . _ - (1 to 100)')
    .refine((n) => n !== '__proto__' && n !== 'constructor' && n !== 'prototype', 'must not be __proto__, constructor or prototype'),
  timeoutSeconds: z.number().int().min(1).max(30 * 86_400).optional(),
});

export const waitForSignal: NodeType<z.infer<typeof SignalParams>> = {
  type: 'cadenza.waitForSignal',
  versions: [1],
  description: 'Waits for POST /v1/workflow-runs/{runId}/signals/{signalName}; emits its body. Fails after timeoutSeconds.',
  kind: 'signal',
  parameters: SignalParams,
  outputs: () => 1,
};

const WorkflowRef = z.union([z.string().min(1), z.looseObject({ value: z.union([z.string().min(1), z.number()]) })]);
const ExecuteParams = z.looseObject({
  source: z.literal('database').default('database'),
  workflowId: WorkflowRef,
  /** Cadenza: pin the child's version; its latest version otherwise. */
  version: z.number().int().min(1).optional(),
  mode: z.enum(['once', 'each']).default('once'),
  options: z.looseObject({ waitForSubWorkflow: z.boolean().optional() }).default({}),
});

export interface ChildPlan {
  workflowId: string;
  version?: number;
  /** One child for all items, or one per item. */
  each: boolean;
  wait: boolean;
}

export function childPlan(params: Record<string, unknown>): ChildPlan {
  const p = ExecuteParams.parse(params);
  const id = typeof p.workflowId === 'string' ? p.workflowId : String(p.workflowId.value);
  return { workflowId: id, version: p.version, each: p.mode === 'each', wait: p.options.waitForSubWorkflow !== false };
}

export const executeWorkflow: NodeType<z.infer<typeof ExecuteParams>> = {
  type: 'n8n-nodes-base.executeWorkflow',
  versions: [1, 1.1, 1.2, 1.3],
  description: "Runs another workflow of the same org as a child workflow with this node's items (once, or once per item); emits its last node's items.",
  kind: 'subworkflow',
  parameters: ExecuteParams,
  outputs: () => 1,
};
