// Loads a history saved with `temporal workflow show --output json` into a History message.
// The SDK's own JSON loader needs protobufjs's protojson extension of the same copy as
// @temporalio/proto, which this install lacks, so the two proto3-JSON forms that differ from
// protobufjs' object form (Timestamp and Duration strings) are converted here by reflection.
import type { temporal } from '@temporalio/proto';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const root = require('@temporalio/proto/protos/json-module') as { lookupType(name: string): ProtoType };

interface ProtoField {
  name: string;
  repeated: boolean;
  map: boolean;
  resolve(): ProtoField;
  resolvedType: ProtoType | null;
}
interface ProtoType {
  fullName: string;
  fields: Record<string, ProtoField>;
  fromObject(o: unknown): unknown;
}

function timestamp(s: string): { seconds: string; nanos: number } {
  const m = /^(.*?)(?:\.(\d+))?Z$/.exec(s)!;
  return { seconds: String(Math.floor(Date.parse(`${m[1]}Z`) / 1000)), nanos: Number((m[2] ?? '').padEnd(9, '0').slice(0, 9)) };
}

function duration(s: string): { seconds: string; nanos: number } {
  const [whole = '0', frac = ''] = s.replace(/s$/, '').split('.');
  return { seconds: whole, nanos: Number(frac.padEnd(9, '0').slice(0, 9)) };
}

function convert(type: ProtoType, value: unknown): unknown {
  if (type.fullName === '.google.protobuf.Timestamp' && typeof value === 'string') return timestamp(value);
  if (type.fullName === '.google.protobuf.Duration' && typeof value === 'string') return duration(value);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const field = type.fields[k]?.resolve();
    const sub = field?.resolvedType;
    if (!sub || !('fields' in sub)) out[k] = v;
    else if (field.map) out[k] = Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([mk, mv]) => [mk, convert(sub, mv)]));
    else if (field.repeated) out[k] = (v as unknown[]).map((x) => convert(sub, x));
    else out[k] = convert(sub, v);
  }
  return out;
}

export function loadHistory(json: unknown): temporal.api.history.v1.History {
  const type = root.lookupType('temporal.api.history.v1.History');
  return type.fromObject(convert(type, json)) as temporal.api.history.v1.History;
}
