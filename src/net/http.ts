// The one outbound HTTP client, for calls to user-supplied URLs (scripts' api.http.fetch, target
// calls, alert notices, HTTP replies): the URL must be http(s), the address policy decides where
// it may go, the connection is made to the checked address (no second DNS lookup to rebind),
// and the caller's signal aborts it.
import http from 'node:http';
import https from 'node:https';
import { ValidationError } from '../errors';
import { OutboundAddressRefused, type AddressPolicy } from './address-policy';

/** Per call; `concurrentPerRun` calls of one script run at once, the rest wait their turn (within the run's deadline). */
export const FETCH_LIMITS = { requestBodyBytes: 256 * 1024, responseBodyBytes: 1024 * 1024, concurrentPerRun: 4 };

export interface FetchResponse {
  status: number;
  ok: boolean;
  headers: Record<string, string>;
  text: string;
}

export interface FetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
}

/** A URL an outbound call may not take: not a URL, or not http(s). */
export class OutboundUrlInvalid extends Error {
  constructor(readonly url: string) {
    super(`'${url}' is not an http(s) URL`);
    this.name = 'OutboundUrlInvalid';
  }
}

/** The URL of an outbound call, parsed: http or https only. */
export function parseOutboundUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundUrlInvalid(raw);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OutboundUrlInvalid(raw);
  return url;
}

/**
 * The one check of an outbound URL: parsed (OutboundUrlInvalid) and its host resolved through
 * the policy (OutboundAddressRefused). Returns the address to connect to.
 */
export async function checkOutboundUrl(policy: AddressPolicy, raw: string, signal?: AbortSignal): Promise<{ url: URL; address: string }> {
  const url = parseOutboundUrl(raw);
  return { url, address: await policy.resolve(url.hostname, signal) };
}

/**
 * checkOutboundUrl for a URL in the caller's input, checked when it is stored (and again at each
 * call: DNS may change): a 422 naming the field, saying why.
 */
export async function checkOutboundUrlField(policy: AddressPolicy, raw: string, field: string): Promise<void> {
  try {
    await checkOutboundUrl(policy, raw);
  } catch (err) {
    if (err instanceof OutboundUrlInvalid) throw ValidationError.field(field, 'must be an http(s) URL');
    throw ValidationError.field(field, err instanceof OutboundAddressRefused ? err.message : `cannot be resolved (${(err as Error).message})`);
  }
}

export async function fetchThroughPolicy(policy: AddressPolicy, rawUrl: string, init: FetchInit, signal: AbortSignal): Promise<FetchResponse> {
  const { url, address } = await checkOutboundUrl(policy, rawUrl, signal);
  const body = init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
  if (body !== undefined && Buffer.byteLength(body) > FETCH_LIMITS.requestBodyBytes) {
    throw new Error(`fetch: the request body is larger than ${FETCH_LIMITS.requestBodyBytes} bytes`);
  }
  // Framing is ours to set: a script's own length or transfer encoding would contradict the body.
  const headers = Object.fromEntries(Object.entries(init.headers ?? {}).filter(([k]) => !/^(content-length|transfer-encoding)$/i.test(k)));
  if (body !== undefined && typeof init.body !== 'string') headers['content-type'] ??= 'application/json';
  // The body is known: say its length, since receivers that do not read chunked bodies see none.
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  return request(url, address, (init.method ?? 'GET').toUpperCase(), headers, body, signal);
}

function request(url: URL, address: string, method: string, headers: Record<string, string>, body: string | undefined, signal: AbortSignal): Promise<FetchResponse> {
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      {
        host: address,
        port: url.port === '' ? undefined : Number(url.port),
        path: `${url.pathname}${url.search}`,
        method,
        headers: { host: url.host, ...headers },
        servername: url.hostname,
        signal,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > FETCH_LIMITS.responseBodyBytes) {
            req.destroy(new Error(`fetch: the response body is larger than ${FETCH_LIMITS.responseBodyBytes} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('error', reject);
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const flat: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
          resolve({ status, ok: status >= 200 && status < 300, headers: flat, text: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    req.on('error', (err) => reject(signal.aborted ? new Error('fetch: aborted at the script deadline') : err));
    if (body !== undefined) req.write(body);
    req.end();
  });
}
