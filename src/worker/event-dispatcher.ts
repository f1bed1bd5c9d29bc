// The event outbox: one worker at a time (runAsLeader) reads the
// events log in commit order past a durable checkpoint, matches each event against its
// instance's executions and its org's (never another org's), and starts one run per (event, execution) with the idempotent id
// execution:<instance>:<eventId>:<executionId>, targets snapshotted now. Only transactions
// older than every in-flight one are read (tx_id < xmin), so no event is skipped; the
// checkpoint moves after the starts, and a start repeated after a crash reuses the workflow.
import type { AppCtx } from '../context';
import { dispatcherCheckpoint } from '../eventstore/eventstore';
import { SYSTEM, transaction, type Tx } from '../db/db';
import { candidateConditions, matchExecutions, type MatchedExecution } from '../targets/executions';
import { eventRunId, startExecutionRun } from '../targets/execute';
import { executionWorkflowId } from '../workflows/execution-contract';
import { runAsLeader, type Leader } from './leader';

// One leader and one checkpoint per task queue: the deployment whose workers run the started workflows.
const lockName = (taskQueue: string) => `cadenza event dispatcher:${taskQueue}`;
/** The poll, a fallback: committed events NOTIFY the leader (migration event_notify), which then ticks within WAKE.minGapMs. */
const INTERVAL_MS = 500;
const WAKE = { channel: 'cadenza_events', minGapMs: 20 };
const BATCH = 500;
/** The run trace itself is never delivered: an execution on `event` would feed on its own runs. */
const NOT_DELIVERED = ['run']; // the events_notify trigger (migrations) skips it too

interface EventRow {
  tx_id: string;
  position: string;
  instance_id: string;
  org_id: string | null;
  aggregate_type: string;
  aggregate_id: string;
  type: string;
  payload: Record<string, unknown>;
  created_at: Date;
  event_id: string;
}

export function startEventDispatcher(ctx: AppCtx): Leader {
  ctx.metrics.watchDispatcherLag(ctx.db, dispatcherCheckpoint(ctx.temporal.taskQueue));
  // A full batch means more is waiting: keep going until caught up or stopped.
  return runAsLeader(
    ctx,
    lockName(ctx.temporal.taskQueue),
    INTERVAL_MS,
    async (stopped) => {
      while (!stopped() && (await dispatchEventsOnce(ctx)) === BATCH);
    },
    WAKE,
  );
}

async function readCheckpoint(tx: Tx, name: string): Promise<{ txId: string; position: string }> {
  const { rows } = await tx.query<{ tx_id: string; position: string }>('SELECT tx_id::text, position::text FROM event_checkpoints WHERE name = $1', [name]);
  if (rows[0] !== undefined) return { txId: rows[0].tx_id, position: rows[0].position };
  // First start: deliver from now on, not the whole history.
  const { rows: head } = await tx.query<{ tx_id: string | null; position: string | null }>(
    `SELECT max(tx_id)::text AS tx_id, max(position)::text AS position FROM events WHERE tx_id < pg_snapshot_xmin(pg_current_snapshot())`,
  );
  const start = { txId: head[0]?.tx_id ?? '0', position: head[0]?.position ?? '0' };
  await tx.query('INSERT INTO event_checkpoints (name, tx_id, position) VALUES ($1, $2::xid8, $3) ON CONFLICT (name) DO NOTHING', [name, start.txId, start.position]);
  return readCheckpoint(tx, name);
}

/** Delivers the next batch of committed events; returns how many it read. */
export async function dispatchEventsOnce(ctx: AppCtx): Promise<number> {
  const checkpoint = dispatcherCheckpoint(ctx.temporal.taskQueue);
  // Every instance's events: the system path.
  const { rows, listening } = await transaction(ctx.db, SYSTEM, async (tx) => {
    const cp = await readCheckpoint(tx, checkpoint);
    const { rows } = await tx.query<EventRow>(
      `SELECT tx_id::text, position::text, instance_id, org_id, aggregate_type, aggregate_id, type, payload, created_at, event_id
         FROM events
        WHERE (tx_id, position) > ($1::xid8, $2::bigint) AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY tx_id, position LIMIT $3`,
      [cp.txId, cp.position, BATCH],
    );
    // Most instances have no event executions: one query tells which do.
    return { rows, listening: await instancesWithEventExecutions(tx, rows) };
  });
  // Events of one type in one org match the same executions: look them up once per batch.
  const matches = new Map<string, Promise<MatchedExecution[]>>();
  const match = (e: EventRow) => {
    if (!listening.has(e.instance_id)) return Promise.resolve([]);
    const key = JSON.stringify([e.instance_id, e.org_id, e.type]);
    if (!matches.has(key)) matches.set(key, transaction(ctx.db, { instanceId: e.instance_id }, (tx) => matchExecutions(tx, e.instance_id, e.org_id, candidateConditions('event', e.type))));
    return matches.get(key)!;
  };
  for (const e of rows) await deliver(ctx, e, match);
  const last = rows.at(-1);
  if (last !== undefined) {
    await transaction(ctx.db, SYSTEM, (tx) => tx.query('UPDATE event_checkpoints SET tx_id = $2::xid8, position = $3 WHERE name = $1', [checkpoint, last.tx_id, last.position]));
  }
  return rows.length;
}

async function instancesWithEventExecutions(tx: Tx, rows: EventRow[]): Promise<Set<string>> {
  const instances = [...new Set(rows.filter((e) => !NOT_DELIVERED.includes(e.aggregate_type)).map((e) => e.instance_id))];
  if (instances.length === 0) return new Set();
  const { rows: found } = await tx.query<{ instance_id: string }>(
    `SELECT DISTINCT instance_id FROM executions WHERE instance_id = ANY($1) AND condition LIKE 'event%'`,
    [instances],
  );
  return new Set(found.map((r) => r.instance_id));
}

async function deliver(ctx: AppCtx, e: EventRow, match: (e: EventRow) => Promise<MatchedExecution[]>): Promise<void> {
  if (NOT_DELIVERED.includes(e.aggregate_type)) return;
  const body = { eventId: e.event_id, type: e.type, aggregateType: e.aggregate_type, aggregateId: e.aggregate_id, payload: e.payload, createdAt: e.created_at.toISOString() };
  for (const matched of await match(e)) {
    if (matched.targets.length === 0) continue;
    const workflowId = executionWorkflowId(e.instance_id, e.event_id, matched.executionId);
    await startExecutionRun(ctx.temporal, workflowId, {
      instanceId: e.instance_id, orgId: matched.orgId, runId: eventRunId(workflowId), executionId: matched.executionId, condition: matched.condition,
      mode: 'event', body, targets: matched.targets, retryOf: null, retryKey: null, createdBy: 'event-dispatcher',
    });
  }
}
