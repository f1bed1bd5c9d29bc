import { ValidationError } from '../../src/errors';
import { checkTrigger, FLOW_CATALOGUE } from '../../src/flows/catalogue';
import { runBoundMs } from '../../src/flows/flow-runs';
import { FLOW_RUN_LIMITS } from '../../src/workflows/flow-run-contract';

describe('flow catalogue', () => {
  it("lists Zitadel's four flow types and the command flow", () => {
    expect(FLOW_CATALOGUE.map((f) => f.type)).toEqual(['externalAuthentication', 'customiseToken', 'internalAuthentication', 'customizeSAMLResponse', 'command']);
    expect(FLOW_CATALOGUE.find((f) => f.type === 'command')!.triggers.map((t) => t.type)).toEqual(['preSend', 'postCompletion', 'postTroubleshooting']);
  });

  it('names the field of an unknown flow type or trigger', () => {
    expect(() => checkTrigger('nope', 'preSend')).toThrow(ValidationError);
    expect(() => checkTrigger('command', 'preAccessTokenCreation')).toThrow(/path.triggerType: 'preAccessTokenCreation' is not a trigger of flow command/);
    expect(() => checkTrigger('command', 'preSend')).not.toThrow();
  });
});

describe('run bound', () => {
  it('is the sum of the action timeouts plus the per-step overhead and the margin', () => {
    const step = (timeoutMs: number) => ({ actionId: 'a', name: 'a', version: 1, timeoutMs, allowedToFail: false, owner: 'org' as const });
    expect(runBoundMs([step(10_000), step(2_000)])).toBe(12_000 + 2 * FLOW_RUN_LIMITS.stepOverheadMs + FLOW_RUN_LIMITS.marginMs);
  });
});
