// Runs of workflows: start (pinned to a version), read, cancel, signal, and retry from a node
// reusing the outputs of nodes that completed. Each run is one n8nWorkflow execution; a run
// records its start node's items and its pinned items before the workflow starts.
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Operation, PlannedOperation, TenantCtx } from '../context';
import { transaction, type Tx } from '../db/db';
import { descendantsOf } from '../dsl/graph';
import type { RunPlan } from '../dsl/run-plan';
import type { DagDefinition, Item } from '../dsl/types';
import { checkJsonSize, ConflictError, NotFoundError, ValidationError } from '../errors';
import { newId } from '../ids';
import { visibleOrgKey } from '../tenancy/scope';
import { decodeCursor, TIME_ID, toPage, type Page } from '../pagination';
import { forgetWorkflowStart, recordWorkflowStart, startPending, startRecorded, type WorkflowStart } from '../temporal/workflow-starts';
import { dagSignal, dagWorkflowId } from '../workflows/dag-contract';
import type { N8nRunInput, RunMode } from '../workflows/n8n-contract';
import { checkDefinition, findDefinition, findVersion, type DefinitionRow } from './definitions';
import type { WorkflowNodeRuns, WorkflowRun, WorkflowRunNode } from './view';
import { pinnedItems, startNodeOf } from './workflow-run-start';
import {
  findRun,
  inputItems,
  listRunRows,
  nodeRunsOf,
  recordRunFinished,
  recordRunOperation,
  recordRunStarted,
  reuseNodeRuns,
  runNodes,
  seedNodeRuns,
  upsertNode,
  type NodeRow,
  type RunRow,
} from './workflow-run-store';
import { preview } from '../preview';

/** Largest run input (serialized JSON). */
export const RUN_INPUT_LIMIT_BYTES = 256 * 1024;

