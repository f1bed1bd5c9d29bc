// Credentials for workflow nodes: n8n's generic HTTP auth types, named by a node's exported
// `credentials` block ({"httpHeaderAuth": {"id": …, "name": …}}) by id, else by name, in the
// workflow's own org. The secret fields are encrypted under the master key on write, never
// returned, replaced as a whole by a rotation, and decrypted only where a node run needs them.
import type { TenantCtx } from '../context';
import type { Config } from '../config/config';
import { masterKeys } from '../config/config';
import { decryptSecret, encryptSecret } from '../crypto/secrets';
import { transaction, type Tx } from '../db/db';
import { rethrowUniqueViolation } from '../db/unique';
import { NotFoundError, ValidationError } from '../errors';
import { push } from '../eventstore/eventstore';
import { newId } from '../ids';
import { decodeCursor, TIME_ID, toPage, type Page } from '../pagination';
import { orgKey, visibleOrgKey, visibleSql } from '../tenancy/scope';

/** The secret fields of each type (n8n's field names). */
export const CREDENTIAL_FIELDS = {
  httpHeaderAuth: ['name', 'value'],
  httpBasicAuth: ['user', 'password'],
  httpBearerAuth: ['token'],
  httpQueryAuth: ['name', 'value'],
} as const;
export type CredentialType = keyof typeof CREDENTIAL_FIELDS;
export const CREDENTIAL_TYPES = Object.keys(CREDENTIAL_FIELDS) as CredentialType[];

export type CredentialData = Record<string, string>;

export interface Credential {
  id: string;
  orgId: string | null;
  name: string;
  type: CredentialType;
  createdAt: string;
  createdBy: string;
  changedAt: string;
}

interface CredentialRow {
  id: string;
  org_id: string | null;
  name: string;
  type: CredentialType;
  data_enc: string;
  created_at: Date;
  created_by: string;
  changed_at: Date;
}

const toCredential = (r: CredentialRow): Credential => ({
  id: r.id,
  orgId: r.org_id,
  name: r.name,
  type: r.type,
  createdAt: r.created_at.toISOString(),
  createdBy: r.created_by,
  changedAt: r.changed_at.toISOString(),
});

export const credentialOwner = (instanceId: string, id: string) => `credential:${instanceId}:${id}`;

/** The data has exactly the type's fields, each a string. */
function checkData(type: CredentialType, data: Record<string, unknown>): CredentialData {
  const fields: readonly string[] = CREDENTIAL_FIELDS[type];
  for (const f of fields) if (typeof data[f] !== 'string') throw ValidationError.field(`body.data.${f}`, `is required for ${type} (a string)`);
  const extra = Object.keys(data).find((k) => !fields.includes(k));
  if (extra !== undefined) throw ValidationError.field(`body.data.${extra}`, `is not a field of ${type} (${fields.join(', ')})`);
  return data as CredentialData;
}

function nameTaken(err: unknown, name: string): never {
  rethrowUniqueViolation(err, `a credential named '${name}' exists`, { constraint: 'credentials_name_unique', field: 'body.name' });
}

export async function addCredential(ctx: TenantCtx, input: { name: string; type: CredentialType; data: Record<string, unknown> }): Promise<Credential> {
  const data = checkData(input.type, input.data);
  const id = newId('cred');
  const { instanceId, actor, orgId } = ctx.tenant;
  const encrypted = encryptSecret(masterKeys(ctx.config), JSON.stringify(data), credentialOwner(instanceId, id));
  const row = await transaction(ctx.db, ctx.tenant, async (tx) => {
    let out: CredentialRow | undefined;
    await push(tx, instanceId, actor, [
      {
        aggregateType: 'credential',
        aggregateId: id,
        orgId,
        type: 'credential.added',
        expectedSequence: 0,
        payload: { name: input.name, type: input.type },
        project: async (ptx, e) => {
          const res = await ptx.query<CredentialRow>(
            `INSERT INTO credentials (instance_id, org_id, id, name, type, data_enc, created_at, created_by, changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7) RETURNING *`,
            [instanceId, orgId, id, input.name, input.type, encrypted, e.createdAt, e.creator],
          );
          out = res.rows[0];
        },
      },
    ]);
    return out!;
  }).catch((err: unknown) => nameTaken(err, input.name));
  return toCredential(row);
}

async function loadVisible(tx: Tx, ctx: TenantCtx, id: string): Promise<CredentialRow> {
  const { rows } = await tx.query<CredentialRow>(`SELECT * FROM credentials WHERE instance_id = $1 AND id = $2 AND ${visibleSql(3)}`, [ctx.tenant.instanceId, id, visibleOrgKey(ctx.tenant)]);
  if (rows[0] === undefined) throw new NotFoundError('credential', id);
  return rows[0];
}

