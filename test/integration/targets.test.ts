// Targets and executions on the real Temporal dev server and PostgreSQL, with real HTTP
// receivers on loopback: call chains, signatures, event delivery with retries, the event
// dispatcher across restarts, the request/SendCommand hook and run retry.
import crypto from 'node:crypto';
import { verifySignature } from '../../src/client';
import { SYSTEM, transaction } from '../../src/db/db';
import { call, freePort, newTenant, startHarness, startWorkerProcess, systemQuery, waitFor, type Harness, type TestTenant, type WorkerProcess } from '../helpers/harness';
import { framing, lengthFramed, startReceiver, type Receiver } from '../helpers/receiver';
import { runAsLeader } from '../../src/worker/leader';

let h: Harness;
let worker: WorkerProcess;
const receivers: Receiver[] = [];

beforeAll(async () => {
  h = await startHarness({ CADENZA_OUTBOUND_ALLOWLIST: '127.0.0.1', CADENZA_EVENT_DISPATCHER: 'true' });
  worker = await startWorkerProcess(h);
  // Events are delivered from the dispatcher's first checkpoint on: wait for it.
  await waitFor(async () => (await systemQuery(h, 'SELECT 1 FROM event_checkpoints WHERE name = $1', [`executions:${h.env.CADENZA_TASK_QUEUE}`])).rowCount === 1, {
    what: 'the event dispatcher checkpoint',
  });
}, 90_000);
afterAll(async () => {
  await worker?.stop();
  await Promise.all(receivers.map((r) => r.close()));
  await h?.close();
});

async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  receivers.push(r);
  return r;
}

async function target(t: TestTenant, body: Record<string, unknown>): Promise<{ id: string; signingKey: string }> {
  const res = await call(h, 'POST', '/v1/targets', { key: t.adminKey, body: { name: `t-${crypto.randomBytes(3).toString('hex')}`, timeoutSeconds: 5, ...body } });
  expect(res.status).toBe(201);
  return res.body;
}

async function execution(t: TestTenant, condition: string, targets: unknown[]): Promise<void> {
  const res = await call(h, 'PUT', '/v1/executions', { key: t.adminKey, body: { condition, targets } });
  expect(res).toMatchObject({ status: 200 });
}

const pushEvent = (t: TestTenant, type: string, payload: Record<string, unknown> = {}) =>
  call(h, 'POST', '/v1/events', { key: t.adminKey, body: { type, aggregateType: 'order', aggregateId: crypto.randomUUID(), payload } });

async function runsOf(t: TestTenant): Promise<{ id: string; state: string; trigger_type: string }[]> {
  return transaction(h.ctx.db, SYSTEM, async (tx) => (await tx.query("SELECT id, state, trigger_type FROM runs WHERE instance_id = $1 AND kind = 'execution' ORDER BY started_at", [t.instanceId])).rows);
}