const toRun = (r: RunRow): WorkflowRun => ({
  id: r.id,
  workflowId: r.workflow_id,
  workflowName: r.workflow_name,
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

const toNode = (n: NodeRow): WorkflowRunNode => ({
  name: n.node_name,
  status: n.status,
  runs: n.runs,
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
  plan: RunPlan;
  input: unknown;
  mode: RunMode;
  /** Pin the definition's pinData (n8n does); a run may ignore it. */
  usePinData: boolean;
  /** A retry: the run whose completed outputs the listed nodes reuse. */
  reuse?: { fromRunId: string; nodes: string[] };
  retryOf?: string;
  /** A trigger's run (webhook): the node it starts from. */
  startNode?: string;
}

function checkInput(input: unknown): void {
  checkJsonSize(input, 'body.input', RUN_INPUT_LIMIT_BYTES);
}

/** The hooks of a workflow operation, planned in the caller's read transaction. */
const planHooks = (tx: Tx, ctx: TenantCtx, operation: Operation): Promise<PlannedOperation> => ctx.operationHooks.plan(tx, ctx, operation);

/**
 * Records the run with its start items and pinned items, and its start, in one transaction, then
 * starts its workflow: with Temporal away the dispatcher starts it later; a start Temporal
 * refuses marks the run failed.
 */
async function startRun(ctx: TenantCtx, spec: StartSpec): Promise<WorkflowRun> {
  const { instanceId } = ctx.tenant;
  const runId = newId('run');
  const temporalId = dagWorkflowId(instanceId, spec.workflowId, runId);
  const startNode = spec.startNode ?? startNodeOf(spec.definition, ctx.nodes, spec.mode);
  if (startNode === undefined) throw ValidationError.field('body.definition', 'has no enabled start node');
  const items: Item[] = inputItems(spec.input);
  const names = spec.plan.nodes.map((n) => n.name);
  const pinned = spec.usePinData ? pinnedItems(spec.definition, names) : {};
  const input: N8nRunInput = {
    instanceId,
    orgId: spec.orgId,
    workflowId: spec.workflowId,
    workflowName: spec.workflowName,
    version: spec.version,
    runId,
    plan: spec.plan,
    startNode,
    startItems: items.length,
    mode: spec.mode,
    pinned: [...new Set([...Object.keys(pinned), ...(spec.reuse?.nodes ?? [])])],
    historyEventLimit: ctx.config.workflows.historyEventLimit,
  };
  const start: WorkflowStart = { workflowType: 'n8nWorkflow', workflowId: temporalId, taskQueue: ctx.temporal.taskQueue, instanceId, orgId: spec.orgId, args: [input], summary: `${spec.workflowName} v${spec.version}` };
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
    await seedNodeRuns(tx, instanceId, runId, startNode, items, pinned);
    if (spec.reuse) {
      await reuseNodeRuns(tx, instanceId, spec.reuse.fromRunId, runId, spec.reuse.nodes);
      // A reused output keeps the run it first came from.
      const earlier = new Map((await runNodes(tx, instanceId, spec.reuse.fromRunId)).map((n) => [n.node_name, n.reused_from_run]));
      for (const name of spec.reuse.nodes) await upsertNode(tx, instanceId, runId, { name, status: 'running', reusedFromRun: earlier.get(name) ?? spec.reuse.fromRunId });
    }
    await recordWorkflowStart(tx, start);
    return (await findRun(tx, instanceId, runId, null))!;
  });
  try {
    await startRecorded(ctx, start);
  } catch (err) {
    await transaction(ctx.db, ctx.tenant, async (tx) => {
      await forgetWorkflowStart(tx, start);
      await recordRunFinished(tx, instanceId, runId, 'failed', { message: 'the run could not be started', node: null });
    });
    throw err;
  }
  return toRun(row);
}

export interface LoadedVersion {
  wf: DefinitionRow;
  version: number;
  definition: DagDefinition;
}

async function loadVersion(tx: Tx, ctx: TenantCtx, workflowId: string, version: number | undefined): Promise<LoadedVersion> {
  const wf = await findDefinition(tx, ctx, workflowId);
  const v = version ?? wf.latest_version;
  const found = await findVersion(tx, ctx.tenant.instanceId, workflowId, v);
  if (found === undefined) throw ValidationError.field('body.version', `workflow ${workflowId} has no version ${v}`);
  return { wf, version: v, definition: found.definition };
}

/** Starts a run (request/ and response/ExecuteWorkflow around it: a request target may replace its input). */
export async function executeWorkflow(ctx: TenantCtx, workflowId: string, body: { input?: unknown; version?: number; ignorePinData?: boolean }): Promise<WorkflowRun> {
  checkInput(body.input);
  const { loaded, hooks } = await transaction(ctx.db, ctx.tenant, async (tx) => ({
    loaded: await loadVersion(tx, ctx, workflowId, body.version),
    hooks: await planHooks(tx, ctx, 'ExecuteWorkflow'),
  }));
  const { wf, version, definition } = loaded;
  const { input } = await hooks.request(ctx, { workflowId, version, input: body.input ?? {} }, ['input']);
  checkInput(input);
  const plan = await checkDefinition(ctx, definition, 'definition');
  return hooks.response(ctx, await startRun(ctx, { workflowId, workflowName: wf.name, orgId: wf.org_id, version, definition, plan, input, mode: 'manual', usePinData: body.ignorePinData !== true }));
}

/** The workflow's latest version, as a trigger runs it. */
export function latestVersion(ctx: TenantCtx, workflowId: string): Promise<LoadedVersion> {
  return transaction(ctx.db, ctx.tenant, (tx) => loadVersion(tx, ctx, workflowId, undefined));
}

/** A run started by one of the version's trigger nodes; production runs ignore pinData, as n8n's do. */
export async function startTriggeredRun(ctx: TenantCtx, loaded: LoadedVersion, node: string, mode: RunMode, input: Record<string, unknown>[]): Promise<WorkflowRun> {
  checkInput(input);
  const { wf, version, definition } = loaded;
  const plan = await checkDefinition(ctx, definition, 'definition');
  return startRun(ctx, { workflowId: wf.id, workflowName: wf.name, orgId: wf.org_id, version, definition, plan, input, mode, usePinData: false, startNode: node });
}

async function visibleRun(tx: Tx, ctx: TenantCtx, runId: string): Promise<RunRow> {
  const run = await findRun(tx, ctx.tenant.instanceId, runId, visibleOrgKey(ctx.tenant));
  if (run === undefined) throw new NotFoundError('workflow run', runId);
  return run;
}

export async function getWorkflowRun(ctx: TenantCtx, runId: string): Promise<WorkflowRun> {
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    const run = await visibleRun(tx, ctx, runId);
    return { ...toRun(run), nodes: (await runNodes(tx, ctx.tenant.instanceId, runId)).map(toNode) };
  });
}

export interface WorkflowRunQuery {
  limit: number;
  cursor?: string;
  status?: string;
}

