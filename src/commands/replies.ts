// Replies to an HTTP replyTo are POSTed as JSON and signed with the instance's reply signing
// key. That key is derived from the master key (never stored); admins read it from
// GET /v1/commands/reply-signing-key to verify replies.
import crypto from 'node:crypto';
import { signatureHeader, SIGNATURE_HEADER } from '../client/signature';
import type { AddressPolicy } from '../net/address-policy';
import { fetchThroughPolicy } from '../sandbox/http';

export function replySigningKey(masterKey: Buffer, instanceId: string): string {
  return crypto.createHmac('sha256', masterKey).update(`cadenza:reply-signing:${instanceId}`).digest('base64url');
}

export class ReplyRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplyRejected';
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
