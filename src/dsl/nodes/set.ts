// Set ("Edit Fields"): v1/v2 `values.{string,number,boolean}` with keepOnlySet; v3.0–3.2 typed
// `fields.values` with `include`; v3.3+ `assignments` with `includeOtherFields`; raw JSON mode.
// Typed values convert strictly, or keep the original value with ignoreConversionErrors.
import { z } from 'zod';
import type { NodeType } from '../registry';
import type { Item } from '../types';
import { clone, fieldList, getPath, isObject, itemError, setPath, unsetPath } from './util';

const LegacyValue = z.looseObject({ name: z.string().default('propertyName'), value: z.unknown().optional() });
const SetV1Params = z.looseObject({
  keepOnlySet: z.boolean().default(false),
  values: z
    .looseObject({
      string: z.array(LegacyValue).optional(),
      number: z.array(LegacyValue).optional(),
      boolean: z.array(LegacyValue).optional(),
    })
    .default({}),
  options: z.looseObject({ dotNotation: z.boolean().optional() }).default({}),
});

const Field = z.looseObject({ name: z.string(), type: z.string().optional() });
const Assignment = z.looseObject({ id: z.string().optional(), name: z.string(), value: z.unknown().optional(), type: z.string().optional() });
const SetV3Params = z.looseObject({
  mode: z.enum(['manual', 'raw']).default('manual'),
  duplicateItem: z.boolean().optional(),
  duplicateCount: z.number().int().min(0).max(1000).optional(),
  jsonOutput: z.unknown().optional(),
  fields: z.looseObject({ values: z.array(Field).max(1000).optional() }).optional(),
  assignments: z.looseObject({ assignments: z.array(Assignment).max(1000).optional() }).optional(),
  include: z.enum(['all', 'none', 'selected', 'except']).optional(),
  includeOtherFields: z.boolean().optional(),
  includeFields: z.unknown().optional(),
  excludeFields: z.unknown().optional(),
  options: z.looseObject({ dotNotation: z.boolean().optional(), ignoreConversionErrors: z.boolean().optional(), includeBinary: z.boolean().optional(), stripBinary: z.boolean().optional() }).default({}),
});
type SetV3Params = z.infer<typeof SetV3Params>;

class ConversionError extends Error {}

function toBoolean(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === 0) return v === 1;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === 'true' || s === '1') return true;
    if (s === 'false' || s === '0') return false;
  }
  throw new ConversionError(`'${String(v)}' cannot be converted to a boolean`);
}

