import { allRoutes } from '../../src/api/routes';
import { requestOf } from '../../src/cli/verbs';
import { VERBS } from '../../src/cli/resources';

// Routes the CLI does not wrap: probes and scrapes for machines, not operators at a terminal.
// Webhook calls come from the systems that trigger workflows, not from an operator.
const HOOKS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].map((m) => `${m} /v1/hooks/{instanceId}/{hookPath}`);
const NOT_CLI = ['GET /healthz', 'GET /readyz', 'GET /metrics', ...HOOKS];

describe('the cadenza command', () => {
  it('has a command for every route of the API', () => {
    const covered = new Set(VERBS.flatMap((v) => [`${v.method} ${v.path}`, ...(v.instance ? [`${v.method} ${v.path.replace(/^\/v1\//, '/v1/instance/')}`] : [])]));
    const missing = allRoutes.map((r) => `${r.method.toUpperCase()} ${r.path}`).filter((r) => !NOT_CLI.includes(r) && !covered.has(r));
    expect(missing).toEqual([]);
    const unknown = [...covered].filter((c) => !allRoutes.some((r) => `${r.method.toUpperCase()} ${r.path}` === c));
    expect(unknown).toEqual([]);
  });

  it('builds requests from arguments and options', () => {
    const send = VERBS.find((v) => v.command === 'commands send')!;
    expect(requestOf(send, ['billing', 'Charge'], { payload: '{"a":1}', maxAttempts: '2', backoff: '10,20', correlationId: 'c-1' })).toEqual({
      method: 'POST',
      path: '/v1/commands',
      query: undefined,
      body: { domain: 'billing', type: 'Charge', payload: { a: 1 }, maxAttempts: 2, backoffMs: [10, 20], correlationId: 'c-1' },
    });
    const actions = VERBS.find((v) => v.command === 'actions get')!;
    expect(requestOf(actions, ['a/1'], { instance: true }).path).toBe('/v1/instance/actions/a%2F1');
    const instance = VERBS.find((v) => v.command === 'instances create')!;
    expect(requestOf(instance, [], { id: 'acme', name: 'Acme', actionQuotaSeconds: '60', logRetentionDays: '14' }).body).toEqual({
      id: 'acme',
      name: 'Acme',
      limits: { actionQuotaSecondsPerMonth: 60, logRetentionDays: 14 },
    });
    const retry = VERBS.find((v) => v.command === 'tsq retry')!;
    expect(requestOf(retry, ['demo', 'x'], {}).body).toEqual({});
    const execution = VERBS.find((v) => v.command === 'executions set')!;
    expect(requestOf(execution, [], { condition: 'function/f', targets: 't1,t2' }).body).toEqual({ condition: 'function/f', targets: [{ target: 't1' }, { target: 't2' }] });
    expect(() => requestOf(send, ['d', 't'], { maxAttempts: 'two' })).toThrow(/--max-attempts must be an integer/);
    expect(() => requestOf(VERBS.find((v) => v.command === 'tsq cancel')!, ['d', 'x'], {})).toThrow(/--reason is required/);
  });
});