/** The runs of one workflow (404 when the caller cannot see it), or of every workflow (workflowId null). */
export async function listWorkflowRuns(ctx: TenantCtx, workflowId: string | null, query: WorkflowRunQuery): Promise<Page<WorkflowRun>> {
  const after = decodeCursor(query.cursor, TIME_ID);
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    // Runs stay readable after a soft delete, so only the org scope is checked here.
    if (workflowId !== null) {
      const { rows: wf } = await tx.query('SELECT 1 FROM workflow_definitions WHERE instance_id = $1 AND id = $2 AND ($3::text IS NULL OR org_id = $3)', [
        ctx.tenant.instanceId,
        workflowId,
        visibleOrgKey(ctx.tenant),
      ]);
      if (wf.length === 0) throw new NotFoundError('workflow', workflowId);
    }
    const rows = await listRunRows(tx, ctx.tenant.instanceId, { workflowId, orgId: visibleOrgKey(ctx.tenant), status: query.status, after, limit: query.limit + 1 });
    return toPage(rows, query.limit, toRun, (r) => [r.started_at.toISOString(), r.id]);
  });
}

async function runningRun(ctx: TenantCtx, runId: string, operation: Operation): Promise<{ run: RunRow; hooks: PlannedOperation }> {
  const found = await transaction(ctx.db, ctx.tenant, async (tx) => ({ run: await visibleRun(tx, ctx, runId), hooks: await planHooks(tx, ctx, operation) }));
  if (found.run.status !== 'running') throw new ConflictError(`run ${runId} is ${found.run.status}, not running`, { runStatus: found.run.status });
  return found;
}

/**
 * A run whose workflow does not exist: 409 while its start is still to be made (the dispatcher
 * makes it within seconds); a run whose start was lost before starts were recorded is closed
 * as cancelled when `closeOrphan` (a cancel), so it stops showing as running.
 */
async function notStarted(ctx: TenantCtx, run: RunRow, closeOrphan: boolean): Promise<void> {
  const { instanceId } = ctx.tenant;
  await transaction(ctx.db, ctx.tenant, async (tx) => {
    if (await startPending(tx, instanceId, run.temporal_workflow_id)) throw new ConflictError(`run ${run.id} has not started yet; retry in a few seconds`, { runStatus: run.status });
    if (!closeOrphan) throw new ConflictError(`run ${run.id} has no workflow; it cannot be signalled`, { runStatus: run.status });
    await recordRunFinished(tx, instanceId, run.id, 'cancelled', { message: `cancelled by ${ctx.tenant.actor}; its workflow had never started`, node: null });
  });
}

/** Cancels a running run (request/ and response/CancelWorkflowRun around it; the answer has no body to rewrite). */
export async function cancelWorkflowRun(ctx: TenantCtx, runId: string): Promise<void> {
  const { run, hooks } = await runningRun(ctx, runId, 'CancelWorkflowRun');
  const body = { runId, workflowId: run.workflow_id };
  await hooks.request(ctx, body, []);
  try {
    await ctx.temporal.client.workflow.getHandle(run.temporal_workflow_id).cancel();
    await transaction(ctx.db, ctx.tenant, (tx) => recordRunOperation(tx, ctx.tenant.instanceId, ctx.tenant.actor, runId, 'workflow_run.cancel_requested', {}));
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    await notStarted(ctx, run, true);
  }
  await hooks.response(ctx, body);
}

/** Signal names that would be object prototype keys are refused. */
export const RESERVED_SIGNAL_NAMES = ['__proto__', 'constructor', 'prototype'];

/** Signals a running run (request/ and response/SignalWorkflowRun around it: a request target may replace the payload). */
export async function signalWorkflowRun(ctx: TenantCtx, runId: string, name: string, payload: Record<string, unknown>): Promise<void> {
  if (RESERVED_SIGNAL_NAMES.includes(name)) throw ValidationError.field('path.name', `must not be ${RESERVED_SIGNAL_NAMES.join(', ')}`);
  const { run, hooks } = await runningRun(ctx, runId, 'SignalWorkflowRun');
  const signal = await hooks.request(ctx, { runId, workflowId: run.workflow_id, name, payload }, ['payload']);
  if (typeof signal.payload !== 'object' || signal.payload === null || Array.isArray(signal.payload)) {
    throw ValidationError.field('body', 'a request/SignalWorkflowRun target returned a payload that is not an object');
  }
  try {
    await ctx.temporal.client.workflow.getHandle(run.temporal_workflow_id).signal(dagSignal, { name, payload: signal.payload });
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    return notStarted(ctx, run, false);
  }
  await transaction(ctx.db, ctx.tenant, (tx) => recordRunOperation(tx, ctx.tenant.instanceId, ctx.tenant.actor, runId, 'workflow_run.signalled', { name }));
  await hooks.response(ctx, { runId, workflowId: run.workflow_id, name });
}

