// Secrets at rest (target signing keys): AES-256-GCM under the configured master key.
// Stored form: "v1.<iv b64>.<tag b64>.<ciphertext b64>"; the version leaves room for rotation.
import crypto from 'node:crypto';

const VERSION = 'v1';

export function encryptSecret(masterKey: Buffer, plaintext: string): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', masterKey, iv);
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), data.toString('base64')].join('.');
}

/** Throws when the stored value was changed or was encrypted under another master key. */
export function decryptSecret(masterKey: Buffer, stored: string): string {
  const [version, iv, tag, data] = stored.split('.');
  if (version !== VERSION || iv === undefined || tag === undefined || data === undefined) throw new Error('not an encrypted secret');
  const decipher = crypto.createDecipheriv('aes-256-gcm', masterKey, Buffer.from(iv, 'base64'));
  decipher.setAuthTag(Buffer.from(tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
}
