import { dagCommandId } from '../../src/activities/dag';
import { COMMAND_ID_RE } from '../../src/commands/model';
import { builtinRegistry } from '../../src/dsl/builtins';
import { validateDefinition } from '../../src/dsl/validate';

const registry = builtinRegistry();
const start = { name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {} };
const send = (parameters: Record<string, unknown>) => ({ name: 'Send it!', type: 'cadenza.sendCommand', typeVersion: 1, parameters });
const plan = (parameters: Record<string, unknown>) =>
  validateDefinition({ nodes: [start, send(parameters)], connections: { Start: { main: [[{ node: 'Send it!', type: 'main', index: 0 }]] } } }, registry);

describe('cadenza.sendCommand', () => {
  it('plans a command node that waits 24 h by default, or timeoutSeconds', () => {
    expect(plan({ domain: 'demo', type: 'echo' }).plan!.nodes[1]).toMatchObject({ kind: 'command', command: { timeoutMs: 86_400_000 } });
    expect(plan({ domain: '={{ $json.d }}', type: 'echo', timeoutSeconds: 5 }).plan!.nodes[1]!.command).toEqual({ timeoutMs: 5000 });
  });

  it('rejects a bad domain, commandId or timeout with their paths', () => {
    const { issues } = plan({ domain: 'Bad Domain', type: 'echo', commandId: 'has space', timeoutSeconds: 31 * 86_400 });
    expect(issues.map((i) => i.field)).toEqual(
      expect.arrayContaining(['definition.nodes[1].parameters.domain', 'definition.nodes[1].parameters.commandId', 'definition.nodes[1].parameters.timeoutSeconds']),
    );
  });

  it('derives valid command ids that only a new try or item changes', () => {
    const base = { runId: 'run_0123456789abcdef', node: send({}) };
    const first = dagCommandId({ ...base, attempt: 1 }, 0, undefined);
    expect(first).toMatch(COMMAND_ID_RE);
    expect(dagCommandId({ ...base, attempt: 1 }, 0, undefined)).toBe(first);
    expect(dagCommandId({ ...base, attempt: 2 }, 0, undefined)).toBe(`${first}.2`);
    expect(dagCommandId({ ...base, attempt: 1 }, 1, undefined)).not.toBe(first);
    expect(dagCommandId({ ...base, attempt: 1 }, 0, 'order-7')).toBe('order-7');
    expect(dagCommandId({ ...base, attempt: 3 }, 0, 'order-7')).toBe('order-7.3');
  });
});
