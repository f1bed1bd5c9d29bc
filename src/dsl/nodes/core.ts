// Built-in data nodes: triggers, No Operation, Set, If, Switch and Merge, under n8n's names.
import { z } from 'zod';
import { expr, type NodePlugin } from '../registry';
import type { Item } from '../types';
import { Conditions, conditionsHold } from './conditions';

const Loose = z.looseObject({});

const trigger = (type: string, versions: number[], description: string): NodePlugin => ({
  type,
  versions,
  description,
  kind: 'trigger',
  parameters: Loose,
  outputs: () => 1,
});

export const manualTrigger = trigger('n8n-nodes-base.manualTrigger', [1], 'Start of a run; emits the run input as one item.');
export const start = trigger('n8n-nodes-base.start', [1], 'Legacy n8n start node; same as the manual trigger.');
export const executeWorkflowTrigger = trigger('n8n-nodes-base.executeWorkflowTrigger', [1, 1.1], 'Start of a workflow run by Execute Workflow; emits the caller\'s items.');
export const errorTrigger = trigger('n8n-nodes-base.errorTrigger', [1], 'Start of an error workflow; emits the failed run and its error.');

export const noOp: NodePlugin = {
  type: 'n8n-nodes-base.noOp',
  versions: [1],
  description: 'Passes its input through.',
  kind: 'activity',
  parameters: Loose,
  outputs: () => 1,
  execute: async (ctx) => [ctx.inputs.flat()],
};

const Assignment = z.looseObject({ id: z.string().optional(), name: z.string().min(1), value: z.unknown(), type: z.string().optional() });
const LegacyField = z.looseObject({ name: z.string().min(1), type: z.string().optional() });
const SetParams = z.looseObject({
  mode: z.enum(['manual', 'raw']).default('manual'),
  assignments: z.looseObject({ assignments: z.array(Assignment).max(1000) }).optional(),
  fields: z.looseObject({ values: z.array(LegacyField).max(1000) }).optional(),
  jsonOutput: z.unknown().optional(),
  includeOtherFields: expr(z.boolean()).optional(),
  include: z.enum(['all', 'none', 'selected', 'except']).optional(),
  options: z.looseObject({ dotNotation: z.boolean().optional() }).optional(),
});

function setPath(target: Record<string, unknown>, name: string, value: unknown, dots: boolean): void {
  const parts = dots ? name.split('.') : [name];
  let cur = target;
  for (const p of parts.slice(0, -1)) {
    if (typeof cur[p] !== 'object' || cur[p] === null) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]!] = value;
}

