// All SQL about workflow runs and their nodes, one small function per statement. Run starts,
// ends and operator actions are also appended to the event log (workflow_run.*), with event ids
// derived from the run so a retried activity appends nothing twice. Node rows are plain upserts.
import type { Tx } from '../db/db';
import { push } from '../eventstore/eventstore';
import { preview, PREVIEW_BYTES } from '../preview';
import type { SourceRef } from '../dsl/run-data';
import type { Item } from '../dsl/types';
import type { Outputs } from '../workflows/dag-contract';
import type { RunStatus } from './view';

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
  /** Runs of the node so far (its run index + 1); never decreases. */
  runs?: number;
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
  /** The workflow's current name (joined, not stored with the run). */
  workflow_name: string;
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
  runs: number;
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
/** False when the run's end was recorded before (a retried activity). */
export async function recordRunFinished(tx: Tx, instanceId: string, runId: string, status: RunStatus, error: unknown): Promise<boolean> {
  const stored = await push(tx, instanceId, 'cadenza', [
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
  return stored.length > 0;
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
    `INSERT INTO workflow_run_nodes AS t (instance_id, run_id, node_name, status, attempts, input_preview, output, error, handled_by, reused_from_run, started_at, finished_at, runs)
     VALUES ($1, $2, $3, COALESCE($4, 'running'), COALESCE($5, 0), $6, $7, $8, $9, $10, CASE WHEN $11 THEN now() END, CASE WHEN $12 THEN now() END, COALESCE($13, 0))
     ON CONFLICT (instance_id, run_id, node_name) DO UPDATE SET
       runs = GREATEST(t.runs, COALESCE($13, 0)),
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
      n.runs ?? null,
    ],
  );
}

/** `orgId`: the call's visible org (tenancy/scope.ts visibleOrgKey); null sees every org's runs. */
export async function findRun(tx: Tx, instanceId: string, runId: string, orgId: string | null): Promise<RunRow | undefined> {
  const { rows } = await tx.query<RunRow>(
    `SELECT r.*, d.name AS workflow_name FROM workflow_runs r JOIN workflow_definitions d ON d.instance_id = r.instance_id AND d.id = r.workflow_id
      WHERE r.instance_id = $1 AND r.id = $2 AND ($3::text IS NULL OR r.org_id = $3)`,
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

/** Runs newest first, of one workflow or (workflowId null) of every workflow; only the call's visible org (visibleOrgKey) when set. */
export async function listRunRows(
  tx: Tx,
  instanceId: string,
  filter: { workflowId: string | null; orgId: string | null; status?: string; after?: unknown[]; limit: number },
): Promise<RunRow[]> {
  const { rows } = await tx.query<RunRow>(
    `SELECT r.*, d.name AS workflow_name FROM workflow_runs r JOIN workflow_definitions d ON d.instance_id = r.instance_id AND d.id = r.workflow_id
      WHERE r.instance_id = $1 AND ($2::text IS NULL OR r.workflow_id = $2) AND ($3::text IS NULL OR r.org_id = $3)
        AND ($4::text IS NULL OR r.status = $4)
        AND ($5::timestamptz IS NULL OR (r.started_at, r.id) < ($5, $6))
      ORDER BY r.started_at DESC, r.id DESC LIMIT $7`,
    [instanceId, filter.workflowId, filter.orgId, filter.status ?? null, filter.after?.[0] ?? null, filter.after?.[1] ?? null, filter.limit],
  );
  return rows;
}

/** One stored node run (workflow_node_runs). */
export interface NodeRunRow {
  node_name: string;
  run_index: number;
  status: 'completed' | 'failed' | 'skipped';
  source: (SourceRef | null)[];
  outputs: Item[][];
  context: Record<string, unknown> | null;
  error: { message: string } | null;
  handled_by: string | null;
  attempts: number;
  finished_at: Date;
}

export interface NewNodeRun {
  node: string;
  runIndex: number;
  status: NodeRunRow['status'];
  source: (SourceRef | null)[];
  outputs: Item[][];
  context?: Record<string, unknown>;
  error?: string;
  handledBy?: string;
  attempts?: number;
}

/** Writes a node run; a retried activity rewrites the same row. Older contexts are dropped (only the last two are read). */
export async function saveNodeRun(tx: Tx, instanceId: string, runId: string, r: NewNodeRun): Promise<void> {
  await tx.query(
    `INSERT INTO workflow_node_runs AS t (instance_id, run_id, node_name, run_index, status, source, outputs, context, error, handled_by, attempts)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (instance_id, run_id, node_name, run_index) DO UPDATE SET
       status = $5, source = $6, outputs = $7, context = $8, error = $9, handled_by = $10, attempts = $11, finished_at = now()`,
    [
      instanceId,
      runId,
      r.node,
      r.runIndex,
      r.status,
      JSON.stringify(r.source),
      JSON.stringify(r.outputs),
      r.context === undefined ? null : JSON.stringify(r.context),
      r.error === undefined ? null : JSON.stringify({ message: r.error }),
      r.handledBy ?? null,
      r.attempts ?? 1,
    ],
  );
  if (r.context !== undefined && r.runIndex > 1) {
    await tx.query(
      `UPDATE workflow_node_runs SET context = NULL
        WHERE instance_id = $1 AND run_id = $2 AND node_name = $3 AND run_index < $4 - 1 AND run_index >= 0 AND context IS NOT NULL`,
      [instanceId, runId, r.node, r.runIndex],
    );
  }
}

export async function readNodeRun(tx: Tx, instanceId: string, runId: string, node: string, runIndex: number): Promise<NodeRunRow | undefined> {
  const { rows } = await tx.query<NodeRunRow>('SELECT * FROM workflow_node_runs WHERE instance_id = $1 AND run_id = $2 AND node_name = $3 AND run_index = $4', [
    instanceId,
    runId,
    node,
    runIndex,
  ]);
  return rows[0];
}

/** A node's context after its last run before `beforeRun`. */
export async function contextBefore(tx: Tx, instanceId: string, runId: string, node: string, beforeRun: number): Promise<Record<string, unknown> | undefined> {
  const { rows } = await tx.query<{ context: Record<string, unknown> | null }>(
    `SELECT context FROM workflow_node_runs
      WHERE instance_id = $1 AND run_id = $2 AND node_name = $3 AND run_index >= 0 AND run_index < $4
      ORDER BY run_index DESC LIMIT 1`,
    [instanceId, runId, node, beforeRun],
  );
  return rows[0]?.context ?? undefined;
}

/** Copies a stored run (another run's, or pinned items) to a run of this run's node. */
export async function copyNodeRun(
  tx: Tx,
  instanceId: string,
  from: { runId: string; node: string; runIndex: number },
  to: { runId: string; node: string; runIndex: number; source: (SourceRef | null)[] },
): Promise<number[] | undefined> {
  const { rows } = await tx.query<{ counts: number[] }>(
    `INSERT INTO workflow_node_runs (instance_id, run_id, node_name, run_index, status, source, outputs)
     SELECT instance_id, $5, $6, $7, 'completed', $8, outputs FROM workflow_node_runs
      WHERE instance_id = $1 AND run_id = $2 AND node_name = $3 AND run_index = $4
     ON CONFLICT (instance_id, run_id, node_name, run_index) DO UPDATE SET outputs = EXCLUDED.outputs, source = EXCLUDED.source, status = 'completed', finished_at = now()
     RETURNING (SELECT coalesce(array_agg(CASE WHEN json_typeof(o) = 'array' THEN json_array_length(o) ELSE 0 END ORDER BY n), '{}') FROM json_array_elements(outputs) WITH ORDINALITY AS x(o, n)) AS counts`,
    [instanceId, from.runId, from.node, from.runIndex, to.runId, to.node, to.runIndex, JSON.stringify(to.source)],
  );
  return rows[0]?.counts;
}

/** Shows a stored node run's output (cut to PREVIEW_BYTES) on the node's summary row. */
export async function showNodeRun(tx: Tx, instanceId: string, runId: string, node: string, runIndex: number): Promise<void> {
  await tx.query(
    `UPDATE workflow_run_nodes n SET output = CASE WHEN length(r.outputs::text) <= $5 THEN r.outputs::jsonb
            ELSE jsonb_build_object('truncated', true, 'bytes', octet_length(r.outputs::text), 'preview', left(r.outputs::text, $5)) END
       FROM workflow_node_runs r
      WHERE n.instance_id = $1 AND n.run_id = $2 AND n.node_name = $3
        AND r.instance_id = $1 AND r.run_id = $2 AND r.node_name = $3 AND r.run_index = $4`,
    [instanceId, runId, node, runIndex, PREVIEW_BYTES],
  );
}

export async function nodeRunsOf(tx: Tx, instanceId: string, runId: string, node: string, limit: number): Promise<NodeRunRow[]> {
  const { rows } = await tx.query<NodeRunRow>(
    'SELECT * FROM workflow_node_runs WHERE instance_id = $1 AND run_id = $2 AND node_name = $3 AND run_index >= 0 ORDER BY run_index LIMIT $4',
    [instanceId, runId, node, limit],
  );
  return rows;
}

/** The run input as the start node's items: an object is one item, an array one item per entry. */
export function inputItems(input: unknown): Item[] {
  const list = Array.isArray(input) ? input : [input ?? {}];
  return list.map((v) => ({ json: v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v } }));
}

/** Writes a new run's first node run (the start node's items) and its pinned items (run index -1). */
export async function seedNodeRuns(tx: Tx, instanceId: string, runId: string, startNode: string, items: Item[], pinned: Record<string, Item[]>): Promise<void> {
  await saveNodeRun(tx, instanceId, runId, { node: startNode, runIndex: 0, status: 'completed', source: [], outputs: [items] });
  await upsertNode(tx, instanceId, runId, { name: startNode, status: 'completed', output: preview([items]) as Outputs, runs: 1, started: true, finished: true });
  for (const [node, list] of Object.entries(pinned)) {
    await saveNodeRun(tx, instanceId, runId, { node, runIndex: -1, status: 'completed', source: [], outputs: [list.map((i, k) => ({ json: i.json, pairedItem: { item: k } }))] });
  }
}

/** The last completed output of each node of an earlier run, copied as pinned items of a new run (a retry reuses them). */
export async function reuseNodeRuns(tx: Tx, instanceId: string, fromRunId: string, toRunId: string, nodes: string[]): Promise<void> {
  if (nodes.length === 0) return;
  await tx.query(
    `INSERT INTO workflow_node_runs (instance_id, run_id, node_name, run_index, status, source, outputs)
     SELECT DISTINCT ON (node_name) instance_id, $3, node_name, -1, 'completed', '[]'::json, outputs FROM workflow_node_runs
      WHERE instance_id = $1 AND run_id = $2 AND node_name = ANY($4) AND run_index >= 0 AND status <> 'failed'
      ORDER BY node_name, run_index DESC
     ON CONFLICT DO NOTHING`,
    [instanceId, fromRunId, toRunId, nodes],
  );
  // Runs of the first interpreter kept each node's whole output on its summary row.
  await tx.query(
    `INSERT INTO workflow_node_runs (instance_id, run_id, node_name, run_index, status, source, outputs)
     SELECT instance_id, $3, node_name, -1, 'completed', '[]'::json, output::json FROM workflow_run_nodes
      WHERE instance_id = $1 AND run_id = $2 AND node_name = ANY($4) AND status = 'completed' AND output IS NOT NULL
     ON CONFLICT DO NOTHING`,
    [instanceId, fromRunId, toRunId, nodes],
  );
}