describe('targets', () => {
  it('returns the signing key once and stores it only encrypted', async () => {
    const t = await newTenant(h);
    const r = await receiver();
    const created = await target(t, { type: 'webhook', endpoint: r.url });
    expect(created.signingKey).toMatch(/^sk_/);
    const got = await call(h, 'GET', `/v1/targets/${created.id}`, { key: t.adminKey });
    expect(got.status).toBe(200);
    expect(got.body.signingKey).toBeUndefined();
    const stored = await transaction(h.ctx.db, SYSTEM, async (tx) => {
      const rows = (await tx.query('SELECT signing_key_enc FROM targets WHERE instance_id = $1', [t.instanceId])).rows;
      const events = (await tx.query('SELECT payload::text AS p FROM events WHERE instance_id = $1', [t.instanceId])).rows;
      return { enc: rows[0].signing_key_enc as string, events: events.map((e) => e.p as string).join('\n') };
    });
    expect(stored.enc).not.toContain(created.signingKey);
    expect(stored.events).not.toContain(created.signingKey);
    const dup = await call(h, 'POST', '/v1/targets', { key: t.adminKey, body: { name: got.body.name, type: 'webhook', endpoint: r.url } });
    expect(dup.status).toBe(409);
    const moved = await call(h, 'PATCH', `/v1/targets/${created.id}`, { key: t.adminKey, body: { endpoint: 'http://10.20.30.40/hook' } });
    expect(moved.status).toBe(422);
    expect(moved.body.errors[0].field).toBe('body.endpoint');
    const changed = await call(h, 'PATCH', `/v1/targets/${created.id}`, { key: t.adminKey, body: { timeoutSeconds: 270, interruptOnError: true } });
    expect(changed.body).toMatchObject({ timeoutSeconds: 270, interruptOnError: true, endpoint: r.url });
    const listed = await call(h, 'GET', '/v1/targets', { key: t.adminKey });
    expect(listed.body.items.map((x: { id: string }) => x.id)).toEqual([created.id]);
  });

  it('refuses bad input with 422 naming the field', async () => {
    const t = await newTenant(h);
    const r = await receiver();
    const bad = async (body: Record<string, unknown>, field: string) => {
      const res = await call(h, 'POST', '/v1/targets', { key: t.adminKey, body: { name: 'x', type: 'webhook', endpoint: r.url, ...body } });
      expect(res.status).toBe(422);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    };
    await bad({ endpoint: 'not a url' }, 'body.endpoint');
    await bad({ timeoutSeconds: 271 }, 'body.timeoutSeconds');
    await bad({ endpoint: 'http://169.254.169.254/latest/meta-data' }, 'body.endpoint');
    await bad({ endpoint: 'http://10.0.0.7/hook' }, 'body.endpoint');

    const ok = await target(t, { type: 'webhook', endpoint: r.url });
    const rotate = (body: unknown) => call(h, 'POST', `/v1/targets/${ok.id}/signing-key`, { key: t.adminKey, body });
    for (const overlapSeconds of [-1, 1.5, 7 * 24 * 3600 + 1, 'long']) {
      const res = await rotate({ overlapSeconds });
      expect(res.status).toBe(422);
      expect(res.body.errors[0].field).toBe('body.overlapSeconds');
    }

    const put = (condition: string, targets: unknown[]) => call(h, 'PUT', '/v1/executions', { key: t.adminKey, body: { condition, targets } });
    const unknown = await put('request/NoSuchOperation', [{ target: ok.id }]);
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors[0].field).toBe('body.condition');
    expect((await put('banana/x', [])).body.errors[0].field).toBe('body.condition');
    expect((await put('function/a', [{ target: 'tgt_missing' }])).body.errors[0].field).toBe('body.targets[0].target');

    expect((await put('function/a', [{ target: ok.id }])).status).toBe(200);
    expect((await put('function/b', [{ include: 'function/a' }])).status).toBe(200);
    const cycle = await put('function/a', [{ include: 'function/b' }]);
    expect(cycle.status).toBe(422);
    expect(cycle.body.errors[0].field).toBe('body.targets[0].include');
    expect(cycle.body.detail).toMatch(/cycle/);

    expect((await put('function/c', [{ include: 'function/b' }])).status).toBe(200);
    expect((await put('function/d', [{ include: 'function/c' }])).status).toBe(200);
    const deep = await put('function/e', [{ include: 'function/d' }]);
    expect(deep.status).toBe(422);
    expect(deep.body.detail).toMatch(/limit is 3/);
  });

  it('lists, reads and removes executions; an included one stays until its includer lets go', async () => {
    const t = await newTenant(h);
    const r = await receiver();
    const w = await target(t, { type: 'webhook', endpoint: r.url });
    await execution(t, 'event/a.*', [{ target: w.id }]);
    await execution(t, 'event', [{ include: 'event/a.*' }, { target: w.id }]);
    const list = await call(h, 'GET', '/v1/executions', { key: t.adminKey });
    expect(list.body.items.map((e: { condition: string }) => e.condition)).toEqual(['event', 'event/a.*']);
    const one = await call(h, 'GET', '/v1/executions?condition=event', { key: t.adminKey });
    expect(one.body.items[0].targets).toEqual([{ include: 'event/a.*' }, { target: w.id }]);
    expect((await call(h, 'DELETE', '/v1/executions?condition=event/a.*', { key: t.adminKey })).status).toBe(422);
    expect((await call(h, 'DELETE', '/v1/executions?condition=event', { key: t.adminKey })).status).toBe(204);
    expect((await call(h, 'DELETE', '/v1/executions?condition=event/a.*', { key: t.adminKey })).status).toBe(204);
    expect((await call(h, 'GET', '/v1/executions?condition=event', { key: t.adminKey })).status).toBe(404);
  });

  it('answers 404 across tenants', async () => {
    const a = await newTenant(h);
    const b = await newTenant(h);
    const r = await receiver();
    const created = await target(a, { type: 'webhook', endpoint: r.url });
    await execution(a, 'function/mine', [{ target: created.id }]);
    expect((await call(h, 'GET', `/v1/targets/${created.id}`, { key: b.adminKey })).status).toBe(404);
    expect((await call(h, 'POST', `/v1/targets/${created.id}/signing-key`, { key: b.adminKey })).status).toBe(404);
    expect((await call(h, 'DELETE', `/v1/targets/${created.id}`, { key: b.adminKey })).status).toBe(404);
    expect((await call(h, 'GET', '/v1/executions?condition=function/mine', { key: b.adminKey })).status).toBe(404);
    expect((await call(h, 'POST', '/v1/functions/mine/call', { key: b.adminKey, body: { payload: {} } })).status).toBe(404);
    const bad = await call(h, 'PUT', '/v1/executions', { key: b.adminKey, body: { condition: 'function/x', targets: [{ target: created.id }] } });
    expect(bad.status).toBe(422);
    expect(r.received).toHaveLength(0);
  });
});

