// Zitadel Actions v1 scripts (`api: zitadel-v1`) on the real Temporal dev server and PostgreSQL,
// run by a worker process in its script threads. The scripts below are Zitadel's own examples,
// unchanged (each cites where it is published); they must have the effect Zitadel documents.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { call, newTenant, startHarness, startWorkerProcess, systemQuery, type Harness, type WorkerProcess } from '../helpers/harness';

// https://zitadel.com/docs/apis/actions/code-examples#set-hardcoded-claim
// (https://github.com/zitadel/actions/blob/main/examples/add_claim.js)
const ADD_CLAIM = `// this action can be used in the triggers of flow type \`Complement Claims\`
function addClaim(ctx, api) {
  // this line adds the claim to the token, if it's not already present
  api.v1.userinfo.setClaim('year', 2023)
}
`;

// https://zitadel.com/docs/apis/actions/code-examples#add-metadata-to-users
// (https://github.com/zitadel/actions/blob/main/examples/add_metadata.js)
const ADD_METADATA = `/**
 * Add metadata if metadata are available
 *
 * Flow: External Authentication or Internal Authentication, Trigger: Pre Creation, Post Creation, Post Authentication
 *
 * @param ctx
 * @param api
 */
function add_metadata(ctx, api) {
  if (api.metadata === undefined) {
    return;
  }
  
  api.v1.user.appendMetadata('add', 'me');
}
`;

// https://zitadel.com/docs/apis/actions/modules#uuid (the example of the UUID module)
const SET_UUID = `let uuid = require("zitadel/uuid")
function setUUID(ctx, api) {
  if (api.metadata === undefined) {
    return;
  }

  api.v1.user.appendMetadata('custom-id', uuid.v4());
}
`;

// https://zitadel.com/docs/apis/actions/code-examples#check-authentication-error
// (https://github.com/zitadel/actions/blob/main/examples/post_auth_log.js)
const POST_AUTH_LOG = `/**
 * Log successful and failed authentications with relevant information
 *
 * Flow: External/Internal Authentication, Trigger: Post authentication
 *
 * @param ctx
 * @param api
 */
let logger = require("zitadel/log")
function log(ctx, api) {
    if (ctx.v1.authError == "none") {
        logger.log("successful login: username/" + ctx.v1.authRequest.userName + ", timestamp/" + ctx.v1.authRequest.changeDate + ", appID/" + ctx.v1.authRequest.applicationId + ", remoteAddr/" + ctx.v1.httpRequest.remoteAddr + ", request/" + JSON.stringify(ctx.v1.httpRequest))
    } else {
        logger.log("authentication failed: error/" + ctx.v1.authError + ", username/" + ctx.v1.authRequest.userName + ", timestamp/" + ctx.v1.authRequest.changeDate + ", appID/" + ctx.v1.authRequest.applicationId + ", remoteAddr/" + ctx.v1.httpRequest.remoteAddr + ", request/" + JSON.stringify(ctx.v1.httpRequest))
    }
}`;

// https://zitadel.com/docs/apis/actions/code-examples#custom-role-mapping-in-attributes
// (https://github.com/zitadel/actions/blob/main/examples/set_custom_attribute.js)
const SET_CUSTOM_ATTRIBUTE = `/**
 * Add an custom attribute to the SAMLResponse, if it's not already present.
 * This example will add the resourceOwner as custom attribute \`OrgID\`.
 * It additionally shows how get the user's project authorization and add each role in the form of \`projectId:role\` as a \`Roles\` attribute.
 *
 * Flow: Complement SAMLResponse, Triggers: Pre SAMLResponse creation
 *
 * @param ctx
 * @param api
 */
function setCustomAttribute(ctx, api) {
    const user = ctx.v1.getUser()
    api.v1.attributes.setCustomAttribute('OrgID', '', user.resourceOwner)

    if (ctx.v1.user.grants == undefined || ctx.v1.user.grants.count == 0) {
        return;
    }
    let roles = [];
    ctx.v1.user.grants.grants.forEach(grant => {
        grant.roles.forEach(role => {
            roles.push(grant.projectId+':'+role)  
        })
    })
    api.v1.attributes.setCustomAttribute('Roles', '', ...roles)
  }
`;

// https://zitadel.com/docs/apis/actions/modules#http (its example,
// https://github.com/zitadel/actions/blob/main/examples/make_api_call.js): the only change is the
// 'API_URL' placeholder the example asks the reader to fill in, replaced by the receiver's URL.
const MAKE_API_CALL = `/**
 * Call an HTTP endpoint to send / retrieve information.
 * This example show a simple POST method and logs the retrieved id.
 *
 * Flow: External/Internal Authentication and Complement token, Trigger: all
 *
 * @param ctx
 * @param api
 */
let http = require('zitadel/http')
let logger = require("zitadel/log")
function make_api_call(ctx, api) {
    var user = http.fetch('API_URL', {
        method: 'POST',
        body: {
            "name": "user 1"
        }
    }).json();
    logger.log(user.id);
}
`;

