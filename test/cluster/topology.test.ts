// Cadenza as production runs it: a self-hosted Temporal server with PostgreSQL persistence and
// visibility behind mTLS, two `cadenza api` and two `cadenza worker` processes. What the README
// shows on the dev server must hold here too, whichever API a call reaches.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { verifySignature } from '../../src/client';
import type { Cluster } from '../../src/cluster/cluster';
import { freePort } from '../../src/embedded/process';
import { connect, createWorkflow, executeWorkflow, finishedRun, node, runItems, runNode, setNode, trigger, workflow } from '../helpers/dag';
import { startGrpcProxy } from '../helpers/grpc-proxy';
import { call, CLI, clusterApi, ROOT, startTestCluster, waitFor, type ApiTarget } from '../helpers/harness';
import { startReceiver, type Receiver } from '../helpers/receiver';

const run = promisify(execFile);
let cluster: Cluster;
let receiver: Receiver;
let api1: ApiTarget;
let api2: ApiTarget;
let admin: { adminKey: string };

beforeAll(async () => {
  receiver = await startReceiver();
  cluster = await startTestCluster({
    env: { CADENZA_HANDLERS_DIR: path.join(ROOT, 'test/fixtures/handlers-late'), CADENZA_OUTBOUND_ALLOWLIST: '127.0.0.1' },
  });
  api1 = clusterApi(cluster, 'api-1');
  api2 = clusterApi(cluster, 'api-2');
  admin = { adminKey: cluster.adminKey };
}, 600_000);

afterAll(async () => {
  await cluster?.stop();
  await receiver?.close();
});

const temporal = async (...args: string[]) => (await run(process.env.TEMPORAL_CLI_PATH!, [...args, ...cluster.temporalCliArgs])).stdout;
const cadenza = async (...args: string[]) => (await run(process.execPath, [CLI, ...args])).stdout;
const send = (api: ApiTarget, body: Record<string, unknown>) => call(api, 'POST', '/v1/commands', { key: cluster.adminKey, body });
const command = async (api: ApiTarget, id: string) => (await call(api, 'GET', `/v1/commands/demo/${id}`, { key: cluster.adminKey })).body;
const statusIs = (api: ApiTarget, id: string, status: string) =>
  waitFor(async () => (await command(api, id)).status === status, { timeoutMs: 60_000, what: `${id} to be ${status}` });

/** Workflow ids the server's PostgreSQL visibility store lists as parked in the TSQ. */
async function parkedInVisibility(): Promise<string[]> {
  const out = await temporal('workflow', 'list', '--query', 'CommandStatus="IN_TROUBLESHOOTING_QUEUE"', '--output', 'json');
  return (JSON.parse(out || '[]') as { execution: { workflowId: string } }[]).map((w) => w.execution.workflowId);
}

const parkOne = (id: string) => send(api1, { domain: 'demo', type: 'flaky', commandId: id, payload: { failTimes: 1, permanent: true } });