describe('function calls', () => {
  it('chains call targets, lets a tolerated webhook failure pass, and does not wait for async targets', async () => {
    const t = await newTenant(h);
    const [first, failing, second, slow] = await Promise.all([receiver(), receiver(), receiver(), receiver()]);
    first.respondWith(200, { step: 1 });
    failing.respondWith(500, { broken: true });
    second.respondWith(200, { step: 2 });
    slow.respondNext({ status: 200, held: true }); // answers only once the call has returned
    const c1 = await target(t, { type: 'call', endpoint: first.url });
    const w = await target(t, { type: 'webhook', endpoint: failing.url, interruptOnError: false });
    const a = await target(t, { type: 'async', endpoint: slow.url });
    const c2 = await target(t, { type: 'call', endpoint: second.url });
    await execution(t, 'function/chain', [{ target: c1.id }, { target: w.id }, { target: a.id }, { target: c2.id }]);

    const res = await call(h, 'POST', '/v1/functions/chain/call', { key: t.adminKey, body: { payload: { step: 0 } } });
    expect(res.status).toBe(200);
    expect(res.body.body).toEqual({ step: 2 });
    expect(first.received[0]!.body).toEqual({ step: 0 });
    expect(failing.received[0]!.body).toEqual({ step: 1 });
    expect(second.received[0]!.body).toEqual({ step: 1 });
    await waitFor(() => slow.received.length === 1, { what: 'the async target' });
    slow.release();

    const trace = await call(h, 'GET', `/v1/runs/${res.body.runId}`, { key: t.adminKey });
    expect(trace.body).toMatchObject({ kind: 'execution', state: 'succeeded', triggerType: 'function/chain' });
    expect(trace.body.calls.map((c: { targetId: string; state: string }) => [c.targetId, c.state])).toEqual([
      [c1.id, 'succeeded'],
      [w.id, 'failed'],
      [c2.id, 'succeeded'],
    ]);
  });

  it('stops at a failing target with interruptOnError and forwards its error', async () => {
    const t = await newTenant(h);
    const [veto, after] = await Promise.all([receiver(), receiver()]);
    veto.respondWith(403, { reason: 'not allowed' });
    const w = await target(t, { type: 'webhook', endpoint: veto.url, interruptOnError: true });
    const next = await target(t, { type: 'call', endpoint: after.url });
    await execution(t, 'function/guarded', [{ target: w.id }, { target: next.id }]);
    const res = await call(h, 'POST', '/v1/functions/guarded/call', { key: t.adminKey, body: { payload: { a: 1 } } });
    expect(res.status).toBe(424);
    expect(res.body).toMatchObject({ target: { id: w.id }, targetStatus: 403, targetBody: { reason: 'not allowed' } });
    expect(after.received).toHaveLength(0);
  });

  it('bounds a synchronous call by the target timeout', async () => {
    const t = await newTenant(h);
    const slow = await receiver();
    slow.respondNext({ status: 200, held: true }); // never answers while the call waits
    const c = await target(t, { type: 'call', endpoint: slow.url, timeoutSeconds: 1, interruptOnError: true });
    await execution(t, 'function/slow', [{ target: c.id }]);
    const res = await call(h, 'POST', '/v1/functions/slow/call', { key: t.adminKey, body: { payload: {} } });
    slow.release();
    expect(res.status).toBe(424);
    expect(res.body.detail).toMatch(/no answer within 1000 ms/);
  });

  it('signs every call with the documented scheme; after a rotation without overlap the old key no longer verifies', async () => {
    const t = await newTenant(h);
    const r = await receiver();
    const created = await target(t, { type: 'webhook', endpoint: r.url });
    await execution(t, 'function/signed', [{ target: created.id }]);
    expect((await call(h, 'POST', '/v1/functions/signed/call', { key: t.adminKey, body: { payload: { hello: 'world' } } })).status).toBe(200);
    const got = r.received[0]!;
    expect(framing(got)).toEqual(lengthFramed(got));
    // The receiver side, with nothing but the documented scheme.
    const header = String(got.headers['cadenza-signature']);
    const [, ts, mac] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header)!;
    const expected = crypto.createHmac('sha256', created.signingKey).update(`${ts}.${got.raw}`).digest('hex');
    expect(mac).toBe(expected);
    expect(verifySignature(created.signingKey, got.raw, header)).toBe(true);

    const rotated = await call(h, 'POST', `/v1/targets/${created.id}/signing-key`, { key: t.adminKey, body: { overlapSeconds: 0 } });
    expect(rotated.status).toBe(200);
    expect(rotated.body.previousKeyExpiresAt).toBeNull();
    expect((await call(h, 'POST', '/v1/functions/signed/call', { key: t.adminKey, body: { payload: { hello: 'again' } } })).status).toBe(200);
    const again = r.received[1]!;
    expect(verifySignature(created.signingKey, again.raw, String(again.headers['cadenza-signature']))).toBe(false);
    expect(verifySignature(rotated.body.signingKey, again.raw, String(again.headers['cadenza-signature']))).toBe(true);
  });

  it('keeps the old key verifying for the overlap after a rotation: a receiver that knows only the old key accepts calls until it ends', async () => {
    const t = await newTenant(h);
    const created = await target(t, { type: 'webhook', endpoint: 'http://127.0.0.1:9/placeholder', interruptOnError: true });
    const oldKey = created.signingKey;
    const r = await startReceiver({ acceptOnlySignedBy: oldKey });
    receivers.push(r);
    expect((await call(h, 'PATCH', `/v1/targets/${created.id}`, { key: t.adminKey, body: { endpoint: r.url } })).status).toBe(200);
    await execution(t, 'function/overlap', [{ target: created.id }]);
    const callOnce = () => call(h, 'POST', '/v1/functions/overlap/call', { key: t.adminKey, body: { payload: { at: Date.now() } } });
    expect((await callOnce()).status).toBe(200);

    const overlapSeconds = 5;
    const rotated = await call(h, 'POST', `/v1/targets/${created.id}/signing-key`, { key: t.adminKey, body: { overlapSeconds } });
    expect(rotated.status).toBe(200);
    const newKey: string = rotated.body.signingKey;
    const expiresAt = Date.parse(rotated.body.previousKeyExpiresAt);
    expect((await call(h, 'GET', `/v1/targets/${created.id}`, { key: t.adminKey })).body.previousKeyExpiresAt).toBe(rotated.body.previousKeyExpiresAt);

    // During the overlap: both signatures, the new key's first; the old receiver accepts.
    expect((await callOnce()).status).toBe(200);
    const during = r.received.at(-1)!;
    const header = String(during.headers['cadenza-signature']);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    const [newMac, oldMac] = [...header.matchAll(/v1=([0-9a-f]{64})/g)].map((m) => m[1]);
    const ts = /^t=(\d+)/.exec(header)![1];
    expect(newMac).toBe(crypto.createHmac('sha256', newKey).update(`${ts}.${during.raw}`).digest('hex'));
    expect(oldMac).toBe(crypto.createHmac('sha256', oldKey).update(`${ts}.${during.raw}`).digest('hex'));
    expect(verifySignature(newKey, during.raw, header)).toBe(true);
    expect(verifySignature(oldKey, during.raw, header)).toBe(true);
    expect(Date.now()).toBeLessThan(expiresAt);

    // After it: only the new key signs, and the old receiver refuses (401, forwarded as 424).
    const refused = await waitFor(async () => {
      const res = await callOnce();
      return res.status === 424 ? res : undefined;
    }, { timeoutMs: 30_000, intervalMs: 500, what: 'the overlap to end' });
    expect(refused.body.targetStatus).toBe(401);
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt - 1000);
    const after = r.received.at(-1)!;
    const afterHeader = String(after.headers['cadenza-signature']);
    expect(afterHeader).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifySignature(oldKey, after.raw, afterHeader)).toBe(false);
    expect(verifySignature(newKey, after.raw, afterHeader)).toBe(true);
    expect((await call(h, 'GET', `/v1/targets/${created.id}`, { key: t.adminKey })).body.previousKeyExpiresAt).toBeNull();
  });

  it('refuses an endpoint at call time when it now points at a private address', async () => {
    const t = await newTenant(h);
    const r = await receiver();
    const created = await target(t, { type: 'call', endpoint: r.url, interruptOnError: true });
    await execution(t, 'function/moved', [{ target: created.id }]);
    // As if DNS changed after the save: the stored endpoint now reaches the metadata address.
    await systemQuery(h, "UPDATE targets SET endpoint = 'http://169.254.169.254/latest' WHERE instance_id = $1", [t.instanceId]);
    const res = await call(h, 'POST', '/v1/functions/moved/call', { key: t.adminKey, body: { payload: {} } });
    expect(res.status).toBe(424);
    expect(res.body.detail).toMatch(/refused/);
  });
});

