// Activities of the first DAG interpreter (dagWorkflow), kept for the runs it started: run one
// node through the node runner, and keep the run's rows in PostgreSQL. Node rows are idempotent
// upserts keyed by (run, node), so a retried activity rewrites the same row. recordDagNodes and
// finishDagRun serve the n8n interpreter too.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ScriptThreadPool } from '../actions/script';
import type { AppCtx, TenantCtx } from '../context';
import { transaction } from '../db/db';
import { CadenzaError } from '../errors';
import { sha256Hex } from '../ids';
import { TEMPORAL_REPLY_PREFIX, type CommandReply } from '../commands/model';
import type { CommandView } from '../commands/view';
import { sendCommand } from '../commands/send';
import type { SendCommandParams } from '../dsl/nodes/commands';
import type { RunStatus } from '../dag/view';
import { recordRunFinished, recordRunStarted, upsertNode, type NodeRecord } from '../dag/workflow-run-store';
import { ExpressionError, referencedNodes } from '../dsl/expressions';
import { CodeError, ParameterError, prepareNodeRun, runNode, type NodeRunDeps } from '../dsl/node-runner';
import type { Plan } from '../dsl/plan';
import { preview } from '../preview';
import type { RunPlan } from '../dsl/run-plan';
import type { DagDefinition, DagNode, Item } from '../dsl/types';
import { LIMITS, validateDefinition } from '../dsl/validate';
import { createAddressPolicy, OutboundAddressRefused } from '../net/address-policy';
import { observeNode } from '../telemetry/nodes';
import { DAG_FAILURES, dagWorkflowId, type DagRunInput, type Outputs, type ReusedOutput } from '../workflows/dag-contract';
import { persist } from './persist';
import { requestLimitsOf } from '../tenancy/instances';

export type { NodeRecord };

/** How often runDagNode heartbeats; the workflow's heartbeat timeout is 30 s. */
const HEARTBEAT_MS = 5000;

/** Largest output of one node (serialized JSON); Temporal payloads stop at 2 MB. */
export const NODE_OUTPUT_LIMIT_BYTES = 1024 * 1024;

export interface RunNodeInput {
  instanceId: string;
  runId: string;
  node: DagNode;
  inputs: Item[][];
  refs: Record<string, Item[]>;
  maxAttempts: number;
}

export interface SendCommandsInput {
  instanceId: string;
  orgId: string | null;
  runId: string;
  /** The run's own Temporal workflow id: the commands reply to it. */
  temporalWorkflowId: string;
  node: DagNode;
  inputs: Item[][];
  refs: Record<string, Item[]>;
  /** The node's try (the workflow retries a sendCommand node), part of the default command ids. */
  attempt: number;
}

/** One command a sendCommand node sent; `reply` is set when it had already ended (a resend). */
export interface SentCommand {
  domain: string;
  type: string;
  commandId: string;
  reply?: CommandReply;
}

export interface PrepareRunInput {
  /** Chosen by the calling workflow, so a retried activity records the same run. */
  runId: string;
  instanceId: string;
  orgId: string | null;
  workflowId: string;
  version?: number;
  input: unknown;
  parentRunId: string;
}

/** Errors no retry can fix: bad expressions, script errors, refused addresses. */
function isPermanent(err: unknown): boolean {
  return err instanceof ExpressionError || err instanceof CodeError || err instanceof ParameterError || err instanceof OutboundAddressRefused;
}

/** The first interpreter's plan of a definition the current validator planned. */
function legacyPlan(plan: RunPlan, def: DagDefinition): Plan {
  const params = new Map(def.nodes.map((n) => [n.name, n.parameters ?? {}]));
  return {
    nodes: plan.nodes.map((n) => ({
      name: n.name,
      kind: n.kind === 'decoration' ? 'activity' : n.kind,
      disabled: n.disabled,
      outputs: n.outputs,
      retry: n.retry,
      timeoutMs: n.timeoutMs,
      onError: n.onError,
      ...(n.fallbackNode ? { fallbackNode: n.fallbackNode } : {}),
      ...(n.wait ? { waitMs: n.wait.ms ?? 0 } : {}),
      ...(n.signal ? { signal: n.signal } : {}),
      ...(n.child ? { child: { workflowId: n.child.workflowId, ...(n.child.version !== undefined ? { version: n.child.version } : {}) } } : {}),
      ...(n.command ? { command: n.command } : {}),
      refs: [...referencedNodes(params.get(n.name))],
    })),
    edges: plan.edges,
    maxParallel: plan.maxParallel,
    ...(plan.executionTimeoutMs !== undefined ? { executionTimeoutMs: plan.executionTimeoutMs } : {}),
    ...(plan.errorWorkflow !== undefined ? { errorWorkflow: plan.errorWorkflow } : {}),
  };
}

/**
 * The id of the command for one item: the node's commandId parameter, or one derived from the
 * run, the node and the item; a node retry adds `.<try>` so each try sends a new command.
 */
