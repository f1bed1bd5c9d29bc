// A loopback gRPC proxy that records the headers of every call: it stands in for Temporal Cloud's
// endpoint (TLS with a server certificate, an API key in `authorization`), and forwards each call
// to the cluster's Temporal frontend over mTLS.
import fs from 'node:fs';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { Certificates } from '../../src/cluster/certificates';

export interface RecordedCall {
  path: string;
  authorization: string | undefined;
  namespace: string | undefined;
}

export interface GrpcProxy {
  address: string;
  calls: RecordedCall[];
  close(): Promise<void>;
}

const { HTTP2_HEADER_PATH, HTTP2_HEADER_STATUS, NGHTTP2_CANCEL } = http2.constants;
const END_STREAM = 0x1;

/** Request or response headers without HTTP/2 pseudo-headers, which each side sets itself. */
function plain(headers: http2.IncomingHttpHeaders): http2.OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !name.startsWith(':')));
}

export async function startGrpcProxy(upstreamAddress: string, certs: Certificates): Promise<GrpcProxy> {
  const calls: RecordedCall[] = [];
  const upstream = http2.connect(`https://${upstreamAddress}`, {
    ca: fs.readFileSync(certs.ca),
    cert: fs.readFileSync(certs.clientCert),
    key: fs.readFileSync(certs.clientKey),
    servername: 'localhost',
  });
  upstream.on('error', () => undefined);
  const server = http2.createSecureServer({ cert: fs.readFileSync(certs.serverCert), key: fs.readFileSync(certs.serverKey) });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  server.on('stream', (stream, headers) => {
    const header = (name: string) => (typeof headers[name] === 'string' ? (headers[name] as string) : undefined);
    calls.push({ path: header(HTTP2_HEADER_PATH)!, authorization: header('authorization'), namespace: header('temporal-namespace') });
    const forwarded = upstream.request({ ...plain(headers), ':method': 'POST', ':path': headers[HTTP2_HEADER_PATH] });
    let trailers: http2.OutgoingHttpHeaders = {};
    forwarded.on('response', (response, flags) => {
      // A call the client already gave up on has nothing left to answer.
      if (stream.headersSent || stream.closed || stream.destroyed) return;
      const reply = { ...plain(response), [HTTP2_HEADER_STATUS]: response[HTTP2_HEADER_STATUS] };
      // A trailers-only answer (an error status) ends with its headers.
      stream.respond(reply, (flags & END_STREAM) !== 0 ? { endStream: true } : { waitForTrailers: true });
    });
    forwarded.on('trailers', (t) => (trailers = plain(t)));
    stream.on('wantTrailers', () => (stream.closed ? undefined : stream.sendTrailers(trailers)));
    forwarded.on('data', (chunk: Buffer) => stream.write(chunk));
    forwarded.on('end', () => (stream.headersSent && !stream.closed ? stream.end() : undefined));
    stream.on('data', (chunk: Buffer) => forwarded.write(chunk));
    stream.on('end', () => forwarded.end());
    const cancel = () => {
      if (!forwarded.closed) forwarded.close(NGHTTP2_CANCEL);
      if (!stream.closed) stream.close(NGHTTP2_CANCEL);
    };
    forwarded.on('error', cancel);
    stream.on('error', cancel);
    stream.on('close', cancel);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        upstream.destroy();
        for (const session of sessions) session.destroy();
        server.close(() => resolve());
      }),
  };
}
