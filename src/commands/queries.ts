// The read side of the command bus: commands, counts, the audit trail, the troubleshooting
// queue and batches. Every query is tenant-scoped; an org-scoped caller sees its org only.
import type { Tenant, TenantCtx } from '../context';
import { CadenzaError, NotFoundError } from '../errors';
import { transaction, type Tx } from '../db/db';
import { readAggregate } from '../eventstore/eventstore';
import { decodeCursor, toPage, type CursorShape, type Page } from '../pagination';
import { visibleOrgKey, visibleSql } from '../tenancy/scope';
import { commandAggregateId, commandWorkflowId, COMMAND_STATUSES, type CommandError, type CommandStatus, type RetryPolicy, type TsqReason } from './model';
import type { CommandView } from './view';

const COMMAND_CURSOR: CursorShape = ['time', 'text', 'text'];

export interface CommandRow {
  instance_id: string;
  org_id: string | null;
  domain: string;
  command_id: string;
  type: string;
  status: CommandStatus;
  correlation_id: string;
  reply_to: string | null;
  batch_id: string | null;
  payload: unknown;
  request_hash: string;
  policy: RetryPolicy;
  attempts: number;
  total_attempts: number;
  max_attempts: number;
  last_error: CommandError | null;
  tsq_reason: TsqReason | null;
  result: unknown;
  next_attempt_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export function toCommand(r: CommandRow): CommandView {
  return {
    domain: r.domain,
    commandId: r.command_id,
    type: r.type,
    status: r.status,
    orgId: r.org_id,
    correlationId: r.correlation_id,
    replyTo: r.reply_to,
    batchId: r.batch_id,
    payload: r.payload,
    attempts: r.attempts,
    totalAttempts: r.total_attempts,
    maxAttempts: r.max_attempts,
    lastError: r.last_error,
    tsqReason: r.tsq_reason,
    result: r.result,
    nextAttemptAt: r.next_attempt_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    workflowId: commandWorkflowId(r.instance_id, r.domain, r.command_id, r.org_id),
  };
}

export async function getCommand(ctx: TenantCtx, domain: string, commandId: string): Promise<CommandView> {
  return toCommand(await findCommandRow(ctx, domain, commandId));
}

/**
 * The command the caller names. Ids are unique per org: an org call finds its org's command; an
 * instance-wide call without an org finds the one command of that id in any org, and asks for
 * X-Cadenza-Org when several orgs use the id.
 */
export async function findCommandRow(ctx: TenantCtx, domain: string, commandId: string): Promise<CommandRow> {
  return transaction(ctx.db, ctx.tenant, (tx) => findCommandRowIn(tx, ctx.tenant, domain, commandId));
}

/** findCommandRow in the caller's transaction. */
export async function findCommandRowIn(tx: Tx, tenant: Tenant, domain: string, commandId: string): Promise<CommandRow> {
  const { rows } = await tx.query<CommandRow>(`SELECT * FROM commands WHERE instance_id = $1 AND domain = $2 AND command_id = $3 AND ${visibleSql(4)} LIMIT 2`, [
    tenant.instanceId,
    domain,
    commandId,
    visibleOrgKey(tenant),
  ]);
  if (rows[0] === undefined) throw new NotFoundError('command', `${domain}/${commandId}`);
  if (rows.length > 1) throw ambiguous('command', `${domain}/${commandId}`);
  return rows[0];
}

function ambiguous(what: string, id: string): CadenzaError {
  return new CadenzaError('conflict', `several orgs have a ${what} '${id}'; name one with the X-Cadenza-Org header`, [
    { field: 'headers.x-cadenza-org', message: 'is required: this id is used in several orgs' },
  ]);
}

export interface CommandFilter {
  status?: CommandStatus;
  domain?: string;
  type?: string;
  correlationId?: string;
  batchId?: string;
  createdAfter?: string;
  createdBefore?: string;
  limit: number;
  cursor?: string;
}

/** Newest first, keyset-paginated on (created_at, domain, command_id), served by the indexes. */
export async function listCommands(ctx: TenantCtx, f: CommandFilter): Promise<Page<CommandView>> {
  const after = decodeCursor(f.cursor, COMMAND_CURSOR);
  const { tenant } = ctx;
  return transaction(ctx.db, tenant, async (tx) => {
    const { rows } = await tx.query<CommandRow>(
      `SELECT * FROM commands
        WHERE instance_id = $1
          AND ${visibleSql(2)}
          AND ($3::text IS NULL OR status = $3)
          AND ($4::text IS NULL OR domain = $4)
          AND ($5::text IS NULL OR type = $5)
          AND ($6::text IS NULL OR correlation_id = $6)
          AND ($7::text IS NULL OR batch_id = $7)
          AND ($8::timestamptz IS NULL OR created_at >= $8)
          AND ($9::timestamptz IS NULL OR created_at < $9)
          AND ($10::timestamptz IS NULL OR (created_at, domain, command_id) < ($10, $11, $12))
        ORDER BY created_at DESC, domain DESC, command_id DESC
        LIMIT $13`,
      [
        tenant.instanceId,
        visibleOrgKey(tenant),
        f.status ?? null,
        f.domain ?? null,
        f.type ?? null,
        f.correlationId ?? null,
        f.batchId ?? null,
        f.createdAfter ?? null,
        f.createdBefore ?? null,
        after?.[0] ?? null,
        after?.[1] ?? null,
        after?.[2] ?? null,
        f.limit + 1,
      ],
    );
    return toPage(rows, f.limit, toCommand, (r) => [r.created_at.toISOString(), r.domain, r.command_id]);
  });
}

export async function countCommands(ctx: TenantCtx, f: { domain?: string; type?: string }): Promise<Record<CommandStatus, number>> {
  const { tenant } = ctx;
  const rows = await transaction(ctx.db, tenant, async (tx) => {
    const res = await tx.query<{ status: CommandStatus; n: number }>(
      `SELECT status, count(*)::int AS n FROM commands
        WHERE instance_id = $1 AND ${visibleSql(2)} AND ($3::text IS NULL OR domain = $3) AND ($4::text IS NULL OR type = $4)
        GROUP BY status`,
      [tenant.instanceId, visibleOrgKey(tenant), f.domain ?? null, f.type ?? null],
    );
    return res.rows;
  });
  const counts = Object.fromEntries(COMMAND_STATUSES.map((s) => [s, 0])) as Record<CommandStatus, number>;
  for (const r of rows) counts[r.status] = r.n;
  return counts;
}

export interface AuditEntry {
  sequence: number;
  type: string;
  payload: Record<string, unknown>;
  creator: string;
  createdAt: string;
}

/** A command's audit trail in order, a page at a time (the cursor is the last sequence served). */
export async function commandAudit(ctx: TenantCtx, domain: string, commandId: string, page: { limit: number; cursor?: string }): Promise<Page<AuditEntry>> {
  const after = decodeCursor(page.cursor, ['int']);
  const row = await findCommandRow(ctx, domain, commandId);
  const events = await transaction(ctx.db, ctx.tenant, (tx) =>
    readAggregate(tx, ctx.tenant.instanceId, 'command', commandAggregateId(domain, commandId, row.org_id), { afterSequence: (after?.[0] as number) ?? 0, limit: page.limit + 1 }),
  );
  const toEntry = (e: (typeof events)[number]): AuditEntry => ({ sequence: e.sequence, type: e.type, payload: e.payload, creator: e.creator, createdAt: e.createdAt.toISOString() });
  return toPage(events, page.limit, toEntry, (e) => [e.sequence]);
}

/** The troubleshooting queue: newest entries first, with payload, last error and attempts. */
export interface TroubleshootingFilter {
  domain?: string;
  type?: string;
  tsqReason?: TsqReason;
}

export async function listTroubleshooting(ctx: TenantCtx, f: TroubleshootingFilter & { limit: number; cursor?: string }): Promise<Page<CommandView>> {
  const after = decodeCursor(f.cursor, COMMAND_CURSOR);
  const { tenant } = ctx;
  return transaction(ctx.db, tenant, async (tx) => {
    const { rows } = await tx.query<CommandRow>(
      `SELECT * FROM commands
        WHERE instance_id = $1 AND status = 'IN_TROUBLESHOOTING_QUEUE'
          AND ${visibleSql(2)}
          AND ($3::text IS NULL OR domain = $3)
          AND ($4::text IS NULL OR type = $4)
          AND ($5::text IS NULL OR tsq_reason = $5)
          AND ($6::timestamptz IS NULL OR (updated_at, domain, command_id) < ($6, $7, $8))
        ORDER BY updated_at DESC, domain DESC, command_id DESC
        LIMIT $9`,
      [tenant.instanceId, visibleOrgKey(tenant), f.domain ?? null, f.type ?? null, f.tsqReason ?? null, after?.[0] ?? null, after?.[1] ?? null, after?.[2] ?? null, f.limit + 1],
    );
    return toPage(rows, f.limit, toCommand, (r) => [r.updated_at.toISOString(), r.domain, r.command_id]);
  });
}

export interface TroubleshootingCount {
  domain: string;
  type: string;
  tsqReason: TsqReason;
  count: number;
}

/** Most groups the depth query returns; the largest first. */
export const TROUBLESHOOTING_COUNT_GROUPS = 500;

/** The depth of the troubleshooting queue per domain, type and reason, largest first. */
export async function countTroubleshooting(ctx: TenantCtx): Promise<{ items: TroubleshootingCount[]; total: number; truncated: boolean }> {
  const { tenant } = ctx;
  const rows = await transaction(ctx.db, tenant, async (tx) => {
    const res = await tx.query<{ domain: string; type: string; tsq_reason: TsqReason; n: number }>(
      `SELECT domain, type, tsq_reason, count(*)::int AS n FROM commands
        WHERE instance_id = $1 AND status = 'IN_TROUBLESHOOTING_QUEUE' AND ${visibleSql(2)}
        GROUP BY domain, type, tsq_reason
        ORDER BY n DESC, domain, type, tsq_reason`,
      [tenant.instanceId, visibleOrgKey(tenant)],
    );
    return res.rows;
  });
  return {
    items: rows.slice(0, TROUBLESHOOTING_COUNT_GROUPS).map((r) => ({ domain: r.domain, type: r.type, tsqReason: r.tsq_reason, count: r.n })),
    total: rows.reduce((sum, r) => sum + r.n, 0),
    truncated: rows.length > TROUBLESHOOTING_COUNT_GROUPS,
  };
}

export interface BatchView {
  batchId: string;
  status: string;
  total: number;
  counts: Record<CommandStatus, number>;
  replyTo: string | null;
  createdAt: string;
  completedAt: string | null;
}

export async function getBatch(ctx: TenantCtx, batchId: string): Promise<BatchView> {
  const { tenant } = ctx;
  const found = await transaction(ctx.db, tenant, async (tx) => {
    const { rows } = await tx.query<{ batch_id: string; org_key: string; status: string; total: number; reply_to: string | null; created_at: Date; completed_at: Date | null }>(
      `SELECT * FROM batches WHERE instance_id = $1 AND batch_id = $2 AND ${visibleSql(3)} LIMIT 2`,
      [tenant.instanceId, batchId, visibleOrgKey(tenant)],
    );
    if (rows[0] === undefined) return undefined;
    if (rows.length > 1) throw ambiguous('batch', batchId);
    const counts = await tx.query<{ status: CommandStatus; n: number }>(
      'SELECT status, count(*)::int AS n FROM commands WHERE instance_id = $1 AND org_key = $2 AND batch_id = $3 GROUP BY status',
      [tenant.instanceId, rows[0].org_key, batchId],
    );
    return { batch: rows[0], counts: counts.rows };
  });
  if (found === undefined) throw new NotFoundError('batch', batchId);
  const counts = Object.fromEntries(COMMAND_STATUSES.map((s) => [s, 0])) as Record<CommandStatus, number>;
  for (const r of found.counts) counts[r.status] = r.n;
  const b = found.batch;
  return {
    batchId: b.batch_id,
    status: b.status,
    total: b.total,
    counts,
    replyTo: b.reply_to,
    createdAt: b.created_at.toISOString(),
    completedAt: b.completed_at?.toISOString() ?? null,
  };
}
