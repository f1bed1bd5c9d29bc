// n8n's conditions: the typed filter of If v2, Filter v2 and Switch v3 (with strict or loose type
// validation), and the legacy value1/operation/value2 comparisons of If v1, Filter v1 and
// Switch v1/v2.
import { DateTime } from 'luxon';
import { z } from 'zod';
import { deepEqual } from './util';

export const OPERATIONS: Record<string, string[]> = {
  string: ['exists', 'notExists', 'empty', 'notEmpty', 'equals', 'notEquals', 'contains', 'notContains', 'startsWith', 'notStartsWith', 'endsWith', 'notEndsWith', 'regex', 'notRegex'],
  number: ['exists', 'notExists', 'empty', 'notEmpty', 'equals', 'notEquals', 'gt', 'lt', 'gte', 'lte'],
  dateTime: ['exists', 'notExists', 'empty', 'notEmpty', 'equals', 'notEquals', 'after', 'before', 'afterOrEquals', 'beforeOrEquals'],
  boolean: ['exists', 'notExists', 'empty', 'notEmpty', 'true', 'false', 'equals', 'notEquals'],
  array: ['exists', 'notExists', 'empty', 'notEmpty', 'contains', 'notContains', 'lengthEquals', 'lengthNotEquals', 'lengthGt', 'lengthLt', 'lengthGte', 'lengthLte'],
  object: ['exists', 'notExists', 'empty', 'notEmpty'],
  any: ['exists', 'notExists', 'empty', 'notEmpty', 'equals', 'notEquals'],
};

export const Condition = z.looseObject({
  id: z.string().optional(),
  leftValue: z.unknown().optional(),
  rightValue: z.unknown().optional(),
  operator: z.looseObject({
    type: z.enum(['string', 'number', 'boolean', 'dateTime', 'array', 'object', 'any']),
    operation: z.string().min(1),
    singleValue: z.boolean().optional(),
    rightType: z.string().optional(),
  }),
});

export const Conditions = z.looseObject({
  options: z.looseObject({ caseSensitive: z.boolean().optional(), typeValidation: z.enum(['strict', 'loose']).optional(), version: z.number().optional() }).optional(),
  conditions: z.array(Condition).max(100).default([]),
  combinator: z.enum(['and', 'or']).default('and'),
});
export type Conditions = z.infer<typeof Conditions>;

/** Operations this build cannot evaluate, for the validator. */
export function unsupportedOperations(c: Conditions): string[] {
  return c.conditions.filter((x) => !(OPERATIONS[x.operator.type] ?? []).includes(x.operator.operation)).map((x) => `${x.operator.type}.${x.operator.operation}`);
}

export interface FilterOptions {
  caseSensitive: boolean;
  loose: boolean;
  /** Item index for error messages. */
  itemIndex: number;
}

export class FilterTypeError extends Error {
  override name = 'FilterTypeError';
}

function typeName(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v;
}

export function parseDate(v: unknown): DateTime | undefined {
  if (v instanceof Date) return DateTime.fromJSDate(v);
  if (typeof v === 'number') return DateTime.fromMillis(v);
  if (typeof v !== 'string' || v.trim() === '') return undefined;
  for (const d of [DateTime.fromISO(v, { setZone: true }), DateTime.fromRFC2822(v), DateTime.fromHTTP(v), DateTime.fromSQL(v)]) if (d.isValid) return d;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : DateTime.fromMillis(ms);
}

function toBoolean(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v === 1 ? true : v === 0 ? false : undefined;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (['true', '1', 'yes', 't', 'y'].includes(s)) return true;
    if (['false', '0', 'no', 'f', 'n'].includes(s)) return false;
  }
  return undefined;
}

