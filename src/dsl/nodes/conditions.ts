// n8n's filter conditions (If v2, Switch v3): typed comparisons combined with and/or.
import { z } from 'zod';

export const Condition = z.looseObject({
  id: z.string().optional(),
  leftValue: z.unknown().optional(),
  rightValue: z.unknown().optional(),
  operator: z.looseObject({
    type: z.enum(['string', 'number', 'boolean', 'dateTime', 'array', 'object', 'any']),
    operation: z.string().min(1),
    singleValue: z.boolean().optional(),
  }),
});

export const Conditions = z.looseObject({
  options: z.looseObject({ caseSensitive: z.boolean().optional() }).optional(),
  conditions: z.array(Condition).max(100),
  combinator: z.enum(['and', 'or']).default('and'),
});
export type Conditions = z.infer<typeof Conditions>;

const SUPPORTED = new Set([
  'equals', 'notEquals', 'gt', 'gte', 'lt', 'lte', 'contains', 'notContains', 'startsWith', 'notStartsWith',
  'endsWith', 'notEndsWith', 'exists', 'notExists', 'empty', 'notEmpty', 'true', 'false', 'after', 'before',
  'lengthEquals', 'lengthGt', 'lengthLt',
]);

/** Issues for operations this build cannot evaluate (reported by the validator). */
export function unsupportedOperations(c: Conditions): string[] {
  return c.conditions.filter((x) => !SUPPORTED.has(x.operator.operation)).map((x) => x.operator.operation);
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : Number(v);
}

function time(v: unknown): number {
  return typeof v === 'number' ? v : Date.parse(String(v));
}

function compare(type: string, op: string, left: unknown, right: unknown, caseSensitive: boolean): boolean {
  const str = (v: unknown) => (caseSensitive ? String(v ?? '') : String(v ?? '').toLowerCase());
  switch (op) {
    case 'exists': return left !== undefined && left !== null;
    case 'notExists': return left === undefined || left === null;
    case 'empty': return isEmpty(left);
    case 'notEmpty': return !isEmpty(left);
    case 'true': return left === true || left === 'true';
    case 'false': return left === false || left === 'false';
    case 'lengthEquals': return Array.isArray(left) && left.length === num(right);
    case 'lengthGt': return Array.isArray(left) && left.length > num(right);
    case 'lengthLt': return Array.isArray(left) && left.length < num(right);
    case 'after': return time(left) > time(right);
    case 'before': return time(left) < time(right);
  }
  if (type === 'number') {
    const [l, r] = [num(left), num(right)];
    if (op === 'equals') return l === r;
    if (op === 'notEquals') return l !== r;
    if (op === 'gt') return l > r;
    if (op === 'gte') return l >= r;
    if (op === 'lt') return l < r;
    if (op === 'lte') return l <= r;
  }
  if (type === 'array') {
    const arr = Array.isArray(left) ? left : [];
    if (op === 'contains') return arr.some((x) => JSON.stringify(x) === JSON.stringify(right));
    if (op === 'notContains') return !arr.some((x) => JSON.stringify(x) === JSON.stringify(right));
  }
  if (type === 'boolean' || type === 'object' || type === 'any') {
    if (op === 'equals') return JSON.stringify(left) === JSON.stringify(right);
    if (op === 'notEquals') return JSON.stringify(left) !== JSON.stringify(right);
  }
  const [l, r] = [str(left), str(right)];
  switch (op) {
    case 'equals': return l === r;
    case 'notEquals': return l !== r;
    case 'contains': return l.includes(r);
    case 'notContains': return !l.includes(r);
    case 'startsWith': return l.startsWith(r);
    case 'notStartsWith': return !l.startsWith(r);
    case 'endsWith': return l.endsWith(r);
    case 'notEndsWith': return !l.endsWith(r);
    case 'gt': return l > r;
    case 'gte': return l >= r;
    case 'lt': return l < r;
    case 'lte': return l <= r;
  }
  throw new Error(`unsupported condition operation '${op}'`);
}

/** Evaluates resolved conditions (expressions already replaced by values). */
export function conditionsHold(c: Conditions): boolean {
  const caseSensitive = c.options?.caseSensitive ?? true;
  const results = c.conditions.map((x) => compare(x.operator.type, x.operator.operation, x.leftValue, x.rightValue, caseSensitive));
  return c.combinator === 'or' ? results.some(Boolean) : results.every(Boolean);
}
