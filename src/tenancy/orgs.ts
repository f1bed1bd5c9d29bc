import type { TenantCtx } from '../context';
import { ForbiddenError, NotFoundError } from '../errors';
import { transaction, type Tx } from '../db/db';
import { rethrowUniqueViolation } from '../db/unique';
import { push } from '../eventstore/eventstore';
import { newId } from '../ids';
import { decodeCursor, TIME_ID, toPage, type Page } from '../pagination';

export interface Org {
  id: string;
  name: string;
  createdAt: string;
  createdBy: string;
}

interface OrgRow {
  id: string;
  name: string;
  created_at: Date;
  created_by: string;
}

const toOrg = (r: OrgRow): Org => ({ id: r.id, name: r.name, createdAt: r.created_at.toISOString(), createdBy: r.created_by });

export async function addOrg(ctx: TenantCtx, input: { name: string }): Promise<Org> {
  if (ctx.tenant.keyOrgId !== null) throw new ForbiddenError('an org-scoped key cannot create orgs');
  const id = newId('org');
  try {
    return await transaction(ctx.db, ctx.tenant, async (tx) => {
      let org: Org | undefined;
      await push(tx, ctx.tenant.instanceId, ctx.tenant.actor, [
        {
          aggregateType: 'org',
          aggregateId: id,
          orgId: id,
          type: 'org.added',
          payload: { name: input.name },
          expectedSequence: 0,
          project: async (ptx, e) => {
            const { rows } = await ptx.query<OrgRow>(
              'INSERT INTO orgs (instance_id, id, name, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING *',
              [e.instanceId, id, input.name, e.creator, e.createdAt],
            );
            org = toOrg(rows[0]!);
          },
        },
      ]);
      return org!;
    });
  } catch (err) {
    rethrowUniqueViolation(err, `an org named '${input.name}' already exists`);
  }
}

export async function listOrgs(ctx: TenantCtx, input: { limit: number; cursor?: string }): Promise<Page<Org>> {
  const after = decodeCursor(input.cursor, TIME_ID);
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    const { rows } = await tx.query<OrgRow>(
      `SELECT * FROM orgs
        WHERE instance_id = $1
          AND ($2::text IS NULL OR id = $2)
          AND ($3::timestamptz IS NULL OR (created_at, id) > ($3, $4))
        ORDER BY created_at, id LIMIT $5`,
      [ctx.tenant.instanceId, ctx.tenant.keyOrgId, after?.[0] ?? null, after?.[1] ?? null, input.limit + 1],
    );
    return toPage(rows, input.limit, toOrg, (r) => [r.created_at.toISOString(), r.id]);
  });
}

export async function getOrg(ctx: TenantCtx, id: string): Promise<Org> {
  if (ctx.tenant.keyOrgId !== null && ctx.tenant.keyOrgId !== id) throw new NotFoundError('org', id);
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    const org = await findOrg(tx, ctx.tenant.instanceId, id);
    if (org === undefined) throw new NotFoundError('org', id);
    return org;
  });
}

export async function findOrg(tx: Tx, instanceId: string, id: string): Promise<Org | undefined> {
  const { rows } = await tx.query<OrgRow>('SELECT * FROM orgs WHERE instance_id = $1 AND id = $2', [instanceId, id]);
  return rows[0] === undefined ? undefined : toOrg(rows[0]);
}
