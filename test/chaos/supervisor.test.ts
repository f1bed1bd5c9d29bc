// `cadenza start` as a user runs it, with its embedded PostgreSQL and Temporal dev server SIGKILLed
// under load: the supervisor restarts each on the same data and ports, the API and worker in its
// process ride it out, and nothing accepted is lost. A child that cannot be restarted makes it
// give up after six failures in a row, leaving nothing running. (Ctrl-C: test/e2e.)
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDb, type Db } from '../../src/db/db';
import { CLI, freePort, processesMentioning, waitFor } from '../helpers/harness';
import { report, secondsUntilReady, Traffic, type Figures } from './traffic';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cadenza-chaos-start-'));
let supervisor: ChildProcess;
let output = '';
let exited: Promise<number | null>;
let apiUrl: string;
let db: Db;
let traffic: Traffic;
const figures: Figures[] = [];

beforeAll(async () => {
  const [api, pg, temporal, ui] = [await freePort(), await freePort(), await freePort(), await freePort()];
  apiUrl = `http://127.0.0.1:${api}`;
  const env = {
    ...process.env,
    CADENZA_DATA_DIR: dataDir,
    CADENZA_API_PORT: String(api),
    CADENZA_PG_PORT: String(pg),
    CADENZA_TEMPORAL_PORT: String(temporal),
    CADENZA_TEMPORAL_UI_PORT: String(ui),
    CADENZA_LOG_LEVEL: 'warn',
    CADENZA_OUTBOUND_ALLOWLIST: '127.0.0.1',
    // When it gives up with PostgreSQL gone, in-flight handlers cannot finish: do not wait long.
    CADENZA_WORKER_SHUTDOWN_GRACE_SECONDS: '5',
  };
  // Its own process group, as in a terminal: the test signals it as Ctrl-C would.
  supervisor = spawn(process.execPath, [CLI, 'start'], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  supervisor.stdout!.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-300_000)));
  supervisor.stderr!.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-300_000)));
  exited = new Promise((resolve) => supervisor.once('exit', (code) => resolve(code)));
  await waitFor(
    async () => {
      if (supervisor.exitCode !== null) throw new Error(`cadenza start exited:\n${output}`);
      return (await fetch(`${apiUrl}/readyz`).catch(() => undefined))?.status === 200;
    },
    { timeoutMs: 180_000, intervalMs: 250, what: 'cadenza start to be ready' },
  );
  const settings = Object.fromEntries(
    fs.readFileSync(path.join(dataDir, 'cadenza.env'), 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  // The test counts across instances: as the owner, which row-level security does not hold.
  db = createDb(settings.DATABASE_OWNER_URL!, 2, 'chaos-test');
  traffic = await Traffic.prepare({ apiUrl, adminKey: fs.readFileSync(path.join(dataDir, 'bootstrap-admin-key'), 'utf8').trim(), db });
});

afterAll(async () => {
  if (figures.length > 0) console.log(`Chaos figures under cadenza start (commands; events; DAG runs):\n${report(figures)}`);
  await traffic?.close();
  await db?.end().catch(() => undefined);
  if (supervisor?.exitCode === null) {
    process.kill(-supervisor.pid!, 'SIGINT');
    // A supervisor that does not stop must not hold the suite (and CI) open: kill its group.
    if ((await exitCodeWithin(120_000)) === 'running') {
      killEverything();
      throw new Error(`cadenza start did not stop within 120 s of SIGINT:\n${output.slice(-5000)}`);
    }
  }
  fs.chmodSync(path.join(dataDir, 'pg'), 0o700);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** The supervisor's exit code, or 'running' if it has not exited within `ms`. */
const exitCodeWithin = (ms: number) =>
  Promise.race([exited, new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), ms).unref())]);

function killEverything(): void {
  for (const line of processesMentioning(dataDir)) {
    try {
      process.kill(Number.parseInt(line, 10), 'SIGKILL');
    } catch {
      // gone already
    }
  }
  try {
    process.kill(-supervisor.pid!, 'SIGKILL');
  } catch {
    // gone already
  }
}

