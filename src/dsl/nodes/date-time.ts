// Date & Time: v1 (format with moment-style tokens, or add/subtract) and v2 (current date, add,
// subtract, format, round, time between dates, extract a part), in the workflow's timezone.
import { DateTime, type DurationUnit } from 'luxon';
import { z } from 'zod';
import type { NodeType } from '../registry';
import type { Item } from '../types';
import { parseDate } from './conditions';
import { clone, itemError, setPath } from './util';

const Params = z.looseObject({});

/** A date from a value: ISO and other strings, epoch seconds or milliseconds (numbers or digit strings). */
export function toDate(value: unknown, zone: string, fromFormat?: string): DateTime | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (value instanceof DateTime) return value.setZone(zone);
  if (fromFormat && typeof value === 'string') {
    const d = DateTime.fromFormat(value, fromFormat, { zone });
    if (d.isValid) return d;
  }
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : undefined;
  // Epoch numbers below 10^11 are seconds (n8n's reading): 10^11 ms is only 1973.
  if (n !== undefined) return DateTime.fromMillis(Math.abs(n) < 1e11 ? n * 1000 : n, { zone });
  const d = parseDate(value);
  return d?.setZone(zone);
}

const MOMENT_TOKENS: [RegExp, string][] = [
  [/YYYY/g, 'yyyy'],
  [/YY/g, 'yy'],
  [/DDDD/g, 'ooo'],
  [/Do/g, 'd'],
  [/DD/g, 'dd'],
  [/(^|[^d])D(?!D)/g, '$1d'],
  [/dddd/g, 'EEEE'],
  [/ddd/g, 'EEE'],
  [/A/g, 'a'],
  [/X/g, 'X'],
  [/x/g, 'x'],
];

/** moment.js tokens (Date & Time v1) in Luxon's format syntax. */
function momentToLuxon(format: string): string {
  return MOMENT_TOKENS.reduce((f, [re, to]) => f.replace(re, to), format);
}

function format(d: DateTime, f: string): string | number {
  if (f === 'X') return Math.floor(d.toSeconds()).toString();
  if (f === 'x') return d.toMillis().toString();
  return d.toFormat(f);
}

const UNITS = ['years', 'quarters', 'months', 'weeks', 'days', 'hours', 'minutes', 'seconds', 'milliseconds'];

function v1(p: Record<string, unknown>, item: Item, zone: string): Item {
  const options = (p.options ?? {}) as { fromFormat?: string; fromTimezone?: string; toTimezone?: string };
  const field = (p.dataPropertyName as string) || 'data';
  const json = clone(item.json);
  const date = toDate(p.value, options.fromTimezone ?? zone, options.fromFormat ? momentToLuxon(options.fromFormat) : undefined);
  if (date === undefined || !date.isValid) {
    if (p.value === undefined || p.value === '') return { json };
    throw new Error(`The date input format could not be recognized: '${String(p.value)}'`);
  }
  if ((p.action ?? 'format') === 'calculate') {
    const unit = String(p.timeUnit ?? 'days');
    if (!UNITS.includes(unit)) throw new Error(`unknown time unit '${unit}'`);
    const amount = Number(p.duration ?? 0) * (p.operation === 'subtract' ? -1 : 1);
    setPath(json, field, date.plus({ [unit]: amount }).toUTC().toISO());
    return { json };
  }
  const to = options.toTimezone ? date.setZone(options.toTimezone) : date;
  setPath(json, field, format(to, momentToLuxon(String(p.toFormat || 'MM/DD/YYYY'))));
  return { json };
}

function v2(p: Record<string, unknown>, item: Item, zone: string): Item {
  const op = String(p.operation ?? 'getCurrentDate');
  const options = (p.options ?? {}) as { includeInputFields?: boolean; timezone?: unknown; fromFormat?: string; isoString?: boolean };
  const json: Record<string, unknown> = options.includeInputFields ? clone(item.json) : {};
  const tz = op === 'getCurrentDate' && typeof options.timezone === 'string' && options.timezone ? options.timezone : zone;
  const fromFormat = options.fromFormat && !options.fromFormat.startsWith('e.g') ? options.fromFormat : undefined;
  const outName = (fallback: string) => (p.outputFieldName as string) || fallback;
  const dateOf = (v: unknown) => {
    const d = toDate(v, tz, fromFormat);
    if (d !== undefined && !d.isValid) throw new Error(`The date '${String(v)}' is not valid`);
    return d;
  };
  switch (op) {
    case 'getCurrentDate': {
      const now = DateTime.now().setZone(tz);
      setPath(json, outName('currentDate'), (p.includeTime === false ? now.startOf('day') : now).toISO());
      break;
    }
    case 'addToDate':
    case 'subtractFromDate': {
      const d = dateOf(p.magnitude);
      const unit = String(p.timeUnit ?? 'days');
      const amount = Number(p.duration ?? 0) * (op === 'subtractFromDate' ? -1 : 1);
      setPath(json, outName('newDate'), d === undefined ? null : d.plus({ [unit]: amount }).toISO());
      break;
    }
    case 'formatDate': {
      const d = dateOf(p.date);
      const f = p.format === 'custom' ? String(p.customFormat ?? '') : String(p.format ?? 'MM/dd/yyyy');
      setPath(json, outName('formattedDate'), d === undefined ? null : format(options.timezone === true ? d : d, f));
      break;
    }
    case 'roundDate': {
      const d = dateOf(p.date);
      const unit = String((p.mode === 'roundUp' ? p.to : p.toNearest) ?? 'month') as DurationUnit;
      const r = d === undefined ? null : p.mode === 'roundUp' ? d.endOf(unit as 'month').plus({ milliseconds: 1 }) : d.startOf(unit as 'month');
      setPath(json, outName('roundedDate'), r === null ? null : r.toISO());
      break;
    }
    case 'getTimeBetweenDates': {
      const [a, b] = [dateOf(p.startDate), dateOf(p.endDate)];
      const units = ((p.units as string[]) ?? ['day']).map((u) => `${u}s`) as DurationUnit[];
      if (a === undefined || b === undefined) setPath(json, outName('timeDifference'), null);
      else {
        const diff = b.diff(a, units);
        setPath(json, outName('timeDifference'), options.isoString ? diff.toISO() : diff.toObject());
      }
      break;
    }
    case 'extractDate': {
      const d = dateOf(p.date);
      const part = String(p.part ?? 'month');
      setPath(json, outName('datePart'), d === undefined ? null : part === 'week' ? d.weekNumber : d.get(part as 'month'));
      break;
    }
    default:
      throw new Error(`operation '${op}' is not supported`);
  }
  return { json };
}

export const dateTime: NodeType = {
  type: 'n8n-nodes-base.dateTime',
  versions: [1, 2],
  description: 'Formats, shifts, rounds and compares dates in the workflow timezone (v1 moment-style formats, v2 Luxon formats).',
  kind: 'activity',
  parameters: Params,
  outputs: () => 1,
  execute: async (ctx) => {
    const out: Item[] = [];
    (ctx.inputs[0] ?? []).forEach((item, i) => {
      try {
        const p = ctx.params(i) as Record<string, unknown>;
        out.push({ ...(ctx.node.typeVersion < 2 ? v1(p, item, ctx.timezone) : v2(p, item, ctx.timezone)), pairedItem: { item: i } });
      } catch (err) {
        if (!ctx.continueOnFail) throw err;
        out.push(itemError(err, i));
      }
    });
    return [out];
  },
};
