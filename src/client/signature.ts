// Cadenza-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(key, "<t>.<raw body>")>
// Used for command replies and target calls; receivers verify with verifySignature.
import crypto from 'node:crypto';

export const SIGNATURE_HEADER = 'Cadenza-Signature';

export function signatureHeader(key: string | Buffer, rawBody: string, unixSeconds = Math.floor(Date.now() / 1000)): string {
  const mac = crypto.createHmac('sha256', key).update(`${unixSeconds}.${rawBody}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/**
 * True when `header` signs `rawBody` with `key` and its timestamp is within `toleranceSeconds`
 * of now (default 300 s), which bounds replays.
 */
export function verifySignature(
  key: string | Buffer,
  rawBody: string,
  header: string | undefined | null,
  options: { toleranceSeconds?: number; now?: number } = {},
): boolean {
  if (!header) return false;
  const parts = new Map(header.split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1');
  if (!Number.isInteger(t) || v1 === undefined || !/^[0-9a-f]{64}$/.test(v1)) return false;
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (options.toleranceSeconds ?? 300)) return false;
  const expected = crypto.createHmac('sha256', key).update(`${t}.${rawBody}`).digest();
  return crypto.timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}