describe('request/SendCommand', () => {
  it('lets a call target rewrite the payload, and a vetoing webhook stop the send', async () => {
    const t = await newTenant(h);
    const rewriter = await receiver();
    rewriter.respondWith(200, { payload: { amount: 42, rewritten: true } });
    const c = await target(t, { type: 'call', endpoint: rewriter.url });
    await execution(t, 'request/SendCommand', [{ target: c.id }]);
    const sent = await call(h, 'POST', '/v1/commands', { key: t.adminKey, body: { domain: 'billing', type: 'charge', commandId: 'c1', payload: { amount: 1 } } });
    expect(sent.status).toBe(202);
    expect(rewriter.received[0]!.body).toMatchObject({ domain: 'billing', type: 'charge', payload: { amount: 1 } });
    const got = await call(h, 'GET', '/v1/commands/billing/c1', { key: t.adminKey });
    expect(got.body.payload).toEqual({ amount: 42, rewritten: true });

    const vetoer = await receiver();
    vetoer.respondWith(422, { reason: 'amount too high' });
    const w = await target(t, { type: 'webhook', endpoint: vetoer.url, interruptOnError: true });
    await execution(t, 'request', [{ target: w.id }]);
    await execution(t, 'request/SendCommand', [{ target: w.id }]);
    const vetoed = await call(h, 'POST', '/v1/commands', { key: t.adminKey, body: { domain: 'billing', type: 'charge', commandId: 'c2', payload: { amount: 1e6 } } });
    expect(vetoed.status).toBe(424);
    expect(vetoed.body.targetBody).toEqual({ reason: 'amount too high' });
    expect((await call(h, 'GET', '/v1/commands/billing/c2', { key: t.adminKey })).status).toBe(404);
  });
});

