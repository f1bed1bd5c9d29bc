// Zitadel Actions v1 scripts (`api: zitadel-v1`): the script defines `function <name>(ctx, api)`
// and may `require('zitadel/http' | 'zitadel/log' | 'zitadel/uuid')` at its top level, as in
// Zitadel. Each Zitadel flow trigger offers its own `ctx.v1` and `api.v1` (ZITADEL_SURFACES,
// from Zitadel's docs, apis/actions/*); they read and write fields of the Cadenza flow context
// (ZITADEL_CONTEXT_FIELDS), so the caller of the flow passes the user, claims, metadata … in and
// reads the claims, metadata, grants … the scripts set out. Same sandbox, limits and outbound
// policy as Cadenza's own script API; only the fetch answers synchronously (blocking-fetch.ts).
import { v1 as uuidV1, v3 as uuidV3, v4 as uuidV4, v5 as uuidV5, v7 as uuidV7 } from 'uuid';
import { blockingFetchHostFunction } from '../sandbox/blocking-fetch';
import type { RunScriptResult, Sandbox } from '../sandbox/sandbox';

/** What a trigger's `ctx.v1` offers (besides ctx.accessToken … for ctxTokens). */
export type ZitadelCtxField =
  | 'claims'
  | 'getUser'
  | 'user'
  | 'user.getMetadata'
  | 'user.grants'
  | 'org.getMetadata'
  | 'externalUser'
  | 'authError'
  | 'authMethod'
  | 'authRequest'
  | 'httpRequest'
  | 'providerInfo'
  | 'tokens';

/** What a trigger's `api` offers. */
export type ZitadelApiField =
  | 'claims'
  | 'userinfo'
  | 'user.setMetadata'
  | 'user.appendMetadata'
  | 'metadata'
  | 'externalUserSetters'
  | 'humanSetters'
  | 'userGrants'
  | 'attributes';

export interface ZitadelSurface {
  ctx: ZitadelCtxField[];
  api: ZitadelApiField[];
}

const TOKEN_CTX: ZitadelCtxField[] = ['claims', 'getUser', 'user.getMetadata', 'user.grants', 'org.getMetadata'];
const PRE_CREATION: ZitadelSurface = { ctx: ['user', 'authRequest', 'httpRequest'], api: ['metadata', 'humanSetters', 'user.appendMetadata'] };
const POST_CREATION: ZitadelSurface = { ctx: ['getUser', 'authRequest', 'httpRequest'], api: ['userGrants'] };

/** Per Cadenza flow type and trigger (Zitadel's names), the v1 script API Zitadel documents for it. */
export const ZITADEL_SURFACES: Record<string, Record<string, ZitadelSurface>> = {
  externalAuthentication: {
    postAuthentication: {
      ctx: ['tokens', 'externalUser', 'authError', 'authRequest', 'httpRequest', 'providerInfo'],
      api: ['user.appendMetadata', 'externalUserSetters', 'metadata'],
    },
    preCreation: PRE_CREATION,
    postCreation: POST_CREATION,
  },
  customiseToken: {
    // Zitadel's own userinfo code also offers the deprecated api.v1.userinfo here.
    preUserinfoCreation: { ctx: TOKEN_CTX, api: ['userinfo', 'claims', 'user.setMetadata'] },
    preAccessTokenCreation: { ctx: TOKEN_CTX, api: ['claims', 'user.setMetadata'] },
  },
  internalAuthentication: {
    postAuthentication: { ctx: ['authMethod', 'authError', 'authRequest', 'httpRequest'], api: ['metadata', 'user.appendMetadata'] },
    preCreation: PRE_CREATION,
    postCreation: POST_CREATION,
  },
  customizeSAMLResponse: {
    preSAMLResponseCreation: { ctx: ['getUser', 'user.getMetadata', 'user.grants'], api: ['attributes', 'user.setMetadata'] },
  },
};

