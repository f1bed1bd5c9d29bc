// Command retention on the real services: the hourly schedule deletes the commands that finished
// longer ago than their instance's command_retention_days, with their audit events, in batches;
// it keeps commands still waiting in the troubleshooting queue, recent ones, and other instances'
// within their own retention; and the event log stays closed to every other deletion.
import crypto from 'node:crypto';
import { COMMAND_RETENTION_BATCH_SIZE, commandRetentionScheduleId } from '../../src/commands/retention';
import { SYSTEM, transaction } from '../../src/db/db';
import { dispatcherCheckpoint } from '../../src/eventstore/eventstore';
import { call, newTenant, startHarness, startWorkerProcess, systemQuery, waitFor, type Harness, type TestTenant, type WorkerProcess } from '../helpers/harness';

let h: Harness;
let worker: WorkerProcess;
beforeAll(async () => {
  h = await startHarness();
  worker = await startWorkerProcess(h, { CADENZA_DEMO_HANDLERS: 'true' });
}, 90_000);
afterAll(async () => {
  await worker?.stop();
  await h?.close();
});

const id = () => `ret-${crypto.randomBytes(5).toString('hex')}`;

/** Sends a command and waits until it reaches a status matching `done`. */
async function settled(t: TestTenant, type: string, done: (status: string) => boolean, extra: object = {}): Promise<string> {
  const client = await t.client('operator');
  const commandId = id();
  await client.sendCommand({ domain: 'demo', type, commandId, payload: {}, ...extra });
  await client.waitForCommand('demo', commandId, (c) => done(c.status));
  return commandId;
}

/** Moves commands `days` into the past, as if they had been sent and finished then. */
async function age(instanceId: string, commandIds: string[], days: number): Promise<void> {
  await systemQuery(h, `UPDATE commands SET created_at = now() - make_interval(days => $3), updated_at = now() - make_interval(days => $3) WHERE instance_id = $1 AND command_id = ANY($2)`, [
    instanceId,
    commandIds,
    days,
  ]);
}

/** `n` old COMPLETED commands with two events each, written as the projection writes them. */
async function seedFinished(instanceId: string, n: number, days: number): Promise<void> {
  await transaction(h.ctx.db, SYSTEM, async (tx) => {
    await tx.query(
      `INSERT INTO commands (instance_id, domain, command_id, type, status, correlation_id, payload, request_hash, policy, max_attempts, created_at, updated_at, dispatched_at)
       SELECT $1, 'seed', 'old-' || $3::int || '-' || i, 'Seeded', 'COMPLETED', 'c', '{}', 'h', '{}', 3, now() - make_interval(days => $3::int), now() - make_interval(days => $3::int), now()
         FROM generate_series(1, $2) AS i`,
      [instanceId, n, days],
    );
    await tx.query(
      `INSERT INTO events (instance_id, aggregate_type, aggregate_id, sequence, type, creator, event_id)
       SELECT $1, 'command', 'seed/old-' || $3 || '-' || i, s, 'command.seeded', 'test', 'seed:old-' || $3::int || '-' || i || ':' || s
         FROM generate_series(1, $2) AS i, generate_series(1, 2) AS s`,
      [instanceId, n, days],
    );
  });
}

async function counts(instanceId: string): Promise<{ commands: number; events: number }> {
  const { rows } = await systemQuery(
    h,
    `SELECT (SELECT count(*)::int FROM commands WHERE instance_id = $1) AS commands,
            (SELECT count(*)::int FROM events WHERE instance_id = $1 AND aggregate_type = 'command') AS events`,
    [instanceId],
  );
  return rows[0];
}

/** Runs the worker's command retention schedule now, instead of waiting for the hour; returns its result. */
async function runRetention(): Promise<number> {
  const schedule = h.ctx.temporal.client.schedule.getHandle(commandRetentionScheduleId(h.env.CADENZA_TASK_QUEUE!));
  expect((await schedule.describe()).action).toMatchObject({ type: 'startWorkflow', workflowType: 'commandRetentionWorkflow' });
  const before = (await schedule.describe()).info.recentActions.length;
  await schedule.trigger();
  const started = await waitFor(async () => (await schedule.describe()).info.recentActions[before]?.action, { what: 'the schedule to start its workflow' });
  return h.ctx.temporal.client.workflow.getHandle(started.workflow.workflowId, started.workflow.firstExecutionRunId).result();
}

