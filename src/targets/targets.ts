// Targets: HTTP endpoints that executions call, signed with a per-target key. The key is
// generated on create and on rotation, returned once, and stored only encrypted. Events carry
// no key material. A target belongs to one org or to the instance (see tenancy/scope.ts), and
// only executions and alerts of the same owner may use it.
import crypto from 'node:crypto';
import type { TenantCtx } from '../context';
import { NotFoundError, ValidationError } from '../errors';
import { transaction, type Tx } from '../db/db';
import { rethrowUniqueViolation } from '../db/unique';
import { push } from '../eventstore/eventstore';
import { masterKeys } from '../config/config';
import { decryptSecret, encryptSecret, type MasterKeys } from '../crypto/secrets';
import { newId } from '../ids';
import { createAddressPolicy } from '../net/address-policy';
import { checkOutboundUrlField } from '../net/http';
import { decodeCursor, TIME_ID, toPage, type Page } from '../pagination';
import { visibleOrgKey, visibleSql } from '../tenancy/scope';
import { TARGET_LIMITS, type Target, type TargetRetryPolicy, type TargetType } from './view';

export const DEFAULT_RETRY: TargetRetryPolicy = { maxAttempts: 5, initialIntervalSeconds: 1, backoffCoefficient: 2, maxIntervalSeconds: 60 };

export interface TargetInput {
  name: string;
  type: TargetType;
  endpoint: string;
  timeoutSeconds?: number;
  interruptOnError?: boolean;
  retryPolicy?: TargetRetryPolicy | null;
}

interface TargetRow {
  id: string;
  org_id: string | null;
  name: string;
  type: TargetType;
  endpoint: string;
  timeout_ms: number;
  interrupt_on_error: boolean;
  retry_policy: TargetRetryPolicy | null;
  signing_key_enc: string;
  previous_key_expires_at: Date | null;
  created_at: Date;
  created_by: string;
  changed_at: Date;
}

const toTarget = (r: TargetRow): Target => ({
  id: r.id,
  orgId: r.org_id,
  name: r.name,
  type: r.type,
  endpoint: r.endpoint,
  timeoutSeconds: r.timeout_ms / 1000,
  interruptOnError: r.interrupt_on_error,
  retryPolicy: r.retry_policy,
  previousKeyExpiresAt: r.previous_key_expires_at !== null && r.previous_key_expires_at > new Date() ? r.previous_key_expires_at.toISOString() : null,
  createdAt: r.created_at.toISOString(),
  createdBy: r.created_by,
  changedAt: r.changed_at.toISOString(),
});

const newSigningKey = () => `sk_${crypto.randomBytes(32).toString('base64url')}`;

/** The associated data of a stored signing key: it opens on its own target's row only. */
export const signingKeyOwner = (instanceId: string, targetId: string) => `target:${instanceId}:${targetId}`;

/** The endpoint must be an http(s) URL whose addresses pass the policy now (and again at call time). */
export async function checkEndpoint(ctx: TenantCtx, endpoint: string, field = 'body.endpoint'): Promise<void> {
  await checkOutboundUrlField(createAddressPolicy(ctx.config.outboundAllowlist), endpoint, field);
}

function checkTimeout(timeoutSeconds: number | undefined): number {
  const s = timeoutSeconds ?? TARGET_LIMITS.defaultTimeoutSeconds;
  if (!(s > 0) || s > TARGET_LIMITS.maxTimeoutSeconds) throw ValidationError.field('body.timeoutSeconds', `must be more than 0 and at most ${TARGET_LIMITS.maxTimeoutSeconds} seconds`);
  return Math.round(s * 1000);
}

function nameTaken(err: unknown, name: string): never {
  rethrowUniqueViolation(err, `a target named '${name}' exists`, { constraint: 'targets_name_unique', field: 'body.name' });
}

