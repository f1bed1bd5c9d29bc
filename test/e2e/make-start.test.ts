// Black box: `make start` as a user runs it, on its own ports and data folder.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, processesMentioning, ROOT, waitFor } from '../helpers/harness';

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

describe('make start', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cadenza-e2e-'));
  let env: Record<string, string>;
  let apiUrl: string;
  let uiUrl: string;
  let temporalAddress: string;

  beforeAll(async () => {
    const [api, pg, temporal, ui] = [await freePort(), await freePort(), await freePort(), await freePort()];
    apiUrl = `http://127.0.0.1:${api}`;
    uiUrl = `http://127.0.0.1:${ui}`;
    temporalAddress = `127.0.0.1:${temporal}`;
    env = {
      ...(process.env as Record<string, string>),
      CADENZA_DATA_DIR: dataDir,
      CADENZA_API_PORT: String(api),
      CADENZA_PG_PORT: String(pg),
      CADENZA_TEMPORAL_PORT: String(temporal),
      CADENZA_TEMPORAL_UI_PORT: String(ui),
      CADENZA_LOG_LEVEL: 'warn',
    };
  });

  afterAll(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  function start(): Started {
    // Its own process group, like a terminal job; the test signals the group as Ctrl-C would.
    const child = spawn('make', ['--no-print-directory', 'start'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, output: () => out, exited };
  }

  async function waitReady(s: Started): Promise<void> {
    await waitFor(
      async () => {
        if (s.child.exitCode !== null) throw new Error(`make start exited:\n${s.output()}`);
        const res = await fetch(`${apiUrl}/readyz`).catch(() => undefined);
        return res?.status === 200;
      },
      { timeoutMs: 120_000, intervalMs: 250, what: '/readyz' },
    );
  }

  async function stop(s: Started, signal: NodeJS.Signals): Promise<void> {
    process.kill(-s.child.pid!, signal);
    await s.exited;
    await waitFor(() => processesMentioning(dataDir).length === 0, { timeoutMs: 20_000, what: 'every child process to exit' }).catch(() => {
      throw new Error(`left running:\n${processesMentioning(dataDir).join('\n')}`);
    });
  }

  /** The README tour, step by step, with this test's ports. */
  async function readmeTour(key: string): Promise<void> {
    const run = promisify(execFile);
    const temporal = (...args: string[]) => run(process.env.TEMPORAL_CLI_PATH!, [...args, '--address', temporalAddress]);
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const get = async (p: string) => (await fetch(`${apiUrl}${p}`, { headers })).json() as Promise<any>;

    const sent = await fetch(`${apiUrl}/v1/commands`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ domain: 'demo', type: 'flaky', commandId: 'tour-1', payload: { failTimes: 1, permanent: true } }),
    });
    expect(sent.status).toBe(202);
    await waitFor(async () => (await get('/v1/troubleshooting')).items.some((c: any) => c.commandId === 'tour-1'), { what: 'tour-1 in the TSQ' });
    const listed = await run(process.execPath, [path.join(ROOT, 'dist/cli/main.js'), 'tsq', 'list', '--url', apiUrl, '--key', key]);
    expect(listed.stdout).toContain('tour-1');
    await waitFor(async () => (await temporal('workflow', 'list', '--query', 'CommandStatus="IN_TROUBLESHOOTING_QUEUE"')).stdout.includes('command:default:demo:tour-1'), {
      what: 'the TSQ search attribute',
    });
    await temporal('workflow', 'signal', '--workflow-id', 'command:default:demo:tour-1', '--name', 'retry', '--input', '{"operator":"alice"}');
    await waitFor(async () => (await get('/v1/commands/demo/tour-1')).status === 'COMPLETED', { what: 'tour-1 to complete' });
    const audit = (await get('/v1/commands/demo/tour-1/audit')).items;
    expect(audit.find((e: any) => e.type === 'command.operator_retry').creator).toBe('alice');

    // make start runs the API and the worker in one process on one connection: the API's start
    // was eager, its first workflow task handed straight to this process's worker.
    const shown = JSON.parse((await temporal('workflow', 'show', '--workflow-id', 'command:default:demo:tour-1', '--output', 'json')).stdout);
    expect(shown.events[0].workflowExecutionStartedEventAttributes.eagerExecutionAccepted).toBe(true);

    // What the Web UI shows comes from its server's API: the workflow, completed.
    const wf = await fetch(`${uiUrl}/api/v1/namespaces/default/workflows/${encodeURIComponent('command:default:demo:tour-1')}`);
    expect(wf.status).toBe(200);
    expect(JSON.stringify(await wf.json())).toContain('WORKFLOW_EXECUTION_STATUS_COMPLETED');
  }

  it('runs, serves the API and the Web UI, stops cleanly, and keeps its data across restarts', async () => {
    const first = start();
    await waitReady(first);
    expect(first.output()).toContain('Cadenza is running.');
    expect(first.output()).toContain(`${apiUrl}/docs`);

    const key = fs.readFileSync(path.join(dataDir, 'bootstrap-admin-key'), 'utf8').trim();
    expect(first.output()).toContain(key);
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const created = await fetch(`${apiUrl}/v1/orgs`, { method: 'POST', headers, body: JSON.stringify({ name: 'persisted-org' }) });
    expect(created.status).toBe(201);
    const org = (await created.json()) as { id: string };

    const ui = await fetch(uiUrl);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toMatch(/<html/i);
    // The operator console: printed, served, and linking workflows to this Web UI.
    expect(first.output()).toContain(`${apiUrl}/console`);
    const consolePage = await fetch(`${apiUrl}/console/troubleshooting`);
    expect(consolePage.status).toBe(200);
    expect(await consolePage.text()).toMatch(/<div id="root">/);
    const me = (await (await fetch(`${apiUrl}/v1/me`, { headers })).json()) as { temporal: { webUiUrl: string } };
    expect(me.temporal.webUiUrl).toBe(`http://localhost:${new URL(uiUrl).port}`);

    await readmeTour(key);

    // The system key, kept like the admin key: it lists instances and reads nothing inside one.
    const systemKeyFile = path.join(dataDir, 'bootstrap-system-key');
    expect(fs.statSync(systemKeyFile).mode & 0o777).toBe(0o600);
    const systemKey = fs.readFileSync(systemKeyFile, 'utf8').trim();
    const system = { authorization: `Bearer ${systemKey}` };
    const instances = (await (await fetch(`${apiUrl}/v1/system/instances`, { headers: system })).json()) as { items: { id: string }[] };
    expect(instances.items.map((i) => i.id)).toContain('default');
    expect((await fetch(`${apiUrl}/v1/orgs`, { headers: system })).status).toBe(403);

    await stop(first, 'SIGINT');
    expect(processesMentioning(dataDir)).toEqual([]);

    const second = start();
    await waitReady(second);
    const listed = await fetch(`${apiUrl}/v1/orgs`, { headers });
    const body = (await listed.json()) as { items: { id: string; name: string }[] };
    expect(body.items).toContainEqual(expect.objectContaining({ id: org.id, name: 'persisted-org' }));
    // The bootstrap key is created once: the second start reuses it.
    expect(fs.readFileSync(path.join(dataDir, 'bootstrap-admin-key'), 'utf8').trim()).toBe(key);
    expect(fs.readFileSync(path.join(dataDir, 'bootstrap-system-key'), 'utf8').trim()).toBe(systemKey);

    await stop(second, 'SIGTERM');
    expect(processesMentioning(dataDir)).toEqual([]);
  });
});
