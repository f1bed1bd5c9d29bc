// The pure parts of the triggers: n8n's schedule rules as Temporal schedule specs, n8n's
// schedule item, the parameters of Webhook and Schedule Trigger nodes at save time, and the
// credential a node must name.
import { scheduleItem } from '../../src/activities/n8n';
import { scheduleSpec } from '../../src/dag/triggers';
import { builtinRegistry } from '../../src/dsl/builtins';
import { validateDefinition } from '../../src/dsl/validate';

const registry = builtinRegistry();
const def = (node: Record<string, unknown>) => ({
  nodes: [{ name: 'T', typeVersion: 1, position: [0, 0], ...node }],
  connections: {},
});

describe('Schedule Trigger', () => {
  it('turns each n8n rule into a Temporal interval or cron expression in the workflow timezone', () => {
    const spec = scheduleSpec(
      [
        { field: 'seconds', secondsInterval: 30 },
        { field: 'minutes', minutesInterval: 5 },
        { field: 'hours', hoursInterval: 2, triggerAtMinute: 15 },
        { field: 'days', daysInterval: 1, triggerAtHour: 9, triggerAtMinute: 30 },
        { field: 'weeks', weeksInterval: 1, triggerAtDay: [1, 5], triggerAtHour: 8, triggerAtMinute: 0 },
        { field: 'months', monthsInterval: 3, triggerAtDayOfMonth: 15, triggerAtHour: 6, triggerAtMinute: 45 },
        { field: 'cronExpression', expression: '0 12 * * 1-5' },
      ],
      'Europe/Paris',
    );
    expect(spec).toEqual({
      intervals: [{ every: 30_000 }, { every: 300_000 }],
      cronExpressions: ['15 */2 * * *', '30 9 */1 * *', '0 8 * * 1,5', '45 6 15 */3 *', '0 12 * * 1-5'],
      timezone: 'Europe/Paris',
    });
  });

  it("writes n8n's item for the time it fired, in the timezone", () => {
    const item = scheduleItem(Date.UTC(2026, 10, 29, 20, 5, 9), 'Europe/Paris');
    expect(item).toEqual({
      timestamp: '2026-11-29T21:05:09.000+01:00',
      'Readable date': 'November 29th 2026, 9:05:09 pm',
      'Readable time': '9:05:09 pm',
      'Day of week': 'Sunday',
      Year: '2026',
      Month: 'November',
      'Day of month': '29',
      Hour: '21',
      Minute: '05',
      Second: '09',
      Timezone: 'Europe/Paris (UTC+01:00)',
    });
    expect(scheduleItem(Date.UTC(2026, 0, 1, 0, 0, 0), 'UTC')['Readable date']).toBe('January 1st 2026, 12:00:00 am');
    expect(scheduleItem(Date.UTC(2026, 0, 12, 11, 0, 0), 'UTC')['Readable date']).toBe('January 12th 2026, 11:00:00 am');
  });

  it('defaults to every day at midnight and refuses weeksInterval above 1', () => {
    expect(validateDefinition(def({ type: 'n8n-nodes-base.scheduleTrigger', typeVersion: 1.2, parameters: {} }), registry).issues).toEqual([]);
    const weeks = validateDefinition(def({ type: 'n8n-nodes-base.scheduleTrigger', typeVersion: 1.2, parameters: { rule: { interval: [{ field: 'weeks', weeksInterval: 2 }] } } }), registry);
    expect(weeks.issues[0]).toMatchObject({ node: 'T', field: expect.stringContaining('weeksInterval') });
  });
});

describe('Webhook', () => {
  it('needs a one-segment path', () => {
    expect(validateDefinition(def({ type: 'n8n-nodes-base.webhook', typeVersion: 2, parameters: { path: 'orders' } }), registry).issues).toEqual([]);
    const nested = validateDefinition(def({ type: 'n8n-nodes-base.webhook', typeVersion: 2, parameters: { path: 'a/:id' } }), registry);
    expect(nested.issues[0]).toMatchObject({ node: 'T', field: 'definition.nodes[0].parameters.path' });
  });

  it('names the credential a header-authenticated webhook must give', () => {
    const issues = validateDefinition(def({ type: 'n8n-nodes-base.webhook', typeVersion: 2, parameters: { path: 'x', authentication: 'headerAuth' } }), registry).issues;
    expect(issues).toEqual([expect.objectContaining({ field: 'definition.nodes[0].credentials.httpHeaderAuth', node: 'T' })]);
    const named = def({ type: 'n8n-nodes-base.webhook', typeVersion: 2, parameters: { path: 'x', authentication: 'headerAuth' }, credentials: { httpHeaderAuth: { name: 'Hook' } } });
    expect(validateDefinition(named, registry).issues).toEqual([]);
  });
});
