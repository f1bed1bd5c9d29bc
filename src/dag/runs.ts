// Runs of workflows: start (pinned to a version), read, cancel, signal, and retry from a node
// reusing the outputs of nodes that completed. Each run is one dagWorkflow execution.
import { WorkflowIdReusePolicy } from '@temporalio/client';
import type { TenantCtx } from '../context';
import { transaction, type Tx } from '../db/db';
import { descendantsOf } from '../dsl/graph';
import type { Plan } from '../dsl/plan';
import type { DagDefinition } from '../dsl/types';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import { newId } from '../ids';
import { visibleOrgKey } from '../tenancy/scope';
import { decodeCursor, encodeCursor, TIME_ID, type Page } from '../pagination';
import { eagerStart } from '../temporal/eager-start';
import { CadenzaInstance, CadenzaKind, CadenzaOrg } from '../temporal/search-attributes';
import { dagSignal, dagWorkflowId, type DagRunInput, type ReusedOutput } from '../workflows/dag-contract';
import { checkDefinition, findDefinition, findVersion } from './definitions';
import { findRun, listRunRows, preview, recordRunFinished, recordRunOperation, recordRunStarted, runNodes, type NodeRow, type RunRow } from './run-store';

/** Largest run input (serialized JSON). */
export const RUN_INPUT_LIMIT_BYTES = 256 * 1024;