/** The Cadenza context fields the v1 API reads and writes; documented in the README. */
export const ZITADEL_CONTEXT_FIELDS = {
  user: 'the user: `ctx.v1.getUser()` (Zitadel *user*), or in preCreation `ctx.v1.user` (*human user*), which the setters change',
  userMetadata: '[{key, value}]: `ctx.v1.user.getMetadata()`; `api.v1.user.appendMetadata`/`setMetadata` and `api.metadata` write it',
  userGrants: '[{projectId, projectGrantId, roles}]: `ctx.v1.user.grants`; `api.v1.appendUserGrant` and `api.userGrants` add to it',
  orgMetadata: '[{key, value}]: `ctx.v1.org.getMetadata()`',
  claims: '{name: value}: `ctx.v1.claims`; `api.v1.claims.setClaim` adds a claim, its refusals go to `urn:zitadel:iam:action:<name>:log`',
  samlAttributes: '{name: {nameFormat, values}}: `api.v1.attributes.setCustomAttribute` adds one',
  externalUser: '`ctx.v1.externalUser()`; the postAuthentication setters change it',
  authRequest: '`ctx.v1.authRequest`',
  httpRequest: '`ctx.v1.httpRequest`',
  authError: '`ctx.v1.authError` ("none" when absent)',
  authMethod: '`ctx.v1.authMethod`',
  providerInfo: '`ctx.v1.providerInfo`',
  accessToken: '`ctx.accessToken`; also idToken, refreshToken, and idTokenClaims for `ctx.claimsJSON()` / `ctx.getClaim(key)`',
} as const;

/** Setter name → dotted field of the object it changes. */
export const EXTERNAL_USER_SETTERS: Record<string, string> = {
  setFirstName: 'human.firstName',
  setLastName: 'human.lastName',
  setNickName: 'human.nickName',
  setDisplayName: 'human.displayName',
  setPreferredLanguage: 'human.preferredLanguage',
  setPreferredUsername: 'preferredUsername',
  setEmail: 'human.email',
  setEmailVerified: 'human.isEmailVerified',
  setPhone: 'human.phone',
  setPhoneVerified: 'human.isPhoneVerified',
};

export const HUMAN_USER_SETTERS: Record<string, string> = {
  setFirstName: 'profile.firstName',
  setLastName: 'profile.lastName',
  setNickName: 'profile.nickName',
  setDisplayName: 'profile.displayName',
  setPreferredLanguage: 'profile.preferredLanguage',
  setGender: 'profile.gender',
  setUsername: 'username',
  setEmail: 'email.email',
  setEmailVerified: 'email.isEmailVerified',
  setPhone: 'phone.phone',
  setPhoneVerified: 'phone.isPhoneVerified',
};

/** The surface of a trigger, or undefined for a flow Zitadel does not have (the command flow). */
export function zitadelSurface(flowType: string, trigger: string): ZitadelSurface | undefined {
  return ZITADEL_SURFACES[flowType]?.[trigger];
}

/** What the guest wrapper needs to build `ctx` and `api`. */
export interface ZitadelSpec extends ZitadelSurface {
  name: string;
  setters: Record<string, string>;
  setterTarget: 'externalUser' | 'user' | null;
}

export function zitadelSpec(name: string, surface: ZitadelSurface): ZitadelSpec {
  const external = surface.api.includes('externalUserSetters');
  const human = surface.api.includes('humanSetters');
  return {
    name,
    ...surface,
    setters: external ? EXTERNAL_USER_SETTERS : human ? HUMAN_USER_SETTERS : {},
    setterTarget: external ? 'externalUser' : human ? 'user' : null,
  };
}

// Prepended on the script's first line (no newline), so `require` exists while the script's top
// level runs and error lines still point into the script. `api` here is the sandbox's host object.
const PRELUDE = `
var require = (function (host) {
  var http = {
    fetch: function (url, options) {
      var o = options || {};
      var method = String(o.method || 'GET').toUpperCase();
      if (['GET', 'POST', 'PUT', 'DELETE'].indexOf(method) < 0) throw new Error('fetch: method ' + method + ' is not allowed (GET, POST, PUT, DELETE)');
      var headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
      Object.keys(o.headers || {}).forEach(function (k) { var v = o.headers[k]; headers[k] = Array.isArray(v) ? v.join(', ') : String(v); });
      var init = { method: method, headers: headers };
      if (o.body !== undefined) init.body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
      var r = host.zitadel.fetch(String(url), init);
      return { status: r.status, body: r.text, json: function () { return JSON.parse(r.text); }, text: function () { return r.text; } };
    }
  };
  var log = { log: host.log, warn: host.log.warn, error: host.log.error };
  var uuid = {
    v1: function () { return host.zitadel.uuid('v1'); },
    v3: function (ns, data) { return host.zitadel.uuid('v3', ns, data); },
    v4: function () { return host.zitadel.uuid('v4'); },
    v5: function (ns, data) { return host.zitadel.uuid('v5', ns, data); },
    v7: function () { return host.zitadel.uuid('v7'); },
    namespaceDNS: '6ba7b810-9dad-11d1-80b4-00c04fd430c8',
    namespaceURL: '6ba7b811-9dad-11d1-80b4-00c04fd430c8',
    namespaceOID: '6ba7b812-9dad-11d1-80b4-00c04fd430c8',
    namespaceX500: '6ba7b814-9dad-11d1-80b4-00c04fd430c8'
  };
  var modules = { 'zitadel/http': http, 'zitadel/log': log, 'zitadel/uuid': uuid };
  return function require(name) {
    if (!Object.prototype.hasOwnProperty.call(modules, name)) throw new Error("Cannot find module '" + name + "'");
    return modules[name];
  };
})(api);`
  .replace(/\n\s*/g, ' ')
  .trim();

