// Outages under load, each counted: one deployment (`cadenza api` and two `cadenza worker`
// processes on their own PostgreSQL and Temporal dev server) takes a burst of commands, event
// deliveries to a webhook target and DAG runs while one part is killed or restarted. Nothing
// accepted may be lost or doubled, no Cadenza process may exit, and /readyz must be green again
// within 30 s of the dependency's return. The figures are printed for the CI log.
import { startCluster, type CadenzaProcess, type Cluster } from './cluster';
import { report, secondsUntilReady, Traffic, type Figures } from './traffic';
import { waitFor } from '../helpers/harness';

let cluster: Cluster;
let traffic: Traffic;
const figures: Figures[] = [];
/** Processes the test killed itself; every other one must still run. */
const killed = new Set<CadenzaProcess>();

beforeAll(async () => {
  cluster = await startCluster({ workers: 2 });
  traffic = await Traffic.prepare(cluster);
});
afterAll(async () => {
  if (figures.length > 0) console.log(`Chaos figures (commands; events; DAG runs):\n${report(figures)}`);
  await traffic?.close();
  await cluster?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until at least `n` commands of this burst were accepted, so the outage hits mid-burst. */
const acceptedAtLeast = (n: number) => waitFor(() => traffic.accepted.size >= n, { timeoutMs: 120_000, what: `${n} accepted commands` });

/** Commands of one burst: 200 sent 20 at a time, handlers of 300 ms. */
const BURST = 200;

/**
 * A burst with an outage in its middle; returns the counted figures after everything drained.
 * `send` sends the burst's commands (all of them: `count`).
 */
async function burst(name: string, count: number, send: () => Promise<void>, outage: () => Promise<{ inFlight: number; readyAfterSeconds: number | null }>) {
  const started = Date.now();
  traffic.beginBurst();
  traffic.startProbe();
  const sending = Promise.all([send(), traffic.executeDagRuns(10, 2)]);
  let hit: Awaited<ReturnType<typeof outage>>;
  try {
    hit = await outage();
  } catch (err) {
    traffic.halt();
    await sending.catch(() => undefined);
    throw err;
  }
  await sending;
  const sent = Date.now();
  const seconds503 = await traffic.stopProbing();
  const left = await traffic.drain(240_000);
  const f = await traffic.figures(name, hit.inFlight, seconds503, hit.readyAfterSeconds);
  figures.push(f);
  console.log(`${name}: sent in ${(sent - started) / 1000} s, drained ${(Date.now() - sent) / 1000} s later (left: ${JSON.stringify(left)})\n${JSON.stringify(f)}`);
  expect(traffic.accepted.size).toBe(count);
  return f;
}

function expectNothingLost(f: Figures & { problems: string[] }): void {
  expect(f.problems).toEqual([]);
  expect(f.lost).toBe(0);
  expect(f.duplicatedTransitions).toBe(0);
  expect(f.completed).toBe(f.accepted);
  if (f.readyAfterSeconds !== null) expect(f.readyAfterSeconds).toBeLessThan(30);
  const exited = cluster.processes.filter((p) => !killed.has(p) && p.exit() !== undefined);
  expect(exited.map((p) => `${p.name}: ${p.exit()}\n${p.output().slice(-3000)}`)).toEqual([]);
}

/** Commands of the burst stored and not completed yet. */
const inFlightNow = async (prefix: string) => (await traffic.storedInFlight(prefix)).inFlight;

describe('chaos', () => {
  it('loses nothing when one of two workers is SIGKILLed with at least 500 commands in flight', async () => {
    // Two batches of 300 put 600 in flight at once; the victim dies while running its share.
    const send = () => traffic.sendBatches('kill', 2, 300, 2000, 10_000);
    const f = await burst('SIGKILL one of two workers', 600, send, async () => {
      const { inFlight } = await waitFor(
        async () => {
          const now = await traffic.storedInFlight('kill');
          return now.inFlight >= 500 && now.running >= 20 ? now : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 100, what: '500 commands in flight, 20 of them running' },
      );
      const victim = cluster.workers[0]!;
      killed.add(victim);
      await victim.kill();
      // An orchestrator starts a replacement, as it would for any crashed process.
      cluster.workers[0] = await cluster.startWorker('worker-1-replacement');
      return { inFlight, readyAfterSeconds: null };
    });
    expect(f.inFlight).toBeGreaterThanOrEqual(500);
    expectNothingLost(f);
  });

  it('loses nothing when every PostgreSQL backend of Cadenza is terminated twice during a burst', async () => {
    const f = await burst('terminate all PostgreSQL backends, twice', BURST, () => traffic.sendCommands('term', BURST, 20, 300), async () => {
      await acceptedAtLeast(60);
      const inFlight = await inFlightNow('term');
      expect(await cluster.terminateBackends()).toBeGreaterThan(0);
      await acceptedAtLeast(120);
      await cluster.terminateBackends();
      return { inFlight, readyAfterSeconds: await secondsUntilReady(cluster.apiUrl) };
    });
    expectNothingLost(f);
  });

  it('loses nothing when PostgreSQL stops for 10 s during a burst', async () => {
    const f = await burst('PostgreSQL stopped for 10 s', BURST, () => traffic.sendCommands('pgstop', BURST, 20, 300), async () => {
      await acceptedAtLeast(60);
      const inFlight = await inFlightNow('pgstop');
      await cluster.stopPostgres();
      await sleep(10_000); // the outage itself
      await cluster.startPostgres();
      return { inFlight, readyAfterSeconds: await secondsUntilReady(cluster.apiUrl) };
    });
    expectNothingLost(f);
  });

  it('loses nothing when the Temporal dev server is SIGKILLed and started again on its SQLite file during a burst', async () => {
    const f = await burst('SIGKILL Temporal, restart on its SQLite file', BURST, () => traffic.sendCommands('tkill', BURST, 20, 300), async () => {
      await acceptedAtLeast(60);
      const inFlight = await inFlightNow('tkill');
      await cluster.killTemporal();
      await cluster.startTemporal();
      return { inFlight, readyAfterSeconds: await secondsUntilReady(cluster.apiUrl) };
    });
    expectNothingLost(f);
  });
});
