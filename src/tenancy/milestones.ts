// Milestones, read: the caller's own scope only. An org call (an org key, or an instance-wide key
// with X-Cadenza-Org) sees its org's milestones; an instance-level call sees the instance's. An
// org key never sees the instance's: they tell when other orgs first did something.
import type { TenantCtx } from '../context';
import { transaction } from '../db/db';
import { MILESTONES } from '../eventstore/milestones';
import { orgKey } from './scope';

export interface Milestone {
  milestone: string;
  /** The event type that reaches it. */
  reachedBy: string;
  /** When it was reached; null while it is not. */
  reachedAt: string | null;
  /** When a target call delivering its milestone.reached event succeeded; null until then. */
  pushedAt: string | null;
}

export interface MilestoneList {
  /** The org they belong to; null for the instance's own. */
  orgId: string | null;
  items: Milestone[];
}

interface MilestoneRow {
  milestone: string;
  reached_at: Date;
  pushed_at: Date | null;
}

/** Every milestone of the caller's scope, in first-use order, reached or not. */
export async function listMilestones(ctx: TenantCtx): Promise<MilestoneList> {
  const { instanceId, orgId } = ctx.tenant;
  const rows = await transaction(ctx.db, ctx.tenant, async (tx) =>
    (await tx.query<MilestoneRow>('SELECT milestone, reached_at, pushed_at FROM milestones WHERE instance_id = $1 AND org_key = $2', [instanceId, orgKey(orgId)])).rows,
  );
  const byName = new Map(rows.map((r) => [r.milestone, r]));
  const items = MILESTONES.filter((m) => orgId === null || !m.instanceOnly).map((m) => {
    const row = byName.get(m.name);
    return { milestone: m.name, reachedBy: m.reachedBy, reachedAt: row?.reached_at.toISOString() ?? null, pushedAt: row?.pushed_at?.toISOString() ?? null };
  });
  return { orgId, items };
}