export async function addTarget(ctx: TenantCtx, input: TargetInput): Promise<{ target: Target; signingKey: string }> {
  const timeoutMs = checkTimeout(input.timeoutSeconds);
  await checkEndpoint(ctx, input.endpoint);
  const id = newId('tgt');
  const signingKey = newSigningKey();
  const { instanceId, actor, orgId } = ctx.tenant;
  const encrypted = encryptSecret(masterKeys(ctx.config), signingKey, signingKeyOwner(instanceId, id));
  const row = await transaction(ctx.db, ctx.tenant, async (tx) => {
    let out: TargetRow | undefined;
    await push(tx, instanceId, actor, [
      {
        aggregateType: 'target',
        aggregateId: id,
        orgId,
        type: 'target.added',
        expectedSequence: 0,
        payload: { name: input.name, type: input.type, endpoint: input.endpoint, timeoutMs, interruptOnError: input.interruptOnError ?? false, retryPolicy: input.retryPolicy ?? null },
        project: async (ptx, e) => {
          const res = await ptx.query<TargetRow>(
            `INSERT INTO targets (instance_id, org_id, id, name, type, endpoint, timeout_ms, interrupt_on_error, retry_policy, signing_key_enc, created_at, created_by, changed_at)
             VALUES ($1, $12, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $10) RETURNING *`,
            [instanceId, id, input.name, input.type, input.endpoint, timeoutMs, input.interruptOnError ?? false, input.retryPolicy ? JSON.stringify(input.retryPolicy) : null, encrypted, e.createdAt, e.creator, orgId],
          );
          out = res.rows[0];
        },
      },
    ]);
    return out!;
  }).catch((err: unknown) => nameTaken(err, input.name));
  return { target: toTarget(row), signingKey };
}

export async function changeTarget(ctx: TenantCtx, id: string, input: Partial<TargetInput>): Promise<Target> {
  const current = await getTarget(ctx, id);
  const next = { ...current, ...input, retryPolicy: input.retryPolicy === undefined ? current.retryPolicy : input.retryPolicy };
  const timeoutMs = checkTimeout(next.timeoutSeconds);
  if (input.endpoint !== undefined) await checkEndpoint(ctx, input.endpoint);
  const row = await transaction(ctx.db, ctx.tenant, async (tx) => {
    let out: TargetRow | undefined;
    await push(tx, ctx.tenant.instanceId, ctx.tenant.actor, [
      {
        aggregateType: 'target',
        aggregateId: id,
        orgId: current.orgId,
        type: 'target.changed',
        payload: { name: next.name, type: next.type, endpoint: next.endpoint, timeoutMs, interruptOnError: next.interruptOnError, retryPolicy: next.retryPolicy },
        project: async (ptx, e) => {
          const res = await ptx.query<TargetRow>(
            `UPDATE targets SET name = $3, type = $4, endpoint = $5, timeout_ms = $6, interrupt_on_error = $7, retry_policy = $8, changed_at = $9
              WHERE instance_id = $1 AND id = $2 RETURNING *`,
            [e.instanceId, id, next.name, next.type, next.endpoint, timeoutMs, next.interruptOnError, next.retryPolicy ? JSON.stringify(next.retryPolicy) : null, e.createdAt],
          );
          out = res.rows[0];
        },
      },
    ]);
    if (out === undefined) throw new NotFoundError('target', id);
    return out;
  }).catch((err: unknown) => nameTaken(err, next.name));
  return toTarget(row);
}

/**
 * A new signing key, returned once. The key it replaces keeps verifying for `overlapSeconds`
 * (default 24 h, 0 ends it at once): until then every call carries both signatures.
 */
export async function rotateSigningKey(ctx: TenantCtx, id: string, input: { overlapSeconds?: number } = {}): Promise<{ signingKey: string; previousKeyExpiresAt: string | null }> {
  const overlapSeconds = input.overlapSeconds ?? TARGET_LIMITS.defaultKeyOverlapSeconds;
  const signingKey = newSigningKey();
  const encrypted = encryptSecret(masterKeys(ctx.config), signingKey, signingKeyOwner(ctx.tenant.instanceId, id));
  const expiresAt = await transaction(ctx.db, ctx.tenant, async (tx) => {
    const row = await loadVisible(tx, ctx, id, 'FOR UPDATE');
    let until: Date | null = null;
    await push(tx, ctx.tenant.instanceId, ctx.tenant.actor, [
      {
        aggregateType: 'target',
        aggregateId: id,
        orgId: row.org_id,
        type: 'target.signing_key_rotated',
        payload: { overlapSeconds },
        project: async (ptx, e) => {
          until = overlapSeconds > 0 ? new Date(e.createdAt.getTime() + overlapSeconds * 1000) : null;
          await ptx.query(
            `UPDATE targets SET signing_key_enc = $3, previous_signing_key_enc = $4, previous_key_expires_at = $5, changed_at = $6
              WHERE instance_id = $1 AND id = $2`,
            [e.instanceId, id, encrypted, until === null ? null : row.signing_key_enc, until, e.createdAt],
          );
        },
      },
    ]);
    return until as Date | null;
  });
  return { signingKey, previousKeyExpiresAt: expiresAt?.toISOString() ?? null };
}

