// The action-seconds quota: every action step adds its duration to logstore.quota_logs, and a
// run is refused when its instance has used up the configured seconds of the calendar month (UTC).
// A refusal is logged too (allowed = false, nothing used), so a tenant can see what was turned away.
import type { TenantCtx } from '../context';
import { transaction, type Tx } from '../db/db';
import { QuotaExceededError } from '../errors';

const MONTH_START = `date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`;

export async function usedActionSeconds(tx: Tx, instanceId: string, orgId?: string): Promise<number> {
  const { rows } = await tx.query<{ used: number }>(
    `SELECT COALESCE(SUM(amount), 0)::float8 AS used FROM logstore.quota_logs
      WHERE instance_id = $1 AND unit = 'action_seconds' AND created_at >= ${MONTH_START} AND ($2::text IS NULL OR org_id = $2)`,
    [instanceId, orgId ?? null],
  );
  return rows[0]?.used ?? 0;
}

export async function recordActionSeconds(
  tx: Tx,
  r: { instanceId: string; orgId: string | null; runId: string; actionId: string; seconds: number },
): Promise<void> {
  await tx.query(
    `INSERT INTO logstore.quota_logs (instance_id, org_id, unit, amount, run_id, action_id) VALUES ($1, $2, 'action_seconds', $3, $4, $5)`,
    [r.instanceId, r.orgId, r.seconds, r.runId, r.actionId],
  );
}

/** The instance's action-seconds per month (its own limit, or the installation's); 0 means no quota. */
async function quotaOf(tx: Tx, ctx: TenantCtx): Promise<number> {
  const { rows } = await tx.query<{ quota: number | null }>('SELECT action_quota_seconds AS quota FROM instances WHERE id = $1', [ctx.tenant.instanceId]);
  return rows[0]?.quota ?? ctx.config.actions.quotaSecondsPerMonth;
}

/** Refuses (429) a run of an instance whose quota is used up, and logs the refusal. */
export async function checkQuota(ctx: TenantCtx): Promise<void> {
  const { instanceId, orgId } = ctx.tenant;
  const refused = await transaction(ctx.db, ctx.tenant, async (tx) => {
    const quota = await quotaOf(tx, ctx);
    if (quota === 0) return;
    const used = await usedActionSeconds(tx, instanceId);
    if (used < quota) return;
    const reason = `the action-seconds quota of this instance is used up for this month (${used.toFixed(1)} of ${quota} s)`;
    await tx.query(`INSERT INTO logstore.quota_logs (instance_id, org_id, unit, amount, allowed, reason) VALUES ($1, $2, 'action_seconds', 0, false, $3)`, [instanceId, orgId, reason]);
    return reason;
  });
  if (refused !== undefined) throw new QuotaExceededError(refused);
}

export interface QuotaUsage {
  unit: 'action_seconds';
  periodStart: string;
  periodEnd: string;
  used: number;
  /** null: no quota. */
  limit: number | null;
  remaining: number | null;
  /** What the caller's org used of it; null for an instance-level call. */
  usedByOrg: number | null;
}

export async function quotaUsage(ctx: TenantCtx): Promise<QuotaUsage> {
  const { instanceId, orgId } = ctx.tenant;
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    const quota = await quotaOf(tx, ctx);
    const { rows } = await tx.query<{ start: Date; end: Date }>(`SELECT ${MONTH_START} AS start, (${MONTH_START}) + interval '1 month' AS "end"`);
    const used = await usedActionSeconds(tx, instanceId);
    return {
      unit: 'action_seconds',
      periodStart: rows[0]!.start.toISOString(),
      periodEnd: rows[0]!.end.toISOString(),
      used,
      limit: quota === 0 ? null : quota,
      remaining: quota === 0 ? null : Math.max(0, quota - used),
      usedByOrg: orgId === null ? null : await usedActionSeconds(tx, instanceId, orgId),
    };
  });
}