// Appended after the script: builds ctx and api for the trigger, calls the action's function, and
// returns the changed context. Only names starting with __zitadel are added to the script's globals.
const WRAPPER = `
;function __zitadelAction(spec, context) {
  const has = (list, f) => list.indexOf(f) >= 0;
  const copy = (v) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));
  const read = (field) => (Array.isArray(context[field]) ? context[field] : []);
  const list = (field) => (Array.isArray(context[field]) ? context[field] : (context[field] = []));
  const metadataResult = (entries) => ({ count: entries.length, metadata: copy(entries) });
  const setMetadata = (key, value) => {
    const md = list('userMetadata');
    const entry = { key: String(key), value: copy(value) };
    const i = md.findIndex((m) => m.key === entry.key);
    if (i >= 0) md[i] = entry; else md.push(entry);
  };
  const setPath = (target, path, value) => {
    const parts = path.split('.');
    let o = target;
    for (const p of parts.slice(0, -1)) o = o[p] !== null && typeof o[p] === 'object' ? o[p] : (o[p] = {});
    o[parts[parts.length - 1]] = copy(value);
  };
  const claimLogs = [];
  const claims = () => (context.claims !== null && typeof context.claims === 'object' ? context.claims : (context.claims = {}));
  const claimsApi = {
    setClaim(key, value) {
      key = String(key);
      if (key.indexOf('urn:zitadel:iam') === 0) return;
      if (claims()[key] === undefined || claims()[key] === null) claims()[key] = copy(value);
      else claimLogs.push('key "' + key + '" already exists');
    },
    appendLogIntoClaims(entry) { claimLogs.push(String(entry)); },
  };

  const ctx = { v1: {} };
  const c = spec.ctx;
  if (has(c, 'claims')) ctx.v1.claims = copy(claims());
  if (has(c, 'getUser')) ctx.v1.getUser = () => copy(context.user);
  if (has(c, 'user')) ctx.v1.user = copy(context.user);
  if (has(c, 'user.getMetadata') || has(c, 'user.grants')) ctx.v1.user = ctx.v1.user || {};
  if (has(c, 'user.getMetadata')) ctx.v1.user.getMetadata = () => metadataResult(read('userMetadata'));
  if (has(c, 'user.grants')) ctx.v1.user.grants = { count: read('userGrants').length, grants: copy(read('userGrants')) };
  if (has(c, 'org.getMetadata')) ctx.v1.org = { getMetadata: () => metadataResult(read('orgMetadata')) };
  if (has(c, 'externalUser')) ctx.v1.externalUser = () => copy(context.externalUser);
  if (has(c, 'authError')) ctx.v1.authError = context.authError === undefined ? 'none' : context.authError;
  for (const f of ['authMethod', 'authRequest', 'httpRequest', 'providerInfo']) if (has(c, f)) ctx.v1[f] = copy(context[f]);
  if (has(c, 'tokens')) {
    ctx.accessToken = context.accessToken;
    ctx.idToken = context.idToken;
    ctx.refreshToken = context.refreshToken;
    ctx.claimsJSON = () => copy(context.idTokenClaims || {});
    ctx.getClaim = (key) => copy((context.idTokenClaims || {})[key]);
  }

  const api = { v1: {} };
  const a = spec.api;
  if (has(a, 'claims')) api.v1.claims = claimsApi;
  if (has(a, 'userinfo')) api.v1.userinfo = claimsApi;
  if (has(a, 'user.setMetadata') || has(a, 'user.appendMetadata')) api.v1.user = {};
  if (has(a, 'user.setMetadata')) api.v1.user.setMetadata = (key, value) => setMetadata(key, value);
  if (has(a, 'user.appendMetadata')) api.v1.user.appendMetadata = (key, value) => setMetadata(key, value);
  if (has(a, 'metadata')) api.metadata = [];
  if (spec.setterTarget !== null) {
    const target = context[spec.setterTarget] !== null && typeof context[spec.setterTarget] === 'object' ? context[spec.setterTarget] : (context[spec.setterTarget] = {});
    for (const name of Object.keys(spec.setters)) api[name] = (value) => setPath(target, spec.setters[name], value);
  }
  const grant = (g) => ({ projectId: g.projectId !== undefined ? g.projectId : g.projectID, projectGrantId: g.projectGrantId !== undefined ? g.projectGrantId : g.projectGrantID, roles: copy(g.roles || []) });
  if (has(a, 'userGrants')) {
    api.userGrants = [];
    api.v1.appendUserGrant = (g) => list('userGrants').push(grant(g));
  }
  if (has(a, 'attributes')) {
    api.v1.attributes = {
      setCustomAttribute(name, nameFormat, ...values) {
        const attrs = context.samlAttributes !== null && typeof context.samlAttributes === 'object' ? context.samlAttributes : (context.samlAttributes = {});
        if (attrs[name] === undefined) attrs[name] = { nameFormat: String(nameFormat), values: values.map(String) };
      },
    };
  }

  const finish = () => {
    // The deprecated arrays are read after the run, as Zitadel does.
    for (const m of api.metadata || []) setMetadata(m.key !== undefined ? m.key : m.Key, m.value !== undefined ? m.value : m.Value);
    for (const g of api.userGrants || []) list('userGrants').push(grant(g));
    if (claimLogs.length > 0) claims()['urn:zitadel:iam:action:' + spec.name + ':log'] = claimLogs;
    return context;
  };
  // Looked up on the global object, so no local name of this wrapper can shadow the action's function.
  const fn = globalThis[spec.name];
  if (typeof fn !== 'function') throw new TypeError('the script does not define function ' + spec.name);
  return Promise.resolve(fn(ctx, api)).then(finish);
}`;

