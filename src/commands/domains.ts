// Per-domain retry policy: a command's own fields override it; the defaults fill the rest.
import type { TenantCtx } from '../context';
import { transaction } from '../db/db';
import { push } from '../eventstore/eventstore';
import { DEFAULT_POLICY, type RetryPolicy } from './model';

export interface DomainPolicyView {
  domain: string;
  policy: Partial<RetryPolicy>;
  effective: RetryPolicy;
  updatedAt: string | null;
  updatedBy: string | null;
}

export async function setDomainPolicy(ctx: TenantCtx, domain: string, policy: Partial<RetryPolicy>): Promise<DomainPolicyView> {
  const { tenant } = ctx;
  await transaction(ctx.db, tenant, (tx) =>
    push(tx, tenant.instanceId, tenant.actor, [
      {
        aggregateType: 'command_domain',
        aggregateId: domain,
        type: 'command_domain.policy_set',
        payload: { policy },
        project: async (ptx, e) => {
          await ptx.query(
            `INSERT INTO command_domains (instance_id, domain, policy, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (instance_id, domain) DO UPDATE SET policy = EXCLUDED.policy, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by`,
            [tenant.instanceId, domain, policy, e.createdAt, e.creator],
          );
        },
      },
    ]),
  );
  return getDomainPolicy(ctx, domain);
}

export async function getDomainPolicy(ctx: TenantCtx, domain: string): Promise<DomainPolicyView> {
  const row = await transaction(ctx.db, ctx.tenant, async (tx) => {
    const { rows } = await tx.query<{ policy: Partial<RetryPolicy>; updated_at: Date; updated_by: string }>(
      'SELECT policy, updated_at, updated_by FROM command_domains WHERE instance_id = $1 AND domain = $2',
      [ctx.tenant.instanceId, domain],
    );
    return rows[0];
  });
  const policy = row?.policy ?? {};
  return {
    domain,
    policy,
    effective: { ...DEFAULT_POLICY, ...policy },
    updatedAt: row?.updated_at.toISOString() ?? null,
    updatedBy: row?.updated_by ?? null,
  };
}