export function dagCommandId(input: Pick<SendCommandsInput, 'runId' | 'node' | 'attempt'>, itemIndex: number, given: string | undefined): string {
  const base = given ?? `${input.runId}.${sha256Hex(input.node.name).slice(0, 12)}.${itemIndex}`;
  return input.attempt === 1 ? base : `${base}.${input.attempt}`;
}

/** The reply a resend answers with itself: an ended command signals its replyTo only once. */
function endedReply(c: CommandView): CommandReply | undefined {
  const base = { commandId: c.commandId, domain: c.domain, type: c.type, correlationId: c.correlationId };
  if (c.status === 'COMPLETED') return { ...base, outcome: 'SUCCESS', result: c.result };
  if (c.status === 'FAILED') return { ...base, outcome: 'FAILED', ...(c.lastError ? { error: c.lastError } : {}) };
  if (c.status === 'CANCELED') return { ...base, outcome: 'CANCELED' };
  return undefined;
}

/** Bad input, conflicts and refusals by a preSend flow: resending cannot help. */
function isPermanentSendError(err: unknown): boolean {
  return err instanceof CadenzaError && err.kind !== 'unavailable';
}

export function dagActivities(ctx: AppCtx, scripts: ScriptThreadPool) {
  const registry = ctx.nodes;
  const outbound = createAddressPolicy(ctx.config.outboundAllowlist);
  const tenant = (instanceId: string) => ({ instanceId });

  /** The first interpreter passed other nodes' output 0 along: they read as each node's only run. */
  const refDeps = (instanceId: string, refs: Record<string, Item[]>, signal: AbortSignal): NodeRunDeps => ({
    registry,
    reader: { read: async (node) => (Object.prototype.hasOwnProperty.call(refs, node) ? { source: [], outputs: [refs[node]!] } : undefined) },
    lastRun: (node) => (Object.prototype.hasOwnProperty.call(refs, node) ? 0 : undefined),
    contextOf: async () => undefined,
    scripts: (job) => scripts.run(instanceId, { kind: 'node', input: job }),
    outbound,
    signal,
  });
  const meta = (runId: string) => ({ workflow: { id: '', name: '', active: false }, execution: { id: runId, mode: 'manual' }, timezone: 'UTC' });

  async function record(instanceId: string, runId: string, nodes: NodeRecord[]): Promise<void> {
    await transaction(ctx.db, tenant(instanceId), async (tx) => {
      for (const n of nodes) await upsertNode(tx, instanceId, runId, n);
    });
  }

  return {
    async runDagNode(input: RunNodeInput): Promise<Outputs> {
      const activity = Context.current();
      const { attempt } = activity.info;
      const name = input.node.name;
      await persist(() => record(input.instanceId, input.runId, [{ name, status: 'running', attempts: attempt, inputPreview: preview(input.inputs), started: true }]));
      const beat = setInterval(() => activity.heartbeat(), HEARTBEAT_MS);
      try {
        const items = await observeNode(ctx.metrics, input.node, () =>
          runNode(
            { node: input.node, inputs: input.inputs, source: [], runIndex: 0, context: {}, meta: meta(input.runId) },
            refDeps(input.instanceId, input.refs, activity.cancellationSignal),
          ),
        );
        const outputs: Outputs = items.map((x) => (x.length > 0 ? x : null));
        const bytes = Buffer.byteLength(JSON.stringify(outputs));
        if (bytes > NODE_OUTPUT_LIMIT_BYTES) {
          throw ApplicationFailure.nonRetryable(`output is ${bytes} bytes; the limit is ${NODE_OUTPUT_LIMIT_BYTES} bytes`, DAG_FAILURES.nodeOutputTooLarge);
        }
        await persist(() => record(input.instanceId, input.runId, [{ name, status: 'completed', output: outputs, finished: true }]));
        return outputs;
      } catch (err) {
        const permanent = isPermanent(err) || (err instanceof ApplicationFailure && err.nonRetryable);
        const message = err instanceof Error ? err.message : String(err);
        const last = permanent || attempt >= input.maxAttempts;
        await persist(() => record(input.instanceId, input.runId, [{ name, status: last ? 'failed' : 'retrying', error: message, ...(last ? { finished: true } : {}) }]));
        if (permanent && !(err instanceof ApplicationFailure)) throw ApplicationFailure.nonRetryable(message, (err as Error).name);
        throw err;
      } finally {
        clearInterval(beat);
      }
    },

    /**
     * Sends the commands of a sendCommand node, one per input item, replying to this run's
     * workflow. Command ids are deterministic, so a retried activity resends the same commands.
     */
    async sendDagCommands(input: SendCommandsInput): Promise<SentCommand[]> {
      const name = input.node.name;
      await persist(() => record(input.instanceId, input.runId, [{ name, status: 'running', attempts: input.attempt, inputPreview: preview(input.inputs), started: true }]));
      const tenantCtx: TenantCtx = {
        ...ctx,
        // The instance's payload limit holds for commands its workflows send, too.
        tenant: { instanceId: input.instanceId, orgId: input.orgId, role: 'operator', actor: `workflow:${input.runId}`, keyId: null, keyOrgId: null, limits: await requestLimitsOf(ctx.db, input.instanceId) },
      };
      const replyTo = TEMPORAL_REPLY_PREFIX + input.temporalWorkflowId;
      const items = input.inputs.flat().length;
      if (items > LIMITS.commandsPerNode) throw ApplicationFailure.nonRetryable(`${items} items would send ${items} commands; the limit is ${LIMITS.commandsPerNode}`, DAG_FAILURES.tooManyCommands);
      try {
        const run = await prepareNodeRun({ node: input.node, inputs: [input.inputs.flat()], source: [], runIndex: 0, context: {}, meta: meta(input.runId) }, refDeps(input.instanceId, input.refs, Context.current().cancellationSignal));
        const sent: SentCommand[] = [];
        for (let i = 0; i < run.itemCount; i++) {
          const p = run.params(i) as SendCommandParams;
          const commandId = dagCommandId(input, i, p.commandId);
          // The run id correlates every command of the run (GET /v1/commands?correlationId=<runId>).
          const { command } = await sendCommand(tenantCtx, { domain: p.domain, type: p.type, commandId, correlationId: input.runId, payload: p.payload ?? null, replyTo });
          const reply = endedReply(command);
          sent.push({ domain: p.domain, type: p.type, commandId, ...(reply ? { reply } : {}) });
        }
        return sent;
      } catch (err) {
        if (err instanceof ApplicationFailure) throw err;
        const message = err instanceof Error ? err.message : String(err);
        if (isPermanent(err) || isPermanentSendError(err)) throw ApplicationFailure.nonRetryable(message, (err as Error).name);
        throw err;
      }
    },

    async recordDagNodes(input: { instanceId: string; runId: string; nodes: NodeRecord[] }): Promise<void> {
      await record(input.instanceId, input.runId, input.nodes);
    },

    /** Records the outputs a retry reuses, with the run they came from. */
    async beginDagRun(input: { instanceId: string; runId: string; reused: Record<string, ReusedOutput> }): Promise<void> {
      const nodes = Object.entries(input.reused).map(([name, r]) => ({
        name,
        status: 'completed' as const,
        output: r.outputs,
        reusedFromRun: r.fromRunId,
      }));
      if (nodes.length > 0) await record(input.instanceId, input.runId, nodes);
    },

    async finishDagRun(input: { instanceId: string; runId: string; status: RunStatus; error: { message: string; node: string | null } | null }): Promise<void> {
      const recorded = await transaction(ctx.db, tenant(input.instanceId), (tx) => recordRunFinished(tx, input.instanceId, input.runId, input.status, input.error));
      if (recorded) ctx.metrics.runs.inc({ kind: 'workflow', outcome: input.status });
    },

    /** Loads and plans another workflow for Execute Workflow or an error workflow, and records its run. */
    async prepareDagRun(input: PrepareRunInput): Promise<DagRunInput> {
      return transaction(ctx.db, tenant(input.instanceId), async (tx) => {
        // Only a workflow of the caller's own org: another org's is not found.
        const { rows } = await tx.query<{ name: string; latest_version: number; org_id: string | null }>(
          'SELECT name, latest_version, org_id FROM workflow_definitions WHERE instance_id = $1 AND id = $2 AND deleted_at IS NULL AND org_id IS NOT DISTINCT FROM $3',
          [input.instanceId, input.workflowId, input.orgId],
        );
        const wf = rows[0];
        if (wf === undefined) throw ApplicationFailure.nonRetryable(`workflow '${input.workflowId}' not found`, DAG_FAILURES.workflowNotFound);
        const version = input.version ?? wf.latest_version;
        const v = await tx.query<{ definition: DagDefinition }>('SELECT definition FROM workflow_versions WHERE instance_id = $1 AND workflow_id = $2 AND version = $3', [
          input.instanceId,
          input.workflowId,
          version,
        ]);
        if (v.rows[0] === undefined) throw ApplicationFailure.nonRetryable(`workflow '${input.workflowId}' has no version ${version}`, DAG_FAILURES.workflowNotFound);
        const result = validateDefinition(v.rows[0].definition, registry);
        if (result.plan === undefined) throw ApplicationFailure.nonRetryable(`workflow '${input.workflowId}' v${version} is not valid on this worker: ${result.issues.map((i) => i.message).join('; ')}`, DAG_FAILURES.invalidWorkflow);
        const { runId } = input;
        await recordRunStarted(tx, `run:${input.parentRunId}`, {
          instance_id: input.instanceId,
          org_id: wf.org_id,
          id: runId,
          workflow_id: input.workflowId,
          version,
          input: input.input,
          retry_of: null,
          parent_run_id: input.parentRunId,
          temporal_workflow_id: dagWorkflowId(input.instanceId, input.workflowId, runId),
          created_by: `run:${input.parentRunId}`,
        });
        return {
          instanceId: input.instanceId,
          orgId: wf.org_id,
          workflowId: input.workflowId,
          workflowName: wf.name,
          version,
          runId,
          definition: v.rows[0].definition,
          plan: legacyPlan(result.plan, v.rows[0].definition),
          input: input.input,
          historyEventLimit: ctx.config.workflows.historyEventLimit,
        };
      });
    },
  };
}

export type DagActivities = ReturnType<typeof dagActivities>;
