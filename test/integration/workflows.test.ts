import fs from 'node:fs';
import path from 'node:path';
import { call, newTenant, startHarness, startWorkerProcess, systemQuery, waitFor, type Harness, type TestTenant, type WorkerProcess } from '../helpers/harness';
import { connect, http, node, setNode, trigger, workflow } from '../helpers/dag';
import { startReceiver, type Receiver } from '../helpers/scripted-receiver';

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

const expectProblem = (res: { status: number; headers: Headers; body: any }, status: number) => {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
};

async function create(t: TestTenant, definition: unknown, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await call(h, 'POST', '/v1/workflows', { key: t.adminKey, body: { definition, ...extra } });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

async function execute(t: TestTenant, workflowId: string, input: unknown = {}, version?: number): Promise<string> {
  const res = await call(h, 'POST', `/v1/workflows/${workflowId}/execute`, { key: t.adminKey, body: { input, ...(version ? { version } : {}) } });
  if (res.status !== 202) throw new Error(`execute failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

async function finished(t: TestTenant, runId: string, timeoutMs = 60_000): Promise<any> {
  return waitFor(
    async () => {
      const res = await call(h, 'GET', `/v1/workflow-runs/${runId}`, { key: t.adminKey });
      return res.body.status !== 'running' ? res.body : undefined;
    },
    { timeoutMs, what: `run ${runId} to finish` },
  );
}

const nodeOf = (run: any, name: string) => run.nodes.find((n: any) => n.name === name);
const items = (run: any, name: string, output = 0) => nodeOf(run, name)?.output?.[output]?.map((i: any) => i.json);

describe('joins and branches', () => {
  it('runs a Merge once with both inputs, and branches overlap in time when settings.maxParallel allows', async () => {
    const t = await newTenant(h);
    const def = workflow(
      'diamond',
      [trigger('A'), http('B', `${rx.url}/slow/diamond-b`), http('C', `${rx.url}/slow/diamond-c`), node('D', 'n8n-nodes-base.merge', 3, { mode: 'append' })],
      connect(['A', 'B'], ['A', 'C'], ['B', 'D', 0, 0], ['C', 'D', 0, 1]),
      { maxParallel: 2 },
    );
    const run = await finished(t, await execute(t, await create(t, def), { order: 1 }));
    expect(run.status).toBe('completed');
    expect(nodeOf(run, 'D')).toMatchObject({ status: 'completed', attempts: 1 });
    expect(items(run, 'D').map((j: any) => j.key)).toEqual(['diamond-b', 'diamond-c']);
    const [b, c] = [rx.callsTo('diamond-b')[0]!, rx.callsTo('diamond-c')[0]!];
    expect(b.startedAt < c.endedAt && c.startedAt < b.endedAt).toBe(true);
  });

  it('imports an n8n export (If, Set, HTTP Request, Merge) unchanged and routes by the If', async () => {
    const t = await newTenant(h);
    const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/n8n/order-routing.json'), 'utf8'));
    const id = await create(t, fixture);
    const big = await finished(t, await execute(t, id, { amount: 150, orderId: 'o-1', callbackUrl: `${rx.url}/ok/import-big` }));
    expect(big.status).toBe('completed');
    expect(nodeOf(big, 'Notify shop')).toBeUndefined();
    expect(items(big, 'Merge')).toEqual([{ tier: 'gold', orderId: 'o-1' }]);
    const small = await finished(t, await execute(t, id, { amount: 5, orderId: 'o-2', callbackUrl: `${rx.url}/ok/import-small` }));
    expect(small.status).toBe('completed');
    expect(nodeOf(small, 'Mark gold')).toBeUndefined();
    expect(rx.callsTo('import-small')[0]!.body).toEqual({ orderId: 'o-2' });
    expect(items(small, 'Merge')[0]).toMatchObject({ key: 'import-small' });
  });

  it('routes items by Switch rules, with a fallback output', async () => {
    const t = await newTenant(h);
    const rule = (value: string) => ({
      conditions: { conditions: [{ leftValue: '={{ $json.kind }}', rightValue: value, operator: { type: 'string', operation: 'equals' } }], combinator: 'and' },
    });
    const def = workflow(
      'switch',
      [
        trigger(),
        node('Route', 'n8n-nodes-base.switch', 3, { rules: { values: [rule('a'), rule('b')] }, options: { fallbackOutput: 'extra' } }),
        setNode('IsA', { branch: 'a' }),
        setNode('IsB', { branch: 'b' }),
        setNode('Other', { branch: 'other' }),
      ],
      connect(['Start', 'Route'], ['Route', 'IsA', 0], ['Route', 'IsB', 1], ['Route', 'Other', 2]),
    );
    const id = await create(t, def);
    const b = await finished(t, await execute(t, id, { kind: 'b' }));
    // As in n8n, a branch the Switch did not take does not run at all.
    expect([nodeOf(b, 'IsA'), nodeOf(b, 'IsB')?.status, nodeOf(b, 'Other')]).toEqual([undefined, 'completed', undefined]);
    const z = await finished(t, await execute(t, id, { kind: 'z' }));
    expect(items(z, 'Other')).toEqual([{ kind: 'z', branch: 'other' }]);
  });
});

describe('code and expressions', () => {
  it('runs Code nodes and JavaScript expressions in the sandbox during a run', async () => {
    const t = await newTenant(h);
    const def = workflow(
      'code',
      [
        trigger(),
        node('Total', 'n8n-nodes-base.code', 2, { mode: 'runOnceForEachItem', jsCode: 'return { ...$json, total: $json.price * $json.qty };' }),
        setNode('Label', { size: "={{ $json.total > 100 ? 'big' : 'small' }}", first: "={{ $('Total').first().json.total }}" }),
      ],
      connect(['Start', 'Total'], ['Total', 'Label']),
    );
    const run = await finished(t, await execute(t, await create(t, def), [{ price: 30, qty: 5 }, { price: 2, qty: 3 }]));
    expect(run.status).toBe('completed');
    expect(items(run, 'Label')).toEqual([
      { price: 30, qty: 5, total: 150, size: 'big', first: '150' },
      { price: 2, qty: 3, total: 6, size: 'small', first: '150' },
    ]);
  });

  // Issue 12, finding 7: Code runs on the script thread pool, so a spinning script does not stop the worker.
  it('keeps running other runs while a Code node spins until its deadline', async () => {
    const t = await newTenant(h);
    const spinner = await execute(t, await create(t, workflow('spin', [trigger(), node('Spin', 'n8n-nodes-base.code', 2, { jsCode: 'while (true) {}' })], connect(['Start', 'Spin']))));
    await waitFor(async () => nodeOf((await call(h, 'GET', `/v1/workflow-runs/${spinner}`, { key: t.adminKey })).body, 'Spin')?.status === 'running', { what: 'the spinning node' });
    const quick = await finished(t, await execute(t, await create(t, workflow('quick', [trigger(), setNode('S', { ok: 1 })], connect(['Start', 'S'])))));
    expect(quick.status).toBe('completed');
    expect((await call(h, 'GET', `/v1/workflow-runs/${spinner}`, { key: t.adminKey })).body.status).toBe('running');
    const spun = await finished(t, spinner);
    expect(spun).toMatchObject({ status: 'failed', error: { node: 'Spin', message: expect.stringContaining('timeout') } });
  });

  it('fails a Code node that throws, without retrying a script error', async () => {
    const t = await newTenant(h);
    const def = workflow('throws', [trigger(), node('Bad', 'n8n-nodes-base.code', 2, { jsCode: 'throw new Error("nope");' }, { retryOnFail: true, maxTries: 3, waitBetweenTries: 10 })], connect(['Start', 'Bad']));
    const run = await finished(t, await execute(t, await create(t, def)));
    expect(run).toMatchObject({ status: 'failed', error: { node: 'Bad', message: expect.stringContaining('nope') } });
    expect(nodeOf(run, 'Bad').attempts).toBe(1);
  });
});

describe('error handling', () => {
  it('succeeds on the third try through the retry policy', async () => {
    const t = await newTenant(h);
    const def = workflow('retry', [trigger(), http('Flaky', `${rx.url}/flaky/retry3/2`, { retryOnFail: true, maxTries: 3, waitBetweenTries: 100 })], connect(['Start', 'Flaky']));
    const run = await finished(t, await execute(t, await create(t, def)));
    expect(run.status).toBe('completed');
    expect(nodeOf(run, 'Flaky')).toMatchObject({ status: 'completed', attempts: 3 });
    expect(rx.callsTo('retry3')).toHaveLength(3);
  });

  it('routes a failure to its fallback node, and skip goes on without output', async () => {
    const t = await newTenant(h);
    const def = workflow(
      'fallback',
      [
        trigger(),
        http('Primary', `${rx.url}/fail/fb-primary`, { onError: 'fallback', cadenza: { fallbackNode: 'Backup' } }),
        http('Backup', `${rx.url}/ok/fb-backup`),
        http('Spare', `${rx.url}/ok/fb-spare`),
        setNode('AfterSpare', { never: 'runs' }),
        setNode('Calm', { ok: 'yes' }, { onError: 'fallback', cadenza: { fallbackNode: 'Spare' } }),
        http('Optional', `${rx.url}/fail/fb-optional`, { onError: 'skip' }),
        setNode('After', { done: 'yes' }),
      ],
      connect(['Start', 'Primary'], ['Primary', 'Optional'], ['Optional', 'After'], ['Start', 'Calm'], ['Spare', 'AfterSpare']),
    );
    const run = await finished(t, await execute(t, await create(t, def), { x: 1 }));
    expect([nodeOf(run, 'Spare'), nodeOf(run, 'AfterSpare')]).toEqual([undefined, undefined]);
    expect(run.status).toBe('completed');
    expect(nodeOf(run, 'Primary')).toMatchObject({ status: 'failed', handledBy: 'fallback:Backup' });
    expect(nodeOf(run, 'Backup').status).toBe('completed');
    expect(nodeOf(run, 'Optional')).toMatchObject({ status: 'skipped', handledBy: 'skip' });
    expect(items(run, 'After')).toEqual([expect.objectContaining({ key: 'fb-backup', done: 'yes' })]);
  });

  it('fails the run on stopWorkflow, and follows the error output on continueErrorOutput', async () => {
    const t = await newTenant(h);
    const stop = workflow('stop', [trigger(), http('Broken', `${rx.url}/fail/stop`), setNode('Never', { x: 1 })], connect(['Start', 'Broken'], ['Broken', 'Never']));
    const stopped = await finished(t, await execute(t, await create(t, stop)));
    expect(stopped).toMatchObject({ status: 'failed', error: { node: 'Broken', message: expect.stringContaining('HTTP 500') } });
    expect(nodeOf(stopped, 'Never')).toBeUndefined();

    const cont = workflow(
      'continue',
      [trigger(), http('Broken', `${rx.url}/fail/cont`, { onError: 'continueErrorOutput' }), setNode('Ok', { path: 'ok' }), setNode('Handle', { path: 'error' })],
      connect(['Start', 'Broken'], ['Broken', 'Ok', 0], ['Broken', 'Handle', 1]),
    );
    const continued = await finished(t, await execute(t, await create(t, cont)));
    expect(continued.status).toBe('completed');
    expect(nodeOf(continued, 'Ok')).toBeUndefined();
    expect(items(continued, 'Handle')).toEqual([expect.objectContaining({ path: 'error', error: expect.stringContaining('HTTP 500') })]);
  });

  it('refuses an HTTP Request to an internal address without retrying', async () => {
    const t = await newTenant(h);
    const def = workflow('ssrf', [trigger(), http('Metadata', 'http://169.254.169.254/latest/meta-data', { retryOnFail: true, maxTries: 3, waitBetweenTries: 10 })], connect(['Start', 'Metadata']));
    const run = await finished(t, await execute(t, await create(t, def)));
    expect(run).toMatchObject({ status: 'failed', error: { node: 'Metadata', message: expect.stringContaining('169.254.169.254 refused') } });
    expect(nodeOf(run, 'Metadata').attempts).toBe(1);
  });

  it('cancels a run that exceeds its executionTimeout', async () => {
    const t = await newTenant(h);
    const def = workflow('timeout', [trigger(), node('Wait', 'n8n-nodes-base.wait', 1.1, { resume: 'timeInterval', amount: 1, unit: 'hours' })], connect(['Start', 'Wait']), {
      executionTimeout: 2,
    });
    const run = await finished(t, await execute(t, await create(t, def)));
    expect(run).toMatchObject({ status: 'timed_out', error: { message: expect.stringContaining('executionTimeout') } });
  });
});

describe('validation and bad input', () => {
  it('answers 422 with every error, each with its node name, and names the type and version of an unsupported node', async () => {
    const t = await newTenant(h);
    const def = workflow(
      'bad',
      [trigger(), setNode('A', {}), setNode('B', {}), node('Typo', 'n8n-nodes-base.sett', 1, {}), http('Call', ''), node('Old', 'n8n-nodes-base.if', 0.5, {})],
      connect(['Start', 'A'], ['A', 'B'], ['B', 'A'], ['B', 'Ghost']),
    );
    const res = await call(h, 'POST', '/v1/workflows/validate', { key: t.adminKey, body: { definition: def } });
    expectProblem(res, 422);
    const errors = res.body.errors as { field: string; message: string; node?: string }[];
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ node: 'Old', message: "n8n-nodes-base.if has no version 0.5 (node 'Old'; supported: 1, 2, 2.1, 2.2, 2.3)" }),
        expect.objectContaining({ node: 'Typo', field: 'body.definition.nodes[3].type', message: expect.stringContaining("unknown node type 'n8n-nodes-base.sett' (node 'Typo', typeVersion 1)") }),
        expect.objectContaining({ node: 'Call', field: 'body.definition.nodes[4].parameters.url' }),
        expect.objectContaining({ node: 'B', message: "connection to missing node 'Ghost'" }),
      ]),
    );
    expectProblem(await call(h, 'POST', '/v1/workflows', { key: t.adminKey, body: { definition: def } }), 422);
    const ok = await call(h, 'POST', '/v1/workflows/validate', { key: t.adminKey, body: { definition: workflow('ok', [trigger()], {}) } });
    expect(ok.body).toEqual({ valid: true, errors: [] });
  });

  it('answers 4xx problem+json for bad input', async () => {
    const t = await newTenant(h);
    const id = await create(t, workflow('w', [trigger()], {}), { versionLabel: '1.0.0' });
    expectProblem(await call(h, 'POST', '/v1/workflows', { key: t.adminKey, body: { definition: [] } }), 422);
    expectProblem(await call(h, 'POST', '/v1/workflows', { key: t.adminKey, body: { definition: {}, extra: 1 } }), 422);
    expectProblem(await call(h, 'PUT', `/v1/workflows/${id}`, { key: t.adminKey, body: { definition: workflow('w', [trigger()], {}), versionLabel: '0.9.0' } }), 422);
    expectProblem(await call(h, 'POST', `/v1/workflows/${id}/execute`, { key: t.adminKey, body: { version: 7 } }), 422);
    expectProblem(await call(h, 'POST', `/v1/workflows/${id}/execute`, { key: await t.key('viewer'), body: {} }), 403);
    expectProblem(await call(h, 'GET', '/v1/workflow-runs/run_nope', { key: t.adminKey }), 404);
    expectProblem(await call(h, 'POST', '/v1/workflows', { key: t.adminKey, rawBody: '{nope', headers: { 'content-type': 'application/json' } }), 400);
  });
});

describe('definitions and versions', () => {
  it('keeps immutable numbered versions, lists with a cursor and deletes softly', async () => {
    const t = await newTenant(h);
    const id = await create(t, workflow('first', [trigger()], {}), { versionLabel: '1.0.0' });
    await create(t, workflow('second', [trigger()], {}));
    const put = await call(h, 'PUT', `/v1/workflows/${id}`, { key: t.adminKey, body: { definition: workflow('first', [trigger(), setNode('S', { a: 1 })], connect(['Start', 'S'])), versionLabel: '1.1.0' } });
    expect(put.body).toMatchObject({ version: 2, versionLabel: '1.1.0' });
    const v1 = await call(h, 'GET', `/v1/workflows/${id}/versions/1`, { key: t.adminKey });
    expect(v1.body.definition.nodes).toHaveLength(1);
    const versions = await call(h, 'GET', `/v1/workflows/${id}/versions`, { key: t.adminKey });
    expect(versions.body.items.map((v: any) => [v.version, v.label])).toEqual([[1, '1.0.0'], [2, '1.1.0']]);
    const page1 = await call(h, 'GET', '/v1/workflows?limit=1', { key: t.adminKey });
    const page2 = await call(h, 'GET', `/v1/workflows?limit=1&cursor=${page1.body.nextCursor}`, { key: t.adminKey });
    expect([page1.body.items[0].name, page2.body.items[0].name]).toEqual(['first', 'second']);
    expect((await call(h, 'GET', '/v1/workflows?name=seco', { key: t.adminKey })).body.items).toHaveLength(1);
    const runId = await execute(t, id);
    await finished(t, runId);
    expect((await call(h, 'DELETE', `/v1/workflows/${id}`, { key: t.adminKey })).status).toBe(204);
    expectProblem(await call(h, 'GET', `/v1/workflows/${id}`, { key: t.adminKey }), 404);
    expect((await call(h, 'GET', `/v1/workflow-runs/${runId}`, { key: t.adminKey })).body.status).toBe('completed');
    const { rows } = await systemQuery<{ type: string }>(h, 
      `SELECT type FROM events WHERE instance_id = $1 AND aggregate_id IN ($2, $3) ORDER BY position`,
      [t.instanceId, id, runId],
    );
    expect(rows.map((r) => r.type)).toEqual(['workflow.added', 'workflow.version_added', 'workflow.version_added', 'workflow_run.started', 'workflow_run.completed', 'workflow.removed']);
  });

  it("answers 404 for another tenant's workflows and runs", async () => {
    const a = await newTenant(h);
    const b = await newTenant(h);
    const id = await create(a, workflow('mine', [trigger()], {}));
    const runId = await execute(a, id);
    for (const [method, p] of [
      ['GET', `/v1/workflows/${id}`],
      ['GET', `/v1/workflows/${id}/versions/1`],
      ['GET', `/v1/workflows/${id}/runs`],
      ['POST', `/v1/workflows/${id}/execute`],
      ['GET', `/v1/workflow-runs/${runId}`],
      ['POST', `/v1/workflow-runs/${runId}/signals/go`],
    ] as const) {
      expectProblem(await call(h, method, p, { key: b.adminKey, body: method === 'POST' ? {} : undefined }), 404);
    }
    expect((await call(h, 'GET', '/v1/workflows', { key: b.adminKey })).body.items).toEqual([]);
  });
});

describe('org scope', () => {
  it('keeps workflows of one org out of reach of a key scoped to another org', async () => {
    const t = await newTenant(h);
    const admin = await t.client();
    const [mine, other] = [await admin.createOrg('mine'), await admin.createOrg('other')];
    const mineKey = await t.key('admin', mine.id);
    const otherKey = await t.key('admin', other.id);
    const created = await call(h, 'POST', '/v1/workflows', { key: mineKey, body: { definition: workflow('scoped', [trigger()], {}) } });
    expect(created.body.orgId).toBe(mine.id);
    expectProblem(await call(h, 'GET', `/v1/workflows/${created.body.id}`, { key: otherKey }), 404);
    expect((await call(h, 'GET', '/v1/workflows', { key: otherKey })).body.items).toEqual([]);
    expect((await call(h, 'GET', `/v1/workflows?orgId=${mine.id}`, { key: t.adminKey })).body.items.map((w: any) => w.id)).toEqual([created.body.id]);
  });
});

describe('org walls between workflows (issue 12, finding 2)', () => {
  it("refuses to save an Execute Workflow node or an error workflow that names another org's workflow", async () => {
    const t = await newTenant(h);
    const admin = await t.client();
    const [a, b] = [await admin.createOrg('a'), await admin.createOrg('b')];
    const [aKey, bKey] = [await t.key('admin', a.id), await t.key('admin', b.id)];
    const theirs = (await call(h, 'POST', '/v1/workflows', { key: bKey, body: { definition: workflow('b-secret', [node('In', 'n8n-nodes-base.executeWorkflowTrigger', 1.1, {})], {}) } })).body.id;
    const callIt = workflow('a-caller', [trigger(), node('Call', 'n8n-nodes-base.executeWorkflow', 1.2, { workflowId: { __rl: true, value: theirs, mode: 'id' } })], connect(['Start', 'Call']));
    const res = await call(h, 'POST', '/v1/workflows', { key: aKey, body: { definition: callIt } });
    expectProblem(res, 422);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'body.definition.nodes[1].parameters.workflowId', message: `workflow '${theirs}' does not exist in this workflow's org` })]);
    const onError = await call(h, 'POST', '/v1/workflows', { key: aKey, body: { definition: workflow('a', [trigger()], {}, { errorWorkflow: theirs }) } });
    expect(onError.body.errors).toEqual([expect.objectContaining({ field: 'body.definition.settings.errorWorkflow' })]);
  });

  it("does not run another org's workflow named by an expression at run time", async () => {
    const t = await newTenant(h);
    const admin = await t.client();
    const [a, b] = [await admin.createOrg('a'), await admin.createOrg('b')];
    const [aKey, bKey] = [await t.key('admin', a.id), await t.key('admin', b.id)];
    const theirs = (await call(h, 'POST', '/v1/workflows', { key: bKey, body: { definition: workflow('b-secret', [node('In', 'n8n-nodes-base.executeWorkflowTrigger', 1.1, {})], {}) } })).body.id;
    const def = workflow('a-caller', [trigger(), node('Call', 'n8n-nodes-base.executeWorkflow', 1.2, { workflowId: '={{ $json.target }}' })], connect(['Start', 'Call']));
    const id = (await call(h, 'POST', '/v1/workflows', { key: aKey, body: { definition: def } })).body.id;
    const runId = (await call(h, 'POST', `/v1/workflows/${id}/execute`, { key: aKey, body: { input: { target: theirs } } })).body.id;
    const run = await waitFor(async () => {
      const r = (await call(h, 'GET', `/v1/workflow-runs/${runId}`, { key: aKey })).body;
      return r.status !== 'running' ? r : undefined;
    });
    expect(run).toMatchObject({ status: 'failed', error: { node: 'Call', message: expect.stringContaining(`workflow '${theirs}' not found`) } });
    expect((await call(h, 'GET', `/v1/workflows/${theirs}/runs`, { key: bKey })).body.items).toEqual([]);
  });
});

