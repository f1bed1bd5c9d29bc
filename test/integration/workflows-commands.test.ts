// The sendCommand node on the real dev server: commands go through the command bus (the demo
// domain) and their outcomes come back to the run as commandReply signals.
import { call, newTenant, startHarness, startWorkerProcess, systemQuery, waitFor, type Harness, type TestTenant, type WorkerProcess } from '../helpers/harness';
import { connect, createWorkflow, executeWorkflow, finishedRun, node, runItems, runNode, setNode, trigger, workflow } from '../helpers/dag';

let h: Harness;
let worker: WorkerProcess;
beforeAll(async () => {
  h = await startHarness();
  worker = await startWorkerProcess(h, { CADENZA_DEMO_HANDLERS: 'true' });
});
afterAll(async () => {
  await worker?.stop();
  await h?.close();
});

const sendNode = (name: string, parameters: Record<string, unknown>, extra: Record<string, unknown> = {}) => node(name, 'cadenza.sendCommand', 1, parameters, extra);

async function run(t: TestTenant, definition: unknown, input: unknown = {}): Promise<any> {
  return finishedRun(h, t, await executeWorkflow(h, t, await createWorkflow(h, t, definition), input));
}

async function commandsOf(t: TestTenant, runId: string): Promise<any[]> {
  const res = await call(h, 'GET', `/v1/commands?correlationId=${runId}`, { key: t.adminKey });
  expect(res.status).toBe(200);
  return res.body.items;
}

