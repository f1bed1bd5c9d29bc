// Merge: v1 (append, key matches, merge by index or key, multiplex, pass-through, wait), v2/v2.1
// (append, combine by fields / position / multiplex, choose branch) and v3.x (the same under
// new names, with more than two inputs). Clash handling merges deep or shallow, prefers an
// input or adds suffixes.
import { z } from 'zod';
import type { NodeType } from '../registry';
import type { Item, PairedItem } from '../types';
import { clone, deepEqual, fieldList, getPath, isObject } from './util';

const Clash = z.looseObject({ values: z.looseObject({ resolveClash: z.string().optional(), mergeMode: z.string().optional(), overrideEmpty: z.boolean().optional() }).optional() });
const MergeParams = z.looseObject({
  mode: z.string().default('append'),
  combinationMode: z.string().optional(),
  combineBy: z.string().optional(),
  numberInputs: z.number().int().min(2).max(10).optional(),
  mergeByFields: z.looseObject({ values: z.array(z.looseObject({ field1: z.string().optional(), field2: z.string().optional() })).optional() }).optional(),
  fieldsToMatchString: z.string().optional(),
  advanced: z.boolean().optional(),
  joinMode: z.string().optional(),
  outputDataFrom: z.string().optional(),
  output: z.string().optional(),
  useDataOfInput: z.number().int().min(1).max(10).optional(),
  // v1
  join: z.string().optional(),
  propertyName1: z.string().optional(),
  propertyName2: z.string().optional(),
  overwrite: z.string().optional(),
  options: z
    .looseObject({
      clashHandling: Clash.optional(),
      includeUnpaired: z.boolean().optional(),
      fuzzyCompare: z.boolean().optional(),
      disableDotNotation: z.boolean().optional(),
      multipleMatches: z.enum(['all', 'first']).optional(),
    })
    .default({}),
});
type MergeParams = z.infer<typeof MergeParams>;

interface Entry {
  json: Record<string, unknown>;
  paired: PairedItem[];
}

const entries = (items: Item[] | undefined, input: number): Entry[] => (items ?? []).map((it, i) => ({ json: it.json, paired: [input === 0 ? { item: i } : { item: i, input }] }));
const toItem = (e: Entry): Item => ({ json: e.json, pairedItem: e.paired.length === 1 ? e.paired[0] : e.paired });

