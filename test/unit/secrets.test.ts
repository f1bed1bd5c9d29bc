import crypto from 'node:crypto';
import { decryptSecret, encryptSecret, masterKeyId, needsReencryption, type MasterKeys } from '../../src/crypto/secrets';

describe('secrets at rest', () => {
  const keys: MasterKeys = { current: crypto.randomBytes(32), previous: [] };

  it('decrypts what it encrypted, and never stores the plaintext', () => {
    const stored = encryptSecret(keys, 'sk_plain_secret', 'target:acme:tgt_1');
    expect(stored).not.toContain('sk_plain_secret');
    expect(decryptSecret(keys, stored, 'target:acme:tgt_1')).toBe('sk_plain_secret');
    expect(encryptSecret(keys, 'sk_plain_secret', 'target:acme:tgt_1')).not.toBe(stored); // a fresh IV each time
  });

  it('names the master key that encrypted a value', () => {
    const stored = encryptSecret(keys, 'secret', 'o');
    expect(stored.split('.').slice(0, 2)).toEqual(['v2', masterKeyId(keys.current)]);
  });

  it('refuses a tampered value, another master key and another owner', () => {
    const stored = encryptSecret(keys, 'secret', 'target:acme:tgt_1');
    const parts = stored.split('.');
    const tampered = [...parts.slice(0, 4), Buffer.from('other!').toString('base64')].join('.');
    expect(() => decryptSecret(keys, tampered, 'target:acme:tgt_1')).toThrow();
    expect(() => decryptSecret({ current: crypto.randomBytes(32), previous: [] }, stored, 'target:acme:tgt_1')).toThrow(/not configured/);
    // A ciphertext copied onto another target's row does not open there.
    expect(() => decryptSecret(keys, stored, 'target:acme:tgt_2')).toThrow();
  });

  it('opens values under a previous master key, and tells which ones a rotation must rewrite', () => {
    const old = crypto.randomBytes(32);
    const stored = encryptSecret({ current: old, previous: [] }, 'secret', 'o');
    const rotated: MasterKeys = { current: crypto.randomBytes(32), previous: [old] };
    expect(decryptSecret(rotated, stored, 'o')).toBe('secret');
    expect(needsReencryption(rotated, stored)).toBe(true);
    expect(needsReencryption(rotated, encryptSecret(rotated, 'secret', 'o'))).toBe(false);
  });

  it('still opens values stored before key ids (v1, no associated data)', () => {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', keys.current, iv);
    const data = Buffer.concat([cipher.update('legacy', 'utf8'), cipher.final()]);
    const v1 = ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), data.toString('base64')].join('.');
    expect(decryptSecret(keys, v1, 'anything')).toBe('legacy');
    expect(needsReencryption(keys, v1)).toBe(true);
  });
});
