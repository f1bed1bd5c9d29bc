// The one signed call to a target: a JSON POST through the outbound address policy, with the
// Cadenza-Signature header over the exact bytes sent. Used by target calls and alert notices.
import { signatureHeader, SIGNATURE_HEADER } from '../client/signature';
import type { AddressPolicy } from '../net/address-policy';
import { traceHeaders } from '../telemetry/tracing';
import { fetchThroughPolicy, type FetchResponse } from '../net/http';

/** `keys`: the current signing key, then one still overlapping after a rotation (one signature each). */
export async function postSigned(policy: AddressPolicy, endpoint: string, keys: readonly string[], body: unknown, timeoutMs: number): Promise<FetchResponse> {
  const raw = JSON.stringify(body ?? null);
  // The active trace goes with the call (traceparent), so the receiver's spans join it.
  const headers = { 'content-type': 'application/json', [SIGNATURE_HEADER]: signatureHeader(keys, raw), ...traceHeaders() };
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    return await fetchThroughPolicy(policy, endpoint, { method: 'POST', headers, body: raw }, signal);
  } catch (err) {
    if (signal.aborted) throw new Error(`no answer within ${timeoutMs} ms`);
    throw err;
  }
}
