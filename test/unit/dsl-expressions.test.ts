import { builtinRegistry } from '../../src/dsl/builtins';
import { evaluateExpression, referencedNodes, type PathScope } from '../../src/dsl/expressions';
import { runNode, type NodeRunDeps } from '../../src/dsl/node-runner';
import type { StoredRun } from '../../src/dsl/run-data';
import { runNodeScriptJob, type NodeScriptData } from '../../src/dsl/script-job';
import type { DagNode, Item } from '../../src/dsl/types';
import { createAddressPolicy } from '../../src/net/address-policy';
import { Sandbox } from '../../src/sandbox/sandbox';

const sandbox = new Sandbox();
const items: Item[] = [{ json: { amount: 150, customer: { name: 'Ada' }, tags: ['a', 'b'] } }, { json: { amount: 5 } }];
const fetched: Item[] = [{ json: { id: 7 } }, { json: { id: 8 } }];

const scope = (itemIndex = 0): PathScope => ({
  items,
  itemIndex,
  runIndex: 2,
  node: (name) => {
    if (name !== 'Fetch') throw new Error(`no ${name}`);
    return { executed: true, context: { noItemsLeft: true }, items: fetched, paired: (i) => fetched[i]! };
  },
});
const noScripts = (src: string) => {
  throw new Error(`JavaScript was evaluated: ${src}`);
};

describe('data paths', () => {
  it('reads $json, $input, $runIndex and other nodes without JavaScript', () => {
    expect(evaluateExpression('={{ $json.amount }}', scope(), noScripts)).toBe(150);
    expect(evaluateExpression('={{ $json.customer["name"] }}', scope(), noScripts)).toBe('Ada');
    expect(evaluateExpression('={{ $json.tags[1] }}', scope(), noScripts)).toBe('b');
    expect(evaluateExpression('={{ $input.first().json.amount }}', scope(), noScripts)).toBe(150);
    expect(evaluateExpression('={{ $input.item.json.amount }}', scope(1), noScripts)).toBe(5);
    expect(evaluateExpression('={{ $node["Fetch"].json.id }}', scope(1), noScripts)).toBe(8);
    expect(evaluateExpression("={{ $('Fetch').item.json.id }}", scope(1), noScripts)).toBe(8);
    expect(evaluateExpression('={{ $node["Fetch"].context["noItemsLeft"] }}', scope(), noScripts)).toBe(true);
    expect(evaluateExpression('=#{{ $runIndex }}-{{ $itemIndex }}', scope(1), noScripts)).toBe('#2-1');
  });

  it('writes values into text as n8n does: objects as [object Object], lists joined, null as nothing', () => {
    const values: Record<string, unknown> = { obj: { x: 1 }, list: [1, 2], nil: null };
    const js = (src: string) => values[src];
    expect(evaluateExpression('=a{{ obj }}b{{ list }}c{{ nil }}d', scope(), js)).toBe('a[object Object]b1,2cd');
    expect(evaluateExpression('={{ obj }}', scope(), js)).toEqual({ x: 1 });
    expect(evaluateExpression('=3,14', scope(), js)).toBe('3,14');
  });

  it('lists the nodes a parameter tree reads', () => {
    const params = { url: '={{ $json.x }}', nested: [{ v: '={{ $node["Fetch"].json.id }}' }], code: "return $('Other').all()", more: '={{ $items("Third") }}' };
    expect([...referencedNodes(params)].sort()).toEqual(['Fetch', 'Other', 'Third']);
  });
});

const data = (over: Partial<NodeScriptData> = {}): NodeScriptData => ({
  node: { name: 'N', type: 'n8n-nodes-base.set', typeVersion: 3.4 },
  items,
  runIndex: 0,
  refs: { Fetch: { items: fetched, paired: fetched, runIndex: 0 } },
  workflow: { id: 'wf_1', name: 'W', active: false },
  execution: { id: 'run_1', mode: 'manual' },
  timezone: 'Europe/Berlin',
  ...over,
});
const job = { timeoutMs: 5000, memoryBytes: 64 * 1024 * 1024 };

