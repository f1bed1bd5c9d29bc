// A loopback HTTP receiver that records what it gets, for replies and target calls.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '../../src/client/signature';

export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: any;
}

/**
 * How a request's body was framed: a receiver that reads no chunked body (Python's http.server)
 * gets it whole only with a Content-Length of its size (issue 12, finding 8).
 */
export const framing = (r: Received) => ({ contentLength: r.headers['content-length'], chunked: r.headers['transfer-encoding'] !== undefined });
export const lengthFramed = (r: Received) => ({ contentLength: String(Buffer.byteLength(r.raw)), chunked: false });

export interface Receiver {
  url: string;
  received: Received[];
  /** Answer with this status (default 200) from now on. */
  respondWith(status: number, body?: unknown): void;
  /**
   * Answer the next requests with these, in order, then fall back to respondWith's answer.
   * `held` answers wait until release(): a caller that waits for them cannot finish before.
   */
  respondNext(...answers: Answer[]): void;
  /** Sends every held answer. */
  release(): void;
  /** Answer each request by what this function makes of its body from now on (after respondNext's queue). */
  decide(answer: (body: any) => { status: number; body?: unknown }): void;
  close(): Promise<void>;
}

interface Answer {
  status: number;
  body?: unknown;
  delayMs?: number;
  held?: boolean;
}

/** `acceptOnlySignedBy`: answer 401 to every call whose Cadenza-Signature this key does not verify. */
export async function startReceiver(options: { port?: number; acceptOnlySignedBy?: string } = {}): Promise<Receiver> {
  const received: Received[] = [];
  let status = 200;
  let answer: unknown = { ok: true };
  const queue: Answer[] = [];
  let decide: ((body: any) => Answer) | undefined;
  const delayed = new Set<NodeJS.Timeout>();
  const held: (() => void)[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
      } catch {
        // keep raw text
      }
      received.push({ path: req.url ?? '/', headers: req.headers, raw, body });
      const unsigned = options.acceptOnlySignedBy !== undefined && !verifySignature(options.acceptOnlySignedBy, raw, req.headers['cadenza-signature'] as string | undefined);
      const next = unsigned ? { status: 401, body: { error: 'bad signature' } } : (queue.shift() ?? decide?.(body) ?? { status, body: answer });
      const send = () => res.writeHead(next.status, { 'content-type': 'application/json' }).end(JSON.stringify(next.body ?? { ok: next.status < 400 }));
      if (next.held === true) held.push(send);
      else if (next.delayMs === undefined) send();
      else {
        const timer = setTimeout(() => {
          delayed.delete(timer);
          send();
        }, next.delayMs);
        delayed.add(timer);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    respondWith(s: number, b?: unknown) {
      decide = undefined;
      status = s;
      answer = b ?? { ok: s < 400 };
    },
    respondNext(...answers) {
      queue.push(...answers);
    },
    decide(fn) {
      decide = fn;
    },
    release() {
      for (const send of held.splice(0)) send();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of delayed) clearTimeout(timer);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
