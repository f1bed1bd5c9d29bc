// The cross-tenant probe suite, generated from the route table (src/api/routes) and the request
// schemas of the OpenAPI document: a new route is probed without anyone remembering to.
//
// Four scopes own resources: instance A itself, its orgs A1 and A2, and instance B. Each has an
// admin, an operator and a viewer key. Every scope creates one resource of each kind (FIXTURES);
// then every route is called with every key:
// - routes that name a resource in their path are called with every foreign scope's resource,
//   and must answer 404 (403 for a role or an instance-only route, 400 when an org must be
//   named first): never 2xx, 409 or 422, which would show the resource exists;
// - routes whose body names a resource (REFERENCES) are called with foreign resources there and
//   must refuse them;
// - every other route acts in the caller's own scope: it must not fail with 5xx, and a change
//   it makes must leave every sibling scope's view (the GET of the same collection) unchanged;
// - no answer may carry a foreign scope's id, name or key name (its markers).
// A path parameter without a fixture fails the suite: add the fixture, and the route is probed.
// "Foreign" to a key: another instance, or, for an org key, the instance itself and other orgs.
// Instance-wide keys see and change their orgs' resources, so those are not foreign to them.
import crypto from 'node:crypto';
import { allRoutes } from '../../src/api/routes';
import type { Role } from '../../src/context';
import { SYSTEM, transaction } from '../../src/db/db';
import { insertKey } from '../../src/tenancy/keys';
import { insertSystemKey } from '../../src/tenancy/system-keys';
import { createInstance } from '../../src/tenancy/instances';
import { connect, node, trigger, workflow } from '../helpers/dag';
import { call, startHarness, startWorkerProcess, waitFor, type Harness, type RawResponse, type WorkerProcess } from '../helpers/harness';
import { startReceiver, type Receiver } from '../helpers/receiver';

type ScopeName = 'A' | 'A1' | 'A2' | 'B';
const SCOPES: ScopeName[] = ['A', 'A1', 'A2', 'B'];
const ROLES: Role[] = ['admin', 'operator', 'viewer'];

interface Scope {
  name: ScopeName;
  instanceId: string;
  /** null for an instance-wide scope. */
  orgId: string | null;
  /** A random word in every name this scope gives, so a leaked name or creator is found. */
  tag: string;
  keys: Record<Role, string>;
  fixtures: Record<string, string>;
  /** Strings only this scope's resources carry. */
  markers: string[];
  /** Markers an instance's orgs may see: its actions run first in their flow runs, and their traces show them. */
  inherited: string[];
}

/** Path parameters, as `<the literal segment before it>:<name>`, and what fills them. */
const FIXTURES = [
  'orgs:orgId',
  'keys:keyId',
  'commands:domain',
  'commands:commandId',
  'troubleshooting:domain',
  'troubleshooting:commandId',
  'batches:batchId',
  'retry:bulkId',
  'actions:actionId',
  'versions:version',
  'flows:flowType',
  'triggers:triggerType',
  'runs:runId',
  'targets:targetId',
  'alerts:alertId',
  'functions:name',
  'command-domains:domain',
  'workflows:workflowId',
  'workflow-runs:runId',
  'signals:name',
  'nodes:nodeName',
  'credentials:credentialId',
  'hooks:instanceId',
  'hooks:hookPath',
  'instances:instanceId',
] as const;

/** Parameters named within the caller's own scope (or fixed names): they name nothing foreign by themselves. */
// Webhook URLs are public by design (n8n's are): the instance is in the URL and the node's own
// authentication guards the call, so a hook is probed in its own scope (no 5xx, no leak).
const RELATIVE = new Set(['hooks:instanceId', 'hooks:hookPath', 'commands:domain', 'troubleshooting:domain', 'versions:version', 'flows:flowType', 'triggers:triggerType', 'functions:name', 'command-domains:domain', 'signals:name', 'nodes:nodeName']);

/** Body and query fields that name a resource, and the fixture they take. */
const REFERENCES: Record<string, string> = {
  notifyTargetId: 'targets:targetId',
  target: 'targets:targetId',
  actionIds: 'actions:actionId',
  orgId: 'orgs:orgId',
  replyTo: 'workflow-runs:replyTo',
};