export interface RunNode {
  name: string;
  status: string;
  attempts: number;
  input: unknown;
  output: unknown;
  error: { message: string } | null;
  handledBy: string | null;
  reusedFromRun: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface Run {
  id: string;
  workflowId: string;
  version: number;
  status: string;
  input: unknown;
  error: { message: string; node: string | null } | null;
  retryOf: string | null;
  parentRunId: string | null;
  temporalWorkflowId: string;
  createdBy: string;
  startedAt: string;
  finishedAt: string | null;
  nodes?: RunNode[];
}

const toRun = (r: RunRow): Run => ({
  id: r.id,
  workflowId: r.workflow_id,
  version: r.version,
  status: r.status,
  input: preview(r.input),
  error: r.error,
  retryOf: r.retry_of,
  parentRunId: r.parent_run_id,
  temporalWorkflowId: r.temporal_workflow_id,
  createdBy: r.created_by,
  startedAt: r.started_at.toISOString(),
  finishedAt: r.finished_at?.toISOString() ?? null,
});

const toNode = (n: NodeRow): RunNode => ({
  name: n.node_name,
  status: n.status,
  attempts: n.attempts,
  input: n.input_preview,
  output: preview(n.output),
  error: n.error,
  handledBy: n.handled_by,
  reusedFromRun: n.reused_from_run,
  startedAt: n.started_at?.toISOString() ?? null,
  finishedAt: n.finished_at?.toISOString() ?? null,
});

interface StartSpec {
  workflowId: string;
  workflowName: string;
  orgId: string | null;
  version: number;
  definition: DagDefinition;
  plan: Plan;
  input: unknown;
  reused?: Record<string, ReusedOutput>;
  retryOf?: string;
}

function checkInput(input: unknown): void {
  const bytes = Buffer.byteLength(JSON.stringify(input ?? {}));
  if (bytes > RUN_INPUT_LIMIT_BYTES) throw ValidationError.field('body.input', `is ${bytes} bytes; the limit is ${RUN_INPUT_LIMIT_BYTES} bytes`);
}

/** Records the run, then starts its workflow; a start that fails marks the run failed. */
async function startRun(ctx: TenantCtx, spec: StartSpec): Promise<Run> {
  const { instanceId } = ctx.tenant;
  const runId = newId('run');
  const temporalId = dagWorkflowId(instanceId, spec.workflowId, runId);
  const row = await transaction(ctx.db, ctx.tenant, async (tx) => {
    await recordRunStarted(tx, ctx.tenant.actor, {
      instance_id: instanceId,
      org_id: spec.orgId,
      id: runId,
      workflow_id: spec.workflowId,
      version: spec.version,
      input: spec.input,
      retry_of: spec.retryOf ?? null,
      parent_run_id: null,
      temporal_workflow_id: temporalId,
      created_by: ctx.tenant.actor,
    });
    return (await findRun(tx, instanceId, runId, null))!;
  });
  const input: DagRunInput = {
    instanceId,
    orgId: spec.orgId,
    workflowId: spec.workflowId,
    workflowName: spec.workflowName,
    version: spec.version,
    runId,
    definition: spec.definition,
    plan: spec.plan,
    input: spec.input,
    historyEventLimit: ctx.config.workflows.historyEventLimit,
    ...(spec.reused ? { reused: spec.reused } : {}),
  };
  try {
    await ctx.temporal.client.workflow.start('dagWorkflow', {
      workflowId: temporalId,
      taskQueue: ctx.temporal.taskQueue,
      args: [input],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      ...eagerStart(ctx.temporal),
      typedSearchAttributes: [
        { key: CadenzaInstance, value: instanceId },
        { key: CadenzaKind, value: 'dag' },
        ...(spec.orgId ? [{ key: CadenzaOrg, value: spec.orgId }] : []),
      ],
      staticSummary: `${spec.workflowName} v${spec.version}`,
    });
  } catch (err) {
    await transaction(ctx.db, ctx.tenant, (tx) => recordRunFinished(tx, instanceId, runId, 'failed', { message: 'the run could not be started', node: null }));
    throw err;
  }
  return toRun(row);
}

async function loadVersion(tx: Tx, ctx: TenantCtx, workflowId: string, version: number | undefined) {
  const wf = await findDefinition(tx, ctx, workflowId);
  const v = version ?? wf.latest_version;
  const found = await findVersion(tx, ctx.tenant.instanceId, workflowId, v);
  if (found === undefined) throw ValidationError.field('body.version', `workflow ${workflowId} has no version ${v}`);
  return { wf, version: v, definition: found.definition };
}

export async function executeWorkflow(ctx: TenantCtx, workflowId: string, body: { input?: unknown; version?: number }): Promise<Run> {
  checkInput(body.input);
  const { wf, version, definition } = await transaction(ctx.db, ctx.tenant, (tx) => loadVersion(tx, ctx, workflowId, body.version));
  const plan = await checkDefinition(ctx, definition, 'definition');
  return startRun(ctx, { workflowId, workflowName: wf.name, orgId: wf.org_id, version, definition, plan, input: body.input ?? {} });
}

async function visibleRun(tx: Tx, ctx: TenantCtx, runId: string): Promise<RunRow> {
  const run = await findRun(tx, ctx.tenant.instanceId, runId, visibleOrgKey(ctx.tenant));
  if (run === undefined) throw new NotFoundError('workflow run', runId);
  return run;
}

export async function getRun(ctx: TenantCtx, runId: string): Promise<Run> {
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    const run = await visibleRun(tx, ctx, runId);
    return { ...toRun(run), nodes: (await runNodes(tx, ctx.tenant.instanceId, runId)).map(toNode) };
  });
}

export async function listRuns(ctx: TenantCtx, workflowId: string, query: { limit: number; cursor?: string; status?: string }): Promise<Page<Run>> {
  const after = decodeCursor(query.cursor, TIME_ID);
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    // Runs stay readable after a soft delete, so only the org scope is checked here.
    const { rows: wf } = await tx.query('SELECT 1 FROM workflow_definitions WHERE instance_id = $1 AND id = $2 AND ($3::text IS NULL OR org_id = $3)', [
      ctx.tenant.instanceId,
      workflowId,
      visibleOrgKey(ctx.tenant),
    ]);
    if (wf.length === 0) throw new NotFoundError('workflow', workflowId);
    const rows = await listRunRows(tx, ctx.tenant.instanceId, workflowId, { status: query.status, after, limit: query.limit + 1 });
    const more = rows.length > query.limit;
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return { items: page.map(toRun), nextCursor: more && last ? encodeCursor([last.started_at.toISOString(), last.id]) : null };
  });
}