export interface ZitadelRunInput {
  name: string;
  script: string;
  flowType: string;
  trigger: string;
  context: Record<string, unknown>;
  allowlist: string[];
  timeoutMs: number;
  memoryBytes: number;
  maxContextBytes: number;
}

/** `uuid.vX(…)` of zitadel/uuid; v3 and v5 take a namespace UUID and the data. */
function zitadelUuid([version, namespace, data]: unknown[]): string {
  switch (version) {
    case 'v1':
      return uuidV1();
    case 'v3':
      return uuidV3(String(data), String(namespace));
    case 'v4':
      return uuidV4();
    case 'v5':
      return uuidV5(String(data), String(namespace));
    case 'v7':
      return uuidV7();
    default:
      throw new Error(`uuid: unknown version ${String(version)}`);
  }
}

/** Runs a zitadel-v1 action in the sandbox; a trigger Zitadel has no API for fails the step. */
export function runZitadelScript(sandbox: Sandbox, input: ZitadelRunInput): Promise<RunScriptResult> {
  const surface = zitadelSurface(input.flowType, input.trigger);
  if (surface === undefined) {
    const flows = Object.keys(ZITADEL_SURFACES).join(', ');
    const message = `zitadel-v1 scripts run in Zitadel's flows only (${flows}), not in ${input.flowType}/${input.trigger}`;
    return Promise.resolve({ ok: false, error: { kind: 'runtime', message }, logs: [], logsTruncated: false, durationMs: 0 });
  }
  return sandbox.runScript({
    source: PRELUDE + input.script + WRAPPER,
    entry: '__zitadelAction',
    args: [zitadelSpec(input.name, surface), input.context],
    host: { zitadel: { fetch: blockingFetchHostFunction(input.allowlist), uuid: zitadelUuid } },
    fileName: 'action.js',
    timeoutMs: input.timeoutMs,
    memoryBytes: input.memoryBytes,
    maxOutputBytes: input.maxContextBytes,
  });
}
