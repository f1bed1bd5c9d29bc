// Actions, versions and flow triggers over HTTP (no worker needed).
import { SYSTEM, transaction } from '../../src/db/db';
import { call, newTenant, startHarness, type Harness, type TestTenant } from '../helpers/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const expectProblem = (res: { status: number; headers: Headers; body: any }, status: number, field?: string) => {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  if (field !== undefined) expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
};

const script = (name: string, body = "api.setContext('seen', true)") => `function ${name}(ctx, api) {\n  ${body}\n}`;

/** A tenant with one org and an org-scoped admin key. */
async function orgTenant(): Promise<{ t: TestTenant; orgId: string; key: string }> {
  const t = await newTenant(h);
  const org = await (await t.client()).createOrg(`org-${Math.random().toString(36).slice(2, 8)}`);
  return { t, orgId: org.id, key: await t.key('admin', org.id) };
}

async function createAction(key: string, body: Record<string, unknown>, base = '/v1/actions') {
  const res = await call(h, 'POST', base, { key, body });
  expect(res.status).toBe(201);
  return res.body as { id: string; version: number; name: string };
}

describe('actions', () => {
  it('creates an action with a 10 s default timeout, active, at version 1', async () => {
    const { key, orgId } = await orgTenant();
    const a = await createAction(key, { name: 'addClaim', script: script('addClaim') });
    expect(a).toMatchObject({ name: 'addClaim', timeoutSeconds: 10, allowedToFail: false, state: 'active', version: 1, owner: 'org', orgId });
    const got = await call(h, 'GET', `/v1/actions/${a.id}`, { key });
    expect(got.body).toMatchObject({ id: a.id, script: script('addClaim') });
    const list = await call(h, 'GET', '/v1/actions', { key });
    expect(list.body.items.map((x: { id: string }) => x.id)).toEqual([a.id]);
  });

  it('answers 422 with the line number for bad script syntax', async () => {
    const { key } = await orgTenant();
    const res = await call(h, 'POST', '/v1/actions', { key, body: { name: 'broken', script: 'function broken(ctx, api) {\n  let x = 1;\n  x = ;\n}' } });
    expectProblem(res, 422, 'body.script');
    expect(res.body.errors[0].message).toMatch(/^line 3: SyntaxError/);
  });

  it('answers 422 when the script does not define the named function', async () => {
    const { key } = await orgTenant();
    const res = await call(h, 'POST', '/v1/actions', { key, body: { name: 'wanted', script: script('other') } });
    expectProblem(res, 422, 'body.script');
    expect(res.body.errors[0].message).toContain('must define function wanted(ctx, api)');
  });

  it('answers 422 for a timeout over the maximum, a script over 40 KB and a bad name', async () => {
    const { key } = await orgTenant();
    expectProblem(await call(h, 'POST', '/v1/actions', { key, body: { name: 'slow', script: script('slow'), timeoutSeconds: 21 } }), 422, 'body.timeoutSeconds');
    const big = script('big', `const s = "${'x'.repeat(40_001)}"`);
    expectProblem(await call(h, 'POST', '/v1/actions', { key, body: { name: 'big', script: big } }), 422, 'body.script');
    expectProblem(await call(h, 'POST', '/v1/actions', { key, body: { name: 'no spaces', script: script('x') } }), 422, 'body.name');
    expectProblem(await call(h, 'POST', '/v1/actions', { key, body: { name: 'x'.repeat(201), script: script('x') } }), 422, 'body.name');
  });

  it('keeps names unique per owner', async () => {
    const { t, key } = await orgTenant();
    await createAction(key, { name: 'same', script: script('same') });
    expectProblem(await call(h, 'POST', '/v1/actions', { key, body: { name: 'same', script: script('same') } }), 409);
    // Another org and the instance level may reuse the name.
    const other = await (await t.client()).createOrg('other');
    await createAction(await t.key('admin', other.id), { name: 'same', script: script('same') });
    await createAction(t.adminKey, { name: 'same', script: script('same') }, '/v1/instance/actions');
  });

  it('deactivates and reactivates an action', async () => {
    const { key } = await orgTenant();
    const a = await createAction(key, { name: 'toggle', script: script('toggle') });
    expect((await call(h, 'POST', `/v1/actions/${a.id}/deactivate`, { key })).body.state).toBe('inactive');
    expectProblem(await call(h, 'POST', `/v1/actions/${a.id}/deactivate`, { key }), 409);
    expect((await call(h, 'POST', `/v1/actions/${a.id}/reactivate`, { key })).body.state).toBe('active');
  });

  it('gives 3 versions after two changes, and a rollback to 1 makes version 4 equal to version 1', async () => {
    const { key } = await orgTenant();
    const a = await createAction(key, { name: 'versioned', script: script('versioned', "api.setContext('v', 1)") });
    await call(h, 'PATCH', `/v1/actions/${a.id}`, { key, body: { script: script('versioned', "api.setContext('v', 2)") } });
    const changed = await call(h, 'PATCH', `/v1/actions/${a.id}`, { key, body: { script: script('versioned', "api.setContext('v', 3)"), timeoutSeconds: 5 } });
    expect(changed.body).toMatchObject({ version: 3, timeoutSeconds: 5 });
    const versions = await call(h, 'GET', `/v1/actions/${a.id}/versions`, { key });
    expect(versions.body.items.map((v: { version: number }) => v.version)).toEqual([1, 2, 3]);
    expect(versions.body.items[0]).toMatchObject({ createdBy: expect.any(String), createdAt: expect.any(String), scriptHash: expect.stringMatching(/^[0-9a-f]{64}$/) });

    const rolled = await call(h, 'POST', `/v1/actions/${a.id}/rollback`, { key, body: { version: 1 } });
    expect(rolled.status).toBe(200);
    expect(rolled.body).toMatchObject({ version: 4, timeoutSeconds: 10 });
    const v1 = (await call(h, 'GET', `/v1/actions/${a.id}/versions/1`, { key })).body;
    const v4 = (await call(h, 'GET', `/v1/actions/${a.id}/versions/4`, { key })).body;
    expect(v4).toMatchObject({ script: v1.script, scriptHash: v1.scriptHash, timeoutSeconds: v1.timeoutSeconds, name: v1.name, rolledBackFrom: 1 });
    expectProblem(await call(h, 'POST', `/v1/actions/${a.id}/rollback`, { key, body: { version: 9 } }), 422, 'body.version');
    expectProblem(await call(h, 'GET', `/v1/actions/${a.id}/versions/9`, { key }), 404);
  });

  it('needs an org for org actions and an instance-wide key for instance actions', async () => {
    const { t, key } = await orgTenant();
    expectProblem(await call(h, 'POST', '/v1/actions', { key: t.adminKey, body: { name: 'a', script: script('a') } }), 400, 'headers.x-cadenza-org');
    expectProblem(await call(h, 'GET', '/v1/instance/actions', { key }), 403);
    const inst = await createAction(t.adminKey, { name: 'inst', script: script('inst') }, '/v1/instance/actions');
    expect(inst).toMatchObject({ owner: 'instance', orgId: null });
    // The org level does not see instance actions and vice versa.
    expectProblem(await call(h, 'GET', `/v1/actions/${inst.id}`, { key }), 404);
  });
});

