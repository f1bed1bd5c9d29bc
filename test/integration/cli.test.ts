// The real `cadenza` binary against the real services: every API command's happy path (a
// walk through every resource; the suite fails if a declared command was never run), tables
// and -o json|yaml, problem+json errors with their exit codes, and `cadenza apply`.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { VERBS } from '../../src/cli/resources';
import { SYSTEM, transaction } from '../../src/db/db';
import { insertSystemKey } from '../../src/tenancy/system-keys';
import { connect, node, setNode, trigger, workflow } from '../helpers/dag';
import { call, CLI, newTenant, startHarness, startWorkerProcess, waitFor, type Harness, type TestTenant, type WorkerProcess } from '../helpers/harness';
import { startReceiver, type Receiver } from '../helpers/receiver';

let h: Harness;
let worker: WorkerProcess;
let t: TestTenant;
let receiver: Receiver;
let dir: string;
const ran = new Set<string>();

beforeAll(async () => {
  h = await startHarness({ CADENZA_OUTBOUND_ALLOWLIST: '127.0.0.1' });
  worker = await startWorkerProcess(h, { CADENZA_DEMO_HANDLERS: 'true', CADENZA_OUTBOUND_ALLOWLIST: '127.0.0.1' });
  t = await newTenant(h);
  receiver = await startReceiver();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cadenza-cli-'));
}, 90_000);
afterAll(async () => {
  await worker?.stop();
  await receiver?.close();
  await h?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cadenza(args: string[], options: { stdin?: string; key?: string } = {}): Promise<Run> {
  ran.add(args.slice(0, 2).join(' '));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, CADENZA_URL: h.baseUrl, CADENZA_API_KEY: options.key ?? t.adminKey } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

/** Runs a command that must succeed, with -o json, and returns its parsed output. */
async function json(...args: string[]): Promise<any> {
  const r = await cadenza([...args, '-o', 'json']);
  if (r.code !== 0) throw new Error(`cadenza ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

async function stdinJson(stdin: string, ...args: string[]): Promise<any> {
  const r = await cadenza([...args, '-o', 'json'], { stdin });
  if (r.code !== 0) throw new Error(`cadenza ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function file(name: string, content: unknown): string {
  const p = path.join(dir, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

/** Waits poll the API directly: the CLI runs each command once, where the walk needs it. */
const read = async (urlPath: string) => (await call(h, 'GET', urlPath, { key: t.adminKey })).body;
const status = async (id: string, wanted: string) => waitFor(async () => (await read(`/v1/commands/demo/${id}`)).status === wanted, { what: `demo/${id} to be ${wanted}` });
const runStatus = async (id: string, wanted: string) => waitFor(async () => (await read(`/v1/workflow-runs/${id}`)).status === wanted, { what: `run ${id} to be ${wanted}` });

async function parked(): Promise<string> {
  const c = await stdinJson('{"failTimes": 1, "permanent": true}', 'commands', 'send', 'demo', 'flaky', '--payload-file', '-');
  await status(c.commandId, 'IN_TROUBLESHOOTING_QUEUE');
  return c.commandId;
}

describe('cadenza (the CLI)', () => {
  it('shows tables by default and YAML on request', async () => {
    await json('orgs', 'create', '--name', 'table org');
    const table = await cadenza(['orgs', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+CREATEDAT$/);
    expect(table.stdout).toContain('table org');
    const yaml = await cadenza(['orgs', 'list', '-o', 'yaml']);
    expect(parseYaml(yaml.stdout).items.map((o: { name: string }) => o.name)).toContain('table org');
  });

  it('shows a problem+json error readably and exits with the code of its kind', async () => {
    const missing = await cadenza(['commands', 'get', 'demo', 'no-such-command']);
    expect(missing.code).toBe(3);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/^Error: Not found \(HTTP 404\): .*no-such-command/);
    expect(missing.stderr).toMatch(/request id: \S+/);
    const invalid = await cadenza(['targets', 'create', '--name', 'bad', '--type', 'webhook', '--endpoint', 'ftp://example.com/x']);
    expect(invalid.code).toBe(5);
    expect(invalid.stderr).toMatch(/^Error: Validation failed \(HTTP 422\)/);
    expect(invalid.stderr).toMatch(/\n {2}body\.endpoint: /);
    const denied = await cadenza(['orgs', 'list'], { key: 'cdz_not-a-key' });
    expect(denied.code).toBe(6);
    const usage = await cadenza(['tsq', 'cancel', 'demo', 'x']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--reason is required');
    const unreachable = await cadenza(['orgs', 'list', '--url', 'http://127.0.0.1:9']);
    expect(unreachable.code).toBe(7);
    expect(unreachable.stderr).toMatch(/cannot reach the API/);
  });

  it('runs the org, key, domain, command and troubleshooting commands', async () => {
    const org = await json('orgs', 'create', '--name', 'cli org');
    expect((await json('orgs', 'get', org.id)).name).toBe('cli org');
    expect((await json('orgs', 'list')).items.some((o: { id: string }) => o.id === org.id)).toBe(true);

    const key = await json('keys', 'create', '--name', 'cli-viewer', '--role', 'viewer');
    expect(key.secret).toMatch(/^cdz_/);
    expect((await json('keys', 'list')).items.some((k: { id: string }) => k.id === key.id)).toBe(true);
    expect((await json('keys', 'revoke', key.id)).revokedAt).not.toBeNull();
    expect((await json('keys', 'me')).role).toBe('admin');

    expect((await json('domains', 'set', 'demo', '--max-attempts', '2', '--backoff', '0')).policy.maxAttempts).toBe(2);
    expect((await json('domains', 'get', 'demo')).effective.maxAttempts).toBe(2);

    const sent = await json('commands', 'send', 'demo', 'echo', '--payload', '{"a":1}', '--correlation-id', 'cli-corr', '--max-attempts', '3', '--backoff', '0,0');
    await status(sent.commandId, 'COMPLETED');
    expect((await json('commands', 'get', 'demo', sent.commandId)).result).toEqual({ a: 1 });
    expect((await json('commands', 'audit', 'demo', sent.commandId)).items.map((e: { type: string }) => e.type)).toContain('command.completed');
    expect((await json('commands', 'list', '--correlation-id', 'cli-corr')).items).toHaveLength(1);
    expect((await json('commands', 'counts', '--domain', 'demo')).COMPLETED).toBeGreaterThanOrEqual(1);
    expect(await json('commands', 'reply-key')).toHaveProperty('key');
    const batch = await json('commands', 'batch', '-f', file('batch.yaml', 'commands:\n  - {domain: demo, type: noop}\n  - {domain: demo, type: noop}\n'));
    await waitFor(async () => (await read(`/v1/batches/${batch.batchId}`)).status === 'COMPLETED', { what: 'the batch' });
    expect((await json('batches', 'get', batch.batchId)).status).toBe('COMPLETED');

    const first = await parked();
    expect((await json('tsq', 'list', '--domain', 'demo', '--tsq-reason', 'PERMANENT')).items.some((c: { commandId: string }) => c.commandId === first)).toBe(true);
    expect((await json('tsq', 'counts')).total).toBeGreaterThanOrEqual(1);
    await json('tsq', 'retry', 'demo', first, '--reason', 'cli');
    await status(first, 'COMPLETED');
    const second = await parked();
    expect((await json('tsq', 'cancel', 'demo', second, '--reason', 'not needed')).status).toBe('CANCELED');
    const third = await parked();
    expect((await json('tsq', 'complete', 'demo', third, '--result', '{"by":"hand"}')).status).toBe('COMPLETED');
    await parked();
    await parked();
    const bulk = await cadenza(['tsq', 'retry-all', '--domain', 'demo', '-o', 'json']);
    expect(bulk.code).toBe(0);
    const finished = JSON.parse(bulk.stdout);
    expect(finished).toMatchObject({ state: 'COMPLETED', retried: finished.matched });
    expect(bulk.stderr).toMatch(/\[#+\] \d+\/\d+ retried/);
    expect((await json('tsq', 'retry-status', finished.id)).state).toBe('COMPLETED');
  }, 300_000);

  it('runs the action, flow, run and log commands', async () => {
    const script = file('claim.js', 'function cliClaim(ctx, api) { api.setContext("claimed", true); }');
    const action = await json('actions', 'create', '--instance', '--name', 'cliClaim', '--script-file', script);
    expect((await json('actions', 'list', '--instance')).items.some((a: { id: string }) => a.id === action.id)).toBe(true);
    expect((await json('actions', 'get', action.id, '--instance')).version).toBe(1);
    const zitadel = file('zitadel.js', "function cliZitadel(ctx, api) { api.v1.claims.setClaim('year', 2023) }");
    expect((await json('actions', 'create', '--instance', '--name', 'cliZitadel', '--api', 'zitadel-v1', '--script-file', zitadel)).api).toBe('zitadel-v1');
    file('claim2.js', 'function cliClaim(ctx, api) { api.setContext("claimed", 2); }');
    expect((await json('actions', 'update', action.id, '--instance', '--script-file', path.join(dir, 'claim2.js'))).version).toBe(2);
    expect((await json('actions', 'versions', action.id, '--instance')).items).toHaveLength(2);
    expect((await json('actions', 'version', action.id, '1', '--instance')).version).toBe(1);
    expect((await json('actions', 'rollback', action.id, '--instance', '--version', '1')).version).toBe(3);
    expect((await json('actions', 'deactivate', action.id, '--instance')).state).toBe('inactive');
    expect((await json('actions', 'reactivate', action.id, '--instance')).state).toBe('active');
    await json('flows', 'set', 'customiseToken', 'preAccessTokenCreation', '--instance', '--actions', action.id);
    const flow = await json('flows', 'get', 'customiseToken', '--instance');
    expect(JSON.stringify(await json('flows', 'list', '--instance'))).toContain('customiseToken');
    expect(flow.triggers.find((x: { triggerType: string }) => x.triggerType === 'preAccessTokenCreation').actions[0].id).toBe(action.id);
    const flowRun = await json('flows', 'run', 'customiseToken', 'preAccessTokenCreation', '--instance', '--context', '{}');
    expect(flowRun.context.claimed).toBe(true);
    expect((await json('runs', 'list', '--kind', 'flow')).items.some((r: { id: string }) => r.id === flowRun.runId)).toBe(true);
    expect((await json('runs', 'get', flowRun.runId)).state).toBe('succeeded');
    expect((await json('runs', 'retry', flowRun.runId, '--idempotency-key', 'cli-1')).retryOf).toBe(flowRun.runId);
    expect((await json('logs', 'quota', '--run-id', flowRun.runId, '--allowed', 'true')).items).toEqual([expect.objectContaining({ runId: flowRun.runId, allowed: true })]);
    expect((await json('logs', 'executions', '--run-id', flowRun.runId, '--level', 'info', '--limit', '5')).items).toEqual([]);
    expect((await json('quota', 'show')).limit).toBeNull();
    const milestones = (await json('milestones', 'list')).items as { milestone: string; reachedAt: string | null }[];
    expect(milestones.find((m) => m.milestone === 'action_run_started')?.reachedAt).not.toBeNull();
    await waitFor(async () => (await json('logs', 'requests', '--route', '/v1/instance/flows/:flowType/triggers/:triggerType/run', '--status', '200', '--method', 'POST')).items.length > 0, { what: 'the request log of the flow run' });
    await json('flows', 'remove-action', 'customiseToken', 'preAccessTokenCreation', action.id, '--instance');
    await json('flows', 'clear', 'customiseToken', '--instance');
    await json('actions', 'delete', action.id, '--instance');
  }, 300_000);

  it('runs the target, execution, function, event and alert commands', async () => {
    const target = await json('targets', 'create', '-f', file('target.yaml', `name: cli-target\ntype: call\nendpoint: ${receiver.url}\ntimeoutSeconds: 5\n`));
    expect(target.signingKey).toBeDefined();
    expect((await json('targets', 'list')).items.some((x: { id: string }) => x.id === target.id)).toBe(true);
    expect((await json('targets', 'update', target.id, '--timeout-seconds', '3')).timeoutSeconds).toBe(3);
    expect((await json('targets', 'get', target.id)).timeoutSeconds).toBe(3);
    const rotated = await json('targets', 'rotate-key', target.id, '--overlap-seconds', '60');
    expect(rotated.signingKey).not.toBe(target.signingKey);
    expect(Date.parse(rotated.previousKeyExpiresAt)).toBeGreaterThan(Date.now());
    await json('executions', 'set', '--condition', 'function/cli', '--targets', target.id);
    expect((await json('executions', 'list', '--condition', 'function/cli')).items[0].targets).toEqual([{ target: target.id }]);
    receiver.respondWith(200, { answered: true });
    expect((await json('functions', 'call', 'cli', '--payload', '{"x":1}')).body).toEqual({ answered: true });
    expect(receiver.received.at(-1)!.body).toEqual({ x: 1 });
    expect((await json('events', 'push', '--type', 'cli.happened', '--aggregate-type', 'order', '--aggregate-id', 'o-1', '--payload', '{}')).eventId).toBeDefined();
    const alert = await json('alerts', 'create', '-f', file('alert.json', { name: 'cli alert', scope: 'target', failureRateThreshold: 0.5, window: 60, minRuns: 1, notifyTargetId: target.id }));
    expect((await json('alerts', 'list')).items.some((a: { id: string }) => a.id === alert.id)).toBe(true);
    expect((await json('alerts', 'get', alert.id)).name).toBe('cli alert');
    await json('alerts', 'delete', alert.id);
    await json('executions', 'delete', '--condition', 'function/cli');
    await json('targets', 'delete', target.id);
  }, 300_000);

  it('runs the workflow commands', async () => {
    const definition = workflow('cli flow', [trigger(), setNode('Mark', { marked: 1 })], connect(['Start', 'Mark']));
    expect((await json('workflows', 'validate', '-f', file('wf.json', definition))).valid).toBe(true);
    const wf = await json('workflows', 'create', '-f', path.join(dir, 'wf.json'), '--version-label', '1.0.0');
    expect((await json('workflows', 'list', '--name', 'cli flow')).items.some((w: { id: string }) => w.id === wf.id)).toBe(true);
    const waiting = workflow('cli flow', [trigger(), node('Wait', 'cadenza.waitForSignal', 1, { signalName: 'go', timeoutSeconds: 3600 })], connect(['Start', 'Wait']));
    expect((await json('workflows', 'update', wf.id, '-f', file('wf2.json', waiting), '--version-label', '1.1.0')).version).toBe(2);
    expect((await json('workflows', 'get', wf.id)).version).toBe(2);
    expect((await json('workflows', 'versions', wf.id)).items).toHaveLength(2);
    expect((await json('workflows', 'version', wf.id, '1')).definition.nodes).toHaveLength(2);
    const done = await json('workflows', 'execute', wf.id, '--version', '1', '--input', '{"n":1}');
    await runStatus(done.id, 'completed');
    expect((await json('workflows', 'run', done.id)).nodes.map((n: { name: string }) => n.name).sort()).toEqual(['Mark', 'Start']);
    expect((await json('workflows', 'all-runs')).items.some((r: { id: string }) => r.id === done.id)).toBe(true);
    expect((await json('workflows', 'node-runs', done.id, 'Mark')).runs[0].output[0][0].json).toMatchObject({ marked: 1 });
    const rerun = await json('workflows', 'rerun', done.id, '--from-node', 'Mark');
    await runStatus(rerun.id, 'completed');
    const signalled = await json('workflows', 'execute', wf.id);
    await waitFor(async () => (await read(`/v1/workflow-runs/${signalled.id}`)).nodes?.some((n: { name: string; status: string }) => n.name === 'Wait' && n.status === 'waiting'), { what: 'the Wait node' });
    await json('workflows', 'signal', signalled.id, 'go', '--body', '{"ok":true}');
    await runStatus(signalled.id, 'completed');
    const cancelled = await json('workflows', 'execute', wf.id);
    await json('workflows', 'cancel', cancelled.id);
    await runStatus(cancelled.id, 'cancelled');
    expect((await json('workflows', 'runs', wf.id)).items.length).toBeGreaterThanOrEqual(4);
    await json('workflows', 'delete', wf.id);
  }, 600_000);

  it('runs the credential commands and activates a webhook workflow that uses one', async () => {
    const cred = await json('credentials', 'create', '-f', file('cred.json', { name: 'cli hook', type: 'httpHeaderAuth', data: { name: 'X-Token', value: 'one' } }));
    expect((await json('credentials', 'list')).items.map((c: { id: string }) => c.id)).toContain(cred.id);
    expect(await json('credentials', 'get', cred.id)).not.toHaveProperty('data');
    expect((await json('credentials', 'rotate', cred.id, '-f', file('cred-data.json', { data: { name: 'X-Token', value: 'two' } }))).changedAt).toBeDefined();
    const hooked = await json('workflows', 'create', '-f', file('hook.json', workflow('cli hook', [{ ...node('Hook', 'n8n-nodes-base.webhook', 2, { path: `cli-${t.instanceId}`, authentication: 'headerAuth' }), credentials: { httpHeaderAuth: { id: cred.id } } }], {})));
    expect((await json('workflows', 'activate', hooked.id)).webhooks[0].url).toBe(`/v1/hooks/${t.instanceId}/cli-${t.instanceId}`);
    expect((await call(h, 'GET', `/v1/hooks/${t.instanceId}/cli-${t.instanceId}`, { headers: { 'x-token': 'two' } })).status).toBe(200);
    expect((await json('workflows', 'deactivate', hooked.id)).active).toBe(false);
    await json('workflows', 'delete', hooked.id);
    await json('credentials', 'delete', cred.id);
  }, 300_000);

  it('runs the instance commands with a system key', async () => {
    const { secret: systemKey } = await transaction(h.ctx.db, SYSTEM, (tx) => insertSystemKey(tx, 'test', `cli-${crypto.randomBytes(3).toString('hex')}`));
    const sys = async (...args: string[]) => {
      const r = await cadenza([...args, '-o', 'json'], { key: systemKey });
      if (r.code !== 0) throw new Error(`cadenza ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      return JSON.parse(r.stdout);
    };
    const instanceId = `cli-${crypto.randomBytes(4).toString('hex')}`;
    const made = await sys('instances', 'create', '--id', instanceId, '--name', 'CLI customer', '--log-retention-days', '14');
    expect(made).toMatchObject({ id: instanceId, limits: { logRetentionDays: 14, actionQuotaSecondsPerMonth: null } });
    expect(made.adminKey).toMatch(/^cdz_/);
    expect((await sys('instances', 'update', instanceId, '--action-quota-seconds', '60')).limits.actionQuotaSecondsPerMonth).toBe(60);
    const limited = await sys('instances', 'update', instanceId, '--rate-limit', '2.5', '--rate-burst', '10', '--payload-limit-bytes', '4096');
    expect(limited.limits).toMatchObject({ rateLimit: { requestsPerSecond: 2.5, burst: 10 }, commandPayloadBytes: 4096 });
    expect((await sys('instances', 'get', instanceId)).name).toBe('CLI customer');
    expect((await sys('instances', 'list', '--limit', '500')).items.some((i: { id: string }) => i.id === instanceId)).toBe(true);
    expect((await sys('instances', 'delete', instanceId)).terminatedWorkflows).toBe(0);
  }, 300_000);

  // After the walks above (jest runs a file's tests in order).
  it('has run every declared command', () => {
    const notRun = VERBS.map((v) => v.command).filter((c) => !ran.has(c));
    expect(notRun).toEqual([]);
  });

  it('applies a folder idempotently: a plan first, an empty plan the second time, then exactly the change', async () => {
    const tenant = await newTenant(h);
    const defs = path.join(dir, `apply-${crypto.randomBytes(3).toString('hex')}`);
    fs.mkdirSync(defs);
    // Files that definitions reference live in a subfolder: every .yaml/.json file at the top is a definition.
    fs.mkdirSync(path.join(defs, 'files'));
    const write = (name: string, text: string) => fs.writeFileSync(path.join(defs, name), text);
    write('files/claim.js', 'function applyClaim(ctx, api) { api.setContext("applied", true); }');
    write('files/wf.json', JSON.stringify(workflow('applied flow', [trigger(), setNode('Mark', { marked: 1 })], connect(['Start', 'Mark']))));
    const targets = (timeout: number) =>
      `kind: Target\nname: apply-hook\ntype: webhook\nendpoint: ${receiver.url}\ntimeoutSeconds: ${timeout}\n---\nkind: Target\nname: apply-call\ntype: call\nendpoint: ${receiver.url}\n`;
    write('10-targets.yaml', targets(5));
    write(
      '20-automation.yaml',
      [
        'kind: Action\nname: applyClaim\ninstance: true\nscriptFile: files/claim.js',
        'kind: FlowTrigger\nflowType: customiseToken\ntriggerType: preUserinfoCreation\ninstance: true\nactions: [applyClaim]',
        'kind: Execution\ncondition: function/applied\ntargets:\n  - target: apply-call\n  - target: apply-hook',
        'kind: Alert\nname: apply alert\nscope: target\nfailureRateThreshold: 0.5\nwindow: 300\nminRuns: 3\nnotifyTarget: apply-hook',
      ].join('\n---\n'),
    );
    write('30-workflow.json', JSON.stringify({ kind: 'Workflow', name: 'applied flow', definitionFile: 'files/wf.json' }));
    const apply = (...extra: string[]) => cadenza(['apply', '-f', defs, ...extra], { key: tenant.adminKey });

    const first = await apply();
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Plan: 7 to create, 0 to update, 0 to replace, 0 unchanged.');
    expect(first.stdout).toContain('+   Execution function/applied');
    expect(first.stderr).toMatch(/\[#{24}\] 7\/7 applied/);
    receiver.respondWith(200, { ok: true });
    const called = await cadenza(['functions', 'call', 'applied', '-o', 'json'], { key: tenant.adminKey });
    expect(called.code).toBe(0);

    const second = await apply('-o', 'json');
    expect(second.code).toBe(0);
    const plan = JSON.parse(second.stdout);
    expect(plan.changes.filter((c: { action: string }) => c.action !== 'unchanged')).toEqual([]);
    expect(plan.changes).toHaveLength(7);

    write('10-targets.yaml', targets(9));
    const dry = await apply('--dry-run');
    expect(dry.stdout).toContain('Plan: 0 to create, 1 to update, 0 to replace, 6 unchanged.');
    expect(dry.stdout).toContain('~   Target apply-hook (timeoutSeconds)');
    expect(dry.stdout).toContain('Dry run: nothing was changed.');
    const hook = async () => (await cadenza(['targets', 'list', '-o', 'json'], { key: tenant.adminKey })).stdout;
    expect(JSON.parse(await hook()).items.find((x: { name: string }) => x.name === 'apply-hook').timeoutSeconds).toBe(5);

    const change = await apply('-o', 'json');
    expect(JSON.parse(change.stdout).changes.filter((c: { action: string }) => c.action !== 'unchanged')).toEqual([{ kind: 'Target', name: 'apply-hook', action: 'update', fields: ['timeoutSeconds'] }]);
    expect(JSON.parse(await hook()).items.find((x: { name: string }) => x.name === 'apply-hook').timeoutSeconds).toBe(9);
  });
});