let h: Harness;
let worker: WorkerProcess;
const receivers: http.Server[] = [];
const received: { url: string; method: string; contentType: string; body: unknown }[] = [];

/** A receiver on a loopback address that answers `{ id }` for what it was sent. */
async function receiver(host: string): Promise<string> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ url: req.url ?? '', method: req.method ?? '', contentType: req.headers['content-type'] ?? '', body: JSON.parse(body) });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ id: 'user-from-receiver' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  receivers.push(server);
  return `http://${host}:${(server.address() as AddressInfo).port}/users`;
}

beforeAll(async () => {
  // 127.0.0.1 is allowlisted; every other loopback address stays refused.
  h = await startHarness({ CADENZA_OUTBOUND_ALLOWLIST: '127.0.0.1' });
  worker = await startWorkerProcess(h);
});
afterAll(async () => {
  await worker?.stop();
  await h?.close();
  for (const r of receivers) {
    r.closeAllConnections();
    await new Promise((done) => r.close(done));
  }
});

async function orgKey(): Promise<{ key: string; instanceId: string }> {
  const t = await newTenant(h);
  const org = await (await t.client()).createOrg('acme');
  return { key: await t.key('admin', org.id), instanceId: t.instanceId };
}

/** Creates a zitadel-v1 action from the script as given and binds it alone to the trigger. */
async function zitadelAction(key: string, name: string, script: string, flowType: string, trigger: string): Promise<string> {
  const created = await call(h, 'POST', '/v1/actions', { key, body: { name, script, api: 'zitadel-v1' } });
  expect(created.status).toBe(201);
  expect(created.body.api).toBe('zitadel-v1');
  const bound = await call(h, 'PUT', `/v1/flows/${flowType}/triggers/${trigger}`, { key, body: { actionIds: [created.body.id] } });
  expect(bound.status).toBe(200);
  return created.body.id as string;
}

const runTrigger = (key: string, flowType: string, trigger: string, context: Record<string, unknown>) =>
  call(h, 'POST', `/v1/flows/${flowType}/triggers/${trigger}/run`, { key, body: { context } });

