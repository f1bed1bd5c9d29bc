import { builtinRegistry } from '../../src/dsl/builtins';
import { blocks, nodeRefsIn, parseDataPath, segments, work } from '../../src/dsl/tokenizer';
import { validateDefinition } from '../../src/dsl/validate';

const registry = builtinRegistry();

/** A definition whose one Set value is `value`, as a validate request would carry it. */
const definitionWith = (value: string) => ({
  nodes: [
    { name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {} },
    { name: 'Set', type: 'n8n-nodes-base.set', typeVersion: 3.4, parameters: { assignments: { assignments: [{ name: 'x', value, type: 'string' }] } } },
  ],
  connections: { Start: { main: [[{ node: 'Set', type: 'main', index: 0 }]] } },
});

/** Scanner steps the validator takes for a value of `size` characters built by repeating `unit`. */
function stepsFor(unit: string, size: number): number {
  const value = `=${unit.repeat(Math.ceil(size / unit.length))}`;
  const before = work.steps;
  validateDefinition(definitionWith(value), registry);
  return work.steps - before;
}

describe('expression scanning', () => {
  it('splits text and {{ }} blocks, reads data paths, and finds node references', () => {
    expect(segments(' a {{ $json.x }} b {{c}}')).toEqual([{ text: ' a ' }, { code: '$json.x' }, { text: ' b ' }, { code: 'c' }]);
    expect(blocks('={{ 1 }}{{ 2 }')).toEqual(['1']);
    expect(parseDataPath('$json.a["b c"][0]')).toEqual({ root: '$json', steps: [{ key: 'a' }, { key: 'b c' }, { key: 0 }] });
    expect(parseDataPath("$('My node').item.json.id")).toEqual({ root: '$node', node: 'My node', steps: [{ key: 'item' }, { key: 'json' }, { key: 'id' }] });
    expect(parseDataPath('$json.a + 1')).toBeUndefined();
    expect([...nodeRefsIn(`$('A') + $node["B"].json + $items('C') + $("unclosed`, new Set())]).toEqual(['A', 'B', 'C']);
  });

  // Issue 12, finding 6: 200 KB of `{{{{…` or `$('$('…` took seconds with backtracking regexes.
  it.each([
    ['{{{{', '{{'],
    ["$('$('", "$('"],
    ['{{ $("$(\'', '{{ $("$(\''],
  ])('validates 200 KB of %s in work linear in its size', (_name, unit) => {
    const small = stepsFor(unit, 100_000);
    const large = stepsFor(unit, 200_000);
    expect(large).toBeLessThanOrEqual(4 * 200_000);
    // Twice the input, at most a little over twice the work: linear, not quadratic.
    expect(large / small).toBeLessThan(2.2);
  });
});
