// Secrets at rest (target signing keys, reply signing keys): AES-256-GCM under the master key.
// Stored form "v2.<key id>.<iv>.<tag>.<ciphertext>" (base64 parts): the key id names the master
// key that encrypted it (the first 8 bytes of its SHA-256, in hex), so a rotation knows which
// key opens which value; the associated data binds the value to its owner (for example
// "target:<instance>:<targetId>"), so a value copied onto another row does not decrypt.
// Values written before key ids ("v1.<iv>.<tag>.<ciphertext>", no associated data) still open,
// and `cadenza keys rotate-master` rewrites them.
import crypto from 'node:crypto';

const VERSION = 'v2';
const LEGACY = 'v1';

/** The master key in use, and earlier ones that may still have encrypted stored values. */
export interface MasterKeys {
  current: Buffer;
  previous: Buffer[];
}

export function masterKeyId(key: Buffer): string {
  return crypto.createHash('sha256').update(key).digest('hex').slice(0, 16);
}

export function encryptSecret(keys: MasterKeys, plaintext: string, owner: string): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', keys.current, iv);
  cipher.setAAD(Buffer.from(owner, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, masterKeyId(keys.current), iv.toString('base64'), cipher.getAuthTag().toString('base64'), data.toString('base64')].join('.');
}

/** Throws when the value was changed, belongs to another owner, or was encrypted under an unknown master key. */
export function decryptSecret(keys: MasterKeys, stored: string, owner: string): string {
  const parts = stored.split('.');
  if (parts[0] === LEGACY && parts.length === 4) return decryptLegacy(keys, parts as [string, string, string, string]);
  const [version, keyId, iv, tag, data] = parts;
  if (version !== VERSION || keyId === undefined || iv === undefined || tag === undefined || data === undefined || parts.length !== 5) {
    throw new Error('not an encrypted secret');
  }
  const key = [keys.current, ...keys.previous].find((k) => masterKeyId(k) === keyId);
  if (key === undefined) throw new Error(`the secret was encrypted under master key ${keyId}, which is not configured (set CADENZA_MASTER_KEY_PREVIOUS)`);
  return open(key, iv, tag, data, owner);
}

/** True when the value is not under the current master key in the current format. */
export function needsReencryption(keys: MasterKeys, stored: string): boolean {
  const [version, keyId] = stored.split('.');
  return version !== VERSION || keyId !== masterKeyId(keys.current);
}

function decryptLegacy(keys: MasterKeys, [, iv, tag, data]: [string, string, string, string]): string {
  for (const key of [keys.current, ...keys.previous]) {
    try {
      return open(key, iv, tag, data, undefined);
    } catch {
      // try the next key
    }
  }
  throw new Error('the secret does not open with any configured master key');
}

function open(key: Buffer, iv: string, tag: string, data: string, owner: string | undefined): string {
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
  if (owner !== undefined) decipher.setAAD(Buffer.from(owner, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
}
