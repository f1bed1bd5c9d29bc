import path from 'node:path';
import { call, newTenant, startHarness, startWorkerProcess, waitFor, type Harness, type TestTenant, type WorkerProcess } from '../helpers/harness';
import { connect, http, node, setNode, trigger, workflow } from '../helpers/dag';
import { startReceiver, type Receiver } from '../helpers/scripted-receiver';

const PLUGINS = path.join(__dirname, '../fixtures/plugins');
const workerEnv = { CADENZA_OUTBOUND_ALLOWLIST: '127.0.0.1' };

let h: Harness;
let rx: Receiver;
beforeAll(async () => {
  // A low history limit makes longer runs continue as new.
  h = await startHarness({ CADENZA_PLUGINS_DIR: path.join(PLUGINS, 'good'), CADENZA_WORKFLOW_HISTORY_EVENTS: '40' });
  rx = await startReceiver();
});
afterAll(async () => {
  await rx?.close();
  await h?.close();
});

async function create(t: TestTenant, definition: unknown): Promise<string> {
  const res = await call(h, 'POST', '/v1/workflows', { key: t.adminKey, body: { definition } });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

async function execute(t: TestTenant, workflowId: string, input: unknown = {}): Promise<string> {
  const res = await call(h, 'POST', `/v1/workflows/${workflowId}/execute`, { key: t.adminKey, body: { input } });
  if (res.status !== 202) throw new Error(`execute failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

const getRun = async (t: TestTenant, runId: string) => (await call(h, 'GET', `/v1/workflow-runs/${runId}`, { key: t.adminKey })).body;
const finished = (t: TestTenant, runId: string) =>
  waitFor(async () => {
    const run = await getRun(t, runId);
    return run.status !== 'running' ? run : undefined;
  }, { timeoutMs: 90_000, what: `run ${runId} to finish` });
const nodeOf = (run: any, name: string) => run.nodes.find((n: any) => n.name === name);
const items = (run: any, name: string) => nodeOf(run, name)?.output?.[0]?.map((i: any) => i.json);

describe('durability', () => {
  it('resumes a run on a new worker after the worker is killed mid-run', async () => {
    const t = await newTenant(h);
    let worker = await startWorkerProcess(h, workerEnv);
    try {
      const def = workflow(
        'crash',
        [trigger(), setNode('Before', { step: 1 }), node('Approve', 'cadenza.waitForSignal', 1, { signalName: 'go' }), setNode('After', { step: 2 })],
        connect(['Start', 'Before'], ['Before', 'Approve'], ['Approve', 'After']),
      );
      const runId = await execute(t, await create(t, def));
      await waitFor(async () => nodeOf(await getRun(t, runId), 'Approve')?.status === 'waiting', { what: 'the wait' });
      await worker.kill();
      worker = await startWorkerProcess(h, workerEnv);
      await call(h, 'POST', `/v1/workflow-runs/${runId}/signals/go`, { key: t.adminKey, body: { ok: true } });
      const run = await finished(t, runId);
      expect(run.status).toBe('completed');
      expect(items(run, 'After')).toEqual([{ ok: true, step: 2 }]);
      expect(nodeOf(run, 'Before').attempts).toBe(1);
    } finally {
      await worker.stop();
    }
  });

  it('runs a node again on a live worker when its worker is SIGKILLed mid-node, and the run completes', async () => {
    const t = await newTenant(h);
    const first = await startWorkerProcess(h, workerEnv);
    let second: WorkerProcess | undefined;
    try {
      // The node's first call never answers: the worker is killed while the node runs.
      const def = workflow('lost', [trigger(), http('Call', `${rx.url}/hang-first/lost-node`)], connect(['Start', 'Call']));
      const runId = await execute(t, await create(t, def));
      await waitFor(() => rx.callsTo('lost-node').length === 1, { what: 'the first call' });
      await first.kill();
      second = await startWorkerProcess(h, workerEnv);
      // Its heartbeat times out (30 s) and the node runs again: a node without retries is not failed by a crash.
      const run = await finished(t, runId);
      expect(run.error).toBeNull();
      expect(run.status).toBe('completed');
      expect(rx.callsTo('lost-node')).toHaveLength(2);
      expect(items(run, 'Call')).toEqual([expect.objectContaining({ key: 'lost-node', count: 2 })]);
    } finally {
      await first.stop().catch(() => undefined);
      await second?.stop();
    }
  });

  // Issue 12, finding 8: outputs stay in PostgreSQL, so continue-as-new carries item counts, not 3 MB of items.
  it('continues as new with large node outputs kept out of the workflow state', async () => {
    const t = await newTenant(h);
    const worker = await startWorkerProcess(h, workerEnv);
    try {
      // 3 MB of items, past Temporal's 2 MB payload limit, then enough small nodes to continue as new.
      const bigs = ['Big0', 'Big1', 'Big2'].map((n) => node(n, 'n8n-nodes-base.code', 2, { jsCode: "return [{ blob: 'x'.repeat(1000000) }];" }));
      const steps = Array.from({ length: 8 }, (_, i) => setNode(`Step${i}`, { [`s${i}`]: i }));
      const size = node('Size', 'n8n-nodes-base.code', 2, { jsCode: "return [{ total: $('Big0').first().json.blob.length + $('Big1').first().json.blob.length + $('Big2').first().json.blob.length }];" });
      const chain = [...bigs, ...steps, size].map((n) => n.name);
      const def = workflow('big', [trigger(), ...bigs, ...steps, size], connect(['Start', chain[0]!], ...chain.slice(1).map((n, i) => [chain[i]!, n] as [string, string])));
      const run = await finished(t, await execute(t, await create(t, def)));
      expect(run.error).toBeNull();
      expect(run.status).toBe('completed');
      expect(items(run, 'Size')).toEqual([{ total: 3_000_000 }]);
      const desc = await h.ctx.temporal.client.workflow.getHandle(run.temporalWorkflowId).describe();
      expect(desc.runId).not.toBe(desc.raw.workflowExecutionInfo?.firstRunId);
    } finally {
      await worker.stop();
    }
  });

  it('continues as new before the history limit and carries the state over', async () => {
    const t = await newTenant(h);
    const worker = await startWorkerProcess(h, workerEnv);
    try {
      const names = Array.from({ length: 12 }, (_, i) => `Step${i}`);
      const def = workflow(
        'long',
        [trigger(), ...names.map((n, i) => setNode(n, { [`s${i}`]: i }))],
        connect(['Start', names[0]!], ...names.slice(1).map((n, i) => [names[i]!, n] as [string, string])),
      );
      const runId = await execute(t, await create(t, def));
      const run = await finished(t, runId);
      expect(run.status).toBe('completed');
      expect(items(run, 'Step11')[0]).toMatchObject({ s0: 0, s5: 5, s11: 11 });
      const desc = await h.ctx.temporal.client.workflow.getHandle(run.temporalWorkflowId).describe();
      expect(desc.runId).not.toBe(desc.raw.workflowExecutionInfo?.firstRunId);
    } finally {
      await worker.stop();
    }
  });
});

describe('plugins and sub-workflows', () => {
  let worker: WorkerProcess;
  beforeAll(async () => {
    worker = await startWorkerProcess(h, workerEnv);
  });
  afterAll(async () => {
    await worker?.stop();
  });

  it('stops a worker with a bad plugin, naming the plugin', async () => {
    await expect(startWorkerProcess(h, { ...workerEnv, CADENZA_PLUGINS_DIR: path.join(PLUGINS, 'bad') })).rejects.toThrow(/broken-plugin\.js is invalid: versions/);
  });

  it('runs a custom plugin node loaded from the plugins folder', async () => {
    const t = await newTenant(h);
    const def = workflow('plugin', [trigger(), node('Double', 'acme.double', 1, {})], connect(['Start', 'Double']));
    const run = await finished(t, await execute(t, await create(t, def), { value: 21 }));
    expect(items(run, 'Double')).toEqual([{ value: 42 }]);
  });

  it('runs Execute Workflow as a child workflow and starts the error workflow on failure', async () => {
    const t = await newTenant(h);
    const childId = await create(t, workflow('child', [node('In', 'n8n-nodes-base.executeWorkflowTrigger', 1.1, {}), setNode('Tag', { child: 'yes' })], connect(['In', 'Tag'])));
    const parent = workflow(
      'parent',
      [trigger(), node('Call child', 'n8n-nodes-base.executeWorkflow', 1.2, { source: 'database', workflowId: { __rl: true, value: childId, mode: 'id' } })],
      connect(['Start', 'Call child']),
    );
    const run = await finished(t, await execute(t, await create(t, parent), { n: 1 }));
    expect(run.status).toBe('completed');
    expect(items(run, 'Call child')).toEqual([{ n: 1, child: 'yes' }]);

    const errorWf = await create(t, workflow('on error', [node('Err', 'n8n-nodes-base.errorTrigger', 1, {}), http('Report', `${rx.url}/ok/error-report`)], connect(['Err', 'Report'])));
    const failing = workflow('failing', [trigger(), http('Boom', `${rx.url}/fail/boom`)], connect(['Start', 'Boom']), { errorWorkflow: errorWf });
    const failed = await finished(t, await execute(t, await create(t, failing)));
    expect(failed.status).toBe('failed');
    const report = await waitFor(() => rx.callsTo('error-report')[0], { what: 'the error workflow' });
    expect(report.body).toMatchObject({ execution: { id: failed.id, error: { node: 'Boom' } }, workflow: { name: 'failing' } });
  });

  it('runs at most maxParallel nodes at once', async () => {
    const t = await newTenant(h);
    const def = workflow(
      'serial',
      [trigger(), http('P1', `${rx.url}/slow/par-1`), http('P2', `${rx.url}/slow/par-2`), http('P3', `${rx.url}/slow/par-3`)],
      connect(['Start', 'P1'], ['Start', 'P2'], ['Start', 'P3']),
      { maxParallel: 1 },
    );
    expect((await finished(t, await execute(t, await create(t, def)))).status).toBe('completed');
    const calls = ['par-1', 'par-2', 'par-3'].map((k) => rx.callsTo(k)[0]!).sort((a, b) => a.startedAt - b.startedAt);
    expect(calls[0]!.endedAt <= calls[1]!.startedAt && calls[1]!.endedAt <= calls[2]!.startedAt).toBe(true);
  });
});