describe('the production topology', () => {
  it('runs the README tour across two APIs and two workers, with the stock temporal CLI over mTLS', async () => {
    expect((await parkOne('tour-1')).status).toBe(202);
    await waitFor(async () => (await call(api2, 'GET', '/v1/troubleshooting', { key: cluster.adminKey })).body.items.some((c: any) => c.commandId === 'tour-1'), {
      what: 'tour-1 in the TSQ (seen through the other API)',
    });
    expect(await cadenza('tsq', 'list', '--url', api2.baseUrl, '--key', cluster.adminKey)).toContain('tour-1');
    await waitFor(async () => (await parkedInVisibility()).includes('command:default:demo:tour-1'), { what: 'the TSQ search attribute in visibility' });

    await temporal('workflow', 'signal', '--workflow-id', 'command:default:demo:tour-1', '--name', 'retry', '--input', '{"operator":"alice"}');
    await statusIs(api1, 'tour-1', 'COMPLETED');
    const audit = (await call(api2, 'GET', '/v1/commands/demo/tour-1/audit', { key: cluster.adminKey })).body.items;
    expect(audit.find((e: any) => e.type === 'command.operator_retry').creator).toBe('alice');
    const shown = JSON.parse(await temporal('workflow', 'show', '--workflow-id', 'command:default:demo:tour-1', '--output', 'json'));
    expect(shown.events.map((e: any) => e.eventType)).toContain('EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED');
  });

  it('lists exactly the parked commands from visibility, and works the queue over HTTP on either API', async () => {
    const ids = ['tsq-retry', 'tsq-cancel', 'tsq-complete'];
    for (const id of ids) expect((await parkOne(id)).status).toBe(202);
    expect((await send(api2, { domain: 'demo', type: 'echo', commandId: 'tsq-never', payload: {} })).status).toBe(202);
    await statusIs(api2, 'tsq-never', 'COMPLETED');
    const workflowIds = ids.map((id) => `command:default:demo:${id}`);
    await waitFor(async () => {
      const parked = await parkedInVisibility();
      return workflowIds.every((w) => parked.includes(w)) ? parked : undefined;
    }, { what: 'the three parked commands in visibility' });
    expect(await parkedInVisibility()).not.toContain('command:default:demo:tsq-never');

    const op = (api: ApiTarget, id: string, action: string, body: Record<string, unknown>) =>
      call(api, 'POST', `/v1/troubleshooting/demo/${id}/${action}`, { key: cluster.adminKey, body });
    expect((await op(api1, 'tsq-retry', 'retry', { reason: 'fixed' })).status).toBe(200);
    expect((await op(api2, 'tsq-cancel', 'cancel', { reason: 'not needed' })).status).toBe(200);
    expect((await op(api1, 'tsq-complete', 'complete', { result: { by: 'hand' } })).status).toBe(200);
    await statusIs(api2, 'tsq-retry', 'COMPLETED');
    await statusIs(api1, 'tsq-cancel', 'CANCELED');
    expect(await command(api2, 'tsq-complete')).toMatchObject({ status: 'COMPLETED', result: { by: 'hand' } });
    await waitFor(async () => !(await parkedInVisibility()).some((w) => workflowIds.includes(w)), { what: 'visibility to drop the worked commands' });
  });

  it('serves each domain on the workers that load it', async () => {
    const domainsOf = (name: string) => {
      const line = cluster.processes.get(name)!.output().split('\n').find((l) => l.includes('"handlers registered"'));
      return JSON.parse(line!).domains as string[];
    };
    expect(domainsOf('worker-all').sort()).toEqual(['demo', 'latecomer']);
    expect(domainsOf('worker-demo')).toEqual(['demo']);
    const sent = await call(api1, 'POST', '/v1/commands', { key: cluster.adminKey, body: { domain: 'latecomer', type: 'arrive', commandId: 'late-1', payload: { x: 1 } } });
    expect(sent.status).toBe(202);
    await waitFor(async () => (await call(api2, 'GET', '/v1/commands/latecomer/late-1', { key: cluster.adminKey })).body.status === 'COMPLETED', {
      what: 'the latecomer command, which only worker-all serves',
    });
  });

  it('runs a DAG that waits for a signal sent through the other API', async () => {
    const def = workflow(
      'approval',
      [trigger(), setNode('Before', { step: 1 }), node('Approve', 'cadenza.waitForSignal', 1, { signalName: 'go' }), setNode('After', { step: 2 })],
      connect(['Start', 'Before'], ['Before', 'Approve'], ['Approve', 'After']),
    );
    const runId = await executeWorkflow(api1, admin, await createWorkflow(api1, admin, def));
    await waitFor(async () => runNode((await call(api2, 'GET', `/v1/workflow-runs/${runId}`, { key: cluster.adminKey })).body, 'Approve')?.status === 'waiting', {
      what: 'the run to wait for its signal',
    });
    expect((await call(api2, 'POST', `/v1/workflow-runs/${runId}/signals/go`, { key: cluster.adminKey, body: { ok: true } })).status).toBe(202);
    const finished = await finishedRun(api1, admin, runId);
    expect(finished.status).toBe('completed');
    expect(runItems(finished, 'After')).toEqual([{ ok: true, step: 2 }]);
  });

  it('delivers an event once to a signed webhook', async () => {
    const target = await call(api1, 'POST', '/v1/targets', {
      key: cluster.adminKey,
      body: { name: 'order-hook', type: 'webhook', endpoint: `${receiver.url}/orders`, timeoutSeconds: 5 },
    });
    expect(target.status).toBe(201);
    expect((await call(api2, 'PUT', '/v1/executions', { key: cluster.adminKey, body: { condition: 'event/order.*', targets: [{ target: target.body.id }] } })).status).toBe(200);
    const aggregateId = crypto.randomUUID();
    const pushed = await call(api2, 'POST', '/v1/events', { key: cluster.adminKey, body: { type: 'order.placed', aggregateType: 'order', aggregateId, payload: { total: 10 } } });
    expect(pushed.status).toBe(202);
    const delivery = await waitFor(() => receiver.received.find((r) => r.body?.aggregateId === aggregateId), { timeoutMs: 60_000, what: 'the delivery' });
    expect(delivery.body).toMatchObject({ type: 'order.placed', payload: { total: 10 } });
    expect(verifySignature(target.body.signingKey, delivery.raw, delivery.headers['cadenza-signature'] as string)).toBe(true);
    const runs = await waitFor(async () => {
      const listed = (await call(api1, 'GET', '/v1/runs?kind=execution', { key: cluster.adminKey })).body.items;
      return listed.length > 0 && listed.every((r: any) => r.state === 'succeeded') ? listed : undefined;
    }, { what: 'the execution run to succeed' });
    expect(runs).toHaveLength(1);
    expect(receiver.received.filter((r) => r.body?.aggregateId === aggregateId)).toHaveLength(1);
  });

  it('refuses a Temporal client without a client certificate', async () => {
    const noClientCert = ['--address', cluster.temporalAddress, '--tls-ca-path', cluster.certificates!.ca];
    await expect(run(process.env.TEMPORAL_CLI_PATH!, ['workflow', 'list', ...noClientCert])).rejects.toMatchObject({ stderr: expect.stringContaining('mTLS') });
  });

  it('sends TEMPORAL_API_KEY as a bearer token on every call, from the API and from the worker', async () => {
    const proxy = await startGrpcProxy(cluster.temporalAddress, cluster.certificates!);
    // Like Temporal Cloud: TLS verified against a CA, an API key instead of a client certificate.
    const viaProxy = {
      TEMPORAL_ADDRESS: proxy.address,
      TEMPORAL_API_KEY: 'cloud-key-123',
      TEMPORAL_TLS_CERT_PATH: '',
      TEMPORAL_TLS_KEY_PATH: '',
      CADENZA_TASK_QUEUE: 'via-api-key',
    };
    try {
      const apiPort = String(await freePort());
      const api = await cluster.start({ name: 'api-key-api', args: ['api'], env: { ...viaProxy, CADENZA_API_PORT: apiPort } });
      await cluster.start({ name: 'api-key-worker', args: ['worker'], env: viaProxy });
      expect((await send({ baseUrl: api.url! }, { domain: 'demo', type: 'echo', commandId: 'api-key-1', payload: { via: 'proxy' } })).status).toBe(202);
      await statusIs({ baseUrl: api.url! }, 'api-key-1', 'COMPLETED');

      const paths = proxy.calls.map((c) => c.path);
      expect(paths).toContain('/temporal.api.workflowservice.v1.WorkflowService/PollWorkflowTaskQueue');
      expect(paths.some((p) => /StartWorkflowExecution|ExecuteMultiOperation/.test(p))).toBe(true);
      expect(proxy.calls.filter((c) => c.authorization !== 'Bearer cloud-key-123')).toEqual([]);
    } finally {
      await cluster.stopProcess('api-key-api');
      await cluster.stopProcess('api-key-worker');
      await proxy.close();
    }
  });
});
