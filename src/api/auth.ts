// Authentication: Bearer API key → tenant context with a role. Instance-wide keys pick an org
// with X-Cadenza-Org; org-scoped keys are pinned to their org. Anything outside the caller's
// tenant answers 404, never 403, so existence never leaks.
import type { Request } from 'express';
import { ROLE_RANK, type AppCtx, type Role, type SystemCtx, type Tenant } from '../context';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../errors';
import { transaction } from '../db/db';
import { authenticate } from '../tenancy/keys';
import { authenticateSystem, isSystemSecret } from '../tenancy/system-keys';
import { findOrg } from '../tenancy/orgs';

export const ORG_HEADER = 'x-cadenza-org';

function bearer(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

export async function resolveTenant(ctx: AppCtx, req: Request, minRole: Role): Promise<Tenant> {
  const secret = bearer(req);
  if (secret === undefined) throw new UnauthorizedError();
  if (isSystemSecret(secret)) throw new ForbiddenError('A system key provisions instances and cannot act in one; use a key of the instance');
  const key = await authenticate(ctx.db, secret);
  if (key === undefined) throw new UnauthorizedError('The API key is unknown or revoked');

  const orgHeader = req.header(ORG_HEADER)?.trim() || undefined;
  let orgId: string | null = key.orgId;
  if (key.orgId !== null) {
    if (orgHeader !== undefined && orgHeader !== key.orgId) throw new NotFoundError('org', orgHeader);
  } else if (orgHeader !== undefined) {
    const org = await transaction(ctx.db, { instanceId: key.instanceId }, (tx) => findOrg(tx, key.instanceId, orgHeader));
    if (org === undefined) throw new NotFoundError('org', orgHeader);
    orgId = org.id;
  }

  if (ROLE_RANK[key.role] < ROLE_RANK[minRole]) {
    throw new ForbiddenError(`This needs the ${minRole} role; the key '${key.name}' has ${key.role}`);
  }
  return { instanceId: key.instanceId, orgId, role: key.role, actor: key.name, keyId: key.id, keyOrgId: key.orgId, limits: key.limits };
}

/** System routes (/v1/system/…) take a system key only. */
export async function resolveSystem(ctx: AppCtx, req: Request): Promise<SystemCtx['system']> {
  const secret = bearer(req);
  if (secret === undefined) throw new UnauthorizedError();
  if (!isSystemSecret(secret)) {
    if ((await authenticate(ctx.db, secret)) !== undefined) throw new ForbiddenError('This needs a system key; instance keys cannot reach the system routes');
    throw new UnauthorizedError('The API key is unknown or revoked');
  }
  const key = await authenticateSystem(ctx.db, secret);
  if (key === undefined) throw new UnauthorizedError('The system key is unknown or revoked');
  return { keyId: key.id, actor: key.name };
}