async function runningRun(ctx: TenantCtx, runId: string): Promise<RunRow> {
  const run = await transaction(ctx.db, ctx.tenant, (tx) => visibleRun(tx, ctx, runId));
  if (run.status !== 'running') throw new ConflictError(`run ${runId} is ${run.status}, not running`, { runStatus: run.status });
  return run;
}

export async function cancelRun(ctx: TenantCtx, runId: string): Promise<void> {
  const run = await runningRun(ctx, runId);
  await ctx.temporal.client.workflow.getHandle(run.temporal_workflow_id).cancel();
  await transaction(ctx.db, ctx.tenant, (tx) => recordRunOperation(tx, ctx.tenant.instanceId, ctx.tenant.actor, runId, 'workflow_run.cancel_requested', {}));
}

export async function signalRun(ctx: TenantCtx, runId: string, name: string, payload: Record<string, unknown>): Promise<void> {
  const run = await runningRun(ctx, runId);
  await ctx.temporal.client.workflow.getHandle(run.temporal_workflow_id).signal(dagSignal, { name, payload });
  await transaction(ctx.db, ctx.tenant, (tx) => recordRunOperation(tx, ctx.tenant.instanceId, ctx.tenant.actor, runId, 'workflow_run.signalled', { name }));
}

/**
 * Reruns a finished run from `fromNode` (default: the nodes that failed it) on the same or a
 * newer version. Completed outputs of every node outside the rerun part are reused and carry
 * the run they first came from.
 */
export async function retryRun(ctx: TenantCtx, runId: string, body: { fromNode?: string; version?: number }): Promise<Run> {
  const prepared = await transaction(ctx.db, ctx.tenant, async (tx) => {
    const old = await visibleRun(tx, ctx, runId);
    if (old.status === 'running') throw new ConflictError(`run ${runId} is still running; cancel it first`);
    if (body.version !== undefined && body.version < old.version) {
      throw ValidationError.field('body.version', `must be ${old.version} or newer (the run used version ${old.version})`);
    }
    const loaded = await loadVersion(tx, ctx, old.workflow_id, body.version ?? old.version);
    return { old, ...loaded, nodes: await runNodes(tx, ctx.tenant.instanceId, runId) };
  });
  const plan = await checkDefinition(ctx, prepared.definition, 'definition');
  const names = new Set(plan.nodes.map((n) => n.name));
  const from = body.fromNode === undefined ? prepared.nodes.filter((n) => n.status === 'failed' && n.handled_by === null).map((n) => n.node_name) : [body.fromNode];
  if (body.fromNode !== undefined && !names.has(body.fromNode)) throw ValidationError.field('body.fromNode', `version ${prepared.version} has no node '${body.fromNode}'`);
  if (from.length === 0) throw new ConflictError(`run ${runId} has no failed node to retry from; name one in fromNode`);
  const rerun = new Set(from.flatMap((f) => [...descendantsOf(plan.edges, f)]));
  const reused: Record<string, ReusedOutput> = {};
  for (const n of prepared.nodes) {
    if (n.status === 'completed' && n.output !== null && names.has(n.node_name) && !rerun.has(n.node_name)) {
      reused[n.node_name] = { outputs: n.output, fromRunId: n.reused_from_run ?? runId };
    }
  }
  return startRun(ctx, {
    workflowId: prepared.old.workflow_id,
    workflowName: prepared.wf.name,
    orgId: prepared.old.org_id,
    version: prepared.version,
    definition: prepared.definition,
    plan,
    input: prepared.old.input,
    reused,
    retryOf: runId,
  });
}
