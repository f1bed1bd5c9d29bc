// `api.http.fetch` for sandboxed scripts: an HTTP(S) call from the host, on the script's behalf.
// The address policy decides where it may go, the connection is made to the checked address
// (no second DNS lookup to rebind), and the run's deadline aborts it.
import http from 'node:http';
import https from 'node:https';
import type { AddressPolicy } from '../net/address-policy';
import type { HostFunction } from './sandbox';

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

/** The host function behind `api.http.fetch(url, { method, headers, body })`; make one per script run. */
export function fetchHostFunction(policy: AddressPolicy): HostFunction {
  const slots = new Slots(FETCH_LIMITS.concurrentPerRun);
  return async ([url, init], call) => {
    await slots.take(call.signal);
    try {
      return await fetchThroughPolicy(policy, String(url), (init ?? {}) as FetchInit, call.signal);
    } finally {
      slots.give();
    }
  };
}

/** A counting semaphore whose waiters give up when their signal aborts. */
class Slots {
  private readonly waiting: (() => void)[] = [];
  constructor(private free: number) {}

  take(signal: AbortSignal): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const go = () => {
        signal.removeEventListener('abort', stop);
        resolve();
      };
      const stop = () => {
        this.waiting.splice(this.waiting.indexOf(go), 1);
        reject(new Error('fetch: aborted at the script deadline'));
      };
      this.waiting.push(go);
      signal.addEventListener('abort', stop, { once: true });
    });
  }

  give(): void {
    const next = this.waiting.shift();
    if (next !== undefined) next();
    else this.free++;
  }
}

export async function fetchThroughPolicy(policy: AddressPolicy, rawUrl: string, init: FetchInit, signal: AbortSignal): Promise<FetchResponse> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new Error(`fetch: '${rawUrl}' is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('fetch: only http and https URLs are allowed');
  const address = await policy.resolve(url.hostname, signal);
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