const childPid = (name: 'postgres' | 'temporal'): number => JSON.parse(fs.readFileSync(path.join(dataDir, 'pids.json'), 'utf8'))[name].pid;

/** SIGKILLs one embedded service mid-burst; returns the figures once everything drained. */
async function killDuringBurst(name: string, service: 'postgres' | 'temporal', restartedLog: string, prefix: string) {
  const restartsBefore = output.split(restartedLog).length - 1;
  traffic.beginBurst();
  traffic.startProbe();
  const sending = Promise.all([traffic.sendCommands(prefix, 200, 20, 300), traffic.executeDagRuns(10, 2)]);
  const victim = childPid(service);
  let inFlight: number;
  let readyAfterSeconds: number;
  try {
    await waitFor(() => traffic.accepted.size >= 60, { timeoutMs: 120_000, what: '60 accepted commands' });
    inFlight = (await traffic.storedInFlight(prefix)).inFlight;
    process.kill(victim, 'SIGKILL');
    await waitFor(() => output.split(restartedLog).length - 1 > restartsBefore, { timeoutMs: 120_000, what: `the supervisor to log '${restartedLog}'` });
    readyAfterSeconds = await secondsUntilReady(apiUrl);
  } catch (err) {
    traffic.halt(); // a failed test must not feed the next one
    await sending.catch(() => undefined);
    throw err;
  }
  await sending;
  const seconds503 = await traffic.stopProbing();
  const left = await traffic.drain(240_000);
  const f = await traffic.figures(name, inFlight, seconds503, readyAfterSeconds);
  figures.push(f);
  console.log(`${name} (left after draining: ${JSON.stringify(left)}):\n${JSON.stringify(f)}`);
  expect(childPid(service)).not.toBe(victim);
  expect(f.problems).toEqual([]);
  expect(f.lost).toBe(0);
  expect(f.duplicatedTransitions).toBe(0);
  expect(f.completed).toBe(200);
  expect(readyAfterSeconds).toBeLessThan(30);
  expect(supervisor.exitCode).toBeNull();
}

describe('cadenza start under chaos', () => {
  it('restarts its PostgreSQL after a SIGKILL and loses nothing', async () => {
    await killDuringBurst('cadenza start: SIGKILL embedded PostgreSQL', 'postgres', 'PostgreSQL restarted', 'sup-pg');
  });

  it('restarts its Temporal dev server after a SIGKILL, on the same SQLite file, and loses nothing', async () => {
    await killDuringBurst('cadenza start: SIGKILL embedded Temporal', 'temporal', 'the Temporal dev server restarted', 'sup-temporal');
  });

  it('gives up on a PostgreSQL that cannot start again after six failures in a row, stops everything and exits 1', async () => {
    fs.chmodSync(path.join(dataDir, 'pg'), 0); // its data folder is unreadable now: every restart fails
    process.kill(childPid('postgres'), 'SIGKILL');
    // The backoffs add up to 31 s; well before this, it must have given up.
    expect(await exitCodeWithin(180_000)).toBe(1);
    expect(output).toContain('PostgreSQL failed 6 times in a row; giving up and stopping Cadenza');
    // Six failures in a row: the kill, then failed restarts. A PostgreSQL that an earlier test
    // restarted less than a minute ago already counts as a failure, so there may be one fewer.
    const failedRestarts = output.split('PostgreSQL could not be restarted').length - 1;
    expect(failedRestarts).toBeGreaterThanOrEqual(4);
    expect(failedRestarts).toBeLessThanOrEqual(5);
    await waitFor(() => processesMentioning(dataDir).length === 0, { timeoutMs: 30_000, what: 'every child process to exit' }).catch(() => {
      throw new Error(`left running:\n${processesMentioning(dataDir).join('\n')}`);
    });
  });
});
