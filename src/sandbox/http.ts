// `api.http.fetch` for sandboxed scripts: an HTTP(S) call from the host, on the script's behalf.
// The address policy decides where it may go, the connection is made to the checked address
// (no second DNS lookup to rebind), and the run's deadline aborts it.
import http from 'node:http';
import https from 'node:https';
import type { AddressPolicy } from '../net/address-policy';
import type { HostFunction } from './sandbox';

export const FETCH_LIMITS = { requestBodyBytes: 256 * 1024, responseBodyBytes: 1024 * 1024 };

export interface FetchResponse {
  status: number;
  ok: boolean;
  headers: Record<string, string>;
  text: string;
}

interface FetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
}

/** The host function behind `api.http.fetch(url, { method, headers, body })`. */
export function fetchHostFunction(policy: AddressPolicy): HostFunction {
  return async ([url, init], call) => fetchThroughPolicy(policy, String(url), (init ?? {}) as FetchInit, call.signal);
}

export async function fetchThroughPolicy(policy: AddressPolicy, rawUrl: string, init: FetchInit, signal: AbortSignal): Promise<FetchResponse> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new Error(`fetch: '${rawUrl}' is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('fetch: only http and https URLs are allowed');
  const address = await policy.resolve(url.hostname);
  const body = init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
  if (body !== undefined && Buffer.byteLength(body) > FETCH_LIMITS.requestBodyBytes) {
    throw new Error(`fetch: the request body is larger than ${FETCH_LIMITS.requestBodyBytes} bytes`);
  }
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (body !== undefined && typeof init.body !== 'string') headers['content-type'] ??= 'application/json';
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