/** Field values the schemas alone cannot produce (patterns, scripts, definitions). */
function sampleField(name: string, tag: string): unknown {
  const actionName = `probe${tag}`;
  const samples: Record<string, unknown> = {
    domain: 'demo',
    name: actionName,
    script: `function ${actionName}(ctx, api) {}`,
    definition: waitingWorkflow(tag),
    condition: 'function/probe',
    endpoint: 'http://127.0.0.1:9/probe',
    commands: [{ domain: 'demo', type: 'noop' }],
    idempotencyKey: `probe-${crypto.randomBytes(4).toString('hex')}`,
    reason: 'probe',
    type: 'noop',
    aggregateType: 'probe',
    aggregateId: 'probe-1',
    commandId: `probe-${crypto.randomBytes(4).toString('hex')}`,
    batchId: `probe-${crypto.randomBytes(4).toString('hex')}`,
    version: 1,
    window: 60,
    minRuns: 1,
    failureRateThreshold: 0.5,
    timeoutSeconds: 5,
  };
  return samples[name];
}

const waitingWorkflow = (tag: string) =>
  workflow(`probe ${tag}`, [trigger(), node('Wait', 'cadenza.waitForSignal', 1, { signalName: 'go', timeoutSeconds: 3600 })], connect(['Start', 'Wait']));

interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  minItems?: number;
  minimum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  format?: string;
  default?: unknown;
}

/** A small valid value of a JSON schema: required fields only, references filled from `refs`. */
function sample(schema: JsonSchema, doc: any, name: string, tag: string, refs: Record<string, unknown>): unknown {
  if (schema.$ref !== undefined) return sample(doc.components.schemas[schema.$ref.split('/').pop()!], doc, name, tag, refs);
  if (name in refs) return refs[name];
  const given = sampleField(name, tag);
  if (given !== undefined && !(schema.enum && !schema.enum.includes(given))) return given;
  if (schema.enum) return schema.enum[0];
  const options = schema.anyOf ?? schema.oneOf;
  if (options) return sample(options.find((o) => o.type !== 'null') ?? options[0]!, doc, name, tag, refs);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      // Required fields, and every field that names a resource.
      for (const key of Object.keys(schema.properties ?? {}).filter((k) => schema.required?.includes(k) || k in refs)) {
        out[key] = sample(schema.properties![key]!, doc, key, tag, refs);
      }
      return out;
    }
    case 'array':
      return Array.from({ length: Math.max(1, schema.minItems ?? 0) }, () => sample(schema.items ?? {}, doc, name, tag, refs));
    case 'integer':
    case 'number':
      return schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 1);
    case 'boolean':
      return false;
    case 'string':
      return schema.format === 'date-time' ? new Date().toISOString() : `probe-${tag}`.padEnd(schema.minLength ?? 0, 'x');
    default:
      return schema.default ?? {};
  }
}

let h: Harness;
let worker: WorkerProcess;
let echo: Receiver;
let doc: any;
const scopes = {} as Record<ScopeName, Scope>;
const probes = { resource: 0, reference: 0, scope: 0, control: 0, sibling: 0 };
const failures: string[] = [];
/** How foreign probes were answered, by status. */
const answers: Record<number, number> = {};

const isForeign = (prober: Scope, owner: Scope) => prober.instanceId !== owner.instanceId || (prober.orgId !== null && prober.orgId !== owner.orgId);
/** Whose views a change in `prober`'s scope must leave alone: other instances, and its sibling orgs. */
const isSibling = (prober: Scope, other: Scope) => prober.instanceId !== other.instanceId || (prober.orgId !== null && other.orgId !== null && prober.orgId !== other.orgId);