function parseJson(v: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    try {
      return JSON.parse(v.replace(/'/g, '"'));
    } catch {
      return undefined;
    }
  }
}

/** Checks (strict) or converts (loose) a value to the operator's type; null and undefined pass. */
function typed(value: unknown, type: string, o: FilterOptions, index: number): unknown {
  if (type === 'any' || value === null || value === undefined) return value;
  const wrong = () =>
    new FilterTypeError(`Wrong type: '${typeof value === 'object' ? JSON.stringify(value) : String(value)}' is a ${typeName(value)} but was expecting a ${type === 'dateTime' ? 'dateTime' : type} [condition ${index}, item ${o.itemIndex}]`);
  switch (type) {
    case 'string':
      if (typeof value === 'string') return value;
      if (!o.loose) throw wrong();
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
    case 'number': {
      if (typeof value === 'number') return value;
      if (!o.loose) throw wrong();
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : typeof value === 'boolean' ? Number(value) : NaN;
      if (Number.isNaN(n)) throw wrong();
      return n;
    }
    case 'boolean': {
      if (typeof value === 'boolean') return value;
      if (!o.loose) throw wrong();
      const b = toBoolean(value);
      if (b === undefined) throw wrong();
      return b;
    }
    case 'dateTime': {
      if (typeof value === 'string' || value instanceof Date || (o.loose && typeof value === 'number')) {
        const d = parseDate(value);
        if (d !== undefined) return d;
      }
      throw wrong();
    }
    case 'array': {
      if (Array.isArray(value)) return value;
      if (o.loose && typeof value === 'string' && Array.isArray(parseJson(value))) return parseJson(value);
      throw wrong();
    }
    case 'object': {
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value;
      const parsed = o.loose && typeof value === 'string' ? parseJson(value) : undefined;
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed;
      throw wrong();
    }
  }
  return value;
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object' && !(v instanceof DateTime)) return Object.keys(v).length === 0;
  if (typeof v === 'number') return Number.isNaN(v);
  return false;
}

/** `/pattern/flags` or a bare pattern. */
export function toRegExp(source: unknown, ignoreCase = false): RegExp {
  const s = String(source ?? '');
  const m = /^\/(.*)\/([gimsuy]*)$/s.exec(s);
  const flags = (m ? m[2]! : '') + (ignoreCase && !(m?.[2] ?? '').includes('i') ? 'i' : '');
  return new RegExp(m ? m[1]! : s, flags.replace('g', ''));
}

function compareOne(type: string, op: string, left: unknown, right: unknown, o: FilterOptions): boolean {
  switch (op) {
    case 'exists':
      return left !== undefined && left !== null;
    case 'notExists':
      return left === undefined || left === null;
    case 'empty':
      return isEmpty(left);
    case 'notEmpty':
      return !isEmpty(left);
    case 'true':
      return left === true;
    case 'false':
      return left === false;
  }
  if (type === 'dateTime') {
    const [l, r] = [left as DateTime | undefined, right as DateTime | undefined];
    if (l === undefined || l === null || r === undefined || r === null) return op === 'notEquals' ? l !== r : false;
    const [a, b] = [l.toMillis(), r.toMillis()];
    return op === 'equals' ? a === b : op === 'notEquals' ? a !== b : op === 'after' ? a > b : op === 'before' ? a < b : op === 'afterOrEquals' ? a >= b : a <= b;
  }
  if (type === 'array') {
    const arr = Array.isArray(left) ? left : [];
    const n = Number(right);
    const has = () => arr.some((x) => (!o.caseSensitive && typeof x === 'string' && typeof right === 'string' ? x.toLowerCase() === right.toLowerCase() : deepEqual(x, right)));
    switch (op) {
      case 'contains': return has();
      case 'notContains': return !has();
      case 'lengthEquals': return arr.length === n;
      case 'lengthNotEquals': return arr.length !== n;
      case 'lengthGt': return arr.length > n;
      case 'lengthLt': return arr.length < n;
      case 'lengthGte': return arr.length >= n;
      case 'lengthLte': return arr.length <= n;
    }
  }
  if (type === 'number') {
    const [l, r] = [left as number, right as number];
    switch (op) {
      case 'equals': return l === r;
      case 'notEquals': return l !== r;
      case 'gt': return l > r;
      case 'lt': return l < r;
      case 'gte': return l >= r;
      case 'lte': return l <= r;
    }
  }
  if (type === 'string') {
    const fold = (v: unknown) => (v === undefined || v === null ? '' : o.caseSensitive ? String(v) : String(v).toLowerCase());
    const [l, r] = [fold(left), fold(right)];
    switch (op) {
      case 'equals': return l === r;
      case 'notEquals': return l !== r;
      case 'contains': return l.includes(r);
      case 'notContains': return !l.includes(r);
      case 'startsWith': return l.startsWith(r);
      case 'notStartsWith': return !l.startsWith(r);
      case 'endsWith': return l.endsWith(r);
      case 'notEndsWith': return !l.endsWith(r);
      case 'regex': return toRegExp(right, !o.caseSensitive).test(String(left ?? ''));
      case 'notRegex': return !toRegExp(right, !o.caseSensitive).test(String(left ?? ''));
    }
  }
  if (op === 'equals') return deepEqual(left, right);
  if (op === 'notEquals') return !deepEqual(left, right);
  throw new FilterTypeError(`unsupported condition operation '${type}.${op}'`);
}

const SINGLE = new Set(['exists', 'notExists', 'empty', 'notEmpty', 'true', 'false']);

/** Evaluates resolved filter conditions for one item (expressions already replaced by values). */
export function filterPasses(c: Conditions, o: FilterOptions): boolean {
  const results = c.conditions.map((x, i) => {
    const { type, operation } = x.operator;
    const left = typed(x.leftValue, type === 'dateTime' && SINGLE.has(operation) ? 'any' : type, o, i);
    const rightType = type === 'array' && !operation.startsWith('length') ? 'any' : type === 'array' ? 'number' : type;
    const right = SINGLE.has(operation) ? undefined : typed(x.rightValue, rightType, o, i);
    return compareOne(type, operation, left, right, o);
  });
  return c.combinator === 'or' ? results.some(Boolean) : results.every(Boolean);
}

/**
 * Filter options from the node's settings, else from the ones saved with the conditions: case
 * (options.ignoreCase, or v2.0's options.caseSensitive) and loose type validation.
 */
export function filterOptions(conditions: Conditions, options: { ignoreCase?: unknown; caseSensitive?: unknown } | undefined, loose: unknown, itemIndex: number): FilterOptions {
  const caseSensitive =
    options?.ignoreCase !== undefined ? options.ignoreCase !== true : options?.caseSensitive !== undefined ? options.caseSensitive !== false : conditions.options?.caseSensitive !== false;
  return { caseSensitive, loose: loose === true || (loose === undefined && conditions.options?.typeValidation === 'loose'), itemIndex };
}

// The legacy comparisons (If v1, Filter v1, Switch v1 and v2).

export type LegacyType = 'boolean' | 'number' | 'string' | 'dateTime';

function legacyDate(v: unknown): number {
  if (v instanceof DateTime) return v.toMillis();
  if (typeof v === 'number') return v;
  const d = parseDate(v);
  return d === undefined ? NaN : d.toMillis();
}

function legacyEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || Number.isNaN(v)) return true;
  return typeof v === 'object' && Object.keys(v as object).length === 0;
}

