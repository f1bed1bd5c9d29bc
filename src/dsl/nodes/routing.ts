// Nodes that route items: If (v1 legacy conditions, v2 filter), Filter (v1, v2) and Switch
// (v1 and v2 rules or expression, v3 filter rules or expression).
import { z } from 'zod';
import { expr, type ExecuteContext, type NodeType } from '../registry';
import type { Item } from '../types';
import { Conditions, filterOptions, filterPasses, legacyCompare, LegacyConditions, legacyPasses, type LegacyType } from './conditions';
import { itemError } from './util';

const Options = z.looseObject({ ignoreCase: z.unknown().optional(), caseSensitive: z.unknown().optional(), looseTypeValidation: z.unknown().optional() });

/** Routes each item by a predicate; an item whose check fails goes to `onError` (or fails the node). */
function route(ctx: ExecuteContext<unknown>, outputs: number, pick: (item: Item, i: number) => number[], onErrorOutput: number | undefined): Item[][] {
  const outs: Item[][] = Array.from({ length: outputs }, () => []);
  ctx.inputs[0]?.forEach((item, i) => {
    const out = { ...item, pairedItem: { item: i } };
    let targets: number[];
    try {
      targets = pick(item, i);
    } catch (err) {
      if (!ctx.continueOnFail) throw err;
      if (onErrorOutput === undefined) outs[0]!.push(itemError(err, i));
      else outs[onErrorOutput]!.push(out);
      return;
    }
    for (const t of targets) {
      if (t < 0 || t >= outputs) throw new Error(`The output ${t} is not allowed. It has to be between 0 and ${outputs - 1}!`);
      outs[t]!.push(out);
    }
  });
  return outs;
}

const IfV1Params = z.looseObject({ conditions: LegacyConditions.optional(), combineOperation: z.enum(['all', 'any']).default('all') });
const IfV2Params = z.looseObject({ conditions: Conditions.default({ conditions: [], combinator: 'and' }), looseTypeValidation: z.unknown().optional(), options: Options.default({}) });

/** Loose type validation of If/Filter/Switch: an option (default on) before `looseSince`, then a parameter. */
function looseOf(p: { looseTypeValidation?: unknown; options?: { looseTypeValidation?: unknown } }, version: number, looseSince: number): unknown {
  return version < looseSince ? (p.options?.looseTypeValidation ?? true) : p.looseTypeValidation;
}

export const ifNode: NodeType = {
  type: 'n8n-nodes-base.if',
  versions: [1, 2, 2.1, 2.2, 2.3],
  description: 'Routes each item to output 0 (true) or 1 (false): legacy conditions (v1) or filter conditions (v2).',
  kind: 'activity',
  parameters: (v) => (v < 2 ? IfV1Params : IfV2Params),
  outputs: () => 2,
  execute: async (ctx) =>
    route(
      ctx,
      2,
      (_item, i) => {
        if (ctx.node.typeVersion < 2) {
          const p = ctx.params(i) as z.infer<typeof IfV1Params>;
          return [legacyPasses(p.conditions, p.combineOperation === 'any') ? 0 : 1];
        }
        const p = ctx.params(i) as z.infer<typeof IfV2Params>;
        return [filterPasses(p.conditions, filterOptions(p.conditions, p.options, looseOf(p, ctx.node.typeVersion, 2.1), i)) ? 0 : 1];
      },
      1,
    ),
};

const FilterV1Params = z.looseObject({ conditions: LegacyConditions.optional(), combineConditions: z.enum(['AND', 'OR']).default('AND') });

export const filter: NodeType = {
  type: 'n8n-nodes-base.filter',
  versions: [1, 2, 2.1, 2.2, 2.3],
  description: 'Keeps the items that match the conditions (legacy conditions in v1, filter conditions from v2).',
  kind: 'activity',
  parameters: (v) => (v < 2 ? FilterV1Params : IfV2Params),
  outputs: () => 1,
  execute: async (ctx) => {
    const [kept] = route(
      ctx,
      2,
      (_item, i) => {
        if (ctx.node.typeVersion < 2) {
          const p = ctx.params(i) as z.infer<typeof FilterV1Params>;
          return [legacyPasses(p.conditions, p.combineConditions === 'OR') ? 0 : 1];
        }
        const p = ctx.params(i) as z.infer<typeof IfV2Params>;
        return [filterPasses(p.conditions, filterOptions(p.conditions, p.options, looseOf(p, ctx.node.typeVersion, 2.1), i)) ? 0 : 1];
      },
      1,
    );
    return [kept!];
  },
};

