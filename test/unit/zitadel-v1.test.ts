// The mapping of Zitadel's Actions v1 script API onto Cadenza's flow context, run in the real
// sandbox (no outbound calls here: the blocking fetch is covered by test/integration/actions-zitadel.test.ts).
import { FLOW_CATALOGUE } from '../../src/flows/catalogue';
import { runZitadelScript, zitadelSurface, ZITADEL_SURFACES } from '../../src/actions/zitadel-v1';
import { Sandbox } from '../../src/sandbox/sandbox';

const sandbox = new Sandbox();

const run = (flowType: string, trigger: string, name: string, script: string, context: Record<string, unknown> = {}) =>
  runZitadelScript(sandbox, { name, script, flowType, trigger, context, allowlist: [], timeoutMs: 2000, memoryBytes: 32 * 1024 * 1024, maxContextBytes: 256 * 1024 });

describe('zitadel-v1 surfaces', () => {
  it("cover every trigger of Zitadel's four flows, and nothing of the command flow", () => {
    for (const flow of FLOW_CATALOGUE) {
      for (const t of flow.triggers) {
        if (flow.type === 'command') expect(zitadelSurface(flow.type, t.type)).toBeUndefined();
        else expect(zitadelSurface(flow.type, t.type)).toBeDefined();
      }
    }
    expect(Object.keys(ZITADEL_SURFACES)).toEqual(['externalAuthentication', 'customiseToken', 'internalAuthentication', 'customizeSAMLResponse']);
  });

  it('refuses to run in the command flow, saying where zitadel-v1 scripts run', async () => {
    const r = await run('command', 'preSend', 'f', 'function f(ctx, api) {}');
    expect(r).toMatchObject({ ok: false, error: { kind: 'runtime', message: expect.stringMatching(/run in Zitadel's flows only .*not in command\/preSend/) } });
  });
});

describe('zitadel-v1 in customiseToken', () => {
  it('sets a claim once, logs a second set into the action log claim, and ignores urn:zitadel:iam claims', async () => {
    const r = await run(
      'customiseToken',
      'preUserinfoCreation',
      'claims',
      `function claims(ctx, api) {
        api.v1.claims.setClaim('tier', 'gold');
        api.v1.userinfo.setClaim('tier', 'silver');
        api.v1.claims.setClaim('urn:zitadel:iam:org:project:roles', 'forged');
        api.v1.claims.appendLogIntoClaims('seen ' + ctx.v1.claims.sub);
      }`,
      { claims: { sub: 'u1' } },
    );
    expect(r).toMatchObject({
      ok: true,
      value: { claims: { sub: 'u1', tier: 'gold', 'urn:zitadel:iam:action:claims:log': ['key "tier" already exists', 'seen u1'] } },
    });
  });

  it('reads the user, its metadata and grants, and the org metadata from the context; setMetadata replaces by key', async () => {
    const r = await run(
      'customiseToken',
      'preAccessTokenCreation',
      'read',
      `function read(ctx, api) {
        const md = ctx.v1.user.getMetadata();
        const org = ctx.v1.org.getMetadata();
        api.v1.claims.setClaim('summary', [ctx.v1.getUser().username, md.count, md.metadata[0].value, ctx.v1.user.grants.count, ctx.v1.user.grants.grants[0].roles, org.metadata[0].key]);
        api.v1.user.setMetadata('plan', { level: 2 });
      }`,
      { user: { id: 'u1', username: 'ada' }, userMetadata: [{ key: 'plan', value: 'old' }], userGrants: [{ projectId: 'p1', roles: ['admin'] }], orgMetadata: [{ key: 'region', value: 'eu' }] },
    );
    expect(r).toMatchObject({ ok: true, value: { claims: { summary: ['ada', 1, 'old', 1, ['admin'], 'region'] }, userMetadata: [{ key: 'plan', value: { level: 2 } }] } });
  });

  it('offers each trigger only what Zitadel documents for it: no api.v1.userinfo before an access token', async () => {
    const r = await run('customiseToken', 'preAccessTokenCreation', 'old', "function old(ctx, api) { api.v1.userinfo.setClaim('a', 1) }");
    expect(r).toMatchObject({ ok: false, error: { kind: 'runtime', message: expect.stringMatching(/TypeError/), line: 1 } });
  });
});

describe('zitadel-v1 in the authentication flows', () => {
  it('postAuthentication (external): reads the tokens, the id token claims and authError; setters change the external user', async () => {
    const r = await run(
      'externalAuthentication',
      'postAuthentication',
      'map',
      `function map(ctx, api) {
        api.setFirstName(ctx.getClaim('given_name'));
        api.setEmailVerified(true);
        api.setPreferredUsername(ctx.claimsJSON().preferred_username + '@' + ctx.v1.providerInfo.rawInfo.org);
        api.v1.user.appendMetadata('auth', ctx.v1.authError + ':' + ctx.accessToken);
      }`,
      { accessToken: 'at', idTokenClaims: { given_name: 'Ada', preferred_username: 'ada' }, providerInfo: { rawInfo: { org: 'acme' } }, externalUser: { externalId: 'x1', human: { lastName: 'Lovelace' } } },
    );
    expect(r).toMatchObject({
      ok: true,
      value: {
        externalUser: { externalId: 'x1', preferredUsername: 'ada@acme', human: { firstName: 'Ada', lastName: 'Lovelace', isEmailVerified: true } },
        userMetadata: [{ key: 'auth', value: 'none:at' }],
      },
    });
  });

  it('preCreation: setters change the human user; entries pushed on the deprecated api.metadata are kept after the run', async () => {
    const r = await run(
      'internalAuthentication',
      'preCreation',
      'prefill',
      `function prefill(ctx, api) {
        api.setUsername(ctx.v1.user.email.email);
        api.setGender(1);
        api.setPhoneVerified(true);
        api.metadata.push({ key: 'source', value: 'signup' });
      }`,
      { user: { email: { email: 'ada@example.com' } } },
    );
    expect(r).toMatchObject({
      ok: true,
      value: { user: { username: 'ada@example.com', email: { email: 'ada@example.com' }, profile: { gender: 1 }, phone: { isPhoneVerified: true } }, userMetadata: [{ key: 'source', value: 'signup' }] },
    });
  });

  it('postCreation: appendUserGrant and the deprecated api.userGrants add grants', async () => {
    const r = await run(
      'externalAuthentication',
      'postCreation',
      'grant',
      `function grant(ctx, api) {
        api.v1.appendUserGrant({ projectID: 'p1', roles: ['reader'] });
        api.userGrants.push({ ProjectID: 'ignored', projectId: 'p2', roles: ['writer'] });
        if (ctx.v1.getUser().id !== 'u1') throw new Error('wrong user');
      }`,
      { user: { id: 'u1' } },
    );
    expect(r).toMatchObject({ ok: true, value: { userGrants: [{ projectId: 'p1', roles: ['reader'] }, { projectId: 'p2', roles: ['writer'] }] } });
  });

  it('postAuthentication (internal) reads authMethod; a thrown error reports its line in the script', async () => {
    const r = await run('internalAuthentication', 'postAuthentication', 'deny', "function deny(ctx, api) {\n  const m = ctx.v1.authMethod;\n  throw new Error('no ' + m);\n}", { authMethod: 'password' });
    expect(r).toMatchObject({ ok: false, error: { kind: 'runtime', message: 'Error: no password', line: 3 } });
  });
});

describe('zitadel-v1 in customizeSAMLResponse', () => {
  it('sets a custom attribute once', async () => {
    const r = await run(
      'customizeSAMLResponse',
      'preSAMLResponseCreation',
      'attrs',
      "function attrs(ctx, api) { api.v1.attributes.setCustomAttribute('Org', '', ctx.v1.getUser().resourceOwner); api.v1.attributes.setCustomAttribute('Org', '', 'other') }",
      { user: { resourceOwner: 'org1' } },
    );
    expect(r).toMatchObject({ ok: true, value: { samlAttributes: { Org: { nameFormat: '', values: ['org1'] } } } });
  });
});

describe('zitadel modules', () => {
  it('zitadel/uuid makes v3, v4, v5 and v7 UUIDs (v3 and v5 as google/uuid does for the DNS namespace)', async () => {
    const r = await run(
      'customiseToken',
      'preAccessTokenCreation',
      'ids',
      `let uuid = require("zitadel/uuid")
      function ids(ctx, api) {
        api.v1.claims.setClaim('ids', [uuid.v3(uuid.namespaceDNS, 'example.com'), uuid.v5(uuid.namespaceDNS, 'example.com'), uuid.v4(), uuid.v7(), uuid.v1()]);
      }`,
    );
    expect(r.ok).toBe(true);
    const ids = (r as { value: { claims: { ids: string[] } } }).value.claims.ids;
    expect(ids.slice(0, 2)).toEqual(['9073926b-929f-31c2-abc9-fad77ae3e8eb', 'cfbff0d1-9375-5685-968c-48ce8b15ae17']);
    expect(ids[2]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ids[3]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(ids[4]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-1/);
  });

  it('zitadel/log writes info, warn and error lines; an unknown module cannot be required', async () => {
    const logged = await run('internalAuthentication', 'postAuthentication', 'logs', "const logger = require('zitadel/log')\nfunction logs(ctx, api) { logger.log('i'); logger.warn('w'); logger.error('e') }");
    expect(logged).toMatchObject({ ok: true, logs: [{ level: 'info', message: 'i' }, { level: 'warn', message: 'w' }, { level: 'error', message: 'e' }] });
    const missing = await run('internalAuthentication', 'postAuthentication', 'files', "const fs = require('fs')\nfunction files(ctx, api) {}");
    expect(missing).toMatchObject({ ok: false, error: { message: expect.stringMatching(/Cannot find module 'fs'/) } });
  });
});
