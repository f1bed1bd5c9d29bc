// The item-list nodes: Aggregate, Split Out, Sort, Limit, Remove Duplicates and Summarize, and
// Item Lists (v1–v3.1), which holds all of them as operations.
import { z } from 'zod';
import type { ExecuteContext, NodeType } from '../registry';
import type { Item, PairedItem } from '../types';
import { clone, deepEqual, fieldList, getPath, isObject, setPath, unsetPath } from './util';

type Ctx = ExecuteContext<Record<string, unknown>>;
const Params = z.looseObject({});

const dotsOf = (p: Record<string, unknown>) => (p.options as { disableDotNotation?: boolean } | undefined)?.disableDotNotation !== true;
const read = (json: Record<string, unknown>, field: string, dots: boolean) => (dots ? getPath(json, field) : json[field]);
const put = (json: Record<string, unknown>, field: string, value: unknown, dots: boolean) =>
  dots ? setPath(json, field, value) : Object.defineProperty(json, field, { value, enumerable: true, writable: true, configurable: true });
const isEmptyValue = (v: unknown) => v === undefined || v === null || v === '';
const allPaired = (items: Item[]): PairedItem[] => items.map((_, i) => ({ item: i }));

/** A stable key for deep equality: objects with sorted keys. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObject(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return v === undefined ? 'undefined' : JSON.stringify(v);
}

// Aggregate (itemLists aggregateItems / concatenateItems).

function aggregateGroup(items: Item[], p: Record<string, unknown>): Record<string, unknown> {
  const dots = dotsOf(p);
  const opts = (p.options ?? {}) as { keepMissing?: boolean; mergeLists?: boolean };
  if (p.aggregate === 'aggregateAllItemData') {
    const include = (p.include as string) ?? 'allFields';
    const fields = fieldList(include === 'specifiedFields' ? p.fieldsToInclude : p.fieldsToExclude);
    const data = items.map((it) => {
      if (include === 'allFields') return clone(it.json);
      if (include === 'specifiedFields') {
        const out: Record<string, unknown> = {};
        for (const f of fields) {
          const v = read(it.json, f, dots);
          if (v !== undefined) put(out, f, clone(v), dots);
        }
        return out;
      }
      const out = clone(it.json);
      for (const f of fields) (dots ? unsetPath(out, f) : delete out[f]);
      return out;
    });
    return { [(p.destinationFieldName as string) || 'data']: data };
  }
  const out: Record<string, unknown> = {};
  const list = ((p.fieldsToAggregate as { fieldToAggregate?: { fieldToAggregate?: string; renameField?: boolean; outputFieldName?: string }[] })?.fieldToAggregate ?? []).filter(
    (f) => (f.fieldToAggregate ?? '') !== '',
  );
  for (const f of list) {
    const field = f.fieldToAggregate!;
    const values: unknown[] = [];
    for (const it of items) {
      const v = read(it.json, field, dots);
      if (v === undefined && !opts.keepMissing) continue;
      if (opts.mergeLists && Array.isArray(v)) values.push(...v);
      else values.push(v === undefined ? null : v);
    }
    put(out, f.renameField && f.outputFieldName ? f.outputFieldName : field, values, dots && !f.renameField);
  }
  return out;
}

function aggregate(ctx: Ctx): Item[] {
  const items = ctx.inputs[0] ?? [];
  const p = ctx.params(0);
  const groupBy = fieldList((p.options as { groupByFields?: unknown } | undefined)?.groupByFields);
  if (groupBy.length === 0) return [{ json: aggregateGroup(items, p), pairedItem: allPaired(items) }];
  const groups = new Map<string, { key: unknown[]; items: Item[]; indexes: number[] }>();
  items.forEach((it, i) => {
    const key = groupBy.map((f) => getPath(it.json, f));
    const k = canonical(key);
    const g = groups.get(k) ?? { key, items: [], indexes: [] };
    g.items.push(it);
    g.indexes.push(i);
    groups.set(k, g);
  });
  return [...groups.values()].map((g) => {
    const json: Record<string, unknown> = {};
    groupBy.forEach((f, i) => setPath(json, f, g.key[i]));
    Object.assign(json, aggregateGroup(g.items, p));
    return { json, pairedItem: g.indexes.map((i) => ({ item: i })) };
  });
}

// Split Out (itemLists splitOutItems).

class FieldError extends Error {}

function splitOut(ctx: Ctx, multiField: boolean): Item[] {
  const out: Item[] = [];
  (ctx.inputs[0] ?? []).forEach((item, i) => {
    const p = ctx.params(i);
    const dots = dotsOf(p);
    const fields = multiField ? fieldList(p.fieldToSplitOut) : [String(p.fieldToSplitOut ?? '').trim()];
    const dest = (p.options as { destinationFieldName?: string } | undefined)?.destinationFieldName ?? '';
    const dests = multiField ? fieldList(dest) : [dest.trim()];
    const include = (p.include as string) ?? 'noOtherFields';
    const lists = fields.map((f) => {
      const v = read(item.json, f, dots);
      if (Array.isArray(v)) return v;
      if (isObject(v)) return Object.values(v);
      if (fields.length === 1 && (v === undefined || v === null || typeof v !== 'object')) {
        if (v === undefined) throw new FieldError(`The field '${f}' wasn't found in item ${i}`);
        throw new FieldError(`The provided field '${f}' is not an array or object`);
      }
      return [v];
    });
    const n = Math.max(0, ...lists.map((l) => l.length));
    for (let j = 0; j < n; j++) {
      let json: Record<string, unknown> = {};
      if (include === 'allOtherFields') {
        json = clone(item.json);
        for (const f of fields) (dots ? unsetPath(json, f) : delete json[f]);
      } else if (include === 'selectedOtherFields') {
        for (const f of fieldList(p.fieldsToInclude)) {
          const v = read(item.json, f, dots);
          if (v !== undefined) put(json, f, clone(v), dots);
        }
      }
      fields.forEach((f, k) => {
        if (j >= lists[k]!.length) return;
        const element = clone(lists[k]![j]);
        const target = dests[k] || f;
        if (fields.length === 1 && !dests[k] && include === 'noOtherFields' && isObject(element)) json = { ...json, ...element };
        else put(json, target, element, dots);
      });
      out.push({ json, pairedItem: { item: i } });
    }
  });
  return out;
}

// Sort.

function compareValues(a: unknown, b: unknown): number {
  if (deepEqual(a, b)) return 0;
  return (a as number) < (b as number) ? -1 : 1;
}

async function sort(ctx: Ctx): Promise<Item[]> {
  const items = (ctx.inputs[0] ?? []).map((it, i) => ({ ...it, pairedItem: { item: i } }));
  const p = ctx.params(0);
  const type = (p.type as string) ?? 'simple';
  if (type === 'random') {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
  if (type === 'code') {
    const code = String(p.code ?? '');
    if (!/\breturn\b/.test(code)) throw new Error("Sort code doesn't return. Please add a 'return' statement to your code");
    const [r] = await ctx.code.run(`var __cmp = function (a, b) {\n${code}\n};\nreturn items.slice().sort(__cmp);`, false, items);
    if (r === undefined || 'error' in r) throw new Error(r ? r.error : 'sort code failed');
    return (r.value as Item[]).map((it) => ({ json: it.json, pairedItem: it.pairedItem }));
  }
  const dots = dotsOf(p);
  const fields = ((p.sortFieldsUi as { sortField?: { fieldName?: string; order?: string }[] })?.sortField ?? []).filter((f) => f.fieldName);
  return [...items].sort((x, y) => {
    for (const f of fields) {
      const c = compareValues(read(x.json, f.fieldName!, dots), read(y.json, f.fieldName!, dots));
      if (c !== 0) return f.order === 'descending' ? -c : c;
    }
    return 0;
  });
}

// Limit.

function limit(ctx: Ctx): Item[] {
  const items = (ctx.inputs[0] ?? []).map((it, i) => ({ ...it, pairedItem: { item: i } }));
  const p = ctx.params(0);
  const max = Number(p.maxItems ?? 1);
  if (items.length <= max) return items;
  return p.keep === 'lastItems' ? items.slice(items.length - max) : items.slice(0, max);
}

// Remove Duplicates.

function removeDuplicates(ctx: Ctx): Item[] {
  const items = ctx.inputs[0] ?? [];
  const p = ctx.params(0);
  const dots = dotsOf(p);
  const compare = (p.compare as string) ?? 'allFields';
  const opts = (p.options ?? {}) as { removeOtherFields?: boolean };
  const selected = fieldList(compare === 'selectedFields' ? p.fieldsToCompare : p.fieldsToExclude);
  const seen = new Set<string>();
  const out: Item[] = [];
  items.forEach((it, i) => {
    let keyValue: unknown;
    if (compare === 'allFields') keyValue = it.json;
    else if (compare === 'allFieldsExcept') {
      const json = clone(it.json);
      for (const f of selected) (dots ? unsetPath(json, f) : delete json[f]);
      keyValue = json;
    } else keyValue = selected.map((f) => read(it.json, f, dots));
    const key = canonical(keyValue);
    if (seen.has(key)) return;
    seen.add(key);
    if (compare === 'selectedFields' && opts.removeOtherFields) {
      const json: Record<string, unknown> = {};
      for (const f of selected) put(json, f, clone(read(it.json, f, dots)), dots);
      out.push({ json, pairedItem: { item: i } });
    } else if (compare === 'allFieldsExcept' && opts.removeOtherFields) out.push({ json: keyValue as Record<string, unknown>, pairedItem: { item: i } });
    else out.push({ ...it, pairedItem: { item: i } });
  });
  return out;
}

// Summarize.

const PREFIX: Record<string, string> = {
  append: 'appended',
  average: 'average',
  concatenate: 'concatenated',
  count: 'count',
  countUnique: 'unique_count',
  max: 'max',
  min: 'min',
  sum: 'sum',
};

interface Summary {
  aggregation?: string;
  field?: string;
  includeEmpty?: boolean;
  separateBy?: string;
  customSeparator?: string;
}

function summarizeValues(items: Item[], s: Summary, dots: boolean): unknown {
  const agg = s.aggregation ?? 'count';
  const field = s.field ?? '';
  const all = items.map((it) => read(it.json, field, dots));
  const values = s.includeEmpty ? all : all.filter((v) => !isEmptyValue(v));
  switch (agg) {
    case 'append':
      return values;
    case 'concatenate': {
      const sep = s.separateBy === 'other' ? (s.customSeparator ?? '') : (s.separateBy ?? ',');
      return values.map((v) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v ?? ''))).join(sep);
    }
    case 'count':
      return values.length;
    case 'countUnique':
      return new Set(values.map(canonical)).size;
    case 'sum':
      return values.reduce((a: number, v) => a + (typeof v === 'number' ? v : Number(v) || 0), 0);
    case 'average': {
      const nums = values.map((v) => (typeof v === 'number' ? v : Number(v))).filter((n) => !Number.isNaN(n));
      return nums.length === 0 ? null : nums.reduce((a, b) => a + b, 0) / nums.length;
    }
    case 'min':
    case 'max': {
      const cmp = values.filter((v) => !isEmptyValue(v));
      if (cmp.length === 0) return null;
      return cmp.reduce((a, b) => ((agg === 'min' ? (b as number) < (a as number) : (b as number) > (a as number)) ? b : a));
    }
  }
  throw new Error(`aggregation '${agg}' is not supported`);
}

function summarize(ctx: Ctx): Item[] {
  const items = ctx.inputs[0] ?? [];
  const p = ctx.params(0);
  const dots = dotsOf(p);
  const opts = (p.options ?? {}) as { outputFormat?: string; skipEmptySplitFields?: boolean };
  const summaries = ((p.fieldsToSummarize as { values?: Summary[] })?.values ?? []) as Summary[];
  const splitBy = fieldList(p.fieldsToSplitBy);
  const fieldName = (s: Summary) => `${PREFIX[s.aggregation ?? 'count']}_${(s.field ?? '').replace(/\./g, '_')}`;
  const aggregateOf = (group: Item[]) => {
    const json: Record<string, unknown> = {};
    for (const s of summaries) json[fieldName(s)] = summarizeValues(group, s, dots);
    return json;
  };
  if (splitBy.length === 0) return [{ json: aggregateOf(items), pairedItem: allPaired(items) }];
  const groups = new Map<string, { key: unknown[]; items: Item[]; indexes: number[] }>();
  items.forEach((it, i) => {
    const key = splitBy.map((f) => read(it.json, f, dots));
    if (opts.skipEmptySplitFields && key.some(isEmptyValue)) return;
    const k = canonical(key);
    const g = groups.get(k) ?? { key, items: [], indexes: [] };
    g.items.push(it);
    g.indexes.push(i);
    groups.set(k, g);
  });
  // Groups come out by the first split field's first appearance, then the next field's within it.
  const firstSeen = splitBy.map(() => new Map<string, number>());
  for (const g of groups.values()) g.key.forEach((_, level) => firstSeen[level]!.set(canonical(g.key.slice(0, level + 1)), Math.min(firstSeen[level]!.get(canonical(g.key.slice(0, level + 1))) ?? Infinity, g.indexes[0]!)));
  const ordered = [...groups.values()].sort((x, y) => {
    for (let level = 0; level < splitBy.length; level++) {
      const d = firstSeen[level]!.get(canonical(x.key.slice(0, level + 1)))! - firstSeen[level]!.get(canonical(y.key.slice(0, level + 1)))!;
      if (d !== 0) return d;
    }
    return 0;
  });
  if (opts.outputFormat === 'singleItem') {
    const json: Record<string, unknown> = {};
    for (const g of ordered) {
      let cur = json;
      g.key.forEach((k, i) => {
        const name = String(k);
        if (i === g.key.length - 1) cur[name] = aggregateOf(g.items);
        else cur = (cur[name] ??= {}) as Record<string, unknown>;
      });
    }
    return [{ json, pairedItem: allPaired(items) }];
  }
  return ordered.map((g) => {
    const json: Record<string, unknown> = {};
    splitBy.forEach((f, i) => (json[f] = g.key[i]));
    return { json: { ...json, ...aggregateOf(g.items) }, pairedItem: g.indexes.map((i) => ({ item: i })) };
  });
}

const single = (type: string, versions: number[], description: string, run: (ctx: Ctx) => Item[] | Promise<Item[]>): NodeType => ({
  type: `n8n-nodes-base.${type}`,
  versions,
  description,
  kind: 'activity',
  parameters: Params,
  outputs: () => 1,
  execute: async (ctx) => [await run(ctx as Ctx)],
});

export const aggregateNode = single('aggregate', [1], 'Combines the items into one: a list per field, or all item data, optionally grouped.', aggregate);
export const splitOutNode = single('splitOut', [1], 'Turns a list (or object) field of each item into separate items.', (ctx) => splitOut(ctx, true));
export const sortNode = single('sort', [1], 'Sorts the items by fields, randomly, or with a compare function.', sort);
export const limitNode = single('limit', [1], 'Keeps the first or last N items.', limit);
export const removeDuplicatesNode = single('removeDuplicates', [1, 1.1, 2], 'Removes items equal in all fields, all but some, or selected fields.', (ctx) => {
  const op = (ctx.params(0).operation as string) ?? 'removeDuplicateInputItems';
  if (ctx.node.typeVersion >= 2 && op !== 'removeDuplicateInputItems') throw new Error(`operation '${op}' is not supported (only removeDuplicateInputItems)`);
  return removeDuplicates(ctx);
});
export const summarizeNode = single('summarize', [1, 1.1], 'Counts, sums, averages, appends or concatenates fields, optionally split by fields (like a pivot table).', summarize);

export const itemLists: NodeType = {
  ...single('itemLists', [1, 2, 2.1, 2.2, 3, 3.1], 'Legacy list operations: aggregate, limit, remove duplicates, sort, split out, summarize.', () => []),
  defaults: () => ({ operation: 'splitOutItems' }),
  execute: async (ctx) => {
    const c = ctx as Ctx;
    const op = String(c.params(0).operation ?? 'splitOutItems');
    switch (op) {
      case 'aggregateItems':
      case 'concatenateItems':
        return [aggregate(c)];
      case 'splitOutItems':
        return [splitOut(c, ctx.node.typeVersion >= 2.2)];
      case 'sort':
        return [await sort(c)];
      case 'limit':
        return [limit(c)];
      case 'removeDuplicates':
        return [removeDuplicates(c)];
      case 'summarize':
        return [summarize(c)];
    }
    throw new Error(`operation '${op}' is not supported`);
  },
};
