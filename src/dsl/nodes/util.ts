// Helpers the n8n node types share: field paths as n8n writes them (`a.b[0].c`), deep equality,
// field-name lists, and items paired with the input item they came from.
import type { Item } from '../types';

/** `a.b[0]["c d"]` → ['a', 'b', 0, 'c d'] (lodash's path syntax, which n8n uses). */
export function pathKeys(path: string): (string | number)[] {
  const keys: (string | number)[] = [];
  let i = 0;
  let cur = '';
  const flush = () => {
    if (cur !== '') keys.push(cur);
    cur = '';
  };
  while (i < path.length) {
    const ch = path[i]!;
    if (ch === '.') {
      flush();
      i++;
    } else if (ch === '[') {
      flush();
      const close = path.indexOf(']', i);
      if (close < 0) {
        cur += path.slice(i);
        break;
      }
      const inner = path.slice(i + 1, close);
      const q = inner[0];
      if ((q === '"' || q === "'") && inner.endsWith(q) && inner.length >= 2) keys.push(inner.slice(1, -1));
      else if (/^\d+$/.test(inner)) keys.push(Number(inner));
      else keys.push(inner);
      i = close + 1;
    } else {
      cur += ch;
      i++;
    }
  }
  flush();
  return keys;
}

const UNSAFE = new Set(['__proto__', 'constructor', 'prototype']);

export function getPath(value: unknown, path: string, dots = true): unknown {
  const keys = dots ? pathKeys(path) : [path];
  let cur = value;
  for (const k of keys) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (!Object.prototype.hasOwnProperty.call(cur, k)) return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}

/** Sets a value, creating objects (or arrays before a numeric key) on the way, as lodash's set. */
export function setPath(target: Record<string, unknown>, path: string, value: unknown, dots = true): void {
  const keys = dots ? pathKeys(path) : [path];
  if (keys.length === 0) return;
  if (keys.some((k) => typeof k === 'string' && UNSAFE.has(k))) {
    define(target, path, value);
    return;
  }
  let cur: Record<string | number, unknown> = target;
  for (let i = 0; i < keys.length - 1; i++) {
    const k = keys[i]!;
    const next = cur[k];
    if (next === null || typeof next !== 'object') cur[k] = typeof keys[i + 1] === 'number' ? [] : {};
    cur = cur[k] as Record<string | number, unknown>;
  }
  cur[keys[keys.length - 1]!] = value;
}

export function unsetPath(target: Record<string, unknown>, path: string, dots = true): void {
  const keys = dots ? pathKeys(path) : [path];
  let cur: unknown = target;
  for (let i = 0; i < keys.length - 1; i++) {
    if (cur === null || typeof cur !== 'object') return;
    cur = (cur as Record<string | number, unknown>)[keys[i]!];
  }
  if (cur !== null && typeof cur === 'object') delete (cur as Record<string | number, unknown>)[keys[keys.length - 1]!];
}

/** An own property even when the name is `__proto__`. */
export function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return Number.isNaN(a) && Number.isNaN(b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((x, i) => deepEqual(x, (b as unknown[])[i]));
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** Field names given as "a, b", ["a", "b"], or n8n's fixedCollection `{fields: [{fieldName}]}`. */
export function fieldList(value: unknown, key = 'fieldName'): string[] {
  if (value === undefined || value === null || value === '') return [];
  if (Array.isArray(value)) return value.flatMap((v) => fieldList(v, key));
  if (typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (Array.isArray(o.fields)) return o.fields.map((f) => String((f as Record<string, unknown>)[key] ?? '')).filter((f) => f !== '');
    if (typeof o[key] === 'string') return [o[key] as string];
    return [];
  }
  return String(value)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}



export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** An error on one item: the node fails, or with continueOnFail the item becomes `{error}`. */
export function itemError(err: unknown, index: number): Item {
  return { json: { error: err instanceof Error ? err.message : String(err) }, pairedItem: { item: index } };
}
