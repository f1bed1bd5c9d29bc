// Tenant walls, one regression per finding of the security review: an org key stays in its org
// (targets, executions, alerts, domain policies, reply keys), command and batch ids are per org,
// external events stay out of Cadenza's own streams, and batches run the SendCommand executions.
import crypto from 'node:crypto';
import { verifySignature } from '../../src/client';
import { SYSTEM, transaction } from '../../src/db/db';
import { connect, node, trigger, workflow } from '../helpers/dag';
import { call, newTenant, startHarness, startWorkerProcess, waitFor, type Harness, type TestTenant, type WorkerProcess } from '../helpers/harness';
import { startReceiver, type Receiver } from '../helpers/receiver';

let h: Harness;
let worker: WorkerProcess;
const receivers: Receiver[] = [];

beforeAll(async () => {
  h = await startHarness({ CADENZA_OUTBOUND_ALLOWLIST: '127.0.0.1' });
  worker = await startWorkerProcess(h, { CADENZA_DEMO_HANDLERS: 'true' });
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

const id = (prefix = 'c') => `${prefix}-${crypto.randomBytes(5).toString('hex')}`;

/** An instance with two orgs and an admin key for each. */
async function twoOrgs(): Promise<{ t: TestTenant; a1: string; a2: string; org1: string; org2: string }> {
  const t = await newTenant(h);
  const org1 = (await call(h, 'POST', '/v1/orgs', { key: t.adminKey, body: { name: 'one' } })).body.id as string;
  const org2 = (await call(h, 'POST', '/v1/orgs', { key: t.adminKey, body: { name: 'two' } })).body.id as string;
  return { t, org1, org2, a1: await t.key('admin', org1), a2: await t.key('admin', org2) };
}

async function target(key: string, body: Record<string, unknown>): Promise<{ id: string; signingKey: string; orgId: string | null }> {
  const res = await call(h, 'POST', '/v1/targets', { key, body: { name: id('t'), timeoutSeconds: 5, type: 'webhook', ...body } });
  expect(res.status).toBe(201);
  return res.body;
}

const send = (key: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  call(h, 'POST', '/v1/commands', { key, body: { domain: 'demo', type: 'noop', ...body }, headers });

describe('org walls: targets, executions, alerts, domain policies and reply keys belong to one org (finding 1)', () => {
  it("runs an org's request/SendCommand call target for its own org's commands only", async () => {
    const { a1, a2 } = await twoOrgs();
    const spy = await receiver();
    spy.respondWith(200, { payload: { rewritten: true } });
    const t = await target(a1, { type: 'call', endpoint: spy.url });
    expect((await call(h, 'PUT', '/v1/executions', { key: a1, body: { condition: 'request/SendCommand', targets: [{ target: t.id }] } })).status).toBe(200);

    const other = await send(a2, { commandId: id(), payload: { secret: 'org two' } });
    expect(other.status).toBe(202);
    expect(other.body.payload).toEqual({ secret: 'org two' });
    expect(spy.received).toEqual([]);

    const own = await send(a1, { commandId: id(), payload: { mine: true } });
    expect(own.body.payload).toEqual({ rewritten: true });
    expect(spy.received.map((r) => r.body.payload)).toEqual([{ mine: true }]);
  });

  it("keeps another org's and the instance's targets, executions and alerts out of an org key's sight and reach", async () => {
    const { t, a1, a2, org1 } = await twoOrgs();
    const own = await target(a1, { endpoint: 'http://127.0.0.1:9/own' });
    const instanceLevel = await target(t.adminKey, { endpoint: 'http://127.0.0.1:9/instance' });
    expect(own.orgId).toBe(org1);
    expect(instanceLevel.orgId).toBeNull();
    for (const foreign of [own.id, instanceLevel.id]) {
      expect((await call(h, 'GET', `/v1/targets/${foreign}`, { key: a2 })).status).toBe(404);
      expect((await call(h, 'PATCH', `/v1/targets/${foreign}`, { key: a2, body: { endpoint: 'http://127.0.0.1:9/stolen' } })).status).toBe(404);
      expect((await call(h, 'POST', `/v1/targets/${foreign}/signing-key`, { key: a2 })).status).toBe(404);
      const bind = await call(h, 'PUT', '/v1/executions', { key: a2, body: { condition: 'event', targets: [{ target: foreign }] } });
      expect(bind).toMatchObject({ status: 422, body: { errors: [{ field: 'body.targets[0].target' }] } });
      const alert = await call(h, 'POST', '/v1/alerts', { key: a2, body: { name: id('a'), scope: 'flow', failureRateThreshold: 0.5, window: 60, minRuns: 1, notifyTargetId: foreign } });
      expect(alert).toMatchObject({ status: 422, body: { errors: [{ field: 'body.notifyTargetId' }] } });
    }
    expect((await call(h, 'GET', '/v1/targets', { key: a2 })).body.items).toEqual([]);
    // The instance's executions are the instance admin's: an org key neither sees nor replaces them.
    expect((await call(h, 'PUT', '/v1/executions', { key: t.adminKey, body: { condition: 'request/SendCommand', targets: [{ target: instanceLevel.id }] } })).status).toBe(200);
    expect((await call(h, 'GET', '/v1/executions', { key: a2 })).body.items).toEqual([]);
    expect((await call(h, 'GET', '/v1/executions?condition=request%2FSendCommand', { key: a2 })).status).toBe(404);
    expect((await call(h, 'DELETE', '/v1/executions?condition=request%2FSendCommand', { key: a2 })).status).toBe(404);
    // An instance-wide key sees every owner's.
    const all = (await call(h, 'GET', '/v1/targets', { key: t.adminKey })).body.items.map((x: { id: string }) => x.id);
    expect(all).toEqual(expect.arrayContaining([own.id, instanceLevel.id]));
  });

  it("applies an org's domain policy to its own commands only, over the instance's", async () => {
    const { t, a1, a2 } = await twoOrgs();
    expect((await call(h, 'PUT', '/v1/command-domains/demo', { key: a1, body: { maxAttempts: 1 } })).status).toBe(200);
    expect((await send(a2, { commandId: id() })).body.maxAttempts).toBe(3);
    expect((await send(a1, { commandId: id() })).body.maxAttempts).toBe(1);
    expect((await call(h, 'PUT', '/v1/command-domains/demo', { key: t.adminKey, body: { maxAttempts: 5 } })).status).toBe(200);
    expect((await send(a2, { commandId: id() })).body.maxAttempts).toBe(5);
    expect((await send(a1, { commandId: id() })).body.maxAttempts).toBe(1);
    const seen = await call(h, 'GET', '/v1/command-domains/demo', { key: a2 });
    expect(seen.body).toMatchObject({ policy: {}, effective: { maxAttempts: 5 } });
  });

  it("signs an org's replies with that org's key, which no other org can read", async () => {
    const { t, a1, a2, org1 } = await twoOrgs();
    const keyOf = async (key: string) => (await call(h, 'GET', '/v1/commands/reply-signing-key', { key })).body;
    const k1 = await keyOf(a1);
    const k2 = await keyOf(a2);
    const instanceKey = await keyOf(t.adminKey);
    expect(k1.orgId).toBe(org1);
    expect(new Set([k1.key, k2.key, instanceKey.key]).size).toBe(3);
    expect(await keyOf(a1)).toEqual(k1);
    // An instance-wide key reads an org's key by naming the org.
    expect((await call(h, 'GET', '/v1/commands/reply-signing-key', { key: t.adminKey, headers: { 'x-cadenza-org': org1 } })).body).toEqual(k1);

    const r = await receiver();
    const commandId = id();
    await send(a1, { type: 'echo', commandId, payload: { hello: 1 }, replyTo: `${r.url}/reply` });
    const got = await waitFor(() => r.received.find((x) => x.body?.commandId === commandId), { what: 'the reply' });
    const header = String(got.headers['cadenza-signature']);
    expect(verifySignature(k1.key, got.raw, header)).toBe(true);
    expect(verifySignature(k2.key, got.raw, header)).toBe(false);
    expect(verifySignature(instanceKey.key, got.raw, header)).toBe(false);
  });
});

describe('command and batch ids are per org (finding 3)', () => {
  it("answers a resend of another org's id as if the id were free, and never with the other org's command", async () => {
    const { t, a1, a2, org1, org2 } = await twoOrgs();
    const commandId = id();
    expect((await send(a1, { type: 'echo', commandId, payload: { owner: 'one' } })).status).toBe(202);
    const sameBody = await send(a2, { type: 'echo', commandId, payload: { owner: 'one' } });
    expect(sameBody.status).toBe(202);
    expect(sameBody.body.orgId).toBe(org2);
    const otherBody = await send(a2, { type: 'echo', commandId, payload: { owner: 'two' } });
    expect(otherBody.status).toBe(409); // a2's own command, sent a moment ago with another body
    expect((await call(h, 'GET', `/v1/commands/demo/${commandId}`, { key: a2 })).body).toMatchObject({ orgId: org2, payload: { owner: 'one' } });
    expect((await call(h, 'GET', `/v1/commands/demo/${commandId}`, { key: a1 })).body).toMatchObject({ orgId: org1, payload: { owner: 'one' } });
    // An instance-wide key names the org when two orgs use one id.
    const ambiguous = await call(h, 'GET', `/v1/commands/demo/${commandId}`, { key: t.adminKey });
    expect(ambiguous).toMatchObject({ status: 409, body: { errors: [{ field: 'headers.x-cadenza-org' }] } });
    const picked = await call(h, 'GET', `/v1/commands/demo/${commandId}`, { key: t.adminKey, headers: { 'x-cadenza-org': org2 } });
    expect(picked.body.orgId).toBe(org2);
    // Each runs as its own workflow.
    expect(new Set([sameBody.body.workflowId, picked.body.workflowId]).size).toBe(1);
    expect(sameBody.body.workflowId).not.toBe((await call(h, 'GET', `/v1/commands/demo/${commandId}`, { key: a1 })).body.workflowId);
  });

  it("lets two orgs use one batch id, and a batch id never reveals another org's batch", async () => {
    const { a1, a2 } = await twoOrgs();
    const batchId = id('b');
    const batch = (key: string) => call(h, 'POST', '/v1/commands/batch', { key, body: { batchId, commands: [{ domain: 'demo', type: 'noop', commandId: id() }] } });
    expect((await batch(a1)).status).toBe(202);
    expect((await batch(a2)).status).toBe(202);
    expect((await batch(a2)).status).toBe(409);
    const seen = await call(h, 'GET', `/v1/batches/${batchId}`, { key: a2 });
    expect(seen.body).toMatchObject({ batchId, total: 1 });
  });
});

describe('external events have their own namespace (finding 4)', () => {
  it("refuses Cadenza's own aggregate types and event types with 422, and stores the rest under external.<type>", async () => {
    const { t, a1 } = await twoOrgs();
    const commandId = id();
    await send(t.adminKey, { commandId });
    const forged = [
      { body: { type: 'command.operator_complete', aggregateType: 'command', aggregateId: `demo/${commandId}` }, field: 'body.aggregateType' },
      { body: { type: 'batch.created', aggregateType: 'batch', aggregateId: 'b-1' }, field: 'body.aggregateType' },
      { body: { type: 'command.completed', aggregateType: 'order', aggregateId: 'o-1' }, field: 'body.type' },
      { body: { type: 'order.placed', aggregateType: 'external.order', aggregateId: 'o-1' }, field: 'body.aggregateType' },
    ];
    for (const f of forged) {
      const res = await call(h, 'POST', '/v1/events', { key: a1, body: f.body });
      expect(res).toMatchObject({ status: 422, body: { errors: [{ field: f.field }] } });
    }
    const ok = await call(h, 'POST', '/v1/events', { key: a1, body: { type: 'order.placed', aggregateType: 'order', aggregateId: 'o-1', payload: { n: 1 } } });
    expect(ok.status).toBe(202);
    const stored = await transaction(h.ctx.db, SYSTEM, async (tx) => (await tx.query('SELECT aggregate_type FROM events WHERE instance_id = $1 AND event_id = $2', [t.instanceId, ok.body.eventId])).rows);
    expect(stored).toEqual([{ aggregate_type: 'external.order' }]);
    const audit = await call(h, 'GET', `/v1/commands/demo/${commandId}/audit`, { key: t.adminKey });
    expect(audit.body.items.map((e: { type: string }) => e.type)).not.toContain('command.operator_complete');
  });

  it('refuses a string holding U+0000, which PostgreSQL cannot store, with 422 naming the field (the fuzz run found a 500)', async () => {
    const t = await newTenant(h);
    const res = await call(h, 'POST', '/v1/events', { key: t.adminKey, body: { type: 'order.placed', aggregateType: 'or\u0000der', aggregateId: 'o-1', payload: { note: 'a\u0000b' } } });
    expect(res).toMatchObject({ status: 422, body: { errors: [{ field: 'body.aggregateType' }] } });
    const nested = await send(t.adminKey, { commandId: id(), payload: { deep: ['x', { y: 'a\u0000b' }] } });
    expect(nested).toMatchObject({ status: 422, body: { errors: [{ field: 'body.payload.deep[1].y' }] } });
  });

  it('pages the audit trail', async () => {
    const t = await newTenant(h);
    const commandId = id();
    await send(t.adminKey, { type: 'echo', commandId });
    await (await t.client()).waitForCommand('demo', commandId, (c) => c.status === 'COMPLETED');
    const first = await call(h, 'GET', `/v1/commands/demo/${commandId}/audit?limit=1`, { key: t.adminKey });
    expect(first.body.items).toHaveLength(1);
    expect(first.body.items[0].type).toBe('command.sent');
    const rest = await call(h, 'GET', `/v1/commands/demo/${commandId}/audit?limit=500&cursor=${first.body.nextCursor}`, { key: t.adminKey });
    expect(rest.body.items[0].sequence).toBe(2);
    expect(rest.body.nextCursor).toBeNull();
    expect((await call(h, 'GET', `/v1/commands/demo/${commandId}/audit?limit=501`, { key: t.adminKey })).status).toBe(422);
  });
});

describe('batches run the SendCommand executions of each command (finding 8)', () => {
  it('lets a vetoing request/SendCommand webhook refuse one command of a batch, storing the others, and calls response/SendCommand per command', async () => {
    const { a1 } = await twoOrgs();
    const vetoer = await receiver();
    const veto = await target(a1, { endpoint: vetoer.url, interruptOnError: true });
    await call(h, 'PUT', '/v1/executions', { key: a1, body: { condition: 'request/SendCommand', targets: [{ target: veto.id }] } });
    vetoer.respondNext({ status: 200 }, { status: 403, body: { reason: 'not this one' } });
    const ids = [id(), id()];
    const answer = await call(h, 'POST', '/v1/commands/batch', { key: a1, body: { commands: ids.map((commandId) => ({ domain: 'demo', type: 'noop', commandId })) } });
    // Each command asks the webhook on its own: one is vetoed and listed as refused, the other is stored.
    expect(answer).toMatchObject({ status: 202, body: { total: 1, refused: [{ targetBody: { reason: 'not this one' } }] } });
    const vetoed = answer.body.refused[0].commandId;
    expect((await call(h, 'GET', `/v1/commands/demo/${vetoed}`, { key: a1 })).status).toBe(404);
    const stored = ids.find((commandId) => commandId !== vetoed)!;
    expect((await call(h, 'GET', `/v1/commands/demo/${stored}`, { key: a1 })).status).toBe(200);

    await call(h, 'DELETE', '/v1/executions?condition=request%2FSendCommand', { key: a1 });
    const watcher = await receiver();
    const watch = await target(a1, { endpoint: watcher.url });
    await call(h, 'PUT', '/v1/executions', { key: a1, body: { condition: 'response/SendCommand', targets: [{ target: watch.id }] } });
    const fresh = [id(), id()];
    const accepted = await call(h, 'POST', '/v1/commands/batch', { key: a1, body: { commands: fresh.map((commandId) => ({ domain: 'demo', type: 'noop', commandId })) } });
    expect(accepted.status).toBe(202);
    expect(watcher.received.map((r) => r.body.commandId).sort()).toEqual([...fresh].sort());
  });
});

describe("workflows follow the call's org, from the key or X-Cadenza-Org", () => {
  it("shows an instance-wide key acting in one org that org's workflows and runs only", async () => {
    const { t, org1, org2 } = await twoOrgs();
    const inOrg = (org: string) => ({ key: t.adminKey, headers: { 'x-cadenza-org': org } });
    const definition = workflow('waits', [trigger(), node('Wait', 'cadenza.waitForSignal', 1, { signalName: 'go', timeoutSeconds: 3600 })], connect(['Start', 'Wait']));
    const create = async (org: string) => (await call(h, 'POST', '/v1/workflows', { ...inOrg(org), body: { definition } })).body.id as string;
    const [wf1, wf2] = [await create(org1), await create(org2)];
    const run2 = await call(h, 'POST', `/v1/workflows/${wf2}/execute`, { ...inOrg(org2), body: { input: {} } });
    expect(run2.status).toBe(202);

    expect((await call(h, 'GET', '/v1/workflows', inOrg(org1))).body.items.map((w: { id: string }) => w.id)).toEqual([wf1]);
    for (const path of [`/v1/workflows/${wf2}`, `/v1/workflows/${wf2}/versions`, `/v1/workflows/${wf2}/runs`, `/v1/workflow-runs/${run2.body.id}`]) {
      expect([path, (await call(h, 'GET', path, inOrg(org1))).status]).toEqual([path, 404]);
    }
    expect((await call(h, 'POST', `/v1/workflows/${wf2}/execute`, { ...inOrg(org1), body: { input: {} } })).status).toBe(404);
    expect((await call(h, 'POST', `/v1/workflow-runs/${run2.body.id}/cancel`, inOrg(org1))).status).toBe(404);
    // Without the header the same key acts at instance level and sees every org's.
    const all = (await call(h, 'GET', '/v1/workflows', { key: t.adminKey })).body.items.map((w: { id: string }) => w.id);
    expect(all.sort()).toEqual([wf1, wf2].sort());
    expect((await call(h, 'GET', `/v1/workflow-runs/${run2.body.id}`, { key: t.adminKey })).status).toBe(200);
  });
});
