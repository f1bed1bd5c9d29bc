// A rolling upgrade on the production topology: work that the previous build started and left
// waiting (a command in the troubleshooting queue, a DAG run waiting for a signal) finishes after
// `cadenza migrate` of this build and a roll of the workers, then the APIs, one process at a time.
import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Cluster } from '../../src/cluster/cluster';
import { connect, createWorkflow, executeWorkflow, finishedRun, node, runItems, runNode, setNode, trigger, workflow } from '../helpers/dag';
import { call, CLI, clusterApi, ROOT, startTestCluster, waitFor, type ApiTarget } from '../helpers/harness';

/** The build users run before this one: a commit of this repository. Move it on when a release ships. */
const PREVIOUS_RELEASE = '71492d4e1d535ce8c3684e7ee745ef862ac3d9e0';

const run = promisify(execFile);
let cluster: Cluster;
let previousCli: string;

beforeAll(async () => {
  const dir = execFileSync(path.join(ROOT, 'scripts/build-previous.sh'), [PREVIOUS_RELEASE], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  previousCli = path.join(dir, 'dist/cli/main.js');
  cluster = await startTestCluster({ cli: previousCli });
}, 900_000);

afterAll(async () => {
  await cluster?.stop();
});

const temporal = async (...args: string[]) => (await run(process.env.TEMPORAL_CLI_PATH!, [...args, ...cluster.temporalCliArgs])).stdout;
const commandOf = async (api: ApiTarget, id: string) => (await call(api, 'GET', `/v1/commands/demo/${id}`, { key: cluster.adminKey })).body;
const runOf = async (api: ApiTarget, runId: string) => (await call(api, 'GET', `/v1/workflow-runs/${runId}`, { key: cluster.adminKey })).body;

/** Stops each process of the previous build and starts this build's in its place: workers first, then APIs. */
async function rollToThisBuild(): Promise<void> {
  const specs = [...cluster.processes.values()].map((p) => p.spec);
  for (const spec of [...specs.filter((s) => s.args[0] === 'worker'), ...specs.filter((s) => s.args[0] === 'api')]) {
    await cluster.stopProcess(spec.name);
    await cluster.start(spec, CLI);
  }
}

describe('a rolling upgrade', () => {
  it('finishes a parked command and a DAG run waiting for a signal that the previous build started', async () => {
    expect([...cluster.processes.values()].map((p) => p.cli)).toEqual(Array(4).fill(previousCli));
    const before = clusterApi(cluster, 'api-1');
    const admin = { adminKey: cluster.adminKey };

    const sent = await call(before, 'POST', '/v1/commands', { key: cluster.adminKey, body: { domain: 'demo', type: 'flaky', commandId: 'parked', payload: { failTimes: 1, permanent: true } } });
    expect(sent.status).toBe(202);
    await waitFor(async () => (await commandOf(before, 'parked')).status === 'IN_TROUBLESHOOTING_QUEUE', { what: 'the command in the TSQ' });
    const def = workflow(
      'approval',
      [trigger(), setNode('Before', { step: 1 }), node('Approve', 'cadenza.waitForSignal', 1, { signalName: 'go' }), setNode('After', { step: 2 })],
      connect(['Start', 'Before'], ['Before', 'Approve'], ['Approve', 'After']),
    );
    const runId = await executeWorkflow(before, admin, await createWorkflow(before, admin, def));
    await waitFor(async () => runNode(await runOf(before, runId), 'Approve')?.status === 'waiting', { what: 'the run to wait for its signal' });

    await cluster.migrate();
    await rollToThisBuild();
    expect([...cluster.processes.values()].map((p) => p.cli)).toEqual(Array(4).fill(CLI));

    const after = clusterApi(cluster, 'api-2');
    expect((await call(after, 'POST', '/v1/troubleshooting/demo/parked/retry', { key: cluster.adminKey, body: { reason: 'after the upgrade' } })).status).toBe(200);
    await waitFor(async () => (await commandOf(after, 'parked')).status === 'COMPLETED', { timeoutMs: 60_000, what: 'the parked command to complete' });
    expect((await commandOf(after, 'parked')).result).toEqual({ succeededOnAttempt: 2 });
    expect((await call(after, 'POST', `/v1/workflow-runs/${runId}/signals/go`, { key: cluster.adminKey, body: { ok: true } })).status).toBe(202);
    const finished = await finishedRun(after, admin, runId);
    expect(finished.status).toBe('completed');
    expect(runItems(finished, 'After')).toEqual([{ ok: true, step: 2 }]);

    // This build replayed both histories without a single failed workflow task (no nondeterminism).
    const listed = JSON.parse(await temporal('workflow', 'list', '--query', 'CadenzaKind="command" OR CadenzaKind="dag"', '--output', 'json')) as { execution: { workflowId: string } }[];
    expect(listed.length).toBeGreaterThanOrEqual(2);
    for (const { execution } of listed) {
      const history = JSON.parse(await temporal('workflow', 'show', '--workflow-id', execution.workflowId, '--output', 'json'));
      expect({ workflowId: execution.workflowId, failedTasks: history.events.filter((e: any) => e.eventType === 'EVENT_TYPE_WORKFLOW_TASK_FAILED').length }).toEqual({
        workflowId: execution.workflowId,
        failedTasks: 0,
      });
    }
  });
});
