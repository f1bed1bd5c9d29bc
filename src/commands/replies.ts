// Replies: where they may go, and how HTTP replies are signed. An HTTP reply is POSTed as JSON
// and signed with its command's owner's reply signing key (the org's, or the instance's for
// instance-level commands), which admins read from GET /v1/commands/reply-signing-key. The keys
// are stored encrypted under the master key; the instance's is the one earlier versions derived
// from the master key, so receivers that verify it keep working.
import crypto from 'node:crypto';
import { signatureHeader, SIGNATURE_HEADER } from '../client/signature';
import { masterKeys, type Config } from '../config/config';
import type { TenantCtx } from '../context';
import { decryptSecret, encryptSecret } from '../crypto/secrets';
import { transaction, type Db, type Tx } from '../db/db';
import { ValidationError } from '../errors';
import { createAddressPolicy, type AddressPolicy } from '../net/address-policy';
import { checkOutboundUrlField, fetchThroughPolicy, parseOutboundUrl } from '../net/http';
import { orgKey, visibleOrgKey, visibleSql } from '../tenancy/scope';
import { COMMAND_FAILURES, TEMPORAL_REPLY_PREFIX } from './model';

const TEMPORAL_FORM = 'must be an http(s) URL, or temporal:<workflowId> of a workflow run of your org';

/** The replyTo forms, by syntax: an http(s) URL, or temporal:<workflowId>. */
export function checkReplyTo(replyTo: string | undefined, field: string): void {
  if (replyTo === undefined) return;
  if (replyTo.startsWith(TEMPORAL_REPLY_PREFIX)) {
    if (replyTo.length === TEMPORAL_REPLY_PREFIX.length) throw ValidationError.field(field, TEMPORAL_FORM);
    return;
  }
  try {
    parseOutboundUrl(replyTo);
  } catch {
    throw ValidationError.field(field, TEMPORAL_FORM);
  }
}

/**
 * Where a reply may go, checked when the command is sent: an HTTP address that passes the
 * outbound address policy (checked again at delivery: DNS may change), or a workflow run the
 * caller may see, the only Cadenza workflows that wait for replies. Any other workflow id
 * answers the same 422 as an unknown one, so a replyTo reveals nothing about other tenants.
 */
export async function checkReplyTarget(ctx: TenantCtx, replyTo: string | undefined, field: string): Promise<void> {
  if (replyTo === undefined) return;
  if (replyTo.startsWith(TEMPORAL_REPLY_PREFIX)) {
    if (!(await isVisibleWorkflowRun(ctx, replyTo.slice(TEMPORAL_REPLY_PREFIX.length)))) throw ValidationError.field(field, TEMPORAL_FORM);
    return;
  }
  await checkOutboundUrlField(createAddressPolicy(ctx.config.outboundAllowlist), replyTo, field);
}

// dag:<instance>:<workflowId>:<runId>, the id of a workflow run (see workflows/dag-contract.ts).
const DAG_RUN_ID = /^dag:([^:]+):([^:]+):([^:]+)$/;

async function isVisibleWorkflowRun(ctx: TenantCtx, workflowId: string): Promise<boolean> {
  const m = DAG_RUN_ID.exec(workflowId);
  if (m === null || m[1] !== ctx.tenant.instanceId) return false;
  const { rowCount } = await transaction(ctx.db, ctx.tenant, (tx) =>
    tx.query(`SELECT 1 FROM workflow_runs WHERE instance_id = $1 AND id = $2 AND temporal_workflow_id = $3 AND ${visibleSql(4, "COALESCE(org_id, '')")}`, [
      ctx.tenant.instanceId,
      m[3],
      workflowId,
      visibleOrgKey(ctx.tenant),
    ]),
  );
  return rowCount === 1;
}

/** The associated data of a stored reply key. */
export const replyKeyOwner = (instanceId: string, orgId: string | null) => `reply-key:${instanceId}:${orgKey(orgId)}`;

/** What earlier versions derived for the instance; kept as the instance's key on first use. */
function legacyInstanceKey(masterKey: Buffer, instanceId: string): string {
  return crypto.createHmac('sha256', masterKey).update(`cadenza:reply-signing:${instanceId}`).digest('base64url');
}

/** The reply signing key of an owner (an org, or the instance for null), created on first use. */
export async function replySigningKey(db: Db, config: Pick<Config, 'masterKey' | 'previousMasterKeys'>, instanceId: string, orgId: string | null): Promise<string> {
  const keys = masterKeys(config);
  const owner = replyKeyOwner(instanceId, orgId);
  return transaction(db, { instanceId }, async (tx) => {
    const stored = await readReplyKey(tx, instanceId, orgId);
    if (stored !== undefined) return decryptSecret(keys, stored, owner);
    const fresh = orgId === null ? legacyInstanceKey(keys.current, instanceId) : `rk_${crypto.randomBytes(32).toString('base64url')}`;
    await tx.query('INSERT INTO reply_keys (instance_id, org_id, key_enc) VALUES ($1, $2, $3) ON CONFLICT (instance_id, org_key) DO NOTHING', [
      instanceId,
      orgId,
      encryptSecret(keys, fresh, owner),
    ]);
    // A concurrent first use may have stored its key first: that one counts.
    return decryptSecret(keys, (await readReplyKey(tx, instanceId, orgId))!, owner);
  });
}

async function readReplyKey(tx: Tx, instanceId: string, orgId: string | null): Promise<string | undefined> {
  const { rows } = await tx.query<{ key_enc: string }>('SELECT key_enc FROM reply_keys WHERE instance_id = $1 AND org_key = $2', [instanceId, orgKey(orgId)]);
  return rows[0]?.key_enc;
}

export class ReplyRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = COMMAND_FAILURES.replyRejected;
  }
}

/**
 * POSTs a signed reply through the outbound address policy; 4xx and a refused address are
 * final (ReplyRejected / OutboundAddressRefused), anything else is retried by the caller.
 */
export async function postReply(policy: AddressPolicy, url: string, key: string, body: unknown, timeoutMs = 10_000): Promise<number> {
  const raw = JSON.stringify(body);
  const res = await fetchThroughPolicy(
    policy,
    url,
    { method: 'POST', headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signatureHeader(key, raw), 'user-agent': 'cadenza-reply/1' }, body: raw },
    AbortSignal.timeout(timeoutMs),
  );
  if (res.status >= 200 && res.status < 300) return res.status;
  if (res.status >= 400 && res.status < 500) throw new ReplyRejectedError(`replyTo answered ${res.status}`);
  throw new Error(`replyTo answered ${res.status}`);
}
