// API keys: `cdz_` plus 32 random base64url characters. Only the SHA-256 of a key is stored;
// keys are high-entropy, so a fast hash is enough and lookups stay one indexed read.
import crypto from 'node:crypto';
import type { InstanceRequestLimits, Role, TenantCtx } from '../context';
import { ForbiddenError, NotFoundError } from '../errors';
import { SYSTEM, transaction, type Db, type Tx } from '../db/db';
import { rethrowUniqueViolation } from '../db/unique';
import { push } from '../eventstore/eventstore';
import { newId, sha256Hex } from '../ids';
import { decodeCursor, TIME_ID, toPage, type Page } from '../pagination';
import { findOrg } from './orgs';
import { rateLimitOf } from './rate-limit';

export interface ApiKey {
  id: string;
  name: string;
  role: Role;
  orgId: string | null;
  prefix: string;
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
}

interface KeyRow {
  instance_id: string;
  id: string;
  name: string;
  role: Role;
  org_id: string | null;
  prefix: string;
  created_at: Date;
  created_by: string;
  revoked_at: Date | null;
}

const toKey = (r: KeyRow): ApiKey => ({
  id: r.id,
  name: r.name,
  role: r.role,
  orgId: r.org_id,
  prefix: r.prefix,
  createdAt: r.created_at.toISOString(),
  createdBy: r.created_by,
  revokedAt: r.revoked_at?.toISOString() ?? null,
});

export function generateSecret(): string {
  return `cdz_${crypto.randomBytes(24).toString('base64url')}`;
}

export const hashSecret = (secret: string): string => sha256Hex(secret);

interface NewKey {
  name: string;
  role: Role;
  orgId: string | null;
}

/** Inserts a key inside an open transaction; shared by the API and bootstrap. */
export async function insertKey(tx: Tx, instanceId: string, creator: string, input: NewKey): Promise<{ key: ApiKey; secret: string }> {
  const id = newId('key');
  const secret = generateSecret();
  let key: ApiKey | undefined;
  await push(tx, instanceId, creator, [
    {
      aggregateType: 'key',
      aggregateId: id,
      orgId: input.orgId,
      type: 'key.added',
      payload: { name: input.name, role: input.role, orgId: input.orgId },
      expectedSequence: 0,
      project: async (ptx, e) => {
        const { rows } = await ptx.query<KeyRow>(
          `INSERT INTO api_keys (instance_id, id, org_id, name, role, key_hash, prefix, created_by, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
          [instanceId, id, input.orgId, input.name, input.role, hashSecret(secret), secret.slice(0, 12), e.creator, e.createdAt],
        );
        key = toKey(rows[0]!);
      },
    },
  ]);
  return { key: key!, secret };
}

export async function createKey(ctx: TenantCtx, input: { name: string; role: Role; orgId?: string | null }): Promise<{ key: ApiKey; secret: string }> {
  const { tenant } = ctx;
  // An org-scoped admin mints keys for its own org only.
  const orgId = tenant.keyOrgId ?? input.orgId ?? null;
  if (tenant.keyOrgId !== null && input.orgId != null && input.orgId !== tenant.keyOrgId) throw new NotFoundError('org', input.orgId);
  try {
    return await transaction(ctx.db, tenant, async (tx) => {
      if (orgId !== null && (await findOrg(tx, tenant.instanceId, orgId)) === undefined) throw new NotFoundError('org', orgId);
      return insertKey(tx, tenant.instanceId, tenant.actor, { name: input.name, role: input.role, orgId });
    });
  } catch (err) {
    rethrowUniqueViolation(err, `an active key named '${input.name}' already exists`);
  }
}

export async function listKeys(ctx: TenantCtx, input: { limit: number; cursor?: string }): Promise<Page<ApiKey>> {
  const after = decodeCursor(input.cursor, TIME_ID);
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    const { rows } = await tx.query<KeyRow>(
      `SELECT * FROM api_keys
        WHERE instance_id = $1
          AND ($2::text IS NULL OR org_id = $2)
          AND ($3::timestamptz IS NULL OR (created_at, id) > ($3, $4))
        ORDER BY created_at, id LIMIT $5`,
      [ctx.tenant.instanceId, ctx.tenant.keyOrgId, after?.[0] ?? null, after?.[1] ?? null, input.limit + 1],
    );
    return toPage(rows, input.limit, toKey, (r) => [r.created_at.toISOString(), r.id]);
  });
}

export async function revokeKey(ctx: TenantCtx, id: string): Promise<ApiKey> {
  const { tenant } = ctx;
  return transaction(ctx.db, tenant, async (tx) => {
    const { rows } = await tx.query<KeyRow>('SELECT * FROM api_keys WHERE instance_id = $1 AND id = $2', [tenant.instanceId, id]);
    const row = rows[0];
    if (row === undefined || (tenant.keyOrgId !== null && row.org_id !== tenant.keyOrgId)) throw new NotFoundError('key', id);
    if (row.revoked_at !== null) return toKey(row);
    if (id === tenant.keyId) throw new ForbiddenError('a key cannot revoke itself; use another admin key');
    let revoked: ApiKey | undefined;
    await push(tx, tenant.instanceId, tenant.actor, [
      {
        aggregateType: 'key',
        aggregateId: id,
        orgId: row.org_id,
        type: 'key.revoked',
        project: async (ptx, e) => {
          const res = await ptx.query<KeyRow>(
            'UPDATE api_keys SET revoked_at = $3, revoked_by = $4 WHERE instance_id = $1 AND id = $2 RETURNING *',
            [tenant.instanceId, id, e.createdAt, e.creator],
          );
          revoked = toKey(res.rows[0]!);
        },
      },
    ]);
    return revoked!;
  });
}

export interface AuthenticatedKey {
  instanceId: string;
  id: string;
  name: string;
  role: Role;
  orgId: string | null;
  limits: InstanceRequestLimits;
}

/** Looks a secret up across tenants, on the system path (the one place the API reads without a tenant). */
export async function authenticate(db: Db, secret: string): Promise<AuthenticatedKey | undefined> {
  if (!secret.startsWith('cdz_') || secret.length > 100) return undefined;
  // The instance's request limits come with the key: no second query per request.
  const { rows } = await transaction(db, SYSTEM, (tx) =>
    tx.query<KeyRow & { command_payload_bytes: number | null; rate_limit_per_second: number | null; rate_limit_burst: number | null }>(
      `SELECT k.*, i.command_payload_bytes, i.rate_limit_per_second, i.rate_limit_burst
         FROM api_keys k JOIN instances i ON i.id = k.instance_id WHERE k.key_hash = $1 AND k.revoked_at IS NULL`,
      [hashSecret(secret)],
    ),
  );
  const r = rows[0];
  if (r === undefined) return undefined;
  return { instanceId: r.instance_id, id: r.id, name: r.name, role: r.role, orgId: r.org_id, limits: { commandPayloadBytes: r.command_payload_bytes, rateLimit: rateLimitOf(r) } };
}
