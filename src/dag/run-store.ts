// All SQL about workflow runs and their nodes, one small function per statement. Run starts,
// ends and operator actions are also appended to the event log (workflow_run.*), with event ids
// derived from the run so a retried activity appends nothing twice. Node rows are plain upserts.
import type { Tx } from '../db/db';
import { push } from '../eventstore/eventstore';
import type { Outputs } from '../workflows/dag-contract';

export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled' | 'timed_out';
export type NodeStatus = 'running' | 'retrying' | 'waiting' | 'completed' | 'failed' | 'skipped';

/** A node row change; absent fields keep their stored value. */
export interface NodeRecord {
  name: string;
  status?: NodeStatus;
  attempts?: number;
  inputPreview?: unknown;
  output?: Outputs;
  error?: string;
  handledBy?: string;
  reusedFromRun?: string;
  /** Set started_at now if it is not set yet. */
  started?: boolean;
  /** Set finished_at now. */
  finished?: boolean;
}

export interface RunRow {
  instance_id: string;
  org_id: string | null;
  id: string;
  workflow_id: string;
  version: number;
  status: RunStatus;
  input: unknown;
  error: { message: string; node: string | null } | null;
  retry_of: string | null;
  parent_run_id: string | null;
  temporal_workflow_id: string;
  created_by: string;
  started_at: Date;
  finished_at: Date | null;
}

export interface NodeRow {
  node_name: string;
  status: NodeStatus;
  attempts: number;
  input_preview: unknown;
  output: Outputs | null;
  error: { message: string } | null;
  handled_by: string | null;
  reused_from_run: string | null;
  started_at: Date | null;
  finished_at: Date | null;
}

/** Previews of inputs and outputs shown by the API are cut to this many bytes of JSON. */
export const PREVIEW_BYTES = 4096;

export function preview(value: unknown): unknown {
  const json = JSON.stringify(value ?? null);
  if (json.length <= PREVIEW_BYTES) return value ?? null;
  return { truncated: true, bytes: Buffer.byteLength(json), preview: json.slice(0, PREVIEW_BYTES) };
}