describe('response/SendCommand', () => {
  it('lets a call target rewrite the answer of a send, after the command is stored', async () => {
    const t = await newTenant(h);
    const r = await receiver();
    r.respondWith(200, { accepted: true, note: 'rewritten by a response target' });
    const c = await target(t, { type: 'call', endpoint: r.url });
    await execution(t, 'response/SendCommand', [{ target: c.id }]);
    const sent = await call(h, 'POST', '/v1/commands', { key: t.adminKey, body: { domain: 'billing', type: 'charge', commandId: 'r1', payload: { amount: 1 } } });
    expect(sent.status).toBe(202);
    expect(sent.body).toEqual({ accepted: true, note: 'rewritten by a response target' });
    expect(r.received[0]!.body).toMatchObject({ domain: 'billing', commandId: 'r1', payload: { amount: 1 } });
    expect((await call(h, 'GET', '/v1/commands/billing/r1', { key: t.adminKey })).status).toBe(200);
  });
});

describe('request/PushEvent', () => {
  it('lets a vetoing webhook refuse an external event before it is stored', async () => {
    const t = await newTenant(h);
    const r = await receiver();
    r.respondWith(409, { reason: 'duplicate order' });
    const w = await target(t, { type: 'webhook', endpoint: r.url, interruptOnError: true });
    await execution(t, 'request/PushEvent', [{ target: w.id }]);
    const res = await pushEvent(t, 'order.placed', { n: 1 });
    expect(res.status).toBe(424);
    expect(res.body).toMatchObject({ targetStatus: 409, targetBody: { reason: 'duplicate order' } });
    const stored = await systemQuery(h, "SELECT 1 FROM events WHERE instance_id = $1 AND type = 'order.placed'", [t.instanceId]);
    expect(stored.rowCount).toBe(0);
  });
});

