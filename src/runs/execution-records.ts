// Writes of an execution run: its start (with the stored input, for retries) and one trace row
// per target call attempt. Event ids derive from the run, position and attempt, so a retried
// activity appends nothing twice. The run's end is recordRunEnded (records.ts).
import { transaction, type Db } from '../db/db';
import { push } from '../eventstore/eventstore';
import { markMilestonePushed } from '../eventstore/milestones';
import { preview } from '../preview';

const ACTOR = 'execution-run';

export interface ExecutionRunStart {
  instanceId: string;
  /** The execution's owner; null for the instance's (and for runs started before executions had owners). */
  orgId?: string | null;
  runId: string;
  workflowId: string;
  executionId: string;
  condition: string;
  body: unknown;
  mode: 'sync' | 'event' | 'async';
  retryOf: string | null;
  retryKey: string | null;
  createdBy: string;
}

export async function recordExecutionRunStarted(db: Db, r: ExecutionRunStart): Promise<void> {
  await transaction(db, { instanceId: r.instanceId }, (tx) =>
    push(tx, r.instanceId, r.createdBy, [
      {
        aggregateType: 'run',
        aggregateId: r.runId,
        orgId: r.orgId ?? null,
        eventId: `${r.runId}:started`,
        type: 'run.started',
        payload: { kind: 'execution', condition: r.condition, executionId: r.executionId, workflowId: r.workflowId, retryOf: r.retryOf },
        project: async (ptx, e) => {
          await ptx.query(
            `INSERT INTO runs (instance_id, id, org_id, kind, flow_type, trigger_type, state, workflow_id, context_in, started_at, created_by, execution_id, retry_of, retry_key)
             VALUES ($1, $2, $11, 'execution', 'execution', $3, 'running', $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (instance_id, id) DO NOTHING`,
            [e.instanceId, r.runId, r.condition, r.workflowId, JSON.stringify({ body: r.body, mode: r.mode }), e.createdAt, e.creator, r.executionId, r.retryOf, r.retryKey, r.orgId ?? null],
          );
        },
      },
    ]),
  );
}

export interface CallRecord {
  instanceId: string;
  runId: string;
  position: number;
  attempt: number;
  target: { id: string; name: string; type: string };
  state: 'succeeded' | 'failed';
  statusCode: number | null;
  startedAt: Date;
  endedAt: Date;
  error: string | null;
  /** The body sent and the body answered (null when none came back), kept as previews. */
  request: unknown;
  response: unknown;
}

/** Records one call attempt; a successful one that delivered a milestone.reached event marks the milestone pushed. */
export async function recordCall(db: Db, r: CallRecord): Promise<void> {
  await transaction(db, { instanceId: r.instanceId }, async (tx) => {
    // The call belongs to its run's org (the milestones per org count it there).
    const { rows } = await tx.query<{ org_id: string | null }>('SELECT org_id FROM runs WHERE instance_id = $1 AND id = $2', [r.instanceId, r.runId]);
    await push(tx, r.instanceId, ACTOR, [
      {
        aggregateType: 'run',
        aggregateId: r.runId,
        orgId: rows[0]?.org_id ?? null,
        eventId: `${r.runId}:call:${r.position}:${r.attempt}`,
        type: 'run.call_recorded',
        payload: { position: r.position, attempt: r.attempt, targetId: r.target.id, state: r.state, statusCode: r.statusCode, error: r.error },
        project: async (ptx, e) => {
          await ptx.query(
            `INSERT INTO run_calls (instance_id, run_id, position, attempt, target_id, target_name, target_type, state, status_code, started_at, ended_at, error, request, response)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
            [
              e.instanceId,
              r.runId,
              r.position,
              r.attempt,
              r.target.id,
              r.target.name,
              r.target.type,
              r.state,
              r.statusCode,
              r.startedAt,
              r.endedAt,
              r.error,
              JSON.stringify(preview(r.request)),
              JSON.stringify(preview(r.response)),
            ],
          );
          if (r.state === 'succeeded') await markMilestonePushed(ptx, e.instanceId, r.runId, r.request, r.endedAt);
        },
      },
    ]);
  });
}