describe('pinned data', () => {
  it("outputs a node's pinData instead of running it, as n8n does, unless the run ignores pinData", async () => {
    const t = await newTenant(h);
    const def = {
      ...workflow('pinned', [trigger(), http('Fetch', `${rx.url}/ok/pinned-fetch`), setNode('After', { seen: 'yes' })], connect(['Start', 'Fetch'], ['Fetch', 'After'])),
      pinData: { Fetch: [{ json: { from: 'pin', n: 1 } }, { json: { from: 'pin', n: 2 } }] },
    };
    const id = await create(t, def);
    const pinned = await finished(t, await execute(t, id));
    expect(items(pinned, 'After')).toEqual([
      { from: 'pin', n: 1, seen: 'yes' },
      { from: 'pin', n: 2, seen: 'yes' },
    ]);
    expect(rx.callsTo('pinned-fetch')).toHaveLength(0);
    const res = await call(h, 'POST', `/v1/workflows/${id}/execute`, { key: t.adminKey, body: { ignorePinData: true } });
    const live = await finished(t, res.body.id);
    expect(items(live, 'After')).toEqual([expect.objectContaining({ key: 'pinned-fetch', seen: 'yes' })]);
    const runs = await call(h, 'GET', `/v1/workflow-runs/${live.id}/nodes/After`, { key: t.adminKey });
    expect(runs.body).toMatchObject({ node: 'After', runs: [{ runIndex: 0, status: 'completed', source: [{ node: 'Fetch', output: 0, run: 0 }], output: [[{ json: expect.objectContaining({ seen: 'yes' }), pairedItem: { item: 0 } }]] }] });
    expectProblem(await call(h, 'GET', `/v1/workflow-runs/${live.id}/nodes/Nope`, { key: t.adminKey }), 404);
  });
});