describe('JavaScript in the sandbox', () => {
  it("gives expressions n8n's names, Luxon in the workflow's timezone and extension methods", async () => {
    const sources = [
      '$json.amount * 2',
      "$('Fetch').item.json.id + 1",
      '$now.zoneName',
      "DateTime.fromISO('2024-01-02T03:04:05Z').toFormat('yyyy-MM-dd HH:mm')",
      "'a@b.com'.extractDomain()",
      '[1, 2, 3].sum() + $execution.id.length',
      '$workflow.name',
      '$today.hour',
    ];
    const r = await runNodeScriptJob(sandbox, { ...job, task: 'expressions', data: data(), sources, itemCount: 1 });
    expect(r).toEqual({ ok: true, values: [[{ v: 300 }, { v: 8 }, { v: 'Europe/Berlin' }, { v: '2024-01-02 04:04' }, { v: 'b.com' }, { v: 11 }, { v: 'W' }, { v: 0 }]] });
  });

  it('keeps the host out of reach and stops a script at its deadline', async () => {
    const r = await runNodeScriptJob(sandbox, { ...job, task: 'expressions', data: data(), sources: ['process.exit(1)', 'require("fs")'], itemCount: 1 });
    expect(r).toMatchObject({ ok: true, values: [[{ e: expect.stringContaining("'process' is not defined") }, { e: expect.stringContaining("'require' is not defined") }]] });
    const spin = await runNodeScriptJob(sandbox, { ...job, timeoutMs: 200, task: 'code', data: data(), jsCode: 'while (true) {}', perItem: false });
    expect(spin).toEqual({ ok: false, error: expect.stringMatching(/timeout/) });
  });

  it('runs Code with top-level await and timers, and reports the line of an error', async () => {
    const code = "await new Promise((resolve) => setTimeout(resolve, 10));\nconst sum = $input.all().reduce((a, i) => a + (i.json.amount ?? 0), 0);\nreturn [{ sum }];";
    expect(await runNodeScriptJob(sandbox, { ...job, task: 'code', data: data(), jsCode: code, perItem: false })).toEqual({ ok: true, values: [[{ v: [{ sum: 155 }] }]] });
    const thrown = await runNodeScriptJob(sandbox, { ...job, task: 'code', data: data(), jsCode: "const a = 1;\nthrow new Error('boom');", perItem: true });
    expect(thrown).toEqual({ ok: true, values: [[{ e: 'boom [line 2]' }], [{ e: 'boom [line 2]' }]] });
  });

  it('gives a whole Code run one deadline, not one per item', async () => {
    const spin = 'const t = Date.now(); while (Date.now() - t < 120) {}\nreturn $json;';
    const r = await runNodeScriptJob(sandbox, { ...job, timeoutMs: 300, task: 'code', data: data({ items: [{ json: {} }, { json: {} }, { json: {} }, { json: {} }] }), jsCode: spin, perItem: true });
    expect(r).toEqual({ ok: false, error: expect.stringMatching(/timeout/) });
  });
});

describe('a node run', () => {
  const registry = builtinRegistry();
  const rows = new Map<string, StoredRun>([[JSON.stringify(['Fetch', 0]), { source: [], outputs: [fetched] }]]);
  const deps: NodeRunDeps = {
    registry,
    reader: { read: async (n, r) => rows.get(JSON.stringify([n, r])) },
    lastRun: (n) => (n === 'Fetch' ? 0 : undefined),
    contextOf: async () => undefined,
    scripts: (job) => runNodeScriptJob(sandbox, job),
    outbound: createAddressPolicy([]),
    signal: new AbortController().signal,
  };
  const meta = { workflow: { id: 'wf', name: 'W', active: false }, execution: { id: 'run', mode: 'manual' }, timezone: 'UTC' };
  const set = (value: string): DagNode => ({
    name: 'Set',
    type: 'n8n-nodes-base.set',
    typeVersion: 3.4,
    parameters: { assignments: { assignments: [{ id: '1', name: 'out', value, type: 'string' }] } },
  });

  it('resolves paths and JavaScript per item and pairs other nodes through the items it came from', async () => {
    const out = await runNode(
      { node: set("={{ $json.amount }}/{{ $('Fetch').item.json.id }}/{{ $json.amount > 100 ? 'big' : 'small' }}"), inputs: [fetched.map((f) => ({ json: { amount: f.json.id } }))], source: [{ node: 'Fetch', output: 0, run: 0 }], runIndex: 0, context: {}, meta },
      deps,
    );
    expect(out[0]!.map((i) => i.json)).toEqual([{ out: '7/7/small' }, { out: '8/8/small' }]);
  });

  it("fails an item's expression on its own; with continueOnFail the item becomes {error}", async () => {
    const node = { ...set('={{ $json.missing.deeper }}'), onError: 'continueRegularOutput' as const };
    const out = await runNode({ node, inputs: [[{ json: { missing: { deeper: 1 } } }, { json: {} }]], source: [null], runIndex: 0, context: {}, meta }, deps);
    expect(out[0]).toEqual([
      { json: { out: '1' }, pairedItem: { item: 0 } },
      { json: { error: expect.stringContaining('deeper') }, pairedItem: { item: 1 } },
    ]);
  });
});
