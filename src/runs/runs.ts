// The read side of runs: flow runs and execution runs share the table `runs` (kind 'flow' or
// 'execution'); a flow run's steps are in run_steps, an execution run's target calls in run_calls.
import type { TenantCtx } from '../context';
import { NotFoundError } from '../errors';
import { transaction, type Tx } from '../db/db';
import { decodeCursor, TIME_ID, toPage, type Page } from '../pagination';
import type { Run, RunCall, RunStep } from './view';

export type { Run, RunCall, RunStep };

interface RunRow {
  id: string;
  kind: string;
  org_id: string | null;
  flow_type: string;
  trigger_type: string;
  state: Run['state'];
  workflow_id: string;
  context_in: Record<string, unknown>;
  context_out: Record<string, unknown> | null;
  error: Record<string, unknown> | null;
  started_at: Date;
  ended_at: Date | null;
  created_by: string;
  retry_of: string | null;
}

interface StepRow {
  position: number;
  action_id: string;
  action_name: string;
  action_version: number;
  owner: 'instance' | 'org';
  allowed_to_fail: boolean;
  state: 'succeeded' | 'failed';
  started_at: Date;
  ended_at: Date;
  error: RunStep['error'];
  logs: RunStep['logs'];
  logs_truncated: boolean;
}

const toRun = (r: RunRow): Run => ({
  id: r.id,
  kind: r.kind,
  orgId: r.org_id,
  flowType: r.flow_type,
  triggerType: r.trigger_type,
  state: r.state,
  workflowId: r.workflow_id,
  contextIn: r.context_in,
  contextOut: r.context_out,
  error: r.error,
  startedAt: r.started_at.toISOString(),
  endedAt: r.ended_at?.toISOString() ?? null,
  createdBy: r.created_by,
  retryOf: r.retry_of,
});

const toStep = (r: StepRow): RunStep => ({
  position: r.position,
  actionId: r.action_id,
  actionName: r.action_name,
  actionVersion: r.action_version,
  owner: r.owner,
  allowedToFail: r.allowed_to_fail,
  state: r.state,
  startedAt: r.started_at.toISOString(),
  endedAt: r.ended_at.toISOString(),
  durationMs: r.ended_at.getTime() - r.started_at.getTime(),
  error: r.error,
  logs: r.logs,
  logsTruncated: r.logs_truncated,
});

// An org-scoped key, or an instance key that picked an org, sees that org's runs only.
const runOrgFilter = (ctx: TenantCtx): string | null => ctx.tenant.orgId;

export async function listRuns(
  ctx: TenantCtx,
  input: { limit: number; cursor?: string; state?: Run['state']; kind?: string; since?: string },
): Promise<Page<Run>> {
  const after = decodeCursor(input.cursor, TIME_ID);
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    const { rows } = await tx.query<RunRow>(
      `SELECT * FROM runs
        WHERE instance_id = $1
          AND ($2::text IS NULL OR org_id = $2)
          AND ($3::text IS NULL OR state = $3)
          AND ($4::text IS NULL OR kind = $4)
          AND ($5::timestamptz IS NULL OR started_at >= $5)
          AND ($6::timestamptz IS NULL OR (started_at, id) < ($6, $7))
        ORDER BY started_at DESC, id DESC LIMIT $8`,
      [ctx.tenant.instanceId, runOrgFilter(ctx), input.state ?? null, input.kind ?? null, input.since ?? null, after?.[0] ?? null, after?.[1] ?? null, input.limit + 1],
    );
    return toPage(rows, input.limit, toRun, (r) => [r.started_at.toISOString(), r.id]);
  });
}

export async function getRun(ctx: TenantCtx, runId: string): Promise<Run & { steps: RunStep[]; calls: RunCall[] }> {
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    const { rows } = await tx.query<RunRow>('SELECT * FROM runs WHERE instance_id = $1 AND id = $2 AND ($3::text IS NULL OR org_id = $3)', [
      ctx.tenant.instanceId,
      runId,
      runOrgFilter(ctx),
    ]);
    if (rows[0] === undefined) throw new NotFoundError('run', runId);
    return { ...toRun(rows[0]), steps: await readSteps(tx, ctx.tenant.instanceId, runId), calls: await readCalls(tx, ctx.tenant.instanceId, runId) };
  });
}

export async function readSteps(tx: Tx, instanceId: string, runId: string): Promise<RunStep[]> {
  const { rows } = await tx.query<StepRow>('SELECT * FROM run_steps WHERE instance_id = $1 AND run_id = $2 ORDER BY position', [instanceId, runId]);
  return rows.map(toStep);
}

async function readCalls(tx: Tx, instanceId: string, runId: string): Promise<RunCall[]> {
  const { rows } = await tx.query<{
    position: number;
    attempt: number;
    target_id: string;
    target_name: string;
    target_type: string;
    state: RunCall['state'];
    status_code: number | null;
    started_at: Date;
    ended_at: Date;
    error: string | null;
    request: unknown;
    response: unknown;
  }>(
    'SELECT * FROM run_calls WHERE instance_id = $1 AND run_id = $2 ORDER BY position, attempt',
    [instanceId, runId],
  );
  return rows.map((r) => ({
    position: r.position,
    attempt: r.attempt,
    targetId: r.target_id,
    targetName: r.target_name,
    targetType: r.target_type,
    state: r.state,
    statusCode: r.status_code,
    startedAt: r.started_at.toISOString(),
    endedAt: r.ended_at.toISOString(),
    durationMs: r.ended_at.getTime() - r.started_at.getTime(),
    error: r.error,
    request: r.request,
    response: r.response,
  }));
}