describe("Zitadel's documented v1 scripts, unchanged", () => {
  it('add_claim.js (complement token, pre userinfo creation) sets the claim year', async () => {
    const { key } = await orgKey();
    await zitadelAction(key, 'addClaim', ADD_CLAIM, 'customiseToken', 'preUserinfoCreation');
    const res = await runTrigger(key, 'customiseToken', 'preUserinfoCreation', { user: { id: 'u1' }, claims: { sub: 'u1' } });
    expect(res.status).toBe(200);
    expect(res.body.context.claims).toEqual({ sub: 'u1', year: 2023 });
  });

  it('add_metadata.js and the UUID module example (internal authentication) append user metadata', async () => {
    const { key } = await orgKey();
    await zitadelAction(key, 'add_metadata', ADD_METADATA, 'internalAuthentication', 'postAuthentication');
    const res = await runTrigger(key, 'internalAuthentication', 'postAuthentication', { authMethod: 'password', userMetadata: [{ key: 'plan', value: 'pro' }] });
    expect(res.status).toBe(200);
    expect(res.body.context.userMetadata).toEqual([{ key: 'plan', value: 'pro' }, { key: 'add', value: 'me' }]);

    await zitadelAction(key, 'setUUID', SET_UUID, 'internalAuthentication', 'preCreation');
    const created = await runTrigger(key, 'internalAuthentication', 'preCreation', { user: { username: 'ada' } });
    expect(created.status).toBe(200);
    expect(created.body.context.userMetadata).toEqual([{ key: 'custom-id', value: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/) }]);
  });

  it('post_auth_log.js (external authentication, post authentication) writes its log line to the run and the logstore', async () => {
    const { key, instanceId } = await orgKey();
    const id = await zitadelAction(key, 'log', POST_AUTH_LOG, 'externalAuthentication', 'postAuthentication');
    const res = await runTrigger(key, 'externalAuthentication', 'postAuthentication', {
      authRequest: { userName: 'ada', changeDate: '2026-11-30T00:00:00Z', applicationId: 'app1' },
      httpRequest: { remoteAddr: '203.0.113.7', method: 'POST' },
    });
    expect(res.status).toBe(200);
    const line = 'successful login: username/ada, timestamp/2026-11-30T00:00:00Z, appID/app1, remoteAddr/203.0.113.7, request/{"remoteAddr":"203.0.113.7","method":"POST"}';
    expect(res.body.steps).toMatchObject([{ actionId: id, state: 'succeeded', logs: [{ level: 'info', message: line }] }]);
    const logs = await systemQuery(h, 'SELECT run_id, message FROM logstore.execution_logs WHERE instance_id = $1', [instanceId]);
    expect(logs.rows).toEqual([{ run_id: res.body.runId, message: line }]);

    const failed = await runTrigger(key, 'externalAuthentication', 'postAuthentication', { authError: 'password invalid', authRequest: { userName: 'ada' }, httpRequest: {} });
    expect(failed.body.steps[0].logs[0].message).toMatch(/^authentication failed: error\/password invalid, username\/ada/);
  });

  it('set_custom_attribute.js (complement SAML response) sets OrgID and the Roles of every grant', async () => {
    const { key } = await orgKey();
    await zitadelAction(key, 'setCustomAttribute', SET_CUSTOM_ATTRIBUTE, 'customizeSAMLResponse', 'preSAMLResponseCreation');
    const res = await runTrigger(key, 'customizeSAMLResponse', 'preSAMLResponseCreation', {
      user: { id: 'u1', resourceOwner: 'org-7' },
      userGrants: [{ projectId: 'p1', roles: ['reader', 'writer'] }, { projectId: 'p2', roles: ['admin'] }],
    });
    expect(res.status).toBe(200);
    expect(res.body.context.samlAttributes).toEqual({
      OrgID: { nameFormat: '', values: ['org-7'] },
      Roles: { nameFormat: '', values: ['p1:reader', 'p1:writer', 'p2:admin'] },
    });
  });

  it('make_api_call.js (complement token) fetches from an allowlisted receiver and logs the id it answered', async () => {
    const { key } = await orgKey();
    const url = await receiver('127.0.0.1');
    await zitadelAction(key, 'make_api_call', MAKE_API_CALL.replace('API_URL', url), 'customiseToken', 'preAccessTokenCreation');
    const res = await runTrigger(key, 'customiseToken', 'preAccessTokenCreation', {});
    expect(res.status).toBe(200);
    expect(res.body.steps[0]).toMatchObject({ state: 'succeeded', logs: [{ level: 'info', message: 'user-from-receiver' }] });
    expect(received).toContainEqual({ url: '/users', method: 'POST', contentType: 'application/json', body: { name: 'user 1' } });
  });

  it('make_api_call.js fails its step when the receiver is not allowlisted, and nothing is sent', async () => {
    const { key } = await orgKey();
    const url = await receiver('127.0.0.2');
    const id = await zitadelAction(key, 'make_api_call', MAKE_API_CALL.replace('API_URL', url), 'customiseToken', 'preAccessTokenCreation');
    const before = received.length;
    const res = await runTrigger(key, 'customiseToken', 'preAccessTokenCreation', {});
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ field: 'actions.make_api_call', message: expect.stringMatching(/outbound call to 127\.0\.0\.2 refused/) }]);
    expect(res.body.action).toMatchObject({ id });
    expect(received.length).toBe(before);
  });
});

describe('the api field of an action', () => {
  it("is cadenza by default, pinned in each version, and only Cadenza's or Zitadel's API", async () => {
    const { key } = await orgKey();
    const plain = await call(h, 'POST', '/v1/actions', { key, body: { name: 'plain', script: 'function plain(ctx, api) {}' } });
    expect(plain.body.api).toBe('cadenza');
    const changed = await call(h, 'PATCH', `/v1/actions/${plain.body.id}`, { key, body: { api: 'zitadel-v1' } });
    expect(changed.body).toMatchObject({ api: 'zitadel-v1', version: 2 });
    const versions = await call(h, 'GET', `/v1/actions/${plain.body.id}/versions`, { key });
    expect(versions.body.items.map((v: { api: string }) => v.api)).toEqual(['cadenza', 'zitadel-v1']);
    const bad = await call(h, 'POST', '/v1/actions', { key, body: { name: 'bad', script: 'function bad(ctx, api) {}', api: 'zitadel-v2' } });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toContain('body.api');
  });

  it('keeps a zitadel-v1 action out of the command flow, which has no Zitadel API', async () => {
    const { key } = await orgKey();
    const a = await call(h, 'POST', '/v1/actions', { key, body: { name: 'zit', script: 'function zit(ctx, api) {}', api: 'zitadel-v1' } });
    const res = await call(h, 'PUT', '/v1/flows/command/triggers/preSend', { key, body: { actionIds: [a.body.id] } });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ field: 'body.actionIds[0]', message: expect.stringContaining('zitadel-v1') }]);
  });
});
