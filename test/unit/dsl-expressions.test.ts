import { evaluate, referencedNodes, resolveParameters } from '../../src/dsl/expressions';

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

  it('refuses anything that is not a data path', () => {
    expect(() => evaluate('={{ this.constructor.constructor("return process")() }}', scope)).toThrow('unsupported expression');
    expect(() => evaluate('={{ $json.a + 1 }}', scope)).toThrow('unsupported expression');
  });

  it('resolves a parameter tree and lists the nodes it reads', () => {
    const params = { url: '={{ $json.customer.name }}', nested: [{ v: '={{ $node["Fetch"].json.id }}' }], plain: 3 };
    expect(resolveParameters(params, scope)).toEqual({ url: 'Ada', nested: [{ v: 7 }], plain: 3 });
    expect([...referencedNodes(params)]).toEqual(['Fetch']);
  });
});
