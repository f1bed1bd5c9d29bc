// Cadenza-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(key, "<t>.<raw body>")>[,v1=<…>]
// Used for command replies and target calls; receivers verify with verifySignature. While a
// rotated target key overlaps, the header carries one v1 per key, the newest first (as Stripe's).
import crypto from 'node:crypto';

export const SIGNATURE_HEADER = 'Cadenza-Signature';

type Key = string | Buffer;

const mac = (key: Key, t: number, rawBody: string) => crypto.createHmac('sha256', key).update(`${t}.${rawBody}`).digest();

/** The header signing `rawBody` with each key (one `v1` per key, in order). */
export function signatureHeader(keys: Key | readonly Key[], rawBody: string, unixSeconds = Math.floor(Date.now() / 1000)): string {
  const list: readonly Key[] = Array.isArray(keys) ? keys : [keys as Key];
  return [`t=${unixSeconds}`, ...list.map((k) => `v1=${mac(k, unixSeconds, rawBody).toString('hex')}`)].join(',');
}

/**
 * True when one of the header's `v1` signatures signs `rawBody` with `key` and its timestamp is
 * within `toleranceSeconds` of now (default 300 s), which bounds replays.
 */
export function verifySignature(
  key: Key,
  rawBody: string,
  header: string | undefined | null,
  options: { toleranceSeconds?: number; now?: number } = {},
): boolean {
  if (!header) return false;
  const parts = header.split(',').map((p) => p.trim().split('=', 2) as [string, string?]);
  const times = parts.filter(([k]) => k === 't');
  const t = Number(times[0]?.[1]);
  if (times.length !== 1 || !Number.isInteger(t)) return false;
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (options.toleranceSeconds ?? 300)) return false;
  const expected = mac(key, t, rawBody);
  const signatures = parts.filter(([k, v]) => k === 'v1' && v !== undefined && /^[0-9a-f]{64}$/.test(v)).map(([, v]) => Buffer.from(v!, 'hex'));
  // Compare with every signature, so the time taken does not tell which one matched.
  return signatures.reduce((ok, s) => crypto.timingSafeEqual(expected, s) || ok, false);
}
