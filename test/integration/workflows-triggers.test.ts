// Triggers that start runs without /execute: Webhook nodes answer under /v1/hooks/<instance>/<path>
// while their workflow is active, and Schedule Trigger nodes run as Temporal Schedules; and the
// credentials nodes authenticate with. On real Temporal and PostgreSQL, through the API.
import { ScheduleNotFoundError } from '@temporalio/client';
import { call, newTenant, startHarness, startWorkerProcess, waitFor, type Harness, type TestTenant, type WorkerProcess } from '../helpers/harness';
import { connect, node, setNode, workflow } from '../helpers/dag';
import { startReceiver, type Receiver } from '../helpers/scripted-receiver';
import { SYSTEM, transaction } from '../../src/db/db';

let h: Harness;
let worker: WorkerProcess;
let rx: Receiver;
beforeAll(async () => {
  h = await startHarness();
  rx = await startReceiver();
  worker = await startWorkerProcess(h, { CADENZA_OUTBOUND_ALLOWLIST: '127.0.0.1' });
});
afterAll(async () => {
  await worker?.stop();
  await rx?.close();
  await h?.close();
});

const webhook = (name: string, parameters: Record<string, unknown>) => node(name, 'n8n-nodes-base.webhook', 2, parameters);

async function create(t: TestTenant, definition: unknown): Promise<string> {
  const res = await call(h, 'POST', '/v1/workflows', { key: t.adminKey, body: { definition } });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

const activate = (t: TestTenant, id: string) => call(h, 'POST', `/v1/workflows/${id}/activate`, { key: t.adminKey });
const hook = (t: TestTenant, method: string, path: string, body?: unknown) => call(h, method, `/v1/hooks/${t.instanceId}/${path}${method === 'GET' ? '?q=1' : ''}`, body === undefined ? {} : { body });

async function runsOf(t: TestTenant, id: string): Promise<any[]> {
  return (await call(h, 'GET', `/v1/workflows/${id}/runs`, { key: t.adminKey })).body.items;
}

describe('Webhook trigger', () => {
  it('answers a call with the last node\'s output (lastNode), records the run, and stops answering once deactivated', async () => {
    const t = await newTenant(h);
    const def = workflow(
      'greeter',
      [webhook('Hook', { httpMethod: 'POST', path: 'greet', responseMode: 'lastNode' }), node('Greet', 'n8n-nodes-base.set', 3.4, { assignments: { assignments: [{ id: 'a', name: 'greeting', value: '={{ "hello " + $json.body.name }}', type: 'string' }] }, options: {} })],
      connect(['Hook', 'Greet']),
    );
    const id = await create(t, def);
    expect((await hook(t, 'POST', 'greet', { name: 'Ada' })).status).toBe(404);
    const activated = await activate(t, id);
    expect(activated.status).toBe(200);
    expect(activated.body).toMatchObject({ active: true, webhooks: [{ node: 'Hook', method: 'POST', url: `/v1/hooks/${t.instanceId}/greet` }], schedules: [] });
    expect((await call(h, 'GET', `/v1/workflows/${id}`, { key: t.adminKey })).body.active).toBe(true);

    const res = await hook(t, 'POST', 'greet', { name: 'Ada' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ greeting: 'hello Ada' });
    const [run] = await runsOf(t, id);
    expect(run).toMatchObject({ status: 'completed', createdBy: 'webhook:greet' });
    const start = await call(h, 'GET', `/v1/workflow-runs/${run.id}/nodes/Hook`, { key: t.adminKey });
    expect(start.body.runs[0].output[0][0].json).toMatchObject({ body: { name: 'Ada' }, query: {}, params: {}, executionMode: 'production', webhookUrl: `/v1/hooks/${t.instanceId}/greet` });
    // Another method on the same path is not served.
    expect((await hook(t, 'GET', 'greet')).status).toBe(404);

    const off = await call(h, 'POST', `/v1/workflows/${id}/deactivate`, { key: t.adminKey });
    expect(off.body).toEqual({ id, active: false, webhooks: [], schedules: [] });
    expect((await hook(t, 'POST', 'greet', { name: 'Ada' })).status).toBe(404);
  });

  it('answers at once by default (onReceived) while the run goes on', async () => {
    const t = await newTenant(h);
    const id = await create(t, workflow('fire and forget', [webhook('Hook', { path: 'ping' }), setNode('Mark', { seen: 'yes' })], connect(['Hook', 'Mark'])));
    expect((await activate(t, id)).status).toBe(200);
    const res = await hook(t, 'GET', 'ping');
    expect(res).toMatchObject({ status: 200, body: { message: 'Workflow was started' } });
    const run = await waitFor(async () => (await runsOf(t, id)).find((r) => r.status !== 'running'), { timeoutMs: 60_000, what: 'the webhook run to finish' });
    expect(run.status).toBe('completed');
    const start = await call(h, 'GET', `/v1/workflow-runs/${run.id}/nodes/Hook`, { key: t.adminKey });
    expect(start.body.runs[0].output[0][0].json.query).toEqual({ q: '1' });
  });

  it('answers with Respond to Webhook (code, headers, body from an expression) and the run goes on after it', async () => {
    const t = await newTenant(h);
    const respond = node('Respond', 'n8n-nodes-base.respondToWebhook', 1.1, {
      respondWith: 'json',
      responseBody: '={{ { "orderId": $json.body.id, "accepted": true } }}',
      options: { responseCode: 201, responseHeaders: { entries: [{ name: 'X-Order', value: '={{ $json.body.id }}' }] } },
    });
    const def = workflow('orders', [webhook('Hook', { httpMethod: 'POST', path: 'orders', responseMode: 'responseNode' }), respond, setNode('After', { done: 'yes' })], connect(['Hook', 'Respond'], ['Respond', 'After']));
    const id = await create(t, def);
    expect((await activate(t, id)).status).toBe(200);
    const res = await hook(t, 'POST', 'orders', { id: 'o-7' });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-order')).toBe('o-7');
    expect(res.body).toEqual({ orderId: 'o-7', accepted: true });
    const run = await waitFor(async () => (await runsOf(t, id)).find((r) => r.status !== 'running'), { timeoutMs: 60_000, what: 'the run to finish' });
    const full = await call(h, 'GET', `/v1/workflow-runs/${run.id}`, { key: t.adminKey });
    expect(full.body.nodes.find((n: any) => n.name === 'After').status).toBe('completed');
  });

  it('answers 500 when the run fails (lastNode)', async () => {
    const t = await newTenant(h);
    const boom = node('Boom', 'n8n-nodes-base.code', 2, { jsCode: "throw new Error('no stock')" });
    const id = await create(t, workflow('failing', [webhook('Hook', { httpMethod: 'POST', path: 'fail', responseMode: 'lastNode' }), boom], connect(['Hook', 'Boom'])));
    expect((await activate(t, id)).status).toBe(200);
    const res = await hook(t, 'POST', 'fail', {});
    expect(res).toMatchObject({ status: 500, body: { message: 'Error in workflow' } });
  });

  it('refuses an activation with nothing to trigger (422) and a second workflow on the same method and path (409)', async () => {
    const t = await newTenant(h);
    const manual = await create(t, workflow('manual only', [node('Start', 'n8n-nodes-base.manualTrigger', 1, {})], {}));
    const none = await activate(t, manual);
    expect(none.status).toBe(422);
    expect(none.body.errors[0]).toMatchObject({ field: 'definition.nodes' });
    const first = await create(t, workflow('first', [webhook('Hook', { httpMethod: 'POST', path: 'shared' })], {}));
    const second = await create(t, workflow('second', [webhook('Hook', { httpMethod: 'POST', path: 'shared' })], {}));
    expect((await activate(t, first)).status).toBe(200);
    const clash = await activate(t, second);
    expect(clash.status).toBe(409);
    expect(clash.body.detail).toContain('POST');
    expect((await call(h, 'GET', `/v1/workflows/${second}`, { key: t.adminKey })).body.active).toBe(false);
  });

  it('moves to a new version saved while active, and is gone once the workflow is deleted', async () => {
    const t = await newTenant(h);
    const v1 = workflow('moving', [webhook('Hook', { path: 'old-path', responseMode: 'lastNode' })], {});
    const id = await create(t, v1);
    expect((await activate(t, id)).status).toBe(200);
    const v2 = workflow('moving', [webhook('Hook', { path: 'new-path', responseMode: 'lastNode' })], {});
    expect((await call(h, 'PUT', `/v1/workflows/${id}`, { key: t.adminKey, body: { definition: v2 } })).body).toMatchObject({ version: 2, active: true });
    expect((await hook(t, 'GET', 'old-path')).status).toBe(404);
    const moved = await hook(t, 'GET', 'new-path');
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ query: { q: '1' } });
    expect((await call(h, 'DELETE', `/v1/workflows/${id}`, { key: t.adminKey })).status).toBe(204);
    expect((await hook(t, 'GET', 'new-path')).status).toBe(404);
  });
});

