import crypto from 'node:crypto';
import { signatureHeader, verifySignature } from '../../src/client/signature';

const body = JSON.stringify({ hello: 'world' });
const now = 1_700_000_000;

describe('signatures', () => {
  it('signs with one key as t=<unix>,v1=<hex HMAC-SHA256(key, "<t>.<body>")>', () => {
    const mac = crypto.createHmac('sha256', 'k1').update(`${now}.${body}`).digest('hex');
    expect(signatureHeader('k1', body, now)).toBe(`t=${now},v1=${mac}`);
  });

  it('carries one v1 per key during an overlap, the first key first, and each key verifies', () => {
    const header = signatureHeader(['new', 'old'], body, now);
    expect(header.split(',')).toHaveLength(3);
    expect(header).toBe(`${signatureHeader('new', body, now)},${signatureHeader('old', body, now).split(',')[1]}`);
    expect(verifySignature('new', body, header, { now })).toBe(true);
    expect(verifySignature('old', body, header, { now })).toBe(true);
    expect(verifySignature('other', body, header, { now })).toBe(false);
  });

  it('refuses a changed body, a stale timestamp, two timestamps and a missing header', () => {
    const header = signatureHeader(['new', 'old'], body, now);
    expect(verifySignature('old', `${body} `, header, { now })).toBe(false);
    expect(verifySignature('old', body, header, { now: now + 301 })).toBe(false);
    expect(verifySignature('old', body, header, { now: now + 300 })).toBe(true);
    expect(verifySignature('old', body, `t=${now + 1},${header}`, { now })).toBe(false);
    expect(verifySignature('old', body, undefined, { now })).toBe(false);
    expect(verifySignature('old', body, `t=${now},v1=zz`, { now })).toBe(false);
  });
});
