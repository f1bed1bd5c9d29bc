// Who owns an action or a flow: one org, or the instance itself (instance actions run first).
import type { TenantCtx } from '../context';
import { BadRequestError, ForbiddenError } from '../errors';

export type Owner = { level: 'instance' } | { level: 'org'; orgId: string };

export const INSTANCE: Owner = { level: 'instance' };

export const ownerOrgId = (owner: Owner): string | null => (owner.level === 'org' ? owner.orgId : null);

/** The org the call acts in; instance-wide keys must pick one with X-Cadenza-Org. */
export function orgOwner(ctx: TenantCtx): Owner {
  if (ctx.tenant.orgId === null) {
    throw new BadRequestError('Org actions and flows need an org: use an org key or send X-Cadenza-Org', [
      { field: 'headers.x-cadenza-org', message: 'is required with an instance-wide key' },
    ]);
  }
  return { level: 'org', orgId: ctx.tenant.orgId };
}

/** Instance-level actions and flows need an instance-wide key. */
export function instanceOwner(ctx: TenantCtx): Owner {
  if (ctx.tenant.keyOrgId !== null) throw new ForbiddenError('Instance actions and flows need an instance-wide key; this key belongs to one org');
  return INSTANCE;
}