describe('sendCommand', () => {
  it('completes through the command bus, and the next node sees the command result', async () => {
    const t = await newTenant(h);
    const def = workflow(
      'echo',
      [trigger(), sendNode('Echo', { domain: 'demo', type: 'echo', payload: { greeting: '={{ $json.name }}', fixed: 1 } }), setNode('Use', { said: '={{ $json.result.greeting }}' })],
      connect(['Start', 'Echo'], ['Echo', 'Use']),
    );
    const done = await run(t, def, { name: 'hello' });
    expect(done.status).toBe('completed');
    const [sent] = runItems(done, 'Echo');
    expect(sent).toMatchObject({ outcome: 'SUCCESS', result: { greeting: 'hello', fixed: 1 } });
    expect(runItems(done, 'Use')).toEqual([expect.objectContaining({ said: 'hello' })]);

    const command = await call(h, 'GET', `/v1/commands/demo/${sent.commandId}`, { key: t.adminKey });
    expect(command.status).toBe(200);
    expect(command.body).toMatchObject({ status: 'COMPLETED', type: 'echo', correlationId: done.id, result: { greeting: 'hello', fixed: 1 } });
    expect(command.body.replyTo).toBe(`temporal:${done.temporalWorkflowId}`);
  });

  it('sends one command per item, up to 100 items', async () => {
    const t = await newTenant(h);
    const def = workflow('items', [trigger(), sendNode('Echo', { domain: 'demo', type: 'echo', payload: '={{ $json }}' })], connect(['Start', 'Echo']));
    const id = await createWorkflow(h, t, def);
    const two = await finishedRun(h, t, await executeWorkflow(h, t, id, [{ n: 1 }, { n: 2 }]));
    expect(two.status).toBe('completed');
    expect(runItems(two, 'Echo').map((j: any) => j.result)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(await commandsOf(t, two.id)).toHaveLength(2);

    const many = await finishedRun(h, t, await executeWorkflow(h, t, id, Array.from({ length: 101 }, (_, n) => ({ n }))));
    expect(many).toMatchObject({ status: 'failed', error: { node: 'Echo', message: expect.stringContaining('the limit is 100') } });
    expect(await commandsOf(t, many.id)).toHaveLength(0);
  });

  it("fails the node, sending nothing, when a payload is over its instance's own limit", async () => {
    const t = await newTenant(h);
    await systemQuery(h, 'UPDATE instances SET command_payload_bytes = 100 WHERE id = $1', [t.instanceId]);
    const def = workflow('big', [trigger(), sendNode('Echo', { domain: 'demo', type: 'echo', payload: '={{ $json }}' })], connect(['Start', 'Echo']));
    const id = await createWorkflow(h, t, def);
    const small = await finishedRun(h, t, await executeWorkflow(h, t, id, { text: 'x'.repeat(50) }));
    expect(small.status).toBe('completed');
    const big = await finishedRun(h, t, await executeWorkflow(h, t, id, { text: 'x'.repeat(200) }));
    expect(big).toMatchObject({ status: 'failed', error: { node: 'Echo', message: expect.stringContaining('100 bytes') } });
    expect(await commandsOf(t, big.id)).toHaveLength(0);
  });

  it('fails the node when the command fails, and follows the error output on continueErrorOutput', async () => {
    const t = await newTenant(h);
    const reject = { domain: 'demo', type: 'reject', payload: { reason: 'no stock' } };
    const stopped = await run(t, workflow('reject', [trigger(), sendNode('Order', reject), setNode('Never', { x: 1 })], connect(['Start', 'Order'], ['Order', 'Never'])));
    expect(stopped).toMatchObject({ status: 'failed', error: { node: 'Order', message: expect.stringContaining('FAILED: no stock') } });
    const [failed] = await commandsOf(t, stopped.id);
    expect(failed).toMatchObject({ status: 'FAILED', type: 'reject' });

    const def = workflow(
      'reject-handled',
      [trigger(), sendNode('Order', reject, { onError: 'continueErrorOutput' }), setNode('Ok', { path: 'ok' }), setNode('Handle', { path: 'error' })],
      connect(['Start', 'Order'], ['Order', 'Ok', 0], ['Order', 'Handle', 1]),
    );
    const handled = await run(t, def);
    expect(handled.status).toBe('completed');
    expect(runNode(handled, 'Order')).toMatchObject({ status: 'failed', handledBy: 'continueErrorOutput' });
    expect(runNode(handled, 'Ok')).toBeUndefined();
    expect(runItems(handled, 'Handle')).toEqual([expect.objectContaining({ path: 'error', error: expect.stringContaining('no stock') })]);
  });

  it('sends a new command on each try of a node with retryOnFail', async () => {
    const t = await newTenant(h);
    const def = workflow(
      'retry',
      [trigger(), sendNode('Order', { domain: 'demo', type: 'reject' }, { retryOnFail: true, maxTries: 2, waitBetweenTries: 10, onError: 'continueRegularOutput' })],
      connect(['Start', 'Order']),
    );
    const done = await run(t, def);
    expect(done.status).toBe('completed');
    expect(runNode(done, 'Order')).toMatchObject({ status: 'failed', attempts: 2, handledBy: 'continueRegularOutput' });
    const ids = (await commandsOf(t, done.id)).map((c) => c.commandId).sort();
    expect(ids).toHaveLength(2);
    expect(ids[1]).toBe(`${ids[0]}.2`);
  });

  it('waits while the command is in the troubleshooting queue until an operator completes it, or until its timeout', async () => {
    const t = await newTenant(h);
    const parked = { domain: 'demo', type: 'flaky', payload: { failTimes: 1, permanent: true } };
    const def = workflow('tsq', [trigger(), sendNode('Order', parked), setNode('After', { got: '={{ $json.result.by }}' })], connect(['Start', 'Order'], ['Order', 'After']));
    const runId = await executeWorkflow(h, t, await createWorkflow(h, t, def));
    const command = await waitFor(async () => (await commandsOf(t, runId)).find((c) => c.status === 'IN_TROUBLESHOOTING_QUEUE'), { what: 'the command in the TSQ' });
    const complete = await call(h, 'POST', `/v1/troubleshooting/demo/${command.commandId}/complete`, { key: t.adminKey, body: { reason: 'shipped by hand', result: { by: 'alice' } } });
    expect(complete.status).toBe(200);
    const done = await finishedRun(h, t, runId);
    expect(done.status).toBe('completed');
    expect(runItems(done, 'After')).toEqual([expect.objectContaining({ got: 'alice' })]);

    const timed = await run(t, workflow('tsq-timeout', [trigger(), sendNode('Order', { ...parked, timeoutSeconds: 1 })], connect(['Start', 'Order'])));
    expect(timed).toMatchObject({ status: 'failed', error: { node: 'Order', message: expect.stringContaining('no outcome of demo/') } });
  });

  it('rejects bad parameters when the workflow is saved', async () => {
    const t = await newTenant(h);
    const def = workflow('bad', [trigger(), sendNode('Bad', { domain: 'Not A Domain', type: 'echo', timeoutSeconds: 0 })], connect(['Start', 'Bad']));
    const res = await call(h, 'POST', '/v1/workflows/validate', { key: t.adminKey, body: { definition: def } });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ node: 'Bad', field: 'body.definition.nodes[1].parameters.domain' }),
        expect.objectContaining({ node: 'Bad', field: 'body.definition.nodes[1].parameters.timeoutSeconds' }),
      ]),
    );
  });
});
