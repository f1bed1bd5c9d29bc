import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAddressPolicy, OutboundAddressRefused } from '../../src/net/address-policy';
import { fetchHostFunction } from '../../src/sandbox/http';
import { Sandbox } from '../../src/sandbox/sandbox';

const sandbox = new Sandbox();

describe('sandbox', () => {
  it('calls the entry function with JSON arguments and returns its result', async () => {
    const r = await sandbox.runScript({ source: 'function main(a, b) { return { sum: a.x + b } }', entry: 'main', args: [{ x: 2 }, 3], timeoutMs: 1000 });
    expect(r).toMatchObject({ ok: true, value: { sum: 5 } });
  });

  it('passes a __proto__ key as a plain property', async () => {
    const r = await sandbox.runScript({ source: 'function main(o) { return [Object.keys(o), Object.getPrototypeOf(o) === Object.prototype] }', entry: 'main', args: [JSON.parse('{"__proto__": {"x": 1}}')], timeoutMs: 1000 });
    expect(r).toMatchObject({ ok: true, value: [['__proto__'], true] });
  });

  it('lets the script await a promise-returning host function', async () => {
    const r = await sandbox.runScript({
      source: 'async function main(n, api) { const v = await api.double(n); return v + api.inc(1) }',
      entry: 'main',
      args: [21],
      host: { double: async ([n]) => (n as number) * 2, inc: ([n]) => (n as number) + 1 },
      timeoutMs: 1000,
    });
    expect(r).toMatchObject({ ok: true, value: 44 });
  });

  it('turns a rejected host promise into an exception the script can catch', async () => {
    const r = await sandbox.runScript({
      source: 'async function main(api) { try { await api.fail() } catch (e) { return e.message } }',
      entry: 'main',
      host: { fail: async () => { throw new Error('nope') } },
      timeoutMs: 1000,
    });
    expect(r).toMatchObject({ ok: true, value: 'nope' });
  });

  it('has no require, process, fetch, timers or module loading', async () => {
    const r = await sandbox.runScript({
      source: '[typeof require, typeof process, typeof fetch, typeof setTimeout, typeof setInterval, typeof XMLHttpRequest, typeof module]',
      timeoutMs: 1000,
    });
    expect(r).toMatchObject({ ok: true, value: Array(7).fill('undefined') });
  });

  it('stops an infinite loop at its timeout, and the next run succeeds', async () => {
    const started = Date.now();
    const r = await sandbox.runScript({ source: 'function main() { for (;;) {} }', entry: 'main', timeoutMs: 200 });
    expect(r).toMatchObject({ ok: false, error: { kind: 'timeout' } });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await sandbox.runScript({ source: '1 + 1', timeoutMs: 1000 })).toMatchObject({ ok: true, value: 2 });
  });

  it('stops a script awaiting a host promise that never settles at its timeout', async () => {
    const r = await sandbox.runScript({
      source: 'async function main(api) { await api.hang() }',
      entry: 'main',
      host: { hang: () => new Promise(() => undefined) },
      timeoutMs: 200,
    });
    expect(r).toMatchObject({ ok: false, error: { kind: 'timeout' } });
  });

  it('stops a memory bomb at its cap, and the next run succeeds', async () => {
    const r = await sandbox.runScript({
      source: 'function main() { const a = []; for (;;) a.push({ i: a.length, s: "abc" + a.length }) }',
      entry: 'main',
      // Generous: on a loaded machine the bomb must reach its cap before the clock stops it.
      timeoutMs: 60_000,
      memoryBytes: 8 * 1024 * 1024,
    });
    expect(r).toMatchObject({ ok: false, error: { kind: 'memory' } });
    expect(await sandbox.runScript({ source: '"still " + "fine"', timeoutMs: 1000 })).toMatchObject({ ok: true, value: 'still fine' });
  });

  it('reports a thrown error with its line', async () => {
    const r = await sandbox.runScript({ source: 'function main() {\n  let a = 1;\n  throw new TypeError("bad " + a)\n}', entry: 'main', timeoutMs: 1000 });
    expect(r).toMatchObject({ ok: false, error: { kind: 'runtime', message: 'TypeError: bad 1', line: 3 } });
  });

  it('reports a missing entry function', async () => {
    const r = await sandbox.runScript({ source: 'function other() {}', entry: 'main', timeoutMs: 1000 });
    expect(r).toMatchObject({ ok: false, error: { kind: 'not_a_function' } });
  });

  it('refuses a result larger than the output cap', async () => {
    const r = await sandbox.runScript({ source: '"x".repeat(2000)', timeoutMs: 1000, maxOutputBytes: 1000 });
    expect(r).toMatchObject({ ok: false, error: { kind: 'output_too_large' } });
  });

  it('captures log lines up to the log cap', async () => {
    const r = await sandbox.runScript({
      source: 'function main(api) { api.log("hello", { a: 1 }); api.log.warn("careful"); for (let i = 0; i < 100; i++) api.log("line " + i) }',
      entry: 'main',
      timeoutMs: 1000,
      maxLogBytes: 100,
    });
    expect(r.ok).toBe(true);
    expect(r.logs.slice(0, 2)).toMatchObject([{ level: 'info', message: 'hello {"a":1}' }, { level: 'warn', message: 'careful' }]);
    expect(r.logsTruncated).toBe(true);
    expect(r.logs.reduce((n, l) => n + l.message.length, 0)).toBeLessThanOrEqual(100);
  });

  it('checks syntax without running and names the line', async () => {
    expect(await sandbox.checkSyntax('function f() {\n  return 1\n}')).toBeUndefined();
    expect(await sandbox.checkSyntax('while (true) {}')).toBeUndefined();
    expect(await sandbox.checkSyntax('function f() {\n  let x = ;\n}')).toMatchObject({ kind: 'syntax', line: 2 });
  });

  it('evaluates an expression against named values', async () => {
    expect(await sandbox.evaluateExpression('$json.name.toUpperCase() + n', { $json: { name: 'ada' }, n: 1 })).toMatchObject({ ok: true, value: 'ADA1' });
    expect(await sandbox.evaluateExpression('(() => { for (;;) {} })()', {}, { timeoutMs: 100 })).toMatchObject({ ok: false, error: { kind: 'timeout' } });
  });
});