export async function removeTarget(ctx: TenantCtx, id: string): Promise<void> {
  await transaction(ctx.db, ctx.tenant, async (tx) => {
    const row = await loadVisible(tx, ctx, id);
    await push(tx, ctx.tenant.instanceId, ctx.tenant.actor, [
      {
        aggregateType: 'target',
        aggregateId: id,
        orgId: row.org_id,
        type: 'target.removed',
        project: async (ptx, e) => {
          await ptx.query('DELETE FROM targets WHERE instance_id = $1 AND id = $2', [e.instanceId, id]);
        },
      },
    ]);
  });
}

/** A target the caller may see; any other answers 404. */
async function loadVisible(tx: Tx, ctx: TenantCtx, id: string, lock: '' | 'FOR UPDATE' = ''): Promise<TargetRow> {
  const { rows } = await tx.query<TargetRow>(`SELECT * FROM targets WHERE instance_id = $1 AND id = $2 AND ${visibleSql(3)} ${lock}`, [ctx.tenant.instanceId, id, visibleOrgKey(ctx.tenant)]);
  if (rows[0] === undefined) throw new NotFoundError('target', id);
  return rows[0];
}

export async function getTarget(ctx: TenantCtx, id: string): Promise<Target> {
  return toTarget(await transaction(ctx.db, ctx.tenant, (tx) => loadVisible(tx, ctx, id)));
}

export async function listTargets(ctx: TenantCtx, input: { limit: number; cursor?: string }): Promise<Page<Target>> {
  const after = decodeCursor(input.cursor, TIME_ID);
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    const { rows } = await tx.query<TargetRow>(
      `SELECT * FROM targets WHERE instance_id = $1 AND ${visibleSql(2)} AND ($3::timestamptz IS NULL OR (created_at, id) > ($3, $4))
        ORDER BY created_at, id LIMIT $5`,
      [ctx.tenant.instanceId, visibleOrgKey(ctx.tenant), after?.[0] ?? null, after?.[1] ?? null, input.limit + 1],
    );
    return toPage(rows, input.limit, toTarget, (r) => [r.created_at.toISOString(), r.id]);
  });
}

/** What an execution run needs of a target, snapshotted at match time; the key is not in it. */
export interface TargetSnapshot {
  id: string;
  name: string;
  type: TargetType;
  endpoint: string;
  timeoutMs: number;
  interruptOnError: boolean;
  retryPolicy: TargetRetryPolicy;
}

/** The owner's targets of these ids, in order; ids that are gone (or another owner's) are left out. */
export async function loadSnapshots(tx: Tx, instanceId: string, owner: string, ids: string[]): Promise<TargetSnapshot[]> {
  const { rows } = await tx.query<TargetRow>('SELECT * FROM targets WHERE instance_id = $1 AND org_key = $2 AND id = ANY($3)', [instanceId, owner, ids]);
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => {
    const r = byId.get(id);
    if (r === undefined) return []; // removed since the execution was saved
    return [{ id: r.id, name: r.name, type: r.type, endpoint: r.endpoint, timeoutMs: r.timeout_ms, interruptOnError: r.interrupt_on_error, retryPolicy: r.retry_policy ?? DEFAULT_RETRY }];
  });
}

/**
 * The signing keys in plaintext, for the call activities only: the current key, then the key it
 * replaced while its overlap lasts (PostgreSQL's clock decides, the same for every worker).
 */
export async function loadSigningKeys(tx: Tx, keys: MasterKeys, instanceId: string, id: string): Promise<string[]> {
  const { rows } = await tx.query<{ signing_key_enc: string; previous: string | null }>(
    `SELECT signing_key_enc, CASE WHEN previous_key_expires_at > now() THEN previous_signing_key_enc END AS previous
       FROM targets WHERE instance_id = $1 AND id = $2`,
    [instanceId, id],
  );
  const row = rows[0];
  if (row === undefined) throw new NotFoundError('target', id);
  const owner = signingKeyOwner(instanceId, id);
  return [row.signing_key_enc, ...(row.previous === null ? [] : [row.previous])].map((enc) => decryptSecret(keys, enc, owner));
}

/** Does the owner (org key, '' for the instance) have this target? For alerts' notify targets. */
export async function ownsTarget(tx: Tx, instanceId: string, owner: string, id: string): Promise<boolean> {
  const { rowCount } = await tx.query('SELECT 1 FROM targets WHERE instance_id = $1 AND org_key = $2 AND id = $3', [instanceId, owner, id]);
  return rowCount === 1;
}
