// What a call may see and change. A call acts in one org (an org key, or an instance-wide key
// with X-Cadenza-Org) or at instance level (an instance-wide key without it). Org-owned rows
// are seen by their org and by instance-wide keys; instance-level configuration (targets,
// executions, alerts, domain policies and reply keys with org_id NULL) only by instance-wide keys.
import type { Tenant } from '../context';

/** The org column of tables whose ids are unique per owner: the org id, or '' for the instance. */
export const orgKey = (orgId: string | null): string => orgId ?? '';

/**
 * The org_key a row must have to be visible to the call, or null for "any": an org call sees
 * its org's rows; an instance-wide call without an org sees every row of its instance.
 */
export const visibleOrgKey = (tenant: Tenant): string | null => (tenant.orgId === null ? null : tenant.orgId);

/** SQL: `org_key` visible to the call whose visibleOrgKey is parameter `$n`. */
export const visibleSql = (n: number, column = 'org_key'): string => `($${n}::text IS NULL OR ${column} = $${n})`;