beforeAll(async () => {
  h = await startHarness({ CADENZA_OUTBOUND_ALLOWLIST: '127.0.0.1' });
  worker = await startWorkerProcess(h, { CADENZA_DEMO_HANDLERS: 'true' });
  echo = await startReceiver();
  doc = (await call(h, 'GET', '/openapi.json')).body;
  const instanceA = `pa-${crypto.randomBytes(4).toString('hex')}`;
  const instanceB = `pb-${crypto.randomBytes(4).toString('hex')}`;
  for (const id of [instanceA, instanceB]) await createInstance(h.ctx.db, { id, name: id });
  const bootstrap = await keyOf(instanceA, null, 'admin', 'bootstrap');
  const org = async (name: string) => (await call(h, 'POST', '/v1/orgs', { key: bootstrap, body: { name } })).body.id as string;
  const [org1, org2] = [await org('one'), await org('two')];
  const layout: Record<ScopeName, [string, string | null]> = { A: [instanceA, null], A1: [instanceA, org1], A2: [instanceA, org2], B: [instanceB, null] };
  for (const name of SCOPES) {
    const [instanceId, orgId] = layout[name];
    const tag = `tag${crypto.randomBytes(5).toString('hex')}`;
    const keys = {} as Record<Role, string>;
    for (const role of ROLES) keys[role] = await keyOf(instanceId, orgId, role, tag);
    scopes[name] = { name, instanceId, orgId, tag, keys, fixtures: {}, markers: [tag], inherited: [] };
  }
  for (const name of SCOPES) await createFixtures(scopes[name]);
  await settle();
}, 240_000);

afterAll(async () => {
  await worker?.stop();
  await echo?.close();
  await h?.close();
});

async function keyOf(instanceId: string, orgId: string | null, role: Role, tag: string): Promise<string> {
  const { secret } = await transaction(h.ctx.db, SYSTEM, (tx) => insertKey(tx, instanceId, 'probe-setup', { name: `probe-${tag}-${role}`, role, orgId }));
  return secret;
}

