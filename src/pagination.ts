// Keyset pagination: a cursor is the opaque, base64url-encoded sort key of the last row served.
import { ValidationError } from './errors';

/** The largest page any list serves (the API's `limit` query parameter). */
export const PAGE_MAX = 500;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The types of a cursor's sort key, checked before it reaches SQL: time (ISO 8601), text or int. */
export type CursorShape = readonly ('time' | 'text' | 'int')[];

export const TIME_ID: CursorShape = ['time', 'text'];

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

const fits: Record<CursorShape[number], (v: unknown) => boolean> = {
  time: (v) => typeof v === 'string' && ISO_TIME.test(v) && !Number.isNaN(Date.parse(v)),
  text: (v) => typeof v === 'string' && v.length <= 1000,
  int: (v) => Number.isSafeInteger(v),
};

export function encodeCursor(key: unknown[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined, shape: CursorShape, field = 'query.cursor'): unknown[] | undefined {
  if (cursor === undefined) return undefined;
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(key) && key.length === shape.length && shape.every((type, i) => fits[type](key[i]))) return key;
  } catch {
    // fall through to the validation error
  }
  throw ValidationError.field(field, 'is not a cursor this API returned');
}

/** Given limit+1 fetched rows, returns the page and the cursor of its last row. */
export function toPage<R, T>(rows: R[], limit: number, map: (row: R) => T, keyOf: (row: R) => unknown[]): Page<T> {
  const more = rows.length > limit;
  const pageRows = more ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return { items: pageRows.map(map), nextCursor: more && last !== undefined ? encodeCursor(keyOf(last)) : null };
}