export async function getCredential(ctx: TenantCtx, id: string): Promise<Credential> {
  return toCredential(await transaction(ctx.db, ctx.tenant, (tx) => loadVisible(tx, ctx, id)));
}

export async function listCredentials(ctx: TenantCtx, input: { limit: number; cursor?: string }): Promise<Page<Credential>> {
  const after = decodeCursor(input.cursor, TIME_ID);
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    const { rows } = await tx.query<CredentialRow>(
      `SELECT * FROM credentials WHERE instance_id = $1 AND ${visibleSql(2)} AND ($3::timestamptz IS NULL OR (created_at, id) > ($3, $4)) ORDER BY created_at, id LIMIT $5`,
      [ctx.tenant.instanceId, visibleOrgKey(ctx.tenant), after?.[0] ?? null, after?.[1] ?? null, input.limit + 1],
    );
    return toPage(rows, input.limit, toCredential, (r) => [r.created_at.toISOString(), r.id]);
  });
}

/** Replaces the secret fields; runs that start afterwards use the new ones. */
export async function rotateCredential(ctx: TenantCtx, id: string, input: { data: Record<string, unknown> }): Promise<Credential> {
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    const row = await loadVisible(tx, ctx, id);
    const encrypted = encryptSecret(masterKeys(ctx.config), JSON.stringify(checkData(row.type, input.data)), credentialOwner(ctx.tenant.instanceId, id));
    let out: CredentialRow | undefined;
    await push(tx, ctx.tenant.instanceId, ctx.tenant.actor, [
      {
        aggregateType: 'credential',
        aggregateId: id,
        orgId: row.org_id,
        type: 'credential.rotated',
        project: async (ptx, e) => {
          out = (await ptx.query<CredentialRow>('UPDATE credentials SET data_enc = $3, changed_at = $4 WHERE instance_id = $1 AND id = $2 RETURNING *', [e.instanceId, id, encrypted, e.createdAt])).rows[0];
        },
      },
    ]);
    return toCredential(out!);
  });
}

export async function removeCredential(ctx: TenantCtx, id: string): Promise<void> {
  await transaction(ctx.db, ctx.tenant, async (tx) => {
    const row = await loadVisible(tx, ctx, id);
    await push(tx, ctx.tenant.instanceId, ctx.tenant.actor, [
      {
        aggregateType: 'credential',
        aggregateId: id,
        orgId: row.org_id,
        type: 'credential.removed',
        project: async (ptx, e) => {
          await ptx.query('DELETE FROM credentials WHERE instance_id = $1 AND id = $2', [e.instanceId, id]);
        },
      },
    ]);
  });
}

/** A node's reference to a credential, as n8n exports it. */
export interface CredentialRef {
  id?: string;
  name?: string;
}

/** The credential of the org a reference names (by id, else by name), or undefined. */
async function findRow(tx: Tx, instanceId: string, orgId: string | null, type: string, ref: CredentialRef): Promise<CredentialRow | undefined> {
  const byId = ref.id === undefined ? [] : (await tx.query<CredentialRow>('SELECT * FROM credentials WHERE instance_id = $1 AND org_key = $2 AND type = $3 AND id = $4', [instanceId, orgKey(orgId), type, ref.id])).rows;
  if (byId[0] !== undefined || ref.name === undefined) return byId[0];
  return (await tx.query<CredentialRow>('SELECT * FROM credentials WHERE instance_id = $1 AND org_key = $2 AND type = $3 AND name = $4', [instanceId, orgKey(orgId), type, ref.name])).rows[0];
}

export async function credentialExists(tx: Tx, instanceId: string, orgId: string | null, type: string, ref: CredentialRef): Promise<boolean> {
  return (await findRow(tx, instanceId, orgId, type, ref)) !== undefined;
}

/** The secret fields of the credential a node names; throws naming it when it is gone. */
export async function credentialData(tx: Tx, config: Config, instanceId: string, orgId: string | null, type: string, ref: CredentialRef): Promise<CredentialData> {
  const row = await findRow(tx, instanceId, orgId, type, ref);
  if (row === undefined) throw new Error(`credential '${ref.name ?? ref.id}' (${type}) not found in the workflow's org`);
  return JSON.parse(decryptSecret(masterKeys(config), row.data_enc, credentialOwner(instanceId, row.id))) as CredentialData;
}