describe('outbound address policy', () => {
  const resolveTo = (addresses: string[]) => async () => addresses;

  it.each(['127.0.0.1', '10.0.0.1', '172.16.3.4', '192.168.1.1', '169.254.169.254', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:10.0.0.1', '[::127.0.0.1]', '::a9fe:a9fe', '::10.0.0.1'])(
    'refuses %s',
    async (address) => {
      await expect(createAddressPolicy([]).resolve(address)).rejects.toBeInstanceOf(OutboundAddressRefused);
    },
  );

  it('accepts a global address', async () => {
    expect(await createAddressPolicy([]).resolve('93.184.216.34')).toBe('93.184.216.34');
  });

  it('refuses a name that resolves to a private address, without telling the address', async () => {
    const refusal = createAddressPolicy([], resolveTo(['93.184.216.34', '10.1.2.3'])).resolve('example.test');
    await expect(refusal).rejects.toThrow('outbound call to example.test refused: its address is not allowed (allow it with CADENZA_OUTBOUND_ALLOWLIST)');
    await expect(refusal).rejects.toMatchObject({ address: '10.1.2.3', range: 'private' });
  });

  it('judges IPv4-compatible IPv6 addresses as the IPv4 address they carry', async () => {
    expect(await createAddressPolicy(['127.0.0.1']).resolve('[::127.0.0.1]')).toBe('::127.0.0.1');
    await expect(createAddressPolicy([]).resolve('::7f00:1')).rejects.toMatchObject({ range: 'loopback' });
  });

  it('gives a lookup a deadline and stops waiting for it when the caller gives up', async () => {
    let seen: AbortSignal | undefined;
    const never = (_host: string, signal: AbortSignal) => {
      seen = signal;
      return new Promise<string[]>((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('lookup cancelled'))));
    };
    const caller = new AbortController();
    const pending = createAddressPolicy([], never).resolve('slow.example', caller.signal);
    caller.abort();
    await expect(pending).rejects.toThrow('lookup cancelled');
    expect(seen!.aborted).toBe(true);
    // Without a caller's signal the lookup still has its own deadline.
    void createAddressPolicy([], never).resolve('slow.example').catch(() => undefined);
    expect(seen!.aborted).toBe(false);
  });

  it('cancels a real DNS lookup with the caller signal', async () => {
    const caller = new AbortController();
    caller.abort();
    await expect(createAddressPolicy([]).resolve('cadenza.invalid', caller.signal)).rejects.toThrow();
  });

  it('lets the allowlist permit CIDRs, single addresses and host names', async () => {
    const policy = createAddressPolicy(['10.0.0.0/8', '127.0.0.1', 'internal.test'], resolveTo(['192.168.0.9']));
    expect(await policy.resolve('10.9.9.9')).toBe('10.9.9.9');
    expect(await policy.resolve('127.0.0.1')).toBe('127.0.0.1');
    expect(await policy.resolve('internal.test')).toBe('192.168.0.9');
    await expect(policy.resolve('127.0.0.2')).rejects.toBeInstanceOf(OutboundAddressRefused);
  });
});