describe('Schedule trigger', () => {
  it('runs on its interval as a Temporal Schedule with n8n\'s schedule item, and the schedule is deleted on deactivation', async () => {
    const t = await newTenant(h);
    const schedule = node('Every 2s', 'n8n-nodes-base.scheduleTrigger', 1.2, { rule: { interval: [{ field: 'seconds', secondsInterval: 2 }] } });
    const def = workflow('ticker', [schedule, setNode('Tick', { tick: '={{ $json["Day of week"] }}' })], connect(['Every 2s', 'Tick']), { timezone: 'Europe/Paris' });
    const id = await create(t, def);
    const activated = await activate(t, id);
    expect(activated.status).toBe(200);
    const scheduleId: string = activated.body.schedules[0].scheduleId;
    const described = await h.ctx.temporal.client.schedule.getHandle(scheduleId).describe();
    expect(described.spec.intervals?.[0]?.every).toBe(2000);
    expect(described.spec.timezone).toBe('Europe/Paris');

    const run = await waitFor(async () => (await runsOf(t, id)).find((r) => r.status === 'completed'), { timeoutMs: 60_000, what: 'a scheduled run to complete' });
    expect(run.createdBy).toBe('schedule:Every 2s');
    const start = await call(h, 'GET', `/v1/workflow-runs/${run.id}/nodes/Every%202s`, { key: t.adminKey });
    const item = start.body.runs[0].output[0][0].json;
    expect(item).toMatchObject({ Timezone: expect.stringContaining('Europe/Paris') });
    const tick = await call(h, 'GET', `/v1/workflow-runs/${run.id}/nodes/Tick`, { key: t.adminKey });
    expect(tick.body.runs[0].output[0][0].json.tick).toBe(item['Day of week']);

    expect((await call(h, 'POST', `/v1/workflows/${id}/deactivate`, { key: t.adminKey })).status).toBe(200);
    await expect(h.ctx.temporal.client.schedule.getHandle(scheduleId).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  });
});

describe('credentials', () => {
  const addCredential = (t: TestTenant, body: unknown) => call(h, 'POST', '/v1/credentials', { key: t.adminKey, body });

  it('stores the secret fields encrypted and never returns them; checks the fields of the type; names are unique', async () => {
    const t = await newTenant(h);
    const created = await addCredential(t, { name: 'Shop API', type: 'httpHeaderAuth', data: { name: 'X-Api-Key', value: 'sekret-123' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Shop API', type: 'httpHeaderAuth', orgId: null });
    expect(JSON.stringify(created.body)).not.toContain('sekret-123');
    const got = await call(h, 'GET', `/v1/credentials/${created.body.id}`, { key: t.adminKey });
    expect(JSON.stringify(got.body)).not.toContain('sekret-123');
    expect((await call(h, 'GET', '/v1/credentials', { key: t.adminKey })).body.items.map((c: any) => c.id)).toEqual([created.body.id]);
    const stored = await transaction(h.ctx.db, SYSTEM, (tx) => tx.query('SELECT data_enc FROM credentials WHERE instance_id = $1', [t.instanceId]));
    expect(stored.rows[0].data_enc).not.toContain('sekret');

    const missing = await addCredential(t, { name: 'Broken', type: 'httpBasicAuth', data: { user: 'u' } });
    expect(missing.status).toBe(422);
    expect(missing.body.errors[0]).toMatchObject({ field: 'body.data.password' });
    expect((await addCredential(t, { name: 'Shop API', type: 'httpBearerAuth', data: { token: 't' } })).status).toBe(409);
  });

  it('authenticates HTTP Request with the credential its export names, refuses an import whose credential is missing, and uses a rotated secret', async () => {
    const t = await newTenant(h);
    const cred = (await addCredential(t, { name: 'Shop API', type: 'httpHeaderAuth', data: { name: 'X-Api-Key', value: 'first' } })).body;
    const request = (credentials: unknown) =>
      node('Call shop', 'n8n-nodes-base.httpRequest', 4.2, { method: 'GET', url: `${rx.url}/ok/cred-${t.instanceId}`, authentication: 'genericCredentialType', genericAuthType: 'httpHeaderAuth', options: {} }, credentials === undefined ? {} : { credentials });
    const def = (credentials: unknown) => workflow('authed', [node('Start', 'n8n-nodes-base.manualTrigger', 1, {}), request(credentials)], connect(['Start', 'Call shop']));

    const unknown = await call(h, 'POST', '/v1/workflows', { key: t.adminKey, body: { definition: def({ httpHeaderAuth: { id: 'gone', name: 'Old shop key' } }) } });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors).toEqual([expect.objectContaining({ field: 'body.definition.nodes[1].credentials.httpHeaderAuth', node: 'Call shop', message: expect.stringContaining("'Old shop key'") })]);
    const none = await call(h, 'POST', '/v1/workflows', { key: t.adminKey, body: { definition: def(undefined) } });
    expect(none.status).toBe(422);
    expect(none.body.errors[0].field).toBe('body.definition.nodes[1].credentials.httpHeaderAuth');

    // An export from another n8n names the credential by an id Cadenza does not know; the name finds it.
    const id = await create(t, def({ httpHeaderAuth: { id: 'n8n-7', name: 'Shop API' } }));
    const runOnce = async () => {
      const started = await call(h, 'POST', `/v1/workflows/${id}/execute`, { key: t.adminKey, body: { input: {} } });
      return waitFor(async () => {
        const r = await call(h, 'GET', `/v1/workflow-runs/${started.body.id}`, { key: t.adminKey });
        return r.body.status !== 'running' ? r.body : undefined;
      }, { timeoutMs: 60_000, what: 'the run to finish' });
    };
    expect((await runOnce()).status).toBe('completed');
    expect(rx.callsTo(`cred-${t.instanceId}`)[0]!.headers['x-api-key']).toBe('first');
    const rotated = await call(h, 'PUT', `/v1/credentials/${cred.id}/data`, { key: t.adminKey, body: { data: { name: 'X-Api-Key', value: 'second' } } });
    expect(rotated.status).toBe(200);
    expect((await runOnce()).status).toBe('completed');
    expect(rx.callsTo(`cred-${t.instanceId}`)[1]!.headers['x-api-key']).toBe('second');
  });

  it('guards a webhook with header auth (403 without the header) and basic auth (401 without credentials, 403 with wrong ones)', async () => {
    const t = await newTenant(h);
    await addCredential(t, { name: 'Hook header', type: 'httpHeaderAuth', data: { name: 'X-Hook-Token', value: 'let-me-in' } });
    await addCredential(t, { name: 'Hook basic', type: 'httpBasicAuth', data: { user: 'ada', password: 'lovelace' } });
    const byHeader = await create(t, workflow('header guarded', [{ ...webhook('Hook', { path: 'guarded', responseMode: 'lastNode', authentication: 'headerAuth' }), credentials: { httpHeaderAuth: { name: 'Hook header' } } }], {}));
    const byBasic = await create(t, workflow('basic guarded', [{ ...webhook('Hook', { path: 'basic', responseMode: 'lastNode', authentication: 'basicAuth' }), credentials: { httpBasicAuth: { name: 'Hook basic' } } }], {}));
    expect((await activate(t, byHeader)).status).toBe(200);
    expect((await activate(t, byBasic)).status).toBe(200);
    const url = (p: string) => `/v1/hooks/${t.instanceId}/${p}`;
    expect(await call(h, 'GET', url('guarded'))).toMatchObject({ status: 403, body: { message: 'Authorization data is wrong!' } });
    expect((await call(h, 'GET', url('guarded'), { headers: { 'x-hook-token': 'wrong' } })).status).toBe(403);
    expect((await call(h, 'GET', url('guarded'), { headers: { 'x-hook-token': 'let-me-in' } })).status).toBe(200);
    const noAuth = await call(h, 'GET', url('basic'));
    expect(noAuth.status).toBe(401);
    expect(noAuth.headers.get('www-authenticate')).toContain('Basic');
    const basic = (user: string, pass: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` });
    expect((await call(h, 'GET', url('basic'), { headers: basic('ada', 'babbage') })).status).toBe(403);
    expect((await call(h, 'GET', url('basic'), { headers: basic('ada', 'lovelace') })).status).toBe(200);
    // Only the runs of admitted calls exist.
    expect((await runsOf(t, byHeader)).length).toBe(1);
    expect((await runsOf(t, byBasic)).length).toBe(1);
  });
});
