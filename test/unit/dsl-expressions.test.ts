import { evaluate, referencedNodes, resolveParameters, resolveParametersAsync } from '../../src/dsl/expressions';
import { runCode, sandboxEvaluator } from '../../src/dsl/scripts';

const scope = {
  input: [{ json: { amount: 150, customer: { name: 'Ada' }, tags: ['a', 'b'] } }, { json: { amount: 5 } }],
  itemIndex: 0,
  nodes: { Fetch: [{ json: { id: 7 } }] },
};

describe('expressions', () => {
  it('reads $json, $input and other nodes without evaluating JavaScript', () => {
    expect(evaluate('={{ $json.amount }}', scope)).toBe(150);
    expect(evaluate('={{ $json.customer["name"] }}', scope)).toBe('Ada');
    expect(evaluate('={{ $json.tags[1] }}', scope)).toBe('b');
    expect(evaluate('={{ $input.first().json.amount }}', scope)).toBe(150);
    expect(evaluate('={{ $input.item.json.amount }}', { ...scope, itemIndex: 1 })).toBe(5);
    expect(evaluate('={{ $node["Fetch"].json.id }}', scope)).toBe(7);
    expect(evaluate("={{ $('Fetch').item.json.id }}", scope)).toBe(7);
    expect(evaluate('=Hello {{ $json.customer.name }} #{{ $node["Fetch"].json.id }}', scope)).toBe('Hello Ada #7');
  });

  it('leaves anything that is not a data path to the sandbox', () => {
    expect(() => evaluate('={{ this.constructor.constructor("return process")() }}', scope)).toThrow('unsupported expression');
    expect(() => evaluate('={{ $json.a + 1 }}', scope)).toThrow('unsupported expression');
  });

  it('resolves a parameter tree and lists the nodes it reads', () => {
    const params = { url: '={{ $json.customer.name }}', nested: [{ v: '={{ $node["Fetch"].json.id }}' }], plain: 3 };
    expect(resolveParameters(params, scope)).toEqual({ url: 'Ada', nested: [{ v: 7 }], plain: 3 });
    expect([...referencedNodes(params)]).toEqual(['Fetch']);
  });

  it('runs other JavaScript expressions in the sandbox, not in the host', async () => {
    const params = { total: '={{ $json.amount * 2 }}', who: "=Hi {{ $('Fetch').first().json.id + 1 }}", path: '={{ $json.customer.name }}' };
    expect(await resolveParametersAsync(params, scope, sandboxEvaluator)).toEqual({ total: 300, who: 'Hi 8', path: 'Ada' });
    await expect(resolveParametersAsync('={{ process.exit(1) }}', scope, sandboxEvaluator)).rejects.toThrow("'process' is not defined");
    await expect(resolveParametersAsync('={{ (() => { while (true) {} })() }}', scope, sandboxEvaluator)).rejects.toThrow(/interrupted|timeout|deadline/i);
  });

  it('runs Code node JavaScript for all items or per item', async () => {
    const input = [{ json: { n: 1 } }, { json: { n: 2 } }];
    expect(await runCode('return items.map((i) => ({ json: { n: i.json.n * 10 } }));', false, input, {})).toEqual([{ json: { n: 10 } }, { json: { n: 20 } }]);
    expect(await runCode('return { m: $json.n + item.json.n, from: $("Fetch").first().json.id };', true, input, { Fetch: [{ json: { id: 7 } }] })).toEqual([
      { json: { m: 2, from: 7 } },
      { json: { m: 4, from: 7 } },
    ]);
  });
});