describe('api.http.fetch in the sandbox', () => {
  let server: http.Server;
  let port: number;
  beforeAll(async () => {
    let inFlight = 0;
    server = http.createServer((req, res) => {
      if (req.url === '/slow') return; // never answers
      if (req.url?.startsWith('/count')) {
        inFlight++;
        const seen = { inFlight, length: req.headers['content-length'] ?? null, chunked: req.headers['transfer-encoding'] === 'chunked' };
        req.resume();
        // Answer once a few calls had the chance to overlap.
        setImmediate(() => setImmediate(() => {
          inFlight--;
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(seen));
        }));
        return;
      }
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ method: req.method, body }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const script = 'async function main(url, api) { try { const r = await api.http.fetch(url, { method: "POST", body: { a: 1 } }); return JSON.parse(r.text) } catch (e) { return "refused: " + e.message } }';

  it('reaches an allowlisted loopback server', async () => {
    const r = await sandbox.runScript({ source: script, entry: 'main', args: [`http://127.0.0.1:${port}/x`], host: { http: { fetch: fetchHostFunction(createAddressPolicy(['127.0.0.1'])) } }, timeoutMs: 2000 });
    expect(r).toMatchObject({ ok: true, value: { method: 'POST', body: '{"a":1}' } });
  });

  it.each(['http://169.254.169.254/latest/meta-data', 'http://10.0.0.1/', `http://127.0.0.1:1/`])('refuses %s without an allowlist', async (url) => {
    const r = await sandbox.runScript({ source: script, entry: 'main', args: [url], host: { http: { fetch: fetchHostFunction(createAddressPolicy([])) } }, timeoutMs: 2000 });
    expect(r).toMatchObject({ ok: true, value: expect.stringMatching(/^refused: .*refused/) });
  });

  it('runs at most four fetches of one script at once and sends Content-Length', async () => {
    const source = `async function main(url, api) {
      const all = await Promise.all(Array.from({ length: 10 }, (_, i) => api.http.fetch(url + '/' + i, { method: 'POST', body: { i } })));
      return all.map((r) => JSON.parse(r.text));
    }`;
    const r = await sandbox.runScript({ source, entry: 'main', args: [`http://127.0.0.1:${port}/count`], host: { http: { fetch: fetchHostFunction(createAddressPolicy(['127.0.0.1'])) } }, timeoutMs: 5000 });
    expect(r.ok).toBe(true);
    const answers = (r as { value: { inFlight: number; length: string | null; chunked: boolean }[] }).value;
    expect(answers).toHaveLength(10);
    expect(Math.max(...answers.map((a) => a.inFlight))).toBeLessThanOrEqual(4);
    expect(answers.every((a) => a.length !== null && !a.chunked)).toBe(true);
  });

  it('aborts a fetch at the script deadline', async () => {
    const started = Date.now();
    const r = await sandbox.runScript({
      source: 'async function main(url, api) { await api.http.fetch(url) }',
      entry: 'main',
      args: [`http://127.0.0.1:${port}/slow`],
      host: { http: { fetch: fetchHostFunction(createAddressPolicy(['127.0.0.1'])) } },
      timeoutMs: 300,
    });
    expect(r).toMatchObject({ ok: false, error: { kind: 'timeout' } });
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
