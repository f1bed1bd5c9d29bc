import { Engine, type EnginePlan } from '../../src/dsl/engine';
import { edgesOf } from '../../src/dsl/graph';

const links = (...l: [string, string, number?, number?][]) => {
  const connections: Record<string, { main: { node: string; type: string; index: number }[][] }> = {};
  for (const [from, to, output = 0, input = 0] of l) {
    const main = (connections[from] ??= { main: [] }).main;
    while (main.length <= output) main.push([]);
    main[output]!.push({ node: to, type: 'main', index: input });
  }
  return edgesOf({ nodes: [], connections });
};

/** Runs the plan to the end; every node emits `counts(node)` items per output. Returns the order of runs. */
function order(plan: EnginePlan, start: string, counts: (node: string) => number[] = () => [1]): string[] {
  const e = new Engine(plan);
  e.begin(start, [1]);
  const ran: string[] = [];
  for (let task = e.next(); task; task = e.next()) {
    ran.push(task.node);
    e.complete(task, counts(task.node));
  }
  return ran;
}

const at = (name: string, x: number, y: number) => ({ name, position: [x, y] as [number, number] });

describe("n8n's execution order", () => {
  const nodes = [at('T', 0, 0), at('Top', 200, -100), at('Bottom', 200, 100), at('TopNext', 400, -100), at('BottomNext', 400, 100)];
  const edges = links(['T', 'Bottom'], ['T', 'Top'], ['Top', 'TopNext'], ['Bottom', 'BottomNext']);

  it('v1 finishes the top branch before the bottom one', () => {
    expect(order({ nodes, edges, order: 'v1' }, 'T')).toEqual(['Top', 'TopNext', 'Bottom', 'BottomNext']);
  });

  it('the legacy order runs breadth first, in connection order', () => {
    expect(order({ nodes, edges, order: 'legacy' }, 'T')).toEqual(['Bottom', 'Top', 'BottomNext', 'TopNext']);
  });

  it('runs a node fed by two branches into one input once per branch', () => {
    const plan = { nodes: [at('T', 0, 0), at('A', 1, 0), at('B', 1, 1), at('J', 2, 0)], edges: links(['T', 'A'], ['T', 'B'], ['A', 'J'], ['B', 'J']), order: 'v1' as const };
    expect(order(plan, 'T')).toEqual(['A', 'J', 'B', 'J']);
  });

  it('waits for every input of a node with several inputs; v1 then runs it with what came, the legacy order does not', () => {
    const edges2 = links(['T', 'If'], ['If', 'M', 0, 0], ['T', 'M', 0, 1]);
    const nodes2 = [at('T', 0, 0), at('If', 1, 0), at('M', 2, 0)];
    // The If sends nothing on output 0, so M's first input never gets data.
    const counts = (n: string) => (n === 'If' ? [0, 1] : [1]);
    expect(order({ nodes: nodes2, edges: edges2, order: 'v1' }, 'T', counts)).toEqual(['If', 'M']);
    expect(order({ nodes: nodes2, edges: edges2, order: 'legacy' }, 'T', counts)).toEqual(['If']);
    const e = new Engine({ nodes: nodes2, edges: edges2, order: 'v1' });
    e.begin('T', [1]);
    e.complete(e.next()!, [0, 1]);
    expect(e.next()).toEqual({ node: 'M', inputs: [null, { node: 'T', output: 0, run: 0, count: 1 }] });
  });

  it('v1 does not release a waiting node whose required inputs got nothing (Merge choosing a branch)', () => {
    const edges2 = links(['T', 'If'], ['If', 'Choose', 0, 0], ['If', 'Choose', 1, 1], ['If', 'Append', 0, 0], ['If', 'Append', 1, 1]);
    const nodes2 = [at('T', 0, 0), at('If', 1, 0), { ...at('Choose', 2, 0), requiredInputs: [0, 1] }, { ...at('Append', 2, 1), requiredInputs: 1 }];
    expect(order({ nodes: nodes2, edges: edges2, order: 'v1' }, 'T', (n) => (n === 'If' ? [0, 2] : [1]))).toEqual(['If', 'Append']);
  });

  it('loops until the loop node stops emitting, and keeps every run', () => {
    const plan = { nodes: [at('T', 0, 0), at('Loop', 1, 0), at('Work', 2, 0)], edges: links(['T', 'Loop'], ['Loop', 'Work'], ['Work', 'Loop']), order: 'v1' as const };
    let left = 3;
    const e = new Engine(plan);
    e.begin('T', [1]);
    const ran: string[] = [];
    for (let task = e.next(); task; task = e.next()) {
      ran.push(task.node);
      e.complete(task, task.node === 'Loop' ? [left-- > 0 ? 1 : 0] : [1]);
    }
    expect(ran).toEqual(['Loop', 'Work', 'Loop', 'Work', 'Loop', 'Work', 'Loop']);
    expect(e.runsOf('Loop')).toHaveLength(4);
    expect(new Engine(plan, e.snapshot()).runsOf('Work')).toHaveLength(3);
  });
});
