// Per-domain retry policy. The instance's policy (set with an instance-wide key) applies to every
// org; an org's own policy overrides it for that org's commands; a command's own fields override
// both; the defaults fill the rest.
import type { TenantCtx } from '../context';
import { transaction, type Tx } from '../db/db';
import { push } from '../eventstore/eventstore';
import { orgKey } from '../tenancy/scope';
import { DEFAULT_POLICY, type RetryPolicy } from './model';

export interface DomainPolicyView {
  domain: string;
  /** The org's (or the instance's) own policy, as set. */
  policy: Partial<RetryPolicy>;
  /** What a command of this org and domain gets when it sets nothing itself. */
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
        aggregateId: tenant.orgId === null ? domain : `${tenant.orgId}/${domain}`,
        orgId: tenant.orgId,
        type: 'command_domain.policy_set',
        payload: { domain, policy },
        project: async (ptx, e) => {
          await ptx.query(
            `INSERT INTO command_domains (instance_id, org_id, domain, policy, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (instance_id, org_key, domain) DO UPDATE SET policy = EXCLUDED.policy, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by`,
            [tenant.instanceId, tenant.orgId, domain, policy, e.createdAt, e.creator],
          );
        },
      },
    ]),
  );
  return getDomainPolicy(ctx, domain);
}

interface PolicyRow {
  domain: string;
  org_key: string;
  policy: Partial<RetryPolicy>;
  updated_at: Date;
  updated_by: string;
}

/** The instance's and the org's policy rows of these domains, instance first. */
async function policyRows(tx: Tx, instanceId: string, orgId: string | null, domains: string[]): Promise<PolicyRow[]> {
  const { rows } = await tx.query<PolicyRow>(
    `SELECT domain, org_key, policy, updated_at, updated_by FROM command_domains
      WHERE instance_id = $1 AND org_key IN ('', $2) AND domain = ANY($3) ORDER BY org_key <> ''`,
    [instanceId, orgKey(orgId), domains],
  );
  return rows;
}

/** The domain policies a command of `orgId` gets: its org's over the instance's, per domain. */
export async function domainPolicies(tx: Tx, instanceId: string, orgId: string | null, domains: string[]): Promise<Map<string, Partial<RetryPolicy>>> {
  const out = new Map<string, Partial<RetryPolicy>>();
  for (const r of await policyRows(tx, instanceId, orgId, [...new Set(domains)])) out.set(r.domain, { ...out.get(r.domain), ...r.policy });
  return out;
}

export async function getDomainPolicy(ctx: TenantCtx, domain: string): Promise<DomainPolicyView> {
  const { instanceId, orgId } = ctx.tenant;
  const rows = await transaction(ctx.db, ctx.tenant, (tx) => policyRows(tx, instanceId, orgId, [domain]));
  const own = rows.find((r) => r.org_key === orgKey(orgId));
  const merged = rows.reduce<Partial<RetryPolicy>>((acc, r) => ({ ...acc, ...r.policy }), {});
  return {
    domain,
    policy: own?.policy ?? {},
    effective: { ...DEFAULT_POLICY, ...merged },
    updatedAt: own?.updated_at.toISOString() ?? null,
    updatedBy: own?.updated_by ?? null,
  };
}