function castValue(value: unknown, type: string | undefined): unknown {
  if (type === 'string' && value !== null && value !== undefined && typeof value !== 'string') return typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (type === 'number' && typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
  if (type === 'boolean' && typeof value === 'string') return value === 'true';
  if ((type === 'object' || type === 'array') && typeof value === 'string') {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}

function legacyValue(f: z.infer<typeof LegacyField>): unknown {
  const key = `${f.type ?? 'string'}Value`;
  return (f as Record<string, unknown>)[key];
}

export const set: NodePlugin<z.infer<typeof SetParams>> = {
  type: 'n8n-nodes-base.set',
  versions: [3, 3.1, 3.2, 3.3, 3.4],
  description: 'Sets fields on every item (manual assignments or raw JSON).',
  kind: 'activity',
  parameters: SetParams,
  outputs: () => 1,
  execute: async (ctx) => {
    const input = ctx.inputs.flat();
    const items = input.length === 0 ? [{ json: {} }] : input;
    return [
      items.map((item, i) => {
        const p = ctx.params(i);
        const keepOthers = p.includeOtherFields === true || p.include === 'all';
        const json: Record<string, unknown> = keepOthers ? structuredClone(item.json) : {};
        const dots = p.options?.dotNotation ?? true;
        if (p.mode === 'raw') {
          const raw = typeof p.jsonOutput === 'string' ? JSON.parse(p.jsonOutput) : p.jsonOutput;
          return { json: { ...json, ...(raw as Record<string, unknown>) } };
        }
        for (const a of p.assignments?.assignments ?? []) setPath(json, a.name, castValue(a.value, a.type), dots);
        for (const f of p.fields?.values ?? []) setPath(json, f.name, legacyValue(f), dots);
        return { json };
      }),
    ];
  },
};

const IfParams = z.looseObject({ conditions: Conditions, looseTypeValidation: z.unknown().optional(), options: Loose.optional() });

export const ifNode: NodePlugin<z.infer<typeof IfParams>> = {
  type: 'n8n-nodes-base.if',
  versions: [2, 2.1, 2.2],
  description: 'Routes each item to output 0 (true) or 1 (false).',
  kind: 'activity',
  parameters: IfParams,
  outputs: () => 2,
  execute: async (ctx) => {
    const yes: Item[] = [];
    const no: Item[] = [];
    ctx.inputs.flat().forEach((item, i) => (conditionsHold(ctx.params(i).conditions) ? yes : no).push(item));
    return [yes, no];
  },
};

const Rule = z.looseObject({ conditions: Conditions, renameOutput: z.boolean().optional(), outputKey: z.string().optional() });
const SwitchParams = z.looseObject({
  mode: z.literal('rules').default('rules'),
  rules: z.looseObject({ values: z.array(Rule).max(100) }).default({ values: [] }),
  options: z
    .looseObject({ fallbackOutput: z.union([z.enum(['none', 'extra']), z.number().int().min(0)]).optional(), allMatchingOutputs: z.boolean().optional() })
    .optional(),
});
type SwitchParams = z.infer<typeof SwitchParams>;

const switchOutputs = (p: SwitchParams) => p.rules.values.length + (p.options?.fallbackOutput === 'extra' ? 1 : 0);

export const switchNode: NodePlugin<SwitchParams> = {
  type: 'n8n-nodes-base.switch',
  versions: [3, 3.1, 3.2],
  description: 'Routes each item to the output of the first matching rule (or all, or a fallback).',
  kind: 'activity',
  parameters: SwitchParams,
  outputs: switchOutputs,
  execute: async (ctx) => {
    const first = ctx.params(0);
    const outs: Item[][] = Array.from({ length: Math.max(1, switchOutputs(first)) }, () => []);
    ctx.inputs.flat().forEach((item, i) => {
      const p = ctx.params(i);
      const matches = p.rules.values.flatMap((r, idx) => (conditionsHold(r.conditions) ? [idx] : []));
      const chosen = p.options?.allMatchingOutputs ? matches : matches.slice(0, 1);
      if (chosen.length === 0) {
        const fb = p.options?.fallbackOutput;
        if (fb === 'extra') chosen.push(p.rules.values.length);
        else if (typeof fb === 'number') chosen.push(fb);
      }
      for (const o of chosen) outs[o]?.push(item);
    });
    return outs;
  },
};

const MergeParams = z.looseObject({
  mode: z.enum(['append', 'combine', 'chooseBranch', 'passThrough']).default('append'),
  combineBy: z.enum(['combineByPosition']).optional(),
  combinationMode: z.enum(['mergeByPosition']).optional(),
  numberInputs: z.number().int().min(2).max(10).optional(),
  output: z.enum(['input1', 'input2', 'specifiedInput', 'empty']).optional(),
  useDataOfInput: z.number().int().min(1).max(10).optional(),
  options: Loose.optional(),
});

export const merge: NodePlugin<z.infer<typeof MergeParams>> = {
  type: 'n8n-nodes-base.merge',
  versions: [2, 2.1, 3, 3.1, 3.2],
  description: 'Joins its inputs: append, combine by position, or choose one branch. Runs once after every parent that will run.',
  kind: 'activity',
  parameters: MergeParams,
  outputs: () => 1,
  execute: async (ctx) => {
    const p = ctx.params(0);
    const inputs = ctx.inputs;
    if (p.mode === 'append') return [inputs.flat()];
    if (p.mode === 'combine') {
      const length = Math.min(...inputs.filter((x) => x !== undefined).map((x) => x.length));
      return [Array.from({ length }, (_, i) => ({ json: Object.assign({}, ...inputs.map((x) => x[i]!.json)) as Record<string, unknown> }))];
    }
    const which = p.output === 'input2' ? 2 : p.output === 'input1' ? 1 : (p.useDataOfInput ?? 1);
    return [inputs[which - 1] ?? []];
  },
};