const LegacyRule = z.looseObject({ operation: z.string().optional(), value2: z.unknown().optional(), output: z.unknown().optional(), outputKey: z.string().optional() });
const SwitchV1Params = z.looseObject({
  mode: z.enum(['rules', 'expression']).default('rules'),
  dataType: z.enum(['boolean', 'dateTime', 'number', 'string']).default('number'),
  value1: z.unknown().optional(),
  rules: z.looseObject({ rules: z.array(LegacyRule).max(100).optional() }).default({}),
  fallbackOutput: expr(z.number().int()).default(-1),
  output: z.unknown().optional(),
  outputsAmount: expr(z.number().int().min(0).max(100)).default(4),
});
type SwitchV1Params = z.infer<typeof SwitchV1Params>;

const Rule = z.looseObject({ conditions: Conditions.default({ conditions: [], combinator: 'and' }), renameOutput: z.boolean().optional(), outputKey: z.string().optional() });
const SwitchV3Params = z.looseObject({
  mode: z.enum(['rules', 'expression']).default('rules'),
  numberOutputs: expr(z.number().int().min(0).max(100)).default(4),
  output: z.unknown().optional(),
  rules: z.looseObject({ values: z.array(Rule).max(100).default([]) }).default({ values: [] }),
  looseTypeValidation: z.unknown().optional(),
  options: z
    .looseObject({ fallbackOutput: z.union([z.enum(['none', 'extra']), z.number().int().min(0)]).optional(), allMatchingOutputs: z.boolean().optional() })
    .and(Options)
    .default({}),
});
type SwitchV3Params = z.infer<typeof SwitchV3Params>;

const LEGACY_DEFAULT_OP: Record<LegacyType, string> = { boolean: 'equal', number: 'smaller', string: 'equal', dateTime: 'after' };
const LEGACY_DEFAULT_VALUE: Record<LegacyType, unknown> = { boolean: false, number: 0, string: '', dateTime: 0 };

function switchOutputs(p: unknown, version: number): number {
  if (version < 2) return 4;
  if (version < 3) {
    const q = p as SwitchV1Params;
    return q.mode === 'expression' ? (typeof q.outputsAmount === 'number' ? q.outputsAmount : 4) : (q.rules.rules ?? []).length;
  }
  const q = p as SwitchV3Params;
  if (q.mode === 'expression') return typeof q.numberOutputs === 'number' ? q.numberOutputs : 4;
  return q.rules.values.length + (q.options?.fallbackOutput === 'extra' ? 1 : 0);
}

function switchV1(p: SwitchV1Params, version: number, outputs: number): number[] {
  if (p.mode === 'expression') return [Number(p.output)];
  const type = p.dataType;
  for (const [idx, r] of (p.rules.rules ?? []).entries()) {
    const v2 = r.value2 ?? LEGACY_DEFAULT_VALUE[type];
    if (legacyCompare(type, r.operation ?? LEGACY_DEFAULT_OP[type], p.value1 ?? LEGACY_DEFAULT_VALUE[type], v2)) return [version < 2 ? Number(r.output ?? 0) : idx];
  }
  const fb = Number(p.fallbackOutput);
  return fb >= 0 && fb < Math.max(outputs, version < 2 ? 4 : outputs) ? [fb] : [];
}

function switchV3(p: SwitchV3Params, version: number, i: number): number[] {
  if (p.mode === 'expression') return [Number(p.output)];
  const matches: number[] = [];
  for (const [idx, r] of p.rules.values.entries()) {
    if (filterPasses(r.conditions, filterOptions(r.conditions, p.options, looseOf(p, version, 3.1), i))) {
      matches.push(idx);
      if (!p.options?.allMatchingOutputs) break;
    }
  }
  if (matches.length > 0) return matches;
  const fb = p.options?.fallbackOutput;
  if (fb === 'extra') return [p.rules.values.length];
  return typeof fb === 'number' ? [fb] : [];
}

export const switchNode: NodeType = {
  type: 'n8n-nodes-base.switch',
  versions: [1, 2, 3, 3.1, 3.2, 3.3, 3.4],
  description: 'Routes each item to an output: legacy rules (v1, v2), filter rules (v3) or an output number from an expression.',
  kind: 'activity',
  parameters: (v) => (v < 3 ? SwitchV1Params : SwitchV3Params),
  outputs: switchOutputs,
  execute: async (ctx) => {
    const version = ctx.node.typeVersion;
    const outputs = switchOutputs(ctx.params(0), version);
    return route(
      ctx,
      outputs,
      (_item, i) => (version < 3 ? switchV1(ctx.params(i) as SwitchV1Params, version, outputs) : switchV3(ctx.params(i) as SwitchV3Params, version, i)),
      undefined,
    );
  },
};