export async function insertRun(
  tx: Tx,
  r: Pick<RunRow, 'instance_id' | 'org_id' | 'id' | 'workflow_id' | 'version' | 'input' | 'retry_of' | 'parent_run_id' | 'temporal_workflow_id' | 'created_by'>,
): Promise<void> {
  await tx.query(
    `INSERT INTO workflow_runs (instance_id, org_id, id, workflow_id, version, status, input, retry_of, parent_run_id, temporal_workflow_id, created_by)
     VALUES ($1, $2, $3, $4, $5, 'running', $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
    [r.instance_id, r.org_id, r.id, r.workflow_id, r.version, JSON.stringify(r.input ?? {}), r.retry_of, r.parent_run_id, r.temporal_workflow_id, r.created_by],
  );
}

type NewRun = Parameters<typeof insertRun>[1];

/** Appends workflow_run.started and records the run row. */
export async function recordRunStarted(tx: Tx, actor: string, run: NewRun): Promise<void> {
  await push(tx, run.instance_id, actor, [
    {
      aggregateType: 'workflow_run',
      aggregateId: run.id,
      orgId: run.org_id,
      eventId: `${run.id}:started`,
      type: 'workflow_run.started',
      payload: { workflowId: run.workflow_id, version: run.version, retryOf: run.retry_of, parentRunId: run.parent_run_id },
      project: (ptx) => insertRun(ptx, run),
    },
  ]);
}

/** Appends workflow_run.<status> (completed, failed, cancelled, timed_out) and closes the row. */
export async function recordRunFinished(tx: Tx, instanceId: string, runId: string, status: RunStatus, error: unknown): Promise<void> {
  await push(tx, instanceId, 'cadenza', [
    {
      aggregateType: 'workflow_run',
      aggregateId: runId,
      eventId: `${runId}:finished`,
      type: `workflow_run.${status}`,
      payload: error === null ? {} : { error },
      project: async (ptx) => {
        await finishRun(ptx, instanceId, runId, status, error);
        if (status !== 'completed') await closeUnfinishedNodes(ptx, instanceId, runId, `the run ended (${status}) while the node was unfinished`);
      },
    },
  ]);
}

/** Nodes still running or waiting when a run fails, times out or is cancelled end as failed. */
async function closeUnfinishedNodes(tx: Tx, instanceId: string, runId: string, message: string): Promise<void> {
  await tx.query(
    `UPDATE workflow_run_nodes SET status = 'failed', error = $3, finished_at = now()
      WHERE instance_id = $1 AND run_id = $2 AND status IN ('running', 'retrying', 'waiting')`,
    [instanceId, runId, JSON.stringify({ message })],
  );
}

/** Appends an operator's action on a run (workflow_run.cancel_requested, workflow_run.signalled). */
export async function recordRunOperation(tx: Tx, instanceId: string, actor: string, runId: string, type: string, payload: Record<string, unknown>): Promise<void> {
  await push(tx, instanceId, actor, [{ aggregateType: 'workflow_run', aggregateId: runId, type, payload }]);
}

/** Terminal status; a run that already finished keeps its first outcome. */
export async function finishRun(tx: Tx, instanceId: string, runId: string, status: RunStatus, error: unknown): Promise<void> {
  await tx.query(
    `UPDATE workflow_runs SET status = $3, error = $4, finished_at = now() WHERE instance_id = $1 AND id = $2 AND status = 'running'`,
    [instanceId, runId, status, error === null ? null : JSON.stringify(error)],
  );
}

export async function upsertNode(tx: Tx, instanceId: string, runId: string, n: NodeRecord): Promise<void> {
  await tx.query(
    `INSERT INTO workflow_run_nodes AS t (instance_id, run_id, node_name, status, attempts, input_preview, output, error, handled_by, reused_from_run, started_at, finished_at)
     VALUES ($1, $2, $3, COALESCE($4, 'running'), COALESCE($5, 0), $6, $7, $8, $9, $10, CASE WHEN $11 THEN now() END, CASE WHEN $12 THEN now() END)
     ON CONFLICT (instance_id, run_id, node_name) DO UPDATE SET
       status = COALESCE($4, t.status),
       attempts = GREATEST(t.attempts, COALESCE($5, 0)),
       input_preview = COALESCE($6, t.input_preview),
       output = COALESCE($7, t.output),
       error = COALESCE($8, t.error),
       handled_by = COALESCE($9, t.handled_by),
       reused_from_run = COALESCE($10, t.reused_from_run),
       started_at = COALESCE(t.started_at, CASE WHEN $11 THEN now() END),
       finished_at = CASE WHEN $12 THEN now() ELSE t.finished_at END`,
    [
      instanceId,
      runId,
      n.name,
      n.status ?? null,
      n.attempts ?? null,
      n.inputPreview === undefined ? null : JSON.stringify(n.inputPreview),
      n.output === undefined ? null : JSON.stringify(n.output),
      n.error === undefined ? null : JSON.stringify({ message: n.error }),
      n.handledBy ?? null,
      n.reusedFromRun ?? null,
      n.started === true,
      n.finished === true,
    ],
  );
}

/** `orgId`: the call's visible org (tenancy/scope.ts visibleOrgKey); null sees every org's runs. */
export async function findRun(tx: Tx, instanceId: string, runId: string, orgId: string | null): Promise<RunRow | undefined> {
  const { rows } = await tx.query<RunRow>(
    'SELECT * FROM workflow_runs WHERE instance_id = $1 AND id = $2 AND ($3::text IS NULL OR org_id = $3)',
    [instanceId, runId, orgId],
  );
  return rows[0];
}

export async function runNodes(tx: Tx, instanceId: string, runId: string): Promise<NodeRow[]> {
  const { rows } = await tx.query<NodeRow>('SELECT * FROM workflow_run_nodes WHERE instance_id = $1 AND run_id = $2 ORDER BY started_at NULLS LAST, node_name', [
    instanceId,
    runId,
  ]);
  return rows;
}

export async function listRunRows(
  tx: Tx,
  instanceId: string,
  workflowId: string,
  filter: { status?: string; after?: unknown[]; limit: number },
): Promise<RunRow[]> {
  const { rows } = await tx.query<RunRow>(
    `SELECT * FROM workflow_runs
      WHERE instance_id = $1 AND workflow_id = $2 AND ($3::text IS NULL OR status = $3)
        AND ($4::timestamptz IS NULL OR (started_at, id) < ($4, $5))
      ORDER BY started_at DESC, id DESC LIMIT $6`,
    [instanceId, workflowId, filter.status ?? null, filter.after?.[0] ?? null, filter.after?.[1] ?? null, filter.limit],
  );
  return rows;
}