/**
 * Reruns a finished run from `fromNode` (default: the nodes that failed it) on the same or a
 * newer version. Completed outputs of every node outside the rerun part are reused and carry
 * the run they first came from.
 */
export async function retryWorkflowRun(ctx: TenantCtx, runId: string, body: { fromNode?: string; version?: number }): Promise<WorkflowRun> {
  const { prepared, hooks } = await transaction(ctx.db, ctx.tenant, async (tx) => ({ prepared: await prepareRetry(tx, ctx, runId, body), hooks: await planHooks(tx, ctx, 'RetryWorkflowRun') }));
  // The request/ targets may veto a retry; they change nothing of it.
  await hooks.request(ctx, { runId, workflowId: prepared.old.workflow_id, fromNode: body.fromNode ?? null, version: prepared.version }, []);
  return hooks.response(ctx, await rerun(ctx, runId, prepared, body.fromNode));
}

/** What a retry reads in one transaction: the finished run, the version it reruns on and its nodes. */
async function prepareRetry(tx: Tx, ctx: TenantCtx, runId: string, body: { version?: number }) {
  const old = await visibleRun(tx, ctx, runId);
  if (old.status === 'running') throw new ConflictError(`run ${runId} is still running; cancel it first`);
  if (body.version !== undefined && body.version < old.version) {
    throw ValidationError.field('body.version', `must be ${old.version} or newer (the run used version ${old.version})`);
  }
  const loaded = await loadVersion(tx, ctx, old.workflow_id, body.version ?? old.version);
  return { old, ...loaded, nodes: await runNodes(tx, ctx.tenant.instanceId, runId) };
}

async function rerun(ctx: TenantCtx, runId: string, prepared: Awaited<ReturnType<typeof prepareRetry>>, fromNode: string | undefined): Promise<WorkflowRun> {
  const plan = await checkDefinition(ctx, prepared.definition, 'definition');
  const names = new Set(plan.nodes.map((n) => n.name));
  const from = fromNode === undefined ? prepared.nodes.filter((n) => n.status === 'failed' && n.handled_by === null).map((n) => n.node_name) : [fromNode];
  if (fromNode !== undefined && !names.has(fromNode)) throw ValidationError.field('body.fromNode', `version ${prepared.version} has no node '${fromNode}'`);
  if (from.length === 0) throw new ConflictError(`run ${runId} has no failed node to retry from; name one in fromNode`);
  const rerunNodes = new Set(from.flatMap((f) => [...descendantsOf(plan.edges, f)]));
  const reused = prepared.nodes.filter((n) => n.status === 'completed' && names.has(n.node_name) && !rerunNodes.has(n.node_name)).map((n) => n.node_name);
  return startRun(ctx, {
    workflowId: prepared.old.workflow_id,
    workflowName: prepared.wf.name,
    orgId: prepared.old.org_id,
    version: prepared.version,
    definition: prepared.definition,
    plan,
    input: prepared.old.input,
    mode: 'retry',
    usePinData: true,
    reuse: { fromRunId: runId, nodes: reused },
    retryOf: runId,
  });
}

/** Most node runs one page of GET /v1/workflow-runs/{runId}/nodes/{node} returns. */
export const NODE_RUNS_PAGE = 100;

/** Every run of one node of a run, with its whole output (n8n's runData for that node). */
export async function getNodeRuns(ctx: TenantCtx, runId: string, node: string): Promise<WorkflowNodeRuns> {
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    await visibleRun(tx, ctx, runId);
    const rows = await nodeRunsOf(tx, ctx.tenant.instanceId, runId, node, NODE_RUNS_PAGE);
    if (rows.length === 0 && !(await runNodes(tx, ctx.tenant.instanceId, runId)).some((n) => n.node_name === node)) throw new NotFoundError(`node of run ${runId}`, node);
    return {
      node,
      runs: rows.map((r) => ({
        runIndex: r.run_index,
        status: r.status,
        source: r.source,
        output: r.outputs,
        error: r.error,
        handledBy: r.handled_by,
        finishedAt: r.finished_at.toISOString(),
      })),
    };
  });
}
