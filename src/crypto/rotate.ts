// `cadenza keys rotate-master`: rewrites every stored secret (target signing keys with the key a
// rotation still accepts, reply signing keys, workflow credentials) under the current master key.
// Run it with the new key in CADENZA_MASTER_KEY and the old one in CADENZA_MASTER_KEY_PREVIOUS (every
// process first gets both, so each can open old and new values); afterwards the old key can go.
// One transaction: either every secret moves, or none does.
import { replyKeyOwner } from '../commands/replies';
import { credentialOwner } from '../credentials/credentials';
import { SYSTEM, transaction, type Db } from '../db/db';
import { signingKeyOwner } from '../targets/targets';
import { decryptSecret, encryptSecret, needsReencryption, type MasterKeys } from './secrets';

export interface RotationReport {
  targets: number;
  replyKeys: number;
  credentials: number;
  alreadyCurrent: number;
}

export async function rotateMasterKey(db: Db, keys: MasterKeys): Promise<RotationReport> {
  return transaction(db, SYSTEM, async (tx) => {
    const report: RotationReport = { targets: 0, replyKeys: 0, credentials: 0, alreadyCurrent: 0 };
    const targets = await tx.query<{ instance_id: string; id: string; signing_key_enc: string; previous_signing_key_enc: string | null }>(
      'SELECT instance_id, id, signing_key_enc, previous_signing_key_enc FROM targets FOR UPDATE',
    );
    for (const t of targets.rows) {
      const stale = [t.signing_key_enc, t.previous_signing_key_enc].some((enc) => enc !== null && needsReencryption(keys, enc));
      if (!stale) {
        report.alreadyCurrent++;
        continue;
      }
      const owner = signingKeyOwner(t.instance_id, t.id);
      const fresh = (enc: string | null) => (enc === null ? null : encryptSecret(keys, decryptSecret(keys, enc, owner), owner));
      await tx.query('UPDATE targets SET signing_key_enc = $3, previous_signing_key_enc = $4 WHERE instance_id = $1 AND id = $2', [
        t.instance_id,
        t.id,
        fresh(t.signing_key_enc),
        fresh(t.previous_signing_key_enc),
      ]);
      report.targets++;
    }
    const replyKeys = await tx.query<{ instance_id: string; org_id: string | null; org_key: string; key_enc: string }>('SELECT instance_id, org_id, org_key, key_enc FROM reply_keys FOR UPDATE');
    for (const r of replyKeys.rows) {
      if (!needsReencryption(keys, r.key_enc)) {
        report.alreadyCurrent++;
        continue;
      }
      const owner = replyKeyOwner(r.instance_id, r.org_id);
      const fresh = encryptSecret(keys, decryptSecret(keys, r.key_enc, owner), owner);
      await tx.query('UPDATE reply_keys SET key_enc = $3 WHERE instance_id = $1 AND org_key = $2', [r.instance_id, r.org_key, fresh]);
      report.replyKeys++;
    }
    const credentials = await tx.query<{ instance_id: string; id: string; data_enc: string }>('SELECT instance_id, id, data_enc FROM credentials FOR UPDATE');
    for (const c of credentials.rows) {
      if (!needsReencryption(keys, c.data_enc)) {
        report.alreadyCurrent++;
        continue;
      }
      const owner = credentialOwner(c.instance_id, c.id);
      const fresh = encryptSecret(keys, decryptSecret(keys, c.data_enc, owner), owner);
      await tx.query('UPDATE credentials SET data_enc = $3 WHERE instance_id = $1 AND id = $2', [c.instance_id, c.id, fresh]);
      report.credentials++;
    }
    return report;
  });
}
