// n8n conformance: workflows written by the n8n project (its node and engine test workflows,
// copied unchanged from github.com/n8n-io/n8n, listed with commit and sha256 in manifest.json)
// run through the API on real Temporal and PostgreSQL, with n8n's test-harness rules: pinData
// is taken out of the definition, the run starts from the trigger with one empty item, and each
// pinned node's output 0 of every run, pairedItem removed, must equal [its pinned items].
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { call, newTenant, startHarness, startWorkerProcess, waitFor, type Harness, type TestTenant, type WorkerProcess } from '../helpers/harness';

const DIR = path.join(__dirname, 'n8n');

interface Entry {
  file: string;
  repository: string;
  path: string;
  commit: string;
  sha256: string;
  n8n: { version: string; passes: boolean; note?: string };
}

const manifest: Entry[] = JSON.parse(fs.readFileSync(path.join(DIR, 'manifest.json'), 'utf8'));
const text = (e: Entry) => fs.readFileSync(path.join(DIR, 'workflows', e.file), 'utf8');

/** n8n's comparison (Jest's toEqual): undefined properties do not count, key order does not matter. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

/** An item as the harness compares it: no pairedItem, no empty binary. */
function comparable(item: Record<string, unknown>): unknown {
  const { pairedItem: _p, binary, ...rest } = item;
  return canonical(binary !== undefined && Object.keys(binary as object).length > 0 ? { ...rest, binary } : rest);
}

interface Outcome {
  problems: string[];
}

let h: Harness;
let worker: WorkerProcess;
let t: TestTenant;
const outcomes = new Map<string, Promise<Outcome>>();

async function runFile(e: Entry): Promise<Outcome> {
  const wf = JSON.parse(text(e));
  const expected: Record<string, Record<string, unknown>[]> = wf.pinData ?? {};
  delete wf.pinData;
  const created = await call(h, 'POST', '/v1/workflows', { key: t.adminKey, body: { name: e.file.slice(0, 200), definition: wf } });
  if (created.status !== 201) return { problems: [`refused: ${created.status} ${JSON.stringify(created.body).slice(0, 1000)}`] };
  const started = await call(h, 'POST', `/v1/workflows/${created.body.id}/execute`, { key: t.adminKey, body: { input: {} } });
  if (started.status !== 202) return { problems: [`not started: ${started.status} ${JSON.stringify(started.body).slice(0, 500)}`] };
  const runId: string = started.body.id;
  const run = await waitFor(
    async () => {
      const r = await call(h, 'GET', `/v1/workflow-runs/${runId}`, { key: t.adminKey });
      return r.body.status !== 'running' ? r.body : undefined;
    },
    { timeoutMs: 180_000, what: `run of ${e.file}` },
  );
  const problems: string[] = run.status === 'completed' ? [] : [`run ${run.status}: ${JSON.stringify(run.error)}`];
  for (const [node, items] of Object.entries(expected)) {
    const res = await call(h, 'GET', `/v1/workflow-runs/${runId}/nodes/${encodeURIComponent(node)}`, { key: t.adminKey });
    const got = res.status === 200 ? res.body.runs.map((r: { output: Record<string, unknown>[][] }) => (r.output[0] ?? []).map(comparable)) : [];
    const want = [items.map(comparable)];
    if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`${node}: got ${JSON.stringify(got).slice(0, 800)}, expected ${JSON.stringify(want).slice(0, 800)}`);
  }
  return { problems };
}

beforeAll(async () => {
  const env = { CADENZA_PLUGINS_DIR: path.join(DIR, 'plugins') };
  h = await startHarness(env);
  worker = await startWorkerProcess(h, env);
  t = await newTenant(h);
  // All files run at once; each test below awaits its own.
  for (const e of manifest) outcomes.set(e.file, runFile(e));
}, 120_000);

afterAll(async () => {
  await Promise.allSettled(outcomes.values());
  await worker?.stop();
  await h?.close();
  const results = await Promise.all(manifest.map(async (e) => ({ e, ok: (await outcomes.get(e.file))?.problems.length === 0 })));
  const passed = results.filter((r) => r.ok).length;
  const n8nPasses = results.filter((r) => r.e.n8n.passes);
  // The figure the README and reports quote.
  console.log(
    `n8n conformance: ${passed} of ${manifest.length} files pass (n8n ${manifest[0]!.n8n.version} itself passes ${n8nPasses.length}; of those Cadenza passes ${n8nPasses.filter((r) => r.ok).length})`,
  );
});

describe('the corpus', () => {
  it('has at least 60 files, each unchanged from its recorded source', () => {
    expect(manifest.length).toBeGreaterThanOrEqual(60);
    expect(fs.readdirSync(path.join(DIR, 'workflows')).sort()).toEqual(manifest.map((e) => e.file).sort());
    for (const e of manifest) {
      expect({ file: e.file, sha256: crypto.createHash('sha256').update(text(e)).digest('hex') }).toEqual({ file: e.file, sha256: e.sha256 });
      expect(e.repository).toBe('n8n-io/n8n');
      expect(e.commit).toMatch(/^[0-9a-f]{40}$/);
    }
  });
});

describe('n8n test workflows run as n8n runs them', () => {
  it.each(manifest.map((e) => [e.file, e] as const))('%s', async (_file, e) => {
    const outcome = await outcomes.get(e.file)!;
    expect(outcome.problems).toEqual([]);
  });
});