describe('flows', () => {
  it('sets an ordered trigger list, removes one action, and clears the flow', async () => {
    const { key } = await orgTenant();
    const a = await createAction(key, { name: 'first', script: script('first') });
    const b = await createAction(key, { name: 'second', script: script('second') });
    const set = await call(h, 'PUT', '/v1/flows/command/triggers/preSend', { key, body: { actionIds: [b.id, a.id] } });
    expect(set.status).toBe(200);
    const preSend = set.body.triggers.find((t: { triggerType: string }) => t.triggerType === 'preSend');
    expect(preSend.actions.map((x: { name: string }) => x.name)).toEqual(['second', 'first']);
    expect(set.body.triggers.map((t: { triggerType: string }) => t.triggerType)).toEqual(['preSend', 'postCompletion', 'postTroubleshooting']);

    const removed = await call(h, 'DELETE', `/v1/flows/command/triggers/preSend/actions/${b.id}`, { key });
    expect(removed.body.triggers[0].actions.map((x: { id: string }) => x.id)).toEqual([a.id]);
    expectProblem(await call(h, 'DELETE', `/v1/flows/command/triggers/preSend/actions/${b.id}`, { key }), 404);

    expect((await call(h, 'DELETE', '/v1/flows/command', { key })).status).toBe(204);
    expect((await call(h, 'GET', '/v1/flows/command', { key })).body.triggers[0].actions).toEqual([]);
  });

  it('answers 422 for an unknown flow type, trigger or action', async () => {
    const { key } = await orgTenant();
    expectProblem(await call(h, 'GET', '/v1/flows/nope', { key }), 422, 'path.flowType');
    expectProblem(await call(h, 'PUT', '/v1/flows/command/triggers/preNope', { key, body: { actionIds: [] } }), 422, 'path.triggerType');
    expectProblem(await call(h, 'PUT', '/v1/flows/customiseToken/triggers/preSend', { key, body: { actionIds: [] } }), 422, 'path.triggerType');
    expectProblem(await call(h, 'PUT', '/v1/flows/command/triggers/preSend', { key, body: { actionIds: ['act_missing'] } }), 422, 'body.actionIds[0]');
    expectProblem(await call(h, 'POST', '/v1/flows/nope/triggers/preSend/run', { key, body: { context: {} } }), 422, 'path.flowType');
  });

  it('lists the Zitadel flow types with their triggers', async () => {
    const { key } = await orgTenant();
    const flow = await call(h, 'GET', '/v1/flows/externalAuthentication', { key });
    expect(flow.body.triggers.map((t: { triggerType: string }) => t.triggerType)).toEqual(['postAuthentication', 'preCreation', 'postCreation']);
    for (const type of ['customiseToken', 'internalAuthentication', 'customizeSAMLResponse']) {
      expect((await call(h, 'GET', `/v1/flows/${type}`, { key })).status).toBe(200);
    }
  });

  it('removes a deleted action from every trigger that used it, with an event', async () => {
    const { t, key } = await orgTenant();
    const a = await createAction(key, { name: 'doomed', script: script('doomed') });
    const b = await createAction(key, { name: 'stays', script: script('stays') });
    await call(h, 'PUT', '/v1/flows/command/triggers/preSend', { key, body: { actionIds: [a.id, b.id] } });
    await call(h, 'PUT', '/v1/flows/command/triggers/postCompletion', { key, body: { actionIds: [a.id] } });
    await call(h, 'PUT', '/v1/flows/customiseToken/triggers/preAccessTokenCreation', { key, body: { actionIds: [a.id] } });

    expect((await call(h, 'DELETE', `/v1/actions/${a.id}`, { key })).status).toBe(204);
    expectProblem(await call(h, 'GET', `/v1/actions/${a.id}`, { key }), 404);
    const command = (await call(h, 'GET', '/v1/flows/command', { key })).body;
    expect(command.triggers[0].actions.map((x: { id: string }) => x.id)).toEqual([b.id]);
    expect(command.triggers[1].actions).toEqual([]);
    const events = await transaction(h.ctx.db, SYSTEM, async (tx) => {
      const { rows } = await tx.query<{ type: string; payload: { flowType: string } }>(
        `SELECT type, payload FROM events WHERE instance_id = $1 AND type = 'flow.trigger_actions.cascade_removed' ORDER BY position`,
        [t.instanceId],
      );
      return rows;
    });
    expect(events.map((e) => e.payload.flowType).sort()).toEqual(['command', 'customiseToken']);
  });

  it('keeps instance flows apart from org flows', async () => {
    const { t, key } = await orgTenant();
    const inst = await createAction(t.adminKey, { name: 'inst', script: script('inst') }, '/v1/instance/actions');
    // An org trigger cannot bind an instance action.
    expectProblem(await call(h, 'PUT', '/v1/flows/command/triggers/preSend', { key, body: { actionIds: [inst.id] } }), 422, 'body.actionIds[0]');
    const set = await call(h, 'PUT', '/v1/instance/flows/command/triggers/preSend', { key: t.adminKey, body: { actionIds: [inst.id] } });
    expect(set.body).toMatchObject({ owner: 'instance', orgId: null });
    expect((await call(h, 'GET', '/v1/flows/command', { key })).body.triggers[0].actions).toEqual([]);
    expectProblem(await call(h, 'GET', '/v1/instance/flows/command', { key }), 403);
  });
});