describe('versions, signals and reruns', () => {
  const approval = (finalValue: number) =>
    workflow(
      'approval',
      [trigger(), node('Approve', 'cadenza.waitForSignal', 1, { signalName: 'approve' }), setNode('Done', { value: finalValue })],
      connect(['Start', 'Approve'], ['Approve', 'Done']),
    );

  it('keeps a run in progress on v1 after v2 is saved, and resumes it by signal', async () => {
    const t = await newTenant(h);
    const id = await create(t, approval(1));
    const runId = await execute(t, id);
    await waitFor(async () => nodeOf((await call(h, 'GET', `/v1/workflow-runs/${runId}`, { key: t.adminKey })).body, 'Approve')?.status === 'waiting', { what: 'the approval wait' });
    expect((await call(h, 'PUT', `/v1/workflows/${id}`, { key: t.adminKey, body: { definition: approval(2) } })).body.version).toBe(2);
    // Issue 12, finding 8: prototype keys are not signal names.
    expectProblem(await call(h, 'POST', `/v1/workflow-runs/${runId}/signals/__proto__`, { key: t.adminKey, body: { by: 'mallory' } }), 422);
    expectProblem(await call(h, 'POST', `/v1/workflow-runs/${runId}/signals/constructor`, { key: t.adminKey, body: {} }), 422);
    expect((await call(h, 'POST', `/v1/workflow-runs/${runId}/signals/approve`, { key: t.adminKey, body: { by: 'alice' } })).status).toBe(202);
    const run = await finished(t, runId);
    expect(run).toMatchObject({ error: null, status: 'completed', version: 1 });
    expect(items(run, 'Done')).toEqual([{ by: 'alice', value: 1 }]);
    const runs = await call(h, 'GET', `/v1/workflows/${id}/runs`, { key: t.adminKey });
    expect(runs.body.items.map((r: any) => r.id)).toEqual([runId]);
  });

  it('reruns from the failed node on v2 without running the earlier nodes again', async () => {
    const t = await newTenant(h);
    const v1 = workflow('rerun', [trigger(), http('Fetch', `${rx.url}/ok/rerun-fetch`), http('Send', `${rx.url}/fail/rerun-send`)], connect(['Start', 'Fetch'], ['Fetch', 'Send']));
    const id = await create(t, v1);
    const failedRun = await finished(t, await execute(t, id, { n: 1 }));
    expect(failedRun).toMatchObject({ status: 'failed', error: { node: 'Send' } });
    const v2 = workflow('rerun', [trigger(), http('Fetch', `${rx.url}/ok/rerun-fetch`), http('Send', `${rx.url}/ok/rerun-send`)], connect(['Start', 'Fetch'], ['Fetch', 'Send']));
    await call(h, 'PUT', `/v1/workflows/${id}`, { key: t.adminKey, body: { definition: v2 } });
    const retry = await call(h, 'POST', `/v1/workflow-runs/${failedRun.id}/retry`, { key: t.adminKey, body: { version: 2 } });
    expect(retry.status).toBe(202);
    const run = await finished(t, retry.body.id);
    expect(run).toMatchObject({ status: 'completed', version: 2, retryOf: failedRun.id });
    expect(rx.callsTo('rerun-fetch')).toHaveLength(1);
    expect(nodeOf(run, 'Fetch')).toMatchObject({ status: 'completed', reusedFromRun: failedRun.id });
    expect(nodeOf(run, 'Send')).toMatchObject({ status: 'completed', reusedFromRun: null, attempts: 1 });
    expect(rx.callsTo('rerun-send')[0]!.body).toMatchObject({ key: 'rerun-fetch' });
  });

  it('cancels a running run', async () => {
    const t = await newTenant(h);
    const runId = await execute(t, await create(t, approval(1)));
    await waitFor(async () => nodeOf((await call(h, 'GET', `/v1/workflow-runs/${runId}`, { key: t.adminKey })).body, 'Approve')?.status === 'waiting');
    expect((await call(h, 'POST', `/v1/workflow-runs/${runId}/cancel`, { key: t.adminKey })).status).toBe(202);
    const cancelled = await finished(t, runId);
    expect(cancelled.status).toBe('cancelled');
    expect(nodeOf(cancelled, 'Approve')).toMatchObject({ status: 'failed', error: { message: expect.stringContaining('cancelled') } });
    expectProblem(await call(h, 'POST', `/v1/workflow-runs/${runId}/cancel`, { key: t.adminKey }), 409);
  });
});
