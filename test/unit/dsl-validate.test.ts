import fs from 'node:fs';
import path from 'node:path';
import { builtinRegistry } from '../../src/dsl/builtins';
import { validateWithScripts } from '../../src/dsl/scripts';
import { validateDefinition } from '../../src/dsl/validate';
import { Sandbox } from '../../src/sandbox/sandbox';

const registry = builtinRegistry();
const fixture = () => JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/n8n/order-routing.json'), 'utf8'));

const node = (name: string, type = 'n8n-nodes-base.noOp', extra: Record<string, unknown> = {}) => ({ name, type, typeVersion: 1, parameters: {}, ...extra });
const trigger = node('Start', 'n8n-nodes-base.manualTrigger');
const link = (...targets: string[]) => ({ main: [targets.map((t) => ({ node: t, type: 'main', index: 0 }))] });

describe('workflow definition validation', () => {
  it('accepts an n8n export with If, Set, HTTP Request and Merge unchanged', () => {
    const result = validateDefinition(fixture(), registry);
    expect(result.issues).toEqual([]);
    expect(result.plan!.nodes.map((n) => n.name)).toContain('Merge');
    expect(result.plan!.edges).toHaveLength(5);
  });

  it('accepts loops, as n8n does, and bounds their node runs with settings.maxNodeRuns', () => {
    const def = { nodes: [trigger, node('A'), node('B'), node('C')], connections: { Start: link('A'), A: link('B'), B: link('C'), C: link('A') }, settings: { maxNodeRuns: 50 } };
    const { issues, plan } = validateDefinition(def, registry);
    expect(issues).toEqual([]);
    expect(plan).toMatchObject({ maxNodeRuns: 50, order: 'legacy' });
    expect(validateDefinition({ ...def, settings: { maxNodeRuns: 10_001 } }, registry).issues[0]).toMatchObject({ field: 'definition.settings.maxNodeRuns' });
  });

  it('accepts sticky notes and never plans them to run', () => {
    const def = { nodes: [trigger, node('Note', 'n8n-nodes-base.stickyNote', { parameters: { content: '# hi' } })], connections: {}, settings: { executionOrder: 'v1' } };
    const { plan } = validateDefinition(def, registry);
    expect(plan!.nodes.map((n) => n.name)).toEqual(['Start']);
    expect(plan!.order).toBe('v1');
  });

  it('refuses node names that are object prototype keys', () => {
    const { issues } = validateDefinition({ nodes: [trigger, node('__proto__')], connections: {} }, registry);
    expect(issues).toEqual([expect.objectContaining({ field: 'definition.nodes[1].name', message: expect.stringContaining('__proto__') })]);
  });

  it('returns every error at once, each with the node name and a JSON path', () => {
    const def = {
      nodes: [
        node('A', 'n8n-nodes-base.nope'),
        node('B', 'n8n-nodes-base.set', { typeVersion: 9 }),
        node('B'),
        node('Call', 'n8n-nodes-base.httpRequest', { typeVersion: 4.2, parameters: { method: 'FETCH' } }),
        node('Expr', 'n8n-nodes-base.set', { typeVersion: 3.4, parameters: { assignments: { assignments: [{ name: 'x', value: '={{ process.exit() }}' }] } } }),
        node('Code', 'n8n-nodes-base.code', { typeVersion: 2, parameters: { mode: 'everyItem' } }),
        node('Flaky', 'n8n-nodes-base.noOp', { onError: 'fallback' }),
      ],
      connections: { A: link('Ghost'), Nobody: link('A') },
    };
    const { issues } = validateDefinition(def, registry);
    const byField = Object.fromEntries(issues.map((i) => [i.field, i]));
    expect(byField['definition.nodes[0].type']).toMatchObject({ node: 'A', message: "unknown node type 'n8n-nodes-base.nope' (node 'A', typeVersion 1); see the supported types in the README" });
    expect(byField['definition.nodes[1].typeVersion']).toMatchObject({ node: 'B', message: "n8n-nodes-base.set has no version 9 (node 'B'; supported: 1, 2, 3, 3.1, 3.2, 3.3, 3.4)" });
    expect(byField['definition.nodes[2].name']).toMatchObject({ node: 'B', message: "duplicate node name 'B'" });
    expect(byField['definition.nodes[3].parameters.method']).toMatchObject({ node: 'Call' });
    expect(byField['definition.nodes[3].parameters.url']).toMatchObject({ node: 'Call' });
    expect(byField['definition.nodes[5].parameters.mode']).toMatchObject({ node: 'Code' });
    expect(byField['definition.nodes[6].cadenza.fallbackNode']).toMatchObject({ node: 'Flaky' });
    expect(byField['definition.connections.A.main[0][0].node']).toMatchObject({ node: 'A', message: "connection to missing node 'Ghost'" });
    expect(byField['definition.connections.Nobody']).toMatchObject({ message: "connection from missing node 'Nobody'" });
    expect(byField['definition.nodes']).toMatchObject({ message: expect.stringContaining('no start node') });
  });

  it('enforces the node and size limits', () => {
    const many = { nodes: Array.from({ length: 501 }, (_, i) => node(`N${i}`)), connections: {} };
    expect(validateDefinition(many, registry).issues).toEqual([expect.objectContaining({ field: 'definition.nodes', message: 'must have at most 500 nodes' })]);
    const big = { nodes: [{ ...trigger, parameters: { blob: 'x'.repeat(1024 * 1024) } }], connections: {} };
    expect(validateDefinition(big, registry).issues[0]).toMatchObject({ field: 'definition', message: expect.stringContaining('the limit is 1048576 bytes') });
  });

  it('rejects outputs a node does not have, and a fallback node that has inputs', () => {
    const def = {
      nodes: [trigger, node('A', 'n8n-nodes-base.noOp', { onError: 'fallback', cadenza: { fallbackNode: 'B' } }), node('B')],
      connections: { Start: link('A'), A: { main: [[{ node: 'B', type: 'main', index: 0 }], [{ node: 'B', type: 'main', index: 0 }]] } },
    };
    const fields = validateDefinition(def, registry).issues.map((i) => i.field);
    expect(fields).toEqual(expect.arrayContaining(['definition.connections.A.main[1]', 'definition.nodes[1].cadenza.fallbackNode']));
  });

  it('plans retries from retryOnFail, maxTries, waitBetweenTries and the backoff extension', () => {
    const def = {
      nodes: [trigger, node('A', 'n8n-nodes-base.noOp', { retryOnFail: true, maxTries: 4, waitBetweenTries: 200, cadenza: { backoffCoefficient: 2, maxWaitBetweenTries: 1000 } })],
      connections: { Start: link('A') },
      settings: { executionTimeout: 60, maxParallel: 3 },
    };
    const { plan } = validateDefinition(def, registry);
    expect(plan!.nodes[1]!.retry).toEqual({ maximumAttempts: 4, initialIntervalMs: 200, backoffCoefficient: 2, maximumIntervalMs: 1000 });
    expect(plan).toMatchObject({ maxParallel: 3, executionTimeoutMs: 60_000 });
  });

  it('reports syntax errors in expressions and Code nodes, compiled in the sandbox', async () => {
    const def = {
      nodes: [
        trigger,
        node('Expr', 'n8n-nodes-base.set', { typeVersion: 3.4, parameters: { assignments: { assignments: [{ name: 'x', value: '={{ $json.a + }}' }] } } }),
        node('Code', 'n8n-nodes-base.code', { typeVersion: 2, parameters: { jsCode: 'return items.map((i) => {' } }),
      ],
      connections: { Start: link('Expr'), Expr: link('Code') },
    };
    const { issues, plan } = await validateWithScripts(new Sandbox(), def, registry);
    expect(plan).toBeUndefined();
    expect(issues).toEqual([
      expect.objectContaining({ node: 'Expr', field: 'definition.nodes[1].parameters.assignments.assignments[0].value', message: expect.stringContaining('syntax error') }),
      expect.objectContaining({ node: 'Code', field: 'definition.nodes[2].parameters.jsCode', message: expect.stringContaining('syntax error') }),
    ]);
  });
});