function parseStructured(v: unknown, want: 'array' | 'object'): unknown {
  let parsed = v;
  if (typeof v === 'string') {
    try {
      parsed = JSON.parse(v);
    } catch {
      try {
        parsed = JSON.parse(v.replace(/'/g, '"'));
      } catch {
        throw new ConversionError(`'${v}' cannot be converted to an ${want}`);
      }
    }
  }
  if (want === 'array' ? Array.isArray(parsed) : isObject(parsed)) return parsed;
  throw new ConversionError(`'${typeof v === 'object' ? JSON.stringify(v) : String(v)}' cannot be converted to an ${want}`);
}

/** A value of the field's type; null and undefined stay null. */
function convert(value: unknown, type: string): unknown {
  if (value === null || value === undefined) return null;
  switch (type.replace(/Value$/, '')) {
    case 'string':
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
    case 'number': {
      if (typeof value === 'number') return value;
      const n = typeof value === 'boolean' ? Number(value) : typeof value === 'string' ? Number(value) : NaN;
      if (Number.isNaN(n)) throw new ConversionError(`'${typeof value === 'object' ? JSON.stringify(value) : String(value)}' cannot be converted to a number`);
      return n;
    }
    case 'boolean':
      return toBoolean(value);
    case 'array':
      return parseStructured(value, 'array');
    case 'object':
      return parseStructured(value, 'object');
  }
  return value;
}

/** The fields the item keeps before the new values are set. */
function baseJson(p: SetV3Params, item: Item, version: number): Record<string, unknown> {
  const include = version < 3.3 ? (p.include ?? 'all') : p.includeOtherFields ? (p.include ?? 'all') : 'none';
  if (include === 'all') return clone(item.json);
  if (include === 'none') return {};
  if (include === 'selected') {
    const out: Record<string, unknown> = {};
    for (const f of fieldList(p.includeFields)) {
      const v = getPath(item.json, f);
      if (v !== undefined) setPath(out, f, clone(v));
    }
    return out;
  }
  const out = clone(item.json);
  for (const f of fieldList(p.excludeFields)) unsetPath(out, f);
  return out;
}

function entries(p: SetV3Params, version: number): [string, unknown, string][] {
  if (p.mode === 'raw') {
    let raw = p.jsonOutput;
    if (typeof raw === 'string') {
      try {
        raw = JSON.parse(raw);
      } catch {
        throw new Error("The 'JSON Output' contains invalid JSON");
      }
    }
    if (!isObject(raw)) throw new Error("The 'JSON Output' must be an object");
    return Object.entries(raw).map(([k, v]) => [k, v, 'any']);
  }
  if (version < 3.3) {
    return (p.fields?.values ?? []).map((f) => {
      const type = f.type ?? 'stringValue';
      const fallback = type === 'booleanValue' ? 'true' : type === 'objectValue' ? '={}' : '';
      return [f.name, type in f ? (f as Record<string, unknown>)[type] : fallback, type];
    });
  }
  return (p.assignments?.assignments ?? []).map((a) => [a.name, a.value, a.type ?? 'string']);
}

function setV3(p: SetV3Params, item: Item, index: number, version: number): Item {
  const json = baseJson(p, item, version);
  const dots = p.options.dotNotation !== false;
  for (const [name, value, type] of entries(p, version)) {
    let v = value;
    if (type !== 'any') {
      try {
        v = convert(value, type);
      } catch (err) {
        if (!(err instanceof ConversionError) || !p.options.ignoreConversionErrors) throw new Error(`'${name}' expects a ${type.replace(/Value$/, '')} but we got ${err instanceof Error ? err.message : String(err)}`);
        v = value === undefined ? null : value;
      }
    }
    if (dots) setPath(json, name, v);
    else Object.defineProperty(json, name, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return { json, pairedItem: { item: index } };
}

function setV1(p: z.infer<typeof SetV1Params>, item: Item, index: number): Item {
  const json = p.keepOnlySet ? {} : clone(item.json);
  const dots = p.options.dotNotation !== false;
  const put = (name: string, value: unknown) => (dots ? setPath(json, name, value) : Object.defineProperty(json, name, { value, enumerable: true, writable: true, configurable: true }));
  for (const b of p.values.boolean ?? []) put(b.name, typeof b.value === 'string' ? b.value === 'true' : Boolean(b.value ?? false));
  for (const n of p.values.number ?? []) {
    const v = n.value ?? 0;
    put(n.name, typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v);
  }
  for (const s of p.values.string ?? []) put(s.name, s.value ?? '');
  return { json, pairedItem: { item: index } };
}

export const set: NodeType = {
  type: 'n8n-nodes-base.set',
  versions: [1, 2, 3, 3.1, 3.2, 3.3, 3.4],
  description: 'Sets fields on every item: values (v1, v2), typed fields (v3–3.2), assignments (3.3+) or raw JSON; keeps all, none, selected or all-but fields.',
  kind: 'activity',
  parameters: (v) => (v < 3 ? SetV1Params : SetV3Params),
  outputs: () => 1,
  execute: async (ctx) => {
    const version = ctx.node.typeVersion;
    const input = ctx.inputs[0] ?? [];
    const out: Item[] = [];
    input.forEach((item, i) => {
      try {
        if (version < 3) {
          out.push(setV1(ctx.params(i) as z.infer<typeof SetV1Params>, item, i));
          return;
        }
        const p = ctx.params(i) as SetV3Params;
        const made = setV3(p, item, i, version);
        const copies = p.duplicateItem ? (p.duplicateCount ?? 0) + 1 : 1;
        for (let c = 0; c < copies; c++) out.push(c === 0 ? made : clone(made));
      } catch (err) {
        if (!ctx.continueOnFail) throw err;
        out.push(itemError(err, i));
      }
    });
    return [out];
  },
};