/** lodash's merge: objects key by key and arrays index by index, recursively; undefined never overwrites. */
function deepMerge(target: unknown, source: unknown): unknown {
  if (source === undefined) return target;
  if (Array.isArray(source)) {
    const out = Array.isArray(target) ? [...target] : [];
    source.forEach((v, i) => (out[i] = deepMerge(out[i], v)));
    return out;
  }
  if (isObject(source)) {
    const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
    for (const [k, v] of Object.entries(source)) Object.defineProperty(out, k, { value: deepMerge(out[k], v), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return clone(source);
}

const empty = (v: unknown) => v === undefined || v === null || v === '';

interface ClashRule {
  resolve: string;
  mode: string;
  overrideEmpty: boolean;
}

function clashRule(p: MergeParams, fallback: string): ClashRule {
  const c = p.options.clashHandling?.values ?? {};
  return { resolve: c.resolveClash || fallback, mode: c.mergeMode ?? 'deepMerge', overrideEmpty: c.overrideEmpty ?? false };
}

/** Merges entries (input order); the preferred one wins clashes, or every key gets its input's suffix. */
function mergeEntries(list: Entry[], inputs: number[], rule: ClashRule): Entry {
  const paired = list.flatMap((e) => e.paired);
  if (rule.resolve === 'addSuffix') {
    const json: Record<string, unknown> = {};
    list.forEach((e, i) => {
      for (const [k, v] of Object.entries(e.json)) json[`${k}_${inputs[i]! + 1}`] = v;
    });
    return { json, paired };
  }
  const preferFirst = rule.resolve === 'preferInput1';
  const order = preferFirst ? [...list].reverse() : list;
  let json: Record<string, unknown> = {};
  for (const e of order) {
    let src = e.json;
    if (!rule.overrideEmpty) src = Object.fromEntries(Object.entries(src).filter(([k, v]) => !empty(v) || !(k in json)));
    json = rule.mode === 'shallowMerge' ? { ...json, ...clone(src) } : (deepMerge(json, src) as Record<string, unknown>);
  }
  return { json, paired };
}

function matchFields(p: MergeParams, version: number): [string, string][] {
  if (version >= 3 && !p.advanced) return fieldList(p.fieldsToMatchString).map((f) => [f, f]);
  return (p.mergeByFields?.values ?? []).map((v) => [v.field1 ?? '', v.field2 ?? '']);
}

function same(a: unknown, b: unknown, fuzzy: boolean): boolean {
  if (a === undefined || b === undefined) return false;
  // eslint-disable-next-line eqeqeq
  if (fuzzy) return a == b || String(a) === String(b);
  return deepEqual(a, b);
}

interface Matches {
  matched: { entry: Entry; matches: Entry[] }[];
  matched2: Entry[];
  unmatched1: Entry[];
  unmatched2: Entry[];
}

function findMatches(a: Entry[], b: Entry[], fields: [string, string][], p: MergeParams): Matches {
  const dots = p.options.disableDotNotation !== true;
  const read = (e: Entry, f: string) => (dots ? getPath(e.json, f) : e.json[f]);
  const fuzzy = p.options.fuzzyCompare === true;
  const hit = new Set<number>();
  const out: Matches = { matched: [], matched2: [], unmatched1: [], unmatched2: [] };
  for (const e1 of a) {
    const found = b.flatMap((e2, j) => (fields.length > 0 && fields.every(([f1, f2]) => same(read(e1, f1), read(e2, f2), fuzzy)) ? [j] : []));
    if (found.length === 0) {
      out.unmatched1.push(e1);
      continue;
    }
    const chosen = p.options.multipleMatches === 'first' ? found.slice(0, 1) : found;
    chosen.forEach((j) => hit.add(j));
    out.matched.push({ entry: e1, matches: chosen.map((j) => b[j]!) });
  }
  b.forEach((e, j) => (hit.has(j) ? out.matched2 : out.unmatched2).push(e));
  return out;
}

function combineByFields(a: Entry[], b: Entry[], p: MergeParams, version: number): Entry[] {
  const join = p.joinMode ?? 'keepMatches';
  const from = p.outputDataFrom ?? 'both';
  if (version < 2.1 && (a.length === 0 || b.length === 0)) return a.length === 0 ? b : a;
  const m = findMatches(a, b, matchFields(p, version), p);
  const rule = clashRule(p, version >= 3 ? 'preferLast' : 'preferInput2');
  const merged = (e: Entry, with2: Entry[]) => with2.map((e2) => mergeEntries([e, e2], [0, 1], rule));
  switch (join) {
    case 'keepMatches':
      if (from === 'input1') return m.matched.map((x) => x.entry);
      if (from === 'input2') return m.matched2;
      return m.matched.flatMap((x) => merged(x.entry, x.matches));
    case 'keepNonMatches': {
      if (from === 'input1') return m.unmatched1;
      if (from === 'input2') return m.unmatched2;
      // Only v2 marked where each unmatched item came from.
      const tag = (e: Entry, source: string) => (version < 2.1 ? { ...e, json: { ...e.json, _source: source } } : e);
      return [...m.unmatched1.map((e) => tag(e, 'input1')), ...m.unmatched2.map((e) => tag(e, 'input2'))];
    }
    case 'keepEverything':
      return [...m.matched.flatMap((x) => merged(x.entry, x.matches)), ...m.unmatched1, ...m.unmatched2];
    case 'enrichInput1':
      return a.flatMap((e) => {
        const hit = m.matched.find((x) => x.entry === e);
        return hit ? merged(e, hit.matches) : [e];
      });
    case 'enrichInput2': {
      const back = findMatches(b, a, matchFields(p, version).map(([f1, f2]) => [f2, f1]), p);
      return b.flatMap((e) => {
        const hit = back.matched.find((x) => x.entry === e);
        return hit ? hit.matches.map((e1) => mergeEntries([e1, e], [0, 1], rule)) : [e];
      });
    }
  }
  throw new Error(`join mode '${join}' is not supported`);
}

function combineByPosition(inputs: Entry[][], p: MergeParams, version: number): Entry[] {
  const rule = clashRule(p, version >= 3 ? 'preferLast' : 'preferInput2');
  const lengths = inputs.map((x) => x.length);
  const n = p.options.includeUnpaired ? Math.max(...lengths) : Math.min(...lengths);
  const out: Entry[] = [];
  for (let i = 0; i < n; i++) {
    const present = inputs.map((x, k) => [x[i], k] as const).filter(([e]) => e !== undefined) as [Entry, number][];
    out.push(present.length === 1 ? present[0]![0] : mergeEntries(present.map(([e]) => e), present.map(([, k]) => k), rule));
  }
  return out;
}

function multiplex(a: Entry[], b: Entry[], p: MergeParams, version: number): Entry[] {
  const rule = clashRule(p, version >= 3 ? 'preferLast' : 'preferInput2');
  // n8n walks input 2 first when input 1 wins clashes.
  if (rule.resolve === 'preferInput1') return b.flatMap((e2) => a.map((e1) => mergeEntries([e1, e2], [0, 1], rule)));
  return a.flatMap((e1) => b.map((e2) => mergeEntries([e1, e2], [0, 1], rule)));
}

function chooseBranch(inputs: Entry[][], p: MergeParams, version: number): Entry[] {
  const output = p.output ?? (version >= 3 ? 'specifiedInput' : 'input1');
  if (output === 'empty') return [{ json: {}, paired: inputs.flatMap((x) => x.flatMap((e) => e.paired)) }];
  const which = output === 'input2' ? 2 : output === 'input1' ? 1 : (p.useDataOfInput ?? 1);
  return inputs[which - 1] ?? [];
}

function mergeV1(a: Entry[], b: Entry[], p: MergeParams): Entry[] {
  const key = (e: Entry, f: string | undefined) => getPath(e.json, f ?? '');
  switch (p.mode) {
    case 'append':
      return [...a, ...b];
    case 'keepKeyMatches':
    case 'removeKeyMatches': {
      const keys = b.map((e) => key(e, p.propertyName2));
      return a.filter((e) => keys.some((k) => k !== undefined && deepEqual(k, key(e, p.propertyName1))) === (p.mode === 'keepKeyMatches'));
    }
    case 'mergeByIndex': {
      const join = p.join ?? 'left';
      const n = join === 'inner' ? Math.min(a.length, b.length) : join === 'left' ? a.length : Math.max(a.length, b.length);
      const out: Entry[] = [];
      for (let i = 0; i < n; i++) {
        const [e1, e2] = [a[i], b[i]];
        if (e1 && e2) out.push({ json: { ...e1.json, ...e2.json }, paired: [...e1.paired, ...e2.paired] });
        else out.push((e1 ?? e2)!);
      }
      return out;
    }
    case 'mergeByKey': {
      const overwrite = p.overwrite ?? 'always';
      return a.map((e1) => {
        const e2 = b.find((e) => key(e, p.propertyName2) !== undefined && deepEqual(key(e, p.propertyName2), key(e1, p.propertyName1)));
        if (!e2) return e1;
        const json = { ...e1.json };
        for (const [k, v] of Object.entries(e2.json)) {
          if (overwrite === 'always' || (overwrite === 'blank' && empty(json[k])) || (overwrite === 'undefined' && json[k] === undefined)) json[k] = v;
        }
        return { json, paired: [...e1.paired, ...e2.paired] };
      });
    }
    case 'multiplex':
      return a.flatMap((e1) => b.map((e2) => ({ json: { ...e1.json, ...e2.json }, paired: [...e1.paired, ...e2.paired] })));
    case 'passThrough':
      return p.output === 'input2' ? b : a;
    case 'wait':
      return [{ json: {}, paired: [] }];
  }
  throw new Error(`merge mode '${p.mode}' is not supported`);
}

export const merge: NodeType<MergeParams> = {
  type: 'n8n-nodes-base.merge',
  versions: [1, 2, 2.1, 3, 3.1, 3.2],
  description: 'Joins its inputs: append, combine by matching fields, by position or every pair, or choose one branch.',
  kind: 'activity',
  parameters: MergeParams,
  outputs: () => 1,
  execute: async (ctx) => {
    const p = ctx.params(0);
    const version = ctx.node.typeVersion;
    const inputs = Array.from({ length: Math.max(2, p.numberInputs ?? 2, ctx.inputs.length) }, (_, k) => entries(ctx.inputs[k], k));
    const [a, b] = [inputs[0]!, inputs[1]!];
    let out: Entry[];
    if (version < 2) out = mergeV1(a, b, p);
    else if (p.mode === 'append') out = inputs.flat();
    else if (p.mode === 'chooseBranch') out = chooseBranch(inputs, p, version);
    else if (p.mode === 'combine') {
      const by = version >= 3 ? (p.combineBy ?? 'combineByFields') : (p.combinationMode ?? 'mergeByFields');
      if (by === 'mergeByFields' || by === 'combineByFields') out = combineByFields(a, b, p, version);
      else if (by === 'mergeByPosition' || by === 'combineByPosition') out = combineByPosition(version >= 3 ? inputs : [a, b], p, version);
      else if (by === 'multiplex' || by === 'combineAll') out = multiplex(a, b, p, version);
      else throw new Error(`combine mode '${by}' is not supported`);
    } else throw new Error(`merge mode '${p.mode}' is not supported`);
    return [out.map(toItem)];
  },
};

/** Inputs a Merge needs before it runs with what it has (n8n's requiredInputs). */
export function mergeRequiredInputs(params: Record<string, unknown>, version: number): number | number[] | undefined {
  if (version < 2) return undefined;
  return params.mode === 'chooseBranch' ? [0, 1] : 1;
}

export const mergeInputs = (params: Record<string, unknown>, version: number): number =>
  version >= 3 && typeof params.numberInputs === 'number' ? params.numberInputs : 2;