async function ok(s: Scope, method: string, path: string, body?: unknown): Promise<any> {
  const res = await call(h, method, path, { key: s.keys.admin, body });
  if (res.status >= 300) throw new Error(`fixture ${method} ${path} for ${s.name}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** One resource of each kind, owned by the scope (instance-level ones for instance-wide scopes). */
async function createFixtures(s: Scope): Promise<void> {
  const f = s.fixtures;
  const own = (key: string, value: string) => {
    f[key] = value;
    s.markers.push(value);
  };
  const level = s.orgId === null ? '/v1/instance' : '/v1';
  own('orgs:orgId', s.orgId ?? (await ok(s, 'POST', '/v1/orgs', { name: `org ${s.tag}` })).id);
  own('keys:keyId', (await ok(s, 'POST', '/v1/keys', { name: `key-${s.tag}`, role: 'viewer' })).id);
  f['commands:domain'] = f['troubleshooting:domain'] = f['command-domains:domain'] = 'demo';
  own('commands:commandId', (await ok(s, 'POST', '/v1/commands', { domain: 'demo', type: 'echo', commandId: `echo-${s.tag}`, payload: { tag: s.tag } })).commandId);
  own('troubleshooting:commandId', (await ok(s, 'POST', '/v1/commands', { domain: 'demo', type: 'flaky', commandId: `tsq-${s.tag}`, payload: { failTimes: 1, permanent: true } })).commandId);
  own('batches:batchId', (await ok(s, 'POST', '/v1/commands/batch', { batchId: `batch-${s.tag}`, commands: [{ domain: 'demo', type: 'noop' }] })).batchId);
  own('retry:bulkId', (await ok(s, 'POST', '/v1/troubleshooting/retry', { domain: 'nothing', limit: 1 })).id);
  await ok(s, 'PUT', '/v1/command-domains/demo', { maxAttempts: 3 });
  const actionName = `act${crypto.randomBytes(5).toString('hex')}`;
  own('actions:actionId', (await ok(s, 'POST', `${level}/actions`, { name: actionName, script: `function ${actionName}(ctx, api) { api.setContext('ran', true); }` })).id);
  if (s.orgId === null) s.inherited.push(actionName, f['actions:actionId']);
  else s.markers.push(actionName);
  f['versions:version'] = '1';
  f['flows:flowType'] = 'customiseToken';
  f['triggers:triggerType'] = 'preAccessTokenCreation';
  await ok(s, 'PUT', `${level}/flows/customiseToken/triggers/preAccessTokenCreation`, { actionIds: [f['actions:actionId']] });
  own('runs:runId', (await ok(s, 'POST', `${level}/flows/customiseToken/triggers/preAccessTokenCreation/run`, { context: {} })).runId);
  echo.respondWith(200, { answeredFor: 'probe' });
  own('targets:targetId', (await ok(s, 'POST', '/v1/targets', { name: `target-${s.tag}`, type: 'call', endpoint: `${echo.url}/${s.tag}`, timeoutSeconds: 5 })).id);
  f['functions:name'] = 'probe';
  await ok(s, 'PUT', '/v1/executions', { condition: 'function/probe', targets: [{ target: f['targets:targetId'] }] });
  own('alerts:alertId', (await ok(s, 'POST', '/v1/alerts', { name: `alert-${s.tag}`, scope: 'flow', failureRateThreshold: 1, window: 3600, minRuns: 1000, notifyTargetId: f['targets:targetId'], evaluateEverySeconds: 3600 })).id);
  own('workflows:workflowId', (await ok(s, 'POST', '/v1/workflows', { definition: waitingWorkflow(s.tag) })).id);
  const run = await ok(s, 'POST', `/v1/workflows/${f['workflows:workflowId']}/execute`, { input: {} });
  own('workflow-runs:runId', run.id);
  f['signals:name'] = 'go';
  f['nodes:nodeName'] = 'Start';
  own('credentials:credentialId', (await ok(s, 'POST', '/v1/credentials', { name: `cred-${s.tag}`, type: 'httpBearerAuth', data: { token: `token-${s.tag}` } })).id);
  const hooked = await ok(s, 'POST', '/v1/workflows', { definition: workflow(`hook ${s.tag}`, [node('Hook', 'n8n-nodes-base.webhook', 2, { httpMethod: 'POST', path: `probe-${s.tag}` })], {}) });
  await ok(s, 'POST', `/v1/workflows/${hooked.id}/activate`, {});
  f['hooks:instanceId'] = s.instanceId;
  f['hooks:hookPath'] = `probe-${s.tag}`;
  f['instances:instanceId'] = s.instanceId;
}

/** Fixtures that run settle first (commands end, flow and bulk runs finish), so views stay put. */
async function settle(): Promise<void> {
  for (const s of Object.values(scopes)) {
    const get = (path: string) => call(h, 'GET', path, { key: s.keys.admin });
    await waitFor(async () => (await get(`/v1/commands/demo/${s.fixtures['commands:commandId']}`)).body.status === 'COMPLETED', { what: `${s.name}'s command` });
    await waitFor(async () => (await get(`/v1/commands/demo/${s.fixtures['troubleshooting:commandId']}`)).body.status === 'IN_TROUBLESHOOTING_QUEUE', { what: `${s.name}'s queue entry` });
    await waitFor(async () => (await get(`/v1/batches/${s.fixtures['batches:batchId']}`)).body.status === 'COMPLETED', { what: `${s.name}'s batch` });
    await waitFor(async () => (await get(`/v1/troubleshooting/retry/${s.fixtures['retry:bulkId']}`)).body.state === 'COMPLETED', { what: `${s.name}'s bulk retry` });
    await waitFor(async () => (await get(`/v1/alerts/${s.fixtures['alerts:alertId']}`)).body.lastEvaluatedAt !== null, { what: `${s.name}'s alert's first evaluation` });
    const run = await waitFor(async () => (await get(`/v1/workflow-runs/${s.fixtures['workflow-runs:runId']}`)).body, { what: `${s.name}'s run` });
    s.fixtures['workflow-runs:replyTo'] = `temporal:${run.temporalWorkflowId}`;
    await waitFor(async () => (await get(`/v1/workflow-runs/${s.fixtures['workflow-runs:runId']}`)).body.nodes.some((n: { status: string }) => n.status === 'waiting'), {
      what: `${s.name}'s run to wait for its signal`,
    });
  }
}

const paramsOf = (path: string) => [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);

/** `<segment>:<param>` for each path parameter. */
function fixtureKeys(path: string): string[] {
  const parts = path.split('/');
  return parts.flatMap((p, i) => {
    const m = /^\{(.+)\}$/.exec(p);
    if (m === null) return [];
    const before = parts.slice(0, i).reverse().find((x) => !x.startsWith('{'))!;
    return [`${before}:${m[1]}`];
  });
}