/** Places this deployment's event dispatcher just before `commandId`'s events: they wait for delivery. */
async function dispatcherBefore(instanceId: string, aggregateId: string): Promise<void> {
  await systemQuery(
    h,
    `INSERT INTO event_checkpoints (name, tx_id, position)
     SELECT $1, tx_id, position - 1 FROM events WHERE instance_id = $2 AND aggregate_type = 'command' AND aggregate_id = $3 ORDER BY position LIMIT 1`,
    [dispatcherCheckpoint(h.env.CADENZA_TASK_QUEUE!), instanceId, aggregateId],
  );
}

describe('command retention', () => {
  it("deletes finished commands past their instance's retention with their events, in batches, and keeps the rest", async () => {
    const short = await newTenant(h);
    const standard = await newTenant(h);
    await systemQuery(h, 'UPDATE instances SET command_retention_days = 10 WHERE id = $1', [short.instanceId]);

    const [completed, failed, parked, recent] = [
      await settled(short, 'noop', (s) => s === 'COMPLETED'),
      await settled(short, 'reject', (s) => s === 'FAILED'),
      await settled(short, 'flaky', (s) => s === 'IN_TROUBLESHOOTING_QUEUE', { payload: { failTimes: 5 }, maxAttempts: 1 }),
      await settled(short, 'noop', (s) => s === 'COMPLETED'),
    ];
    await age(short.instanceId, [completed, failed, parked], 40);
    const many = COMMAND_RETENTION_BATCH_SIZE * 2 + 7; // more than one batch
    await seedFinished(short.instanceId, many, 40);
    const standardOld = await settled(standard, 'noop', (s) => s === 'COMPLETED');
    await age(standard.instanceId, [standardOld], 40);
    await seedFinished(standard.instanceId, 3, 40);
    await seedFinished(standard.instanceId, 2, 100);
    // The event dispatcher (off in this file) has not delivered the last seeded commands' events yet.
    await seedFinished(short.instanceId, 1, 41);
    await dispatcherBefore(short.instanceId, 'seed/old-41-1');

    const shortBefore = await counts(short.instanceId);
    const parkedEvents = (await short.client()).audit('demo', parked);
    const recentEvents = (await (await short.client()).audit('demo', recent)).length;
    expect(shortBefore.commands).toBe(many + 5);

    const deleted = await runRetention();
    // short (10 days): every finished 40-day-old command went with its events; the parked one and
    // the recent one stayed, with theirs, and so did the one whose events are still to deliver.
    // standard (90 days): only the 100-day-old ones went.
    const kept = (await parkedEvents).length + recentEvents + 2;
    expect(await counts(short.instanceId)).toEqual({ commands: 3, events: kept });
    expect(await counts(standard.instanceId)).toEqual({ commands: 1 + 3, events: (await (await standard.client()).audit('demo', standardOld)).length + 3 * 2 });
    expect(deleted).toBeGreaterThanOrEqual(many * 3 + 2 + 2 * 3);

    const gone = await call(h, 'GET', `/v1/commands/demo/${completed}`, { key: short.adminKey });
    expect(gone.status).toBe(404);
    expect((await call(h, 'GET', `/v1/commands/demo/${parked}`, { key: short.adminKey })).body.status).toBe('IN_TROUBLESHOOTING_QUEUE');
  });

  it('keeps the event log closed to deletion outside the retention function, even for the system path', async () => {
    const t = await newTenant(h);
    const commandId = await settled(t, 'noop', (s) => s === 'COMPLETED');
    await expect(systemQuery(h, `DELETE FROM events WHERE instance_id = $1 AND aggregate_id = $2`, [t.instanceId, `demo/${commandId}`])).rejects.toThrow(/permission denied/);
  });
});