describe('tenant isolation', () => {
  it("answers 404 for another tenant's actions, versions, triggers and runs", async () => {
    const a = await orgTenant();
    const b = await orgTenant();
    const act = await createAction(a.key, { name: 'mine', script: script('mine') });
    const inst = await createAction(a.t.adminKey, { name: 'instMine', script: script('instMine') }, '/v1/instance/actions');
    const bKey = b.key;
    const base = `/v1/actions/${act.id}`;
    for (const [method, path, body] of [
      ['GET', base],
      ['PATCH', base, { script: script('mine') }],
      ['DELETE', base],
      ['POST', `${base}/deactivate`],
      ['POST', `${base}/reactivate`],
      ['GET', `${base}/versions`],
      ['GET', `${base}/versions/1`],
      ['POST', `${base}/rollback`, { version: 1 }],
    ] as const) {
      expectProblem(await call(h, method, path, { key: bKey, body }), 404);
      expectProblem(await call(h, method, path.replace('/v1/actions/', '/v1/instance/actions/').replace(act.id, inst.id), { key: b.t.adminKey, body }), 404);
    }
    expect((await call(h, 'GET', '/v1/actions', { key: bKey })).body.items).toEqual([]);
    expect((await call(h, 'GET', '/v1/instance/actions', { key: b.t.adminKey })).body.items).toEqual([]);
    expectProblem(await call(h, 'PUT', '/v1/flows/command/triggers/preSend', { key: bKey, body: { actionIds: [act.id] } }), 422, 'body.actionIds[0]');
    await call(h, 'PUT', '/v1/flows/command/triggers/preSend', { key: a.key, body: { actionIds: [act.id] } });
    expectProblem(await call(h, 'DELETE', `/v1/flows/command/triggers/preSend/actions/${act.id}`, { key: bKey }), 404);
    expectProblem(await call(h, 'GET', '/v1/flows/command', { key: bKey, headers: { 'x-cadenza-org': a.orgId } }), 404);
    expectProblem(await call(h, 'GET', '/v1/runs/run_doesnotexist', { key: bKey }), 404);
  });
});
