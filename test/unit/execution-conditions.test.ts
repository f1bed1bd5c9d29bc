import { candidateConditions, conditionProblem } from '../../src/targets/executions';

describe('execution conditions', () => {
  it('accepts the documented forms', () => {
    for (const c of ['request', 'response', 'event', 'request/SendCommand', 'response/SendCommand', 'function/enrich-user', 'event/command.sent', 'event/command.*', 'event/a.b.*']) {
      expect(conditionProblem(c)).toBeNull();
    }
  });

  it('names what is wrong with the others', () => {
    expect(conditionProblem('request/Nope')).toMatch(/unknown operation 'Nope'/);
    expect(conditionProblem('banana/x')).toMatch(/unknown kind 'banana'/);
    expect(conditionProblem('function/')).not.toBeNull();
    expect(conditionProblem('function/a/b')).not.toBeNull();
    expect(conditionProblem('event/*')).not.toBeNull();
    expect(conditionProblem('event/a..b')).not.toBeNull();
  });

  it('lists candidates best first: exact, then groups longest first, then all', () => {
    expect(candidateConditions('event', 'shop.order.paid')).toEqual(['event/shop.order.paid', 'event/shop.order.*', 'event/shop.*', 'event']);
    expect(candidateConditions('event', 'ping')).toEqual(['event/ping', 'event']);
    expect(candidateConditions('request', 'SendCommand')).toEqual(['request/SendCommand', 'request']);
    expect(candidateConditions('function', 'f')).toEqual(['function/f']);
  });
});