type Route = (typeof allRoutes)[number];
const operation = (r: Route) => doc.paths[r.path]?.[r.method];

function kindOf(r: Route): 'resource' | 'reference' | 'scope' {
  if (fixtureKeys(r.path).some((k) => !RELATIVE.has(k))) return 'resource';
  const schema = operation(r)?.requestBody?.content['application/json']?.schema;
  const text = JSON.stringify(schema ? resolve(schema) : {});
  return Object.keys(REFERENCES).some((field) => text.includes(`"${field}"`)) ? 'reference' : 'scope';
}

/** The schema with $refs inlined (two levels are enough for the references check). */
function resolve(schema: JsonSchema, depth = 0): JsonSchema {
  if (depth > 4) return schema;
  if (schema.$ref) return resolve(doc.components.schemas[schema.$ref.split('/').pop()!], depth + 1);
  return JSON.parse(JSON.stringify(schema), (_k, v) => (v && typeof v === 'object' && v.$ref ? resolve(v, depth + 1) : v));
}

interface Request {
  method: string;
  path: string;
  body?: unknown;
}

/** The route filled with `owner`'s fixtures (path and body references), called by `prober`. */
function requestFor(r: Route, owner: Scope, prober: Scope): Request {
  const keys = fixtureKeys(r.path);
  let path = r.path;
  for (const [i, p] of paramsOf(r.path).entries()) path = path.replace(`{${p}}`, encodeURIComponent(owner.fixtures[keys[i]!]!));
  const op = operation(r);
  const refs: Record<string, unknown> = {};
  for (const [field, key] of Object.entries(REFERENCES)) refs[field] = field === 'actionIds' ? [owner.fixtures[key]] : owner.fixtures[key];
  const query = (op?.parameters ?? []).filter((p: { in: string; required?: boolean }) => p.in === 'query' && p.required);
  if (query.length > 0) path += `?${query.map((p: { name: string; schema: JsonSchema }) => `${p.name}=${encodeURIComponent(String(sample(p.schema, doc, p.name, prober.tag, refs)))}`).join('&')}`;
  const schema = op?.requestBody?.content['application/json']?.schema;
  return { method: r.method.toUpperCase(), path, body: schema ? sample(schema, doc, 'body', prober.tag, refs) : undefined };
}

function leaks(res: RawResponse, req: Request, prober: Scope): string[] {
  // What the request itself said may come back (a 404 names the id it did not find).
  let text = JSON.stringify(res.body ?? '');
  const said = [...req.path.split(/[/?&=]/), ...JSON.stringify(req.body ?? '').split('"')].map(decodeURIComponent).filter((x) => x.length >= 6);
  for (const s of said) text = text.split(s).join('');
  return Object.values(scopes)
    .filter((o) => isForeign(prober, o))
    .flatMap((o) => {
      const inherited = o.instanceId === prober.instanceId ? o.inherited : [];
      return o.markers.filter((m) => text.includes(m) && !inherited.includes(m)).map((m) => `${o.name}'s ${m}`);
    });
}

const label = (r: Route, prober: Scope, role: Role, owner?: Scope) => `${r.method.toUpperCase()} ${r.path} as ${prober.name}/${role}${owner ? ` on ${owner.name}'s` : ''}`;

async function probe(prober: Scope, role: Role, req: Request, allowed: (res: RawResponse) => boolean, what: string): Promise<RawResponse> {
  const res = await call(h, req.method, req.path, { key: prober.keys[role], body: req.body });
  if (!allowed(res)) failures.push(`${what}: ${res.status} ${JSON.stringify(res.body ?? null).slice(0, 300)}`);
  // The request log echoes the paths the prober itself sent (foreign ids among them, answered
  // 404): its rows are checked by owner instead, and their paths left out of the marker check.
  if (req.path.startsWith('/v1/logs/requests') && res.status === 200) {
    const rows = res.body.items as { orgId: string | null; path: string }[];
    const foreign = rows.filter((r) => prober.orgId !== null && r.orgId !== prober.orgId);
    if (foreign.length > 0) failures.push(`${what}: ${foreign.length} request log rows of other orgs`);
    res.body = { ...res.body, items: rows.map((r) => ({ ...r, path: '' })) };
  }
  const leaked = leaks(res, req, prober);
  if (leaked.length > 0) failures.push(`${what}: the answer carries ${leaked.join(', ')}`);
  return res;
}

