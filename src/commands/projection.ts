// Records one command transition: its events, the commands row, and the batch counters, in one
// transaction. Event ids are derived from the workflow's transition step, so a local activity
// that runs twice (a worker crash mid-task) records nothing twice.
import { transaction, type Db, type Tx } from '../db/db';
import { push } from '../eventstore/eventstore';
import { orgKey } from '../tenancy/scope';
import {
  batchAggregateId,
  COMMAND_EVENTS,
  commandAggregateId,
  type BatchReply,
  type CommandError,
  type CommandEventType,
  type CommandStatus,
  type TsqReason,
} from './model';

export interface TransitionSet {
  status?: CommandStatus;
  attempts?: number;
  totalAttempts?: number;
  lastError?: CommandError | null;
  tsqReason?: TsqReason | null;
  result?: unknown;
  nextAttemptAt?: string | null;
}

export interface TransitionInput {
  instanceId: string;
  orgId: string | null;
  domain: string;
  commandId: string;
  type: string;
  correlationId: string;
  /** The workflow's transition counter; makes the events' ids. */
  step: number;
  events: { type: CommandEventType; payload: Record<string, unknown> }[];
  creator: string;
  set: TransitionSet;
  batch: { batchId: string; outcome: 'completed' | 'failed' | 'canceled' | null } | null;
}

export interface BatchCompletion extends BatchReply {
  replyTo: string | null;
}

export interface TransitionOutcome {
  /** False when this step had been recorded before (a replayed local activity). */
  recorded: boolean;
  /** Set when this transition finished the command's batch. */
  batchCompleted: BatchCompletion | null;
}

const COLUMN: Record<keyof TransitionSet, string> = {
  status: 'status',
  attempts: 'attempts',
  totalAttempts: 'total_attempts',
  lastError: 'last_error',
  tsqReason: 'tsq_reason',
  result: 'result',
  nextAttemptAt: 'next_attempt_at',
};

const JSON_COLUMNS = new Set(['last_error', 'result']);

interface CommandTimes {
  sentAt: Date;
  totalAttempts: number;
}

async function updateCommandRow(tx: Tx, input: Pick<TransitionInput, 'instanceId' | 'orgId' | 'domain' | 'commandId' | 'set'>, at: Date): Promise<CommandTimes | undefined> {
  const assignments = ['updated_at = $5', 'dispatched_at = COALESCE(dispatched_at, $5)'];
  const values: unknown[] = [input.instanceId, orgKey(input.orgId), input.domain, input.commandId, at];
  for (const [key, value] of Object.entries(input.set) as [keyof TransitionSet, unknown][]) {
    if (value === undefined) continue;
    const column = COLUMN[key];
    values.push(JSON_COLUMNS.has(column) && value !== null ? JSON.stringify(value) : value);
    assignments.push(`${column} = $${values.length}`);
  }
  const { rows } = await tx.query<{ created_at: Date; total_attempts: number }>(
    `UPDATE commands SET ${assignments.join(', ')} WHERE instance_id = $1 AND org_key = $2 AND domain = $3 AND command_id = $4 RETURNING created_at, total_attempts`,
    values,
  );
  return rows[0] && { sentAt: rows[0].created_at, totalAttempts: rows[0].total_attempts };
}

interface BatchRow {
  batch_id: string;
  status: string;
  total: number;
  completed_count: number;
  failed_count: number;
  canceled_count: number;
  reply_to: string | null;
}

const OUTCOME_COLUMN = { completed: 'completed_count', failed: 'failed_count', canceled: 'canceled_count' } as const;

/** Counts a terminal outcome under the batch row's lock; completes the batch on its last command. */
async function countBatchOutcome(tx: Tx, input: TransitionInput, at: Date): Promise<BatchCompletion | null> {
  const { batch } = input;
  if (batch === null || batch.outcome === null) return null;
  const column = OUTCOME_COLUMN[batch.outcome];
  const { rows } = await tx.query<BatchRow>(
    `UPDATE batches SET ${column} = ${column} + 1 WHERE instance_id = $1 AND org_key = $2 AND batch_id = $3 RETURNING *`,
    [input.instanceId, orgKey(input.orgId), batch.batchId],
  );
  const row = rows[0];
  if (row === undefined || row.status !== 'IN_PROGRESS') return null;
  if (row.completed_count + row.failed_count + row.canceled_count < row.total) return null;
  const status = row.failed_count + row.canceled_count === 0 ? 'COMPLETED' : 'COMPLETED_WITH_FAILURES';
  const reply: BatchCompletion = {
    batchId: row.batch_id,
    status,
    total: row.total,
    completed: row.completed_count,
    failed: row.failed_count,
    canceled: row.canceled_count,
    replyTo: row.reply_to,
  };
  const aggregateId = batchAggregateId(row.batch_id, input.orgId);
  await push(tx, input.instanceId, 'system', [
    {
      aggregateType: 'batch',
      aggregateId,
      orgId: input.orgId,
      type: 'batch.completed',
      eventId: `batch:${aggregateId}:completed`,
      payload: { status, total: row.total, completed: row.completed_count, failed: row.failed_count, canceled: row.canceled_count },
      project: async (ptx) => {
        await ptx.query('UPDATE batches SET status = $4, completed_at = $5 WHERE instance_id = $1 AND org_key = $2 AND batch_id = $3', [input.instanceId, orgKey(input.orgId), row.batch_id, status, at]);
      },
    },
  ]);
  return reply;
}

