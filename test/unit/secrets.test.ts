import crypto from 'node:crypto';
import { decryptSecret, encryptSecret } from '../../src/crypto/secrets';

describe('secrets at rest', () => {
  const key = crypto.randomBytes(32);

  it('decrypts what it encrypted, and never stores the plaintext', () => {
    const stored = encryptSecret(key, 'sk_plain_secret');
    expect(stored).not.toContain('sk_plain_secret');
    expect(decryptSecret(key, stored)).toBe('sk_plain_secret');
    expect(encryptSecret(key, 'sk_plain_secret')).not.toBe(stored); // a fresh IV each time
  });

  it('refuses a tampered value and another master key', () => {
    const stored = encryptSecret(key, 'secret');
    const parts = stored.split('.');
    const tampered = [...parts.slice(0, 3), Buffer.from('other!').toString('base64')].join('.');
    expect(() => decryptSecret(key, tampered)).toThrow();
    expect(() => decryptSecret(crypto.randomBytes(32), stored)).toThrow();
  });
});