/** 404; 403 for a role or an instance-only route; 400 when the route first needs X-Cadenza-Org. */
const refused = (res: RawResponse) =>
  res.status === 404 || res.status === 403 || (res.status === 400 && res.body?.errors?.[0]?.field === 'headers.x-cadenza-org');

/** The GET that shows what a change to `path` changes: the same path, or the nearest collection above it. */
function viewOf(path: string): Route | undefined {
  for (let p = path; p.includes('/'); p = p.slice(0, p.lastIndexOf('/'))) {
    const view = allRoutes.find((r) => r.method === 'get' && r.path === p);
    if (view !== undefined) return view;
  }
  return undefined;
}

const snapshot = async (view: Route, s: Scope) => {
  const req = requestFor(view, s, s);
  const res = await call(h, 'GET', req.path, { key: s.keys.admin });
  return res.status === 200 ? JSON.stringify(res.body) : String(res.status);
};

/** An answer that started something (202 with a Location) is followed until that has finished. */
async function finish(res: RawResponse, s: Scope): Promise<void> {
  const location = res.headers.get('location');
  if (res.status !== 202 || location === null) return;
  await waitFor(async () => !/running/i.test(String((await call(h, 'GET', location, { key: s.keys.admin })).body?.state ?? '')), { what: `${location} to finish` });
}

async function probeRoute(r: Route): Promise<void> {
  const missing = fixtureKeys(r.path).filter((k) => !(FIXTURES as readonly string[]).includes(k));
  if (missing.length > 0) {
    failures.push(`${r.method.toUpperCase()} ${r.path}: no fixture for ${missing.join(', ')} (add one to FIXTURES in test/integration/probes.test.ts)`);
    return;
  }
  const kind = kindOf(r);
  for (const prober of Object.values(scopes)) {
    for (const role of ROLES) {
      if (kind === 'scope') {
        await probeScope(r, prober, role);
        continue;
      }
      for (const owner of Object.values(scopes).filter((o) => isForeign(prober, o))) {
        const what = label(r, prober, role, owner);
        const allowed = kind === 'resource' ? refused : (res: RawResponse) => refused(res) || res.status === 422;
        probes[kind]++;
        const res = await probe(prober, role, requestFor(r, owner, prober), allowed, what);
        answers[res.status] = (answers[res.status] ?? 0) + 1;
      }
    }
  }
}

/** A route in the caller's own scope: no 5xx, no foreign markers, and siblings' views unchanged. */
async function probeScope(r: Route, prober: Scope, role: Role): Promise<void> {
  const view = r.method === 'get' ? undefined : viewOf(r.path);
  const siblings = Object.values(scopes).filter((o) => isSibling(prober, o));
  const before = view ? await Promise.all(siblings.map((o) => snapshot(view, o))) : [];
  probes.scope++;
  const res = await probe(prober, role, requestFor(r, prober, prober), (x) => x.status < 500, label(r, prober, role));
  await finish(res, prober);
  if (!view) return;
  const after = await Promise.all(siblings.map((o) => snapshot(view, o)));
  siblings.forEach((o, i) => {
    probes.sibling++;
    if (after[i] !== before[i]) failures.push(`${label(r, prober, role)} changed ${o.name}'s ${view.path}`);
  });
}

/** The owner's own key reads each of its resources: the fixtures name real things, so a 404 above means something. */
async function controlProbes(): Promise<void> {
  for (const r of allRoutes.filter((x) => x.method === 'get' && x.auth !== 'system' && kindOf(x) === 'resource')) {
    for (const owner of Object.values(scopes)) {
      probes.control++;
      const req = requestFor(r, owner, owner);
      const res = await call(h, 'GET', req.path, { key: owner.keys.viewer });
      // Org-level routes need an org, instance-level ones an instance-wide key: the fixture of the other level is not theirs.
      const otherLevel = owner.orgId === null ? res.status === 400 && res.body?.errors?.[0]?.field === 'headers.x-cadenza-org' : res.status === 403 && r.path.startsWith('/v1/instance/');
      if (res.status !== 200 && !otherLevel && !(res.status === 403 && r.auth === 'admin')) failures.push(`control ${label(r, owner, 'viewer', owner)}: ${res.status} ${JSON.stringify(res.body ?? null).slice(0, 200)}`);
    }
  }
}

