// System keys: `cdzsys_` plus 32 random base64url characters, stored as their SHA-256 like API
// keys. They belong to no instance: they provision instances (/v1/system/…) and nothing else.
import crypto from 'node:crypto';
import { SYSTEM, transaction, type Db, type Tx } from '../db/db';
import { newId } from '../ids';
import { hashSecret } from './keys';

export const SYSTEM_KEY_PREFIX = 'cdzsys_';

export const isSystemSecret = (secret: string): boolean => secret.startsWith(SYSTEM_KEY_PREFIX);

export async function insertSystemKey(tx: Tx, creator: string, name: string): Promise<{ id: string; secret: string }> {
  const id = newId('syskey');
  const secret = `${SYSTEM_KEY_PREFIX}${crypto.randomBytes(24).toString('base64url')}`;
  await tx.query('INSERT INTO system_keys (id, name, key_hash, prefix, created_by) VALUES ($1, $2, $3, $4, $5)', [id, name, hashSecret(secret), secret.slice(0, 15), creator]);
  return { id, secret };
}

export async function hasSystemKey(db: Db): Promise<boolean> {
  return transaction(db, SYSTEM, async (tx) => (await tx.query('SELECT 1 FROM system_keys WHERE revoked_at IS NULL LIMIT 1')).rowCount === 1);
}

export async function authenticateSystem(db: Db, secret: string): Promise<{ id: string; name: string } | undefined> {
  if (!isSystemSecret(secret) || secret.length > 100) return undefined;
  const { rows } = await transaction(db, SYSTEM, (tx) => tx.query<{ id: string; name: string }>('SELECT id, name FROM system_keys WHERE key_hash = $1 AND revoked_at IS NULL', [hashSecret(secret)]));
  return rows[0];
}
