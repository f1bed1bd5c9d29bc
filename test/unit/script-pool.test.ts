// The script thread pool runs real threads from the build (dist/), as the worker does.
import type { RunScriptResult } from '../../src/sandbox/sandbox';
import type { SandboxJob, ScriptThreadPool as Pool } from '../../src/actions/script';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ScriptThreadPool, SCRIPT_QUEUE_PER_TENANT } = require('../../dist/actions/script') as { ScriptThreadPool: typeof Pool; SCRIPT_QUEUE_PER_TENANT: number };

const spin = (ms: number): SandboxJob => ({ kind: 'script', input: { source: `const end = Date.now() + ${ms}; while (Date.now() < end) {} 'spun'`, timeoutMs: 5000 } });
const quick = (value: number): SandboxJob => ({ kind: 'script', input: { source: String(value), timeoutMs: 5000 } });

describe('script thread pool', () => {
  let pool: Pool;
  afterEach(async () => {
    await pool.close();
  });

  it("keeps a thread for other tenants: one tenant's queue of spinning scripts does not delay another's", async () => {
    pool = new ScriptThreadPool(2);
    // Both threads started (and their sandboxes loaded) first, so the test is about turns only.
    await Promise.all([pool.run('tenant-a', quick(0)), pool.run('tenant-b', quick(0))]);
    const order: string[] = [];
    const track = (name: string, p: Promise<RunScriptResult>) => p.then((r) => order.push(`${name}:${r.ok ? 'ok' : r.error.kind}`));
    const noisy = Array.from({ length: 4 }, (_, i) => track(`a${i}`, pool.run('tenant-a', spin(1000))));
    const quiet = track('b', pool.run('tenant-b', quick(1)));
    await Promise.all([...noisy, quiet]);
    expect(order[0]).toBe('b:ok');
    expect(order.filter((x) => x.startsWith('a'))).toEqual(['a0:ok', 'a1:ok', 'a2:ok', 'a3:ok']);
  });

  it('serves waiting tenants in turn', async () => {
    pool = new ScriptThreadPool(1);
    const order: string[] = [];
    const jobs = [
      ...Array.from({ length: 3 }, (_, i) => pool.run('tenant-a', quick(i)).then(() => order.push(`a${i}`))),
      ...Array.from({ length: 2 }, (_, i) => pool.run('tenant-b', quick(i)).then(() => order.push(`b${i}`))),
    ];
    await Promise.all(jobs);
    expect(order).toEqual(['a0', 'a1', 'b0', 'a2', 'b1']);
  });

  it(`refuses a tenant's script at once when ${SCRIPT_QUEUE_PER_TENANT} of its scripts already wait`, async () => {
    pool = new ScriptThreadPool(1);
    const results = await Promise.all(Array.from({ length: SCRIPT_QUEUE_PER_TENANT + 2 }, (_, i) => pool.run('tenant-a', quick(i))));
    expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.error.kind)).toEqual(['busy']);
    expect(await pool.run('tenant-b', quick(7))).toMatchObject({ ok: true, value: 7 });
  });
});
