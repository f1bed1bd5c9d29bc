// Writes of a flow run: its start (with the API's transaction), a step's record (with its
// execution logs and quota use) and the end of any run. Event ids derive from the run and step,
// so a retried activity appends nothing twice.
import type { TenantCtx } from '../context';
import { transaction, type Db, type Tx } from '../db/db';
import { push } from '../eventstore/eventstore';
import type { LogLine, SandboxError } from '../sandbox/sandbox';
import { recordActionSeconds } from '../flows/quota';
import type { RunStepPlan } from '../flows/flows';

export interface StepRecord {
  instanceId: string;
  orgId: string | null;
  runId: string;
  position: number;
  step: RunStepPlan;
  state: 'succeeded' | 'failed';
  startedAt: Date;
  endedAt: Date;
  error: SandboxError | null;
  logs: LogLine[];
  logsTruncated: boolean;
  /** Kept in the step (all lines go to logstore.execution_logs). */
  stepLogLines: number;
}

const ACTOR = 'flow-run';

/** A flow run's start, in the transaction that also records its workflow start. */
export async function recordFlowRunStarted(
  tx: Tx,
  ctx: TenantCtx,
  r: { runId: string; workflowId: string; orgId: string | null; flowType: string; trigger: string; context: Record<string, unknown> },
): Promise<void> {
  await push(tx, ctx.tenant.instanceId, ctx.tenant.actor, [
    {
      aggregateType: 'run',
      aggregateId: r.runId,
      orgId: r.orgId,
      type: 'run.started',
      payload: { kind: 'flow', flowType: r.flowType, triggerType: r.trigger, workflowId: r.workflowId },
      expectedSequence: 0,
      project: async (ptx, e) => {
        await ptx.query(
          `INSERT INTO runs (instance_id, id, org_id, kind, flow_type, trigger_type, state, workflow_id, context_in, started_at, created_by)
           VALUES ($1, $2, $3, 'flow', $4, $5, 'running', $6, $7, $8, $9)`,
          [e.instanceId, r.runId, e.orgId, r.flowType, r.trigger, r.workflowId, JSON.stringify(r.context), e.createdAt, e.creator],
        );
      },
    },
  ]);
}

export async function recordStep(db: Db, r: StepRecord): Promise<void> {
  await transaction(db, { instanceId: r.instanceId }, async (tx) => {
    const stored = await push(tx, r.instanceId, ACTOR, [
      {
        aggregateType: 'run',
        aggregateId: r.runId,
        orgId: r.orgId,
        eventId: `${r.runId}:step:${r.position}`,
        type: 'run.step_recorded',
        payload: { position: r.position, actionId: r.step.actionId, version: r.step.version, state: r.state, error: r.error },
        project: async (ptx, e) => {
          await ptx.query(
            `INSERT INTO run_steps (instance_id, run_id, position, action_id, action_name, action_version, owner, allowed_to_fail, state, started_at, ended_at, error, logs, logs_truncated)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
            [
              e.instanceId, r.runId, r.position, r.step.actionId, r.step.name, r.step.version, r.step.owner, r.step.allowedToFail, r.state,
              r.startedAt, r.endedAt, r.error === null ? null : JSON.stringify(r.error),
              JSON.stringify(r.logs.slice(0, r.stepLogLines)), r.logsTruncated || r.logs.length > r.stepLogLines,
            ],
          );
        },
      },
    ]);
    if (stored.length === 0) return; // a retry: logs and quota were written with the step
    await insertExecutionLogs(tx, r);
    await recordActionSeconds(tx, {
      instanceId: r.instanceId,
      orgId: r.orgId,
      runId: r.runId,
      actionId: r.step.actionId,
      seconds: (r.endedAt.getTime() - r.startedAt.getTime()) / 1000,
    });
  });
}

async function insertExecutionLogs(tx: Tx, r: StepRecord): Promise<void> {
  if (r.logs.length === 0) return;
  await tx.query(
    `INSERT INTO logstore.execution_logs (instance_id, org_id, run_id, action_id, action_version, level, message, logged_at)
     SELECT $1, $2, $3, $4, $5, l.level, l.message, l.at FROM jsonb_to_recordset($6::jsonb) AS l(level text, message text, at timestamptz)`,
    [r.instanceId, r.orgId, r.runId, r.step.actionId, r.step.version, JSON.stringify(r.logs)],
  );
}

export async function recordRunEnded(
  db: Db,
  r: { instanceId: string; orgId: string | null; runId: string; state: 'succeeded' | 'failed'; context: Record<string, unknown> | null; error: Record<string, unknown> | null },
): Promise<boolean> {
  const stored = await transaction(db, { instanceId: r.instanceId }, (tx) =>
    push(tx, r.instanceId, ACTOR, [
      {
        aggregateType: 'run',
        aggregateId: r.runId,
        orgId: r.orgId,
        eventId: `${r.runId}:ended`,
        type: r.state === 'succeeded' ? 'run.succeeded' : 'run.failed',
        payload: { error: r.error },
        project: async (ptx, e) => {
          await ptx.query(
            `UPDATE runs SET state = $3, context_out = $4, error = $5, ended_at = $6 WHERE instance_id = $1 AND id = $2`,
            [e.instanceId, r.runId, r.state, r.context === null ? null : JSON.stringify(r.context), r.error === null ? null : JSON.stringify(r.error), e.createdAt],
          );
        },
      },
    ]),
  );
  // False when the end was recorded before (a retried activity).
  return stored.length > 0;
}