/**
 * Records a transition. `andRead`, if given, runs in the same transaction after a new recording
 * (one round trip less for what the caller does next); its result is `read`.
 */
export async function recordTransition<R = never>(
  db: Db,
  input: TransitionInput,
  andRead?: (tx: Tx) => Promise<R>,
): Promise<TransitionOutcome & { read?: R; command?: CommandTimes }> {
  return transaction(db, { instanceId: input.instanceId }, async (tx) => {
    const aggregateId = commandAggregateId(input.domain, input.commandId, input.orgId);
    const events = input.events.map((e, i) => ({
      aggregateType: 'command',
      aggregateId,
      orgId: input.orgId,
      type: e.type,
      payload: e.payload,
      eventId: `command:${aggregateId}:${input.step}:${i}`,
    }));
    // The row and counters change only when the events are new; a replayed step changes nothing.
    const stored = await push(tx, input.instanceId, input.creator, events);
    if (stored.length === 0) return { recorded: false, batchCompleted: await batchStateIfDone(tx, input) };
    const at = stored[stored.length - 1]!.createdAt;
    const command = await updateCommandRow(tx, input, at);
    const batchCompleted = await countBatchOutcome(tx, input, at);
    return { recorded: true, batchCompleted, read: andRead && (await andRead(tx)), command };
  });
}

export interface StartedInput {
  instanceId: string;
  orgId: string | null;
  domain: string;
  commandId: string;
  attempt: number;
  totalAttempts: number;
  /** The worker process running the handler (host:pid), recorded with the STARTED event. */
  worker: string;
}

/**
 * Records an attempt's STARTED event and IN_PROGRESS, once per attempt. Returns the worker that
 * first recorded it: another worker's name means this attempt already ran there and was lost.
 */
export async function recordStarted(db: Db, input: StartedInput): Promise<{ startedBy: string | null }> {
  const aggregateId = commandAggregateId(input.domain, input.commandId, input.orgId);
  const eventId = `command:${aggregateId}:attempt:${input.totalAttempts}:started`;
  return transaction(db, { instanceId: input.instanceId }, async (tx) => {
    const stored = await push(tx, input.instanceId, 'system', [
      {
        aggregateType: 'command',
        aggregateId,
        orgId: input.orgId,
        type: COMMAND_EVENTS.started,
        eventId,
        payload: { attempt: input.attempt, totalAttempts: input.totalAttempts, worker: input.worker },
        project: async (ptx, e) => {
          await updateCommandRow(
            ptx,
            { ...input, set: { status: 'IN_PROGRESS', attempts: input.attempt, totalAttempts: input.totalAttempts, nextAttemptAt: null } },
            e.createdAt,
          );
        },
      },
    ]);
    if (stored.length > 0) return { startedBy: input.worker };
    const { rows } = await tx.query<{ worker: string | null }>(`SELECT payload->>'worker' AS worker FROM events WHERE instance_id = $1 AND event_id = $2`, [input.instanceId, eventId]);
    return { startedBy: rows[0]?.worker ?? null };
  });
}

/**
 * For a replayed step: if this step's own transaction completed the batch, report that again,
 * so the workflow still sends the batch reply after a crash between recording and replying.
 */
async function batchStateIfDone(tx: Tx, input: TransitionInput): Promise<BatchCompletion | null> {
  if (input.batch === null || input.batch.outcome === null) return null;
  const sameTx = await tx.query(
    `SELECT 1 FROM events b JOIN events c ON c.tx_id = b.tx_id AND c.instance_id = b.instance_id
      WHERE b.instance_id = $1 AND b.event_id = $2 AND c.event_id = $3`,
    [input.instanceId, `batch:${batchAggregateId(input.batch.batchId, input.orgId)}:completed`, `command:${commandAggregateId(input.domain, input.commandId, input.orgId)}:${input.step}:0`],
  );
  if (sameTx.rowCount === 0) return null;
  const { rows } = await tx.query<BatchRow>('SELECT * FROM batches WHERE instance_id = $1 AND org_key = $2 AND batch_id = $3', [input.instanceId, orgKey(input.orgId), input.batch.batchId]);
  const row = rows[0]!;
  return {
    batchId: row.batch_id,
    status: row.status as BatchCompletion['status'],
    total: row.total,
    completed: row.completed_count,
    failed: row.failed_count,
    canceled: row.canceled_count,
    replyTo: row.reply_to,
  };
}
