// A scripted HTTP receiver for workflow tests on 127.0.0.1, port 0. Paths choose the behaviour:
// /ok/<key> answers {key, body}; /slow/<key> answers after 400 ms; /flaky/<key>/<n> fails the
// first n calls per key with 503; /fail/<key> always answers 500; /hang-first/<key> never answers
// its first call per key (a worker that dies mid-call) and answers later ones. Every call is recorded.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedCall {
  path: string;
  key: string;
  body: unknown;
  headers: http.IncomingHttpHeaders;
  startedAt: number;
  endedAt: number;
}

export interface Receiver {
  url: string;
  calls: ReceivedCall[];
  callsTo(key: string): ReceivedCall[];
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const calls: ReceivedCall[] = [];
  const counts = new Map<string, number>();
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const [, kind = '', key = '', n = '0'] = (req.url ?? '/').split('?')[0]!.split('/');
      let body: unknown = raw;
      try {
        body = raw === '' ? null : JSON.parse(raw);
      } catch {
        // keep the text
      }
      const call: ReceivedCall = { path: req.url ?? '', key, body, headers: req.headers, startedAt: Date.now(), endedAt: 0 };
      calls.push(call);
      const count = (counts.get(key) ?? 0) + 1;
      counts.set(key, count);
      const answer = (status: number, payload: unknown) => {
        call.endedAt = Date.now();
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      if (kind === 'slow') setTimeout(() => answer(200, { key, body }), 400);
      else if (kind === 'flaky' && count <= Number(n)) answer(503, { error: `try ${count} fails` });
      else if (kind === 'fail') answer(500, { error: 'broken' });
      else if (kind === 'hang-first' && count === 1) return; // the caller's connection ends it
      else answer(200, { key, body, count });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    callsTo: (key) => calls.filter((c) => c.key === key),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
