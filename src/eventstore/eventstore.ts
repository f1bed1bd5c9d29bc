// The one way to write state: append events and update their projections in the same
// transaction. An event whose event_id already exists is skipped together with its projection,
// which makes re-appends from retried activities idempotent.
import crypto from 'node:crypto';
import { ConcurrencyError } from '../errors';
import type { Tx } from '../db/db';
import { isUniqueViolation } from '../db/unique';
import { reachMilestones } from './milestones';

/**
 * Cadenza's own aggregate types. External events (POST /v1/events) may not name them, and are
 * stored under their own namespace, `external.<aggregateType>`, so they never enter an internal
 * stream (test/unit/eventstore.test.ts checks that every type the code appends is listed).
 */
export const INTERNAL_AGGREGATE_TYPES: readonly string[] = [
  'action', 'alert', 'batch', 'command', 'command_domain', 'credential', 'execution', 'flow', 'instance', 'key', 'milestone', 'org', 'run', 'target', 'workflow', 'workflow_run',
];
export const EXTERNAL_AGGREGATE_PREFIX = 'external.';

/** The event dispatcher's checkpoint over the log: one per deployment (task queue). */
export const dispatcherCheckpoint = (taskQueue: string) => `executions:${taskQueue}`;

export interface StoredEvent<P = Record<string, unknown>> {
  position: string;
  instanceId: string;
  orgId: string | null;
  aggregateType: string;
  aggregateId: string;
  sequence: number;
  type: string;
  payload: P;
  creator: string;
  createdAt: Date;
  eventId: string;
}

export interface NewEvent<P = Record<string, unknown>> {
  aggregateType: string;
  aggregateId: string;
  /** Past tense, dotted: `org.added`, `command.completed`. */
  type: string;
  payload?: P;
  /** Idempotency key derived from the cause; random when absent. */
  eventId?: string;
  /** Optimistic concurrency: the aggregate sequence the writer last saw (0 for a new aggregate). */
  expectedSequence?: number;
  orgId?: string | null;
  /** Updates the read model for this event, in the same transaction. Skipped for duplicates. */
  project?: (tx: Tx, event: StoredEvent<P>) => Promise<void>;
}

interface EventRow {
  position: string;
  instance_id: string;
  org_id: string | null;
  aggregate_type: string;
  aggregate_id: string;
  sequence: number;
  type: string;
  payload: Record<string, unknown>;
  creator: string;
  created_at: Date;
  event_id: string;
}

export function toStoredEvent(row: EventRow): StoredEvent {
  return {
    position: row.position,
    instanceId: row.instance_id,
    orgId: row.org_id,
    aggregateType: row.aggregate_type,
    aggregateId: row.aggregate_id,
    sequence: row.sequence,
    type: row.type,
    payload: row.payload,
    creator: row.creator,
    createdAt: row.created_at,
    eventId: row.event_id,
  };
}

const INSERT_EVENT = `
  INSERT INTO events (instance_id, org_id, aggregate_type, aggregate_id, sequence, type, payload, creator, event_id)
  VALUES ($1, $2, $3, $4,
          COALESCE($5::int + 1, (SELECT COALESCE(MAX(sequence), 0) + 1 FROM events
                                  WHERE instance_id = $1 AND aggregate_type = $3 AND aggregate_id = $4)),
          $6, $7, $8, $9)
  ON CONFLICT (instance_id, event_id) DO NOTHING
  RETURNING *`;

/**
 * Appends events in order and runs each new event's projection, then the milestones projection
 * (src/eventstore/milestones.ts), whose milestone.reached events are appended after it. Returns
 * only the events that were newly stored. Throws ConcurrencyError when another writer took the
 * sequence first.
 */
export async function push(tx: Tx, instanceId: string, creator: string, events: NewEvent<any>[]): Promise<StoredEvent[]> {
  const stored: StoredEvent[] = [];
  for (const e of events) {
    const row = await insertEvent(tx, instanceId, creator, e);
    if (row === undefined) continue;
    const event = toStoredEvent(row);
    if (e.project) await e.project(tx, event);
    stored.push(event);
    const reached = await reachMilestones(tx, event);
    if (reached.length > 0) await push(tx, instanceId, MILESTONE_CREATOR, reached);
  }
  return stored;
}

const MILESTONE_CREATOR = 'system';

async function insertEvent(tx: Tx, instanceId: string, creator: string, e: NewEvent): Promise<EventRow | undefined> {
  try {
    const res = await tx.query<EventRow>(INSERT_EVENT, [
      instanceId,
      e.orgId ?? null,
      e.aggregateType,
      e.aggregateId,
      e.expectedSequence ?? null,
      e.type,
      e.payload ?? {},
      creator,
      e.eventId ?? crypto.randomUUID(),
    ]);
    return res.rows[0];
  } catch (err) {
    // The transaction is aborted now; the caller's transaction() rolls it back.
    if (isUniqueViolation(err, 'events_aggregate_sequence_unique')) {
      throw new ConcurrencyError(`${e.aggregateType} ${e.aggregateId}`, e.expectedSequence ?? null);
    }
    throw err;
  }
}

/** The events of one aggregate in sequence order, a page at a time: after a sequence, at most `limit`. */
export async function readAggregate(
  tx: Tx,
  instanceId: string,
  aggregateType: string,
  aggregateId: string,
  page: { afterSequence: number; limit: number },
): Promise<StoredEvent[]> {
  const { rows } = await tx.query<EventRow>(
    `SELECT * FROM events WHERE instance_id = $1 AND aggregate_type = $2 AND aggregate_id = $3 AND sequence > $4 ORDER BY sequence LIMIT $5`,
    [instanceId, aggregateType, aggregateId, page.afterSequence, page.limit],
  );
  return rows.map(toStoredEvent);
}

/** The current sequence of an aggregate (0 when it has no events). */
export async function aggregateSequence(tx: Tx, instanceId: string, aggregateType: string, aggregateId: string): Promise<number> {
  const { rows } = await tx.query<{ seq: number }>(
    `SELECT COALESCE(MAX(sequence), 0)::int AS seq FROM events
      WHERE instance_id = $1 AND aggregate_type = $2 AND aggregate_id = $3`,
    [instanceId, aggregateType, aggregateId],
  );
  return rows[0]?.seq ?? 0;
}