export function legacyCompare(type: LegacyType, op: string, v1: unknown, v2: unknown): boolean {
  if (type === 'dateTime') {
    const [a, b] = [legacyDate(v1), legacyDate(v2)];
    if (op === 'after') return a > b;
    if (op === 'before') return a < b;
  }
  const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  switch (op) {
    case 'equal': return v1 === v2;
    case 'notEqual': return v1 !== v2;
    case 'contains': return str(v1 || '').includes(str(v2 || ''));
    case 'notContains': return !str(v1 || '').includes(str(v2 || ''));
    case 'startsWith': return str(v1).startsWith(str(v2));
    case 'notStartsWith': return !str(v1).startsWith(str(v2));
    case 'endsWith': return str(v1).endsWith(str(v2));
    case 'notEndsWith': return !str(v1).endsWith(str(v2));
    case 'larger': return Number(v1 || 0) > Number(v2 || 0);
    case 'largerEqual': return Number(v1 || 0) >= Number(v2 || 0);
    case 'smaller': return Number(v1 || 0) < Number(v2 || 0);
    case 'smallerEqual': return Number(v1 || 0) <= Number(v2 || 0);
    case 'isEmpty': return legacyEmpty(v1);
    case 'isNotEmpty': return !legacyEmpty(v1);
    case 'regex': return toRegExp(v2).test(str(v1));
    case 'notRegex': return !toRegExp(v2).test(str(v1));
  }
  throw new FilterTypeError(`unsupported comparison '${op}' for ${type}`);
}

export const LegacyCondition = z.looseObject({ value1: z.unknown().optional(), operation: z.string().optional(), value2: z.unknown().optional() });
export const LegacyConditions = z.looseObject({
  boolean: z.array(LegacyCondition).optional(),
  number: z.array(LegacyCondition).optional(),
  string: z.array(LegacyCondition).optional(),
  dateTime: z.array(LegacyCondition).optional(),
});
export type LegacyConditions = z.infer<typeof LegacyConditions>;

const LEGACY_DEFAULT_OP: Record<LegacyType, string> = { boolean: 'equal', number: 'smaller', string: 'equal', dateTime: 'after' };
const LEGACY_DEFAULT_VALUE: Record<LegacyType, unknown> = { boolean: false, number: 0, string: '', dateTime: '' };

/** If v1 / Filter v1: every condition of every type, combined with all (AND) or any (OR). */
export function legacyPasses(c: LegacyConditions | undefined, any: boolean): boolean {
  const results: boolean[] = [];
  for (const type of ['boolean', 'dateTime', 'number', 'string'] as LegacyType[]) {
    for (const cond of c?.[type] ?? []) {
      const v1 = cond.value1 ?? LEGACY_DEFAULT_VALUE[type];
      const v2 = cond.value2 ?? LEGACY_DEFAULT_VALUE[type];
      results.push(legacyCompare(type, cond.operation ?? LEGACY_DEFAULT_OP[type], v1, v2));
      if (any && results[results.length - 1]) return true;
      if (!any && !results[results.length - 1]) return false;
    }
  }
  return any ? false : true;
}