// Reads first, then changes, deletes last: a probe never removes what a later probe needs.
const ORDER: Record<string, number> = { get: 0, post: 1, put: 1, patch: 1, delete: 2 };

describe('cross-tenant probes from the route table', () => {
  it('answers every foreign probe with 404 (or 403/400 as documented), leaks nothing, and changes no other scope', async () => {
    await controlProbes();
    const before = await Promise.all(Object.values(scopes).map((s) => snapshotResources(s)));
    for (const r of [...allRoutes].sort((a, b) => ORDER[a.method]! - ORDER[b.method]!)) await probeRoute(r);
    const after = await Promise.all(Object.values(scopes).map((s) => snapshotResources(s)));
    Object.values(scopes).forEach((s, i) => {
      if (after[i] !== before[i]) failures.push(`${s.name}'s resources changed during the probes:\nbefore ${before[i]}\nafter  ${after[i]}`);
    });
    const total = probes.resource + probes.reference + probes.scope + probes.sibling + probes.control;
    process.stdout.write(
      `probe suite: ${allRoutes.length} routes, ${total} probes (resource ${probes.resource}, reference ${probes.reference}, own scope ${probes.scope}, ` +
        `sibling views ${probes.sibling}, control ${probes.control}); foreign probes answered ${JSON.stringify(answers)}\n`,
    );
    expect(failures).toEqual([]);
    expect(probes.resource).toBeGreaterThan(500);
  }, 900_000);

  it('answers 403 to a system key on every instance route, and to every instance key on every system route', async () => {
    const { secret: systemKey } = await transaction(h.ctx.db, SYSTEM, (tx) => insertSystemKey(tx, 'probe-setup', 'probe-system'));
    const wrong: string[] = [];
    let checked = 0;
    for (const r of allRoutes.filter((x) => x.auth !== 'public')) {
      for (const owner of Object.values(scopes)) {
        const req = requestFor(r, owner, owner);
        const callers = r.auth === 'system' ? ROLES.map((role) => owner.keys[role]) : [systemKey];
        for (const key of callers) {
          checked++;
          const res = await call(h, req.method, req.path, { key, body: req.body });
          if (res.status !== 403) wrong.push(`${req.method} ${req.path} with ${r.auth === 'system' ? `${owner.name}'s key` : 'the system key'}: ${res.status}`);
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(400);
  }, 300_000);
});

/**
 * What foreign probes could have changed: each scope's id-addressed resources, as its owner reads
 * them. (Executions, domain policies and the queue are addressed within the caller's own scope:
 * the sibling views cover them, since the owner's own probes change them too.)
 */
async function snapshotResources(s: Scope): Promise<string> {
  const level = s.orgId === null ? '/v1/instance' : '/v1';
  const f = s.fixtures;
  const paths = [
    `/v1/orgs/${f['orgs:orgId']}`,
    `/v1/targets/${f['targets:targetId']}`,
    `/v1/alerts/${f['alerts:alertId']}`,
    `${level}/actions/${f['actions:actionId']}`,
    `/v1/workflows/${f['workflows:workflowId']}`,
    `/v1/workflow-runs/${f['workflow-runs:runId']}`,
  ];
  const out: Record<string, unknown> = {};
  for (const p of paths) {
    const res = await call(h, 'GET', p, { key: s.keys.admin });
    out[p] = { status: res.status, body: res.body?.lastEvaluatedAt === undefined ? res.body : { ...res.body, lastEvaluatedAt: null } };
  }
  const key = (await call(h, 'GET', '/v1/keys?limit=500', { key: s.keys.admin })).body.items.find((k: { id: string }) => k.id === f['keys:keyId']);
  out.key = key;
  return JSON.stringify(out);
}