describe('event delivery', () => {
  const fast = { maxAttempts: 5, initialIntervalSeconds: 0.2, backoffCoefficient: 1.5, maxIntervalSeconds: 1 };

  it('retries a receiver answering 503 twice and delivers once, with 3 attempts in the trace', async () => {
    const t = await newTenant(h);
    const r = await receiver();
    r.respondNext({ status: 503 }, { status: 503 });
    const w = await target(t, { type: 'webhook', endpoint: r.url, retryPolicy: fast });
    await execution(t, 'event/order.*', [{ target: w.id }]);
    expect((await pushEvent(t, 'order.placed', { total: 10 })).status).toBe(202);
    const [run] = await waitFor(async () => {
      const runs = await runsOf(t);
      return runs.length === 1 && runs[0]!.state === 'succeeded' ? runs : undefined;
    }, { what: 'the delivery run' });
    expect(r.received).toHaveLength(3);
    expect(r.received[2]!.body).toMatchObject({ type: 'order.placed', aggregateType: 'external.order', payload: { total: 10 } });
    const trace = await call(h, 'GET', `/v1/runs/${run!.id}`, { key: t.adminKey });
    expect(trace.body.calls.map((c: { attempt: number; statusCode: number }) => [c.attempt, c.statusCode])).toEqual([[1, 503], [2, 503], [3, 200]]);
  });

  it('keeps retrying while the receiver is down and delivers when it comes back', async () => {
    const t = await newTenant(h);
    const port = await freePort();
    const w = await target(t, { type: 'webhook', endpoint: `http://127.0.0.1:${port}/hook`, retryPolicy: { maxAttempts: 20, initialIntervalSeconds: 0.5, backoffCoefficient: 1.5, maxIntervalSeconds: 2 } });
    await execution(t, 'event/order.shipped', [{ target: w.id }]);
    await pushEvent(t, 'order.shipped');
    // Down: connections are refused until a few attempts have failed.
    await waitFor(async () => (await systemQuery(h, 'SELECT count(*)::int AS n FROM run_calls WHERE instance_id = $1', [t.instanceId])).rows[0].n >= 3, { what: 'failed attempts' });
    const r = await startReceiver({ port });
    receivers.push(r);
    await waitFor(() => r.received.length >= 1, { timeoutMs: 20_000, what: 'the delivery after the receiver came back' });
    expect(r.received).toHaveLength(1);
    expect(r.received[0]!.body).toMatchObject({ type: 'order.shipped' });
  });

  it('does not retry a 4xx, and retrying the failed run succeeds once the receiver is fixed', async () => {
    const t = await newTenant(h);
    const r = await receiver();
    r.respondWith(400, { error: 'bad' });
    const w = await target(t, { type: 'webhook', endpoint: r.url, interruptOnError: true, retryPolicy: fast });
    await execution(t, 'event/invoice.created', [{ target: w.id }]);
    await pushEvent(t, 'invoice.created', { n: 1 });
    const [failed] = await waitFor(async () => {
      const runs = await runsOf(t);
      return runs[0]?.state === 'failed' ? runs : undefined;
    }, { what: 'the failed run' });
    expect(r.received).toHaveLength(1);

    r.respondWith(200);
    const retry = await call(h, 'POST', `/v1/runs/${failed!.id}/retry`, { key: t.adminKey, body: { idempotencyKey: 'fix-1' } });
    expect(retry.status).toBe(202);
    const again = await call(h, 'POST', `/v1/runs/${failed!.id}/retry`, { key: t.adminKey, body: { idempotencyKey: 'fix-1' } });
    expect(again.body.runId).toBe(retry.body.runId);
    const done = await waitFor(async () => {
      const res = await call(h, 'GET', `/v1/runs/${retry.body.runId}`, { key: t.adminKey });
      return res.status === 200 && res.body.state === 'succeeded' ? res.body : undefined;
    }, { what: 'the retried run' });
    expect(done.retryOf).toBe(failed!.id);
    expect(r.received).toHaveLength(2);
    expect(r.received[1]!.body).toMatchObject({ type: 'invoice.created', payload: { n: 1 } });
  });

  it('notifies the dispatcher on commit, only for instances with event executions', async () => {
    const r = await receiver();
    const listening = await newTenant(h);
    const quiet = await newTenant(h);
    const w = await target(listening, { type: 'webhook', endpoint: r.url });
    await execution(listening, 'event/order.placed', [{ target: w.id }]);
    const client = await h.ctx.db.connect();
    const heard: string[] = [];
    client.on('notification', (n) => {
      if (n.channel === 'cadenza_events') heard.push(n.payload ?? '');
    });
    try {
      await client.query('LISTEN cadenza_events');
      expect((await pushEvent(quiet, 'order.placed')).status).toBe(202);
      expect((await pushEvent(listening, 'order.placed')).status).toBe(202);
      await waitFor(() => heard.includes(listening.instanceId), { what: "the listening instance's notification" });
      // Notifications arrive in commit order: the quiet instance's would have come first.
      expect(heard).not.toContain(quiet.instanceId);
    } finally {
      client.release(true);
    }
  });

  it('ticks a leader on a notification instead of waiting for its interval', async () => {
    const channel = `test_wake_${crypto.randomBytes(4).toString('hex')}`;
    let ticks = 0;
    // An hour between polls: only the notification can bring the second tick.
    const leader = runAsLeader(h.ctx, `test leader ${channel}`, 3_600_000, async () => void ticks++, { channel, minGapMs: 10 });
    try {
      await waitFor(() => ticks === 1, { what: 'the first tick, at once' });
      await h.ctx.db.query('SELECT pg_notify($1, $2)', [channel, 'work']);
      await waitFor(() => ticks === 2, { what: 'the tick the notification brings' });
    } finally {
      await leader.stop();
    }
  });

  it('keeps ticking under a steady stream of notifications', async () => {
    const channel = `test_stream_${crypto.randomBytes(4).toString('hex')}`;
    let ticks = 0;
    const leader = runAsLeader(h.ctx, `test leader ${channel}`, 3_600_000, async () => void ticks++, { channel, minGapMs: 100 });
    try {
      await waitFor(() => ticks === 1, { what: 'the first tick, at once' });
      // A notification every 10 ms for 1.5 s, each sooner than the 100 ms gap: they must bring
      // the next tick closer, never push it back, or the leader would not tick until they stop.
      const streamEnd = Date.now() + 1500;
      while (Date.now() < streamEnd) {
        await h.ctx.db.query('SELECT pg_notify($1, $2)', [channel, 'work']);
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(ticks).toBeGreaterThanOrEqual(3);
    } finally {
      await leader.stop();
    }
  });

  it('delivers each event to the best-matching execution only: exact, then group, then all', async () => {
    const t = await newTenant(h);
    const [exact, group, all] = await Promise.all([receiver(), receiver(), receiver()]);
    const [te, tg, ta] = await Promise.all([exact, group, all].map((r) => target(t, { type: 'webhook', endpoint: r.url, retryPolicy: fast })));
    await execution(t, 'event/shop.order.paid', [{ target: te!.id }]);
    await execution(t, 'event/shop.*', [{ target: tg!.id }]);
    await execution(t, 'event', [{ target: ta!.id }]);
    await pushEvent(t, 'shop.order.paid');
    await pushEvent(t, 'shop.cart.emptied');
    await pushEvent(t, 'billing.done');
    const types = (r: Receiver) => r.received.map((x) => x.body.type as string);
    await waitFor(() => exact.received.length >= 1 && group.received.length >= 1 && types(all).includes('billing.done'), { what: 'the three deliveries' });
    expect(types(exact)).toEqual(['shop.order.paid']);
    expect(types(group)).toEqual(['shop.cart.emptied']);
    expect(types(all).filter((x) => x.startsWith('shop.'))).toEqual([]);
  });

  it("delivers an org's events to its own executions and the instance's, never to another org's (finding 1)", async () => {
    const t = await newTenant(h);
    const admin = await t.client();
    const [org1, org2] = [await admin.createOrg('one'), await admin.createOrg('two')];
    const keys = { one: await t.key('admin', org1.id), two: await t.key('admin', org2.id) };
    const [one, two, instance] = await Promise.all([receiver(), receiver(), receiver()]);
    const subscribe = async (key: string, r: Receiver) => {
      const made = await call(h, 'POST', '/v1/targets', { key, body: { name: `t-${crypto.randomBytes(3).toString('hex')}`, type: 'webhook', endpoint: r.url, timeoutSeconds: 5, retryPolicy: fast } });
      expect((await call(h, 'PUT', '/v1/executions', { key, body: { condition: 'event/order.*', targets: [{ target: made.body.id }] } })).status).toBe(200);
    };
    await subscribe(keys.one, one);
    await subscribe(keys.two, two);
    await subscribe(t.adminKey, instance);
    const push = (key: string, aggregateId: string) => call(h, 'POST', '/v1/events', { key, body: { type: 'order.placed', aggregateType: 'order', aggregateId, payload: {} } });
    await push(keys.one, 'from-one');
    await push(keys.two, 'from-two');
    const ids = (r: Receiver) => r.received.map((x) => x.body.aggregateId as string).sort();
    await waitFor(() => ids(instance).length >= 2 && one.received.length >= 1 && two.received.length >= 1, { what: 'the deliveries' });
    expect(ids(one)).toEqual(['from-one']);
    expect(ids(two)).toEqual(['from-two']);
    expect(ids(instance)).toEqual(['from-one', 'from-two']);
    expect(one.received[0]!.body.aggregateType).toBe('external.order');
    // Each run belongs to its execution's owner: org one sees its own run, not the instance's.
    const runs = await call(h, 'GET', '/v1/runs?kind=execution', { key: keys.one });
    expect(runs.body.items.map((r: { orgId: string | null }) => r.orgId)).toEqual([org1.id]);
  });

  it('delivers every event of a burst exactly once across a dispatcher restart', async () => {
    const t = await newTenant(h);
    const r = await receiver();
    const w = await target(t, { type: 'webhook', endpoint: r.url, retryPolicy: fast });
    await execution(t, 'event/burst.*', [{ target: w.id }]);
    const pushed: string[] = [];
    const pushMany = async (n: number) => {
      for (let i = 0; i < n; i += 20) {
        const res = await Promise.all(Array.from({ length: Math.min(20, n - i) }, () => pushEvent(t, 'burst.item')));
        pushed.push(...res.map((x) => x.body.eventId as string));
      }
    };
    await pushMany(100);
    await waitFor(() => r.received.length > 0, { what: 'the first deliveries' });
    await worker.stop();
    await pushMany(100); // no dispatcher is running now
    worker = await startWorkerProcess(h);
    await waitFor(() => r.received.length >= 200, { timeoutMs: 60_000, what: 'all 200 deliveries' }).catch(async (err: Error) => {
      const runs = await runsOf(t);
      const cp = (await systemQuery(h, 'SELECT tx_id::text, position::text, pg_snapshot_xmin(pg_current_snapshot())::text AS xmin FROM event_checkpoints WHERE name = $1', [`executions:${h.env.CADENZA_TASK_QUEUE}`])).rows[0];
      const last = (await systemQuery(h, "SELECT max(tx_id::text) AS tx, max(position)::text AS pos FROM events WHERE instance_id = $1 AND type = 'burst.item'", [t.instanceId])).rows[0];
      throw new Error(`${err.message}: received ${r.received.length}, runs ${runs.length} (${runs.filter((x) => x.state === 'succeeded').length} succeeded), checkpoint ${JSON.stringify(cp)}, last event ${JSON.stringify(last)}`);
    });
    const ids = r.received.map((x) => x.body.eventId as string);
    expect(new Set(ids).size).toBe(200);
    expect(ids.sort()).toEqual([...pushed].sort());
    const runs = await runsOf(t);
    expect(runs).toHaveLength(200);
  }, 120_000);

  it('starts one run per event when the worker crashes in the middle of a burst, and every event arrives', async () => {
    const t = await newTenant(h);
    const r = await receiver();
    const w = await target(t, { type: 'webhook', endpoint: r.url, retryPolicy: fast });
    await execution(t, 'event/crash.*', [{ target: w.id }]);
    const pushed: string[] = [];
    for (let i = 0; i < 200; i += 20) {
      const res = await Promise.all(Array.from({ length: 20 }, () => pushEvent(t, 'crash.item')));
      pushed.push(...res.map((x) => x.body.eventId as string));
    }
    await waitFor(() => r.received.length >= 20, { what: 'the first deliveries' });
    await worker.kill(); // SIGKILL: the dispatcher may be between a start and its checkpoint
    worker = await startWorkerProcess(h);
    await waitFor(() => new Set(r.received.map((x) => x.body.eventId)).size >= 200, { timeoutMs: 90_000, what: 'all 200 events' });
    expect([...new Set(r.received.map((x) => x.body.eventId as string))].sort()).toEqual([...pushed].sort());
    // One workflow and one run per (event, execution): the dispatcher doubled nothing.
    expect(await runsOf(t)).toHaveLength(200);
  }, 150_000);
});

describe('alerts', () => {
  it('fires once through its signed notify target when the failure rate crosses the threshold, and not again within the window', async () => {
    const t = await newTenant(h);
    const [failing, notified] = await Promise.all([receiver(), receiver()]);
    failing.respondWith(500);
    const w = await target(t, { type: 'webhook', endpoint: failing.url });
    const n = await target(t, { type: 'webhook', endpoint: notified.url });
    await execution(t, 'function/flaky', [{ target: w.id }]);
    const created = await call(h, 'POST', '/v1/alerts', {
      key: t.adminKey,
      body: { name: 'flaky target', scope: 'target', scopeId: w.id, failureRateThreshold: 0.5, window: 600, minRuns: 2, notifyTargetId: n.id, evaluateEverySeconds: 1 },
    });
    expect(created.status).toBe(201);
    const alertPath = `/v1/alerts/${created.body.id}`;
    const alertWhen = (check: (a: any) => boolean, what: string) =>
      waitFor(async () => {
        const res = await call(h, 'GET', alertPath, { key: t.adminKey });
        return check(res.body) ? res.body : undefined;
      }, { what });
    const flakyCall = async () => expect((await call(h, 'POST', '/v1/functions/flaky/call', { key: t.adminKey, body: { payload: {} } })).status).toBe(200);

    await flakyCall();
    await alertWhen((a) => a.lastRuns === 1, 'an evaluation below minRuns');
    expect(notified.received).toHaveLength(0);

    await flakyCall();
    await waitFor(() => notified.received.length === 1, { what: 'the alert notice' });
    const notice = notified.received[0]!;
    expect(verifySignature(n.signingKey, notice.raw, String(notice.headers['cadenza-signature']))).toBe(true);
    expect(notice.body).toMatchObject({ alert: { id: created.body.id, name: 'flaky target' }, failureRate: 1, runs: 2 });

    await flakyCall();
    await flakyCall();
    const seen = await alertWhen((a) => a.lastRuns === 4, 'an evaluation of the later failures');
    await alertWhen((a) => a.lastEvaluatedAt > seen.lastEvaluatedAt, 'one more evaluation');
    const state = await alertWhen((a) => a.history.length > 0 && a.history[0].notifyStatus !== null, 'the recorded notice');
    expect(state).toMatchObject({ state: 'firing', history: [{ failureRate: 1, runs: 2, notifyStatus: 200, notifyError: null }] });
    expect(notified.received).toHaveLength(1);

    const other = await newTenant(h);
    expect((await call(h, 'GET', alertPath, { key: other.adminKey })).status).toBe(404);
    expect((await call(h, 'DELETE', alertPath, { key: t.adminKey })).status).toBe(204);
  });
});

describe('run retry', () => {
  it('retries a failed flow run from its stored context once the receiver is fixed', async () => {
    const t = await newTenant(h);
    const r = await receiver();
    r.respondWith(503);
    const script = `async function checkRoles(ctx, api) {\nconst res = await api.http.fetch('${r.url}/roles', { method: 'GET' });\nif (res.status !== 200) throw new Error('roles service answered ' + res.status);\napi.setContext('checked', ctx.context.user);\n}`;
    const action = await call(h, 'POST', '/v1/instance/actions', { key: t.adminKey, body: { name: 'checkRoles', script } });
    expect(action.status).toBe(201);
    const base = '/v1/instance/flows/customiseToken/triggers/preAccessTokenCreation';
    expect((await call(h, 'PUT', base, { key: t.adminKey, body: { actionIds: [action.body.id] } })).status).toBe(200);
    const failed = await call(h, 'POST', `${base}/run`, { key: t.adminKey, body: { context: { user: 'ada' } } });
    expect(failed.status).toBe(422);

    r.respondWith(200);
    const retry = await call(h, 'POST', `/v1/runs/${failed.body.runId}/retry`, { key: t.adminKey, body: { idempotencyKey: 'k1' } });
    expect(retry.status).toBe(202);
    const again = await call(h, 'POST', `/v1/runs/${failed.body.runId}/retry`, { key: t.adminKey, body: { idempotencyKey: 'k1' } });
    expect(again.body).toMatchObject({ runId: retry.body.runId, created: false });
    const done = await waitFor(async () => {
      const res = await call(h, 'GET', `/v1/runs/${retry.body.runId}`, { key: t.adminKey });
      return res.body.state === 'succeeded' ? res.body : undefined;
    }, { what: 'the retried flow run' });
    expect(done).toMatchObject({ kind: 'flow', retryOf: failed.body.runId, contextOut: { user: 'ada', checked: 'ada' } });
  });
});
