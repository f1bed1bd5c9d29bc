// The read side of the logstore: API requests, script log lines and quota use (with refusals),
// each paged newest first by id. An org call sees its org's rows; an instance-wide call every
// row of its instance. Rows without an instance (unauthenticated requests) are never served.
import type { TenantCtx } from '../context';
import { transaction } from '../db/db';
import { decodeCursor, toPage, type Page } from '../pagination';
import { visibleOrgKey } from '../tenancy/scope';
import type { RequestLogEntry } from './requests';

const ID: readonly ['int'] = ['int'];

interface Range {
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

/** WHERE clauses and their parameters, numbered as they are added. */
class Where {
  readonly clauses: string[] = [];
  readonly values: unknown[] = [];
  add(sql: (n: string) => string, value: unknown): void {
    if (value === undefined) return;
    this.values.push(value);
    this.clauses.push(sql(`$${this.values.length}`));
  }
}

/** Instance, org, date range and cursor: what every log read filters on. */
function scoped(ctx: TenantCtx, input: Range): Where {
  const w = new Where();
  w.add((n) => `instance_id = ${n}`, ctx.tenant.instanceId);
  w.add((n) => `org_id = ${n}`, visibleOrgKey(ctx.tenant) ?? undefined);
  w.add((n) => `created_at >= ${n}`, input.from);
  w.add((n) => `created_at < ${n}`, input.to);
  w.add((n) => `id < ${n}`, decodeCursor(input.cursor, ID)?.[0]);
  return w;
}

async function page<R extends { id: string }, T>(ctx: TenantCtx, table: string, w: Where, limit: number, map: (r: R) => T): Promise<Page<T>> {
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    const { rows } = await tx.query<R>(`SELECT * FROM logstore.${table} WHERE ${w.clauses.join(' AND ')} ORDER BY id DESC LIMIT ${Number(limit) + 1}`, w.values);
    return toPage(rows, limit, map, (r) => [Number(r.id)]);
  });
}

/** A request log row as the API serves it: the entry the writer stored, with its id and time. */
export interface RequestLog extends Omit<RequestLogEntry, 'instanceId'> {
  id: string;
  createdAt: string;
}

interface RequestRow {
  id: string;
  org_id: string | null;
  key_id: string | null;
  request_id: string;
  correlation_id: string | null;
  method: string;
  route: string | null;
  path: string;
  status: number;
  duration_ms: number;
  created_at: Date;
}

export async function listRequestLogs(ctx: TenantCtx, input: Range & { status?: number; route?: string; method?: string }): Promise<Page<RequestLog>> {
  const w = scoped(ctx, input);
  w.add((n) => `status = ${n}`, input.status);
  w.add((n) => `route = ${n}`, input.route);
  w.add((n) => `method = ${n}`, input.method);
  return page<RequestRow, RequestLog>(ctx, 'requests', w, input.limit, (r) => ({
    id: String(r.id),
    orgId: r.org_id,
    keyId: r.key_id,
    requestId: r.request_id,
    correlationId: r.correlation_id,
    method: r.method,
    route: r.route,
    path: r.path,
    status: r.status,
    durationMs: r.duration_ms,
    createdAt: r.created_at.toISOString(),
  }));
}

export interface ExecutionLog {
  id: string;
  orgId: string | null;
  runId: string;
  actionId: string;
  actionVersion: number;
  level: string;
  message: string;
  loggedAt: string;
  createdAt: string;
}

interface ExecutionLogRow {
  id: string;
  org_id: string | null;
  run_id: string;
  action_id: string;
  action_version: number;
  level: string;
  message: string;
  logged_at: Date;
  created_at: Date;
}

export async function listExecutionLogs(ctx: TenantCtx, input: Range & { level?: string; runId?: string; actionId?: string }): Promise<Page<ExecutionLog>> {
  const w = scoped(ctx, input);
  w.add((n) => `level = ${n}`, input.level);
  w.add((n) => `run_id = ${n}`, input.runId);
  w.add((n) => `action_id = ${n}`, input.actionId);
  return page<ExecutionLogRow, ExecutionLog>(ctx, 'execution_logs', w, input.limit, (r) => ({
    id: String(r.id),
    orgId: r.org_id,
    runId: r.run_id,
    actionId: r.action_id,
    actionVersion: r.action_version,
    level: r.level,
    message: r.message,
    loggedAt: r.logged_at.toISOString(),
    createdAt: r.created_at.toISOString(),
  }));
}

export interface QuotaLog {
  id: string;
  orgId: string | null;
  unit: string;
  amount: number;
  allowed: boolean;
  reason: string | null;
  runId: string | null;
  actionId: string | null;
  createdAt: string;
}

interface QuotaLogRow {
  id: string;
  org_id: string | null;
  unit: string;
  amount: number;
  allowed: boolean;
  reason: string | null;
  run_id: string | null;
  action_id: string | null;
  created_at: Date;
}

export async function listQuotaLogs(ctx: TenantCtx, input: Range & { allowed?: boolean; runId?: string }): Promise<Page<QuotaLog>> {
  const w = scoped(ctx, input);
  w.add((n) => `allowed = ${n}`, input.allowed);
  w.add((n) => `run_id = ${n}`, input.runId);
  return page<QuotaLogRow, QuotaLog>(ctx, 'quota_logs', w, input.limit, (r) => ({
    id: String(r.id),
    orgId: r.org_id,
    unit: r.unit,
    amount: r.amount,
    allowed: r.allowed,
    reason: r.reason,
    runId: r.run_id,
    actionId: r.action_id,
    createdAt: r.created_at.toISOString(),
  }));
}
