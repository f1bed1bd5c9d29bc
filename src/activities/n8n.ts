// Activities of the n8n interpreter workflow. One node run is one activity: it reads its input
// items from PostgreSQL (the runs they came from), runs the node (expressions and Code on the
// script thread pool), and writes its outputs back, returning only item counts. Rows are keyed
// by (run, node, run index), so a retried activity rewrites the same row.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ScriptThreadPool } from '../actions/script';
import type { AppCtx, TenantCtx } from '../context';
import { transaction, type Tx } from '../db/db';
import { CadenzaError } from '../errors';
import { TEMPORAL_REPLY_PREFIX } from '../commands/model';
import { sendCommand } from '../commands/send';
import { contextBefore, copyNodeRun, readNodeRun, recordRunStarted, saveNodeRun, seedNodeRuns, showNodeRun, upsertNode, type NodeRecord } from '../dag/workflow-run-store';
import { preview } from '../preview';
import { observeNode } from '../telemetry/nodes';
import { persist } from './persist';
import type { TaskInput } from '../dsl/engine';
import { ExpressionError } from '../dsl/expressions';
import type { SendCommandParams } from '../dsl/nodes/commands';
import { CodeError, ParameterError, passThrough, prepareNodeRun, runNode, type NodeRunDeps, type RunMeta } from '../dsl/node-runner';
import { schemaOf, withDefaults, type NodeRegistry } from '../dsl/registry';
import type { RunDataReader, SourceRef, StoredRun } from '../dsl/run-data';
import type { DagDefinition, DagNode, Item } from '../dsl/types';
import { LIMITS, validateDefinition } from '../dsl/validate';
import { createAddressPolicy, OutboundAddressRefused, type AddressPolicy } from '../net/address-policy';
import { dagWorkflowId } from '../workflows/dag-contract';
import { N8N_FAILURES, type N8nRunInput, type NodeTaskMode, type RunMode, type ScheduledRunInput } from '../workflows/n8n-contract';
import { pinnedItems, startNodeOf } from '../dag/workflow-run-start';
import { dagCommandId, type SentCommand } from './dag';
import { credentialData } from '../credentials/credentials';
import { DateTime } from 'luxon';
import { requestLimitsOf } from '../tenancy/instances';


/** How often a node activity heartbeats; the workflow's heartbeat timeout is 30 s. */
const HEARTBEAT_MS = 5000;

/** Largest output of one node run (serialized JSON); it is stored in PostgreSQL, not in Temporal. */
export const NODE_OUTPUT_LIMIT_BYTES = 16 * 1024 * 1024;

export interface NodeTaskInput {
  instanceId: string;
  orgId: string | null;
  runId: string;
  workflowId: string;
  workflowName: string;
  version: number;
  runMode: RunMode;
  timezone: string;
  node: string;
  runIndex: number;
  inputs: (TaskInput | null)[];
  mode: NodeTaskMode;
  /** mode 'items': the node's output items. */
  items?: Record<string, unknown>[];
  /** mode 'copy': the stored runs whose output 0 becomes the node's output (one after another). */
  from?: { runId: string; node: string; runIndex: number }[];
  /** mode 'fail': why the node failed (its onError then applies); mode 'copy': why the copy stands in for the node's own output. */
  error?: string;
  /** mode 'copy': what handled the node's failure (a fallback node). */
  handledBy?: string;
  /** Every node's last run so far, for expressions that read other nodes. */
  lastRuns: [string, number][];
  maxAttempts: number;
}

export interface NodeTaskResult {
  /** Items per output (with continueErrorOutput, the error output last). */
  counts: number[];
  status: 'completed' | 'failed' | 'skipped';
  error?: string;
  handledBy?: string;
}

export interface SendNodeCommandsInput extends Omit<NodeTaskInput, 'mode' | 'items' | 'from' | 'error' | 'maxAttempts'> {
  temporalWorkflowId: string;
  /** The node's try; part of the default command ids. */
  attempt: number;
}

export interface PrepareChildInput {
  /** Chosen by the calling workflow, so a retried activity records the same run. */
  runId: string;
  parentRunId: string;
  instanceId: string;
  /** The caller's org: the child must belong to the same one. */
  orgId: string | null;
  workflowId: string;
  version?: number;
  historyEventLimit?: number;
  /** Execute Workflow: the items of a node input (or one of them); an error workflow: the error. */
  items: { from: TaskInput | null; parentRunId: string; itemIndex?: number } | { error: Record<string, unknown> };
  /** The Execute Workflow node's run, when its workflowId is an expression to resolve for the item. */
  caller?: NodeTaskInput;
}

export interface TriggerRunInput extends ScheduledRunInput {
  /** Chosen by the calling workflow, so a retried activity records the same run. */
  runId: string;
  /** When the schedule fired (epoch ms). */
  firedAt: number;
}

/** 1st, 2nd, 3rd, 4th … 11th, 12th, 13th, 21st (moment's `Do`). */
function ordinal(n: number): string {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

/** n8n's Schedule Trigger item for the time it fired, in the workflow timezone (n8n writes it with moment's formats). */
export function scheduleItem(firedAt: number, timezone: string): Record<string, unknown> {
  const t = DateTime.fromMillis(firedAt, { zone: timezone });
  const time = `${t.toFormat('h:mm:ss')} ${t.hour < 12 ? 'am' : 'pm'}`;
  return {
    timestamp: t.toISO(),
    'Readable date': `${t.toFormat('MMMM')} ${ordinal(t.day)} ${t.toFormat('yyyy')}, ${time}`,
    'Readable time': time,
    'Day of week': t.toFormat('cccc'),
    Year: t.toFormat('yyyy'),
    Month: t.toFormat('MMMM'),
    'Day of month': t.toFormat('dd'),
    Hour: t.toFormat('HH'),
    Minute: t.toFormat('mm'),
    Second: t.toFormat('ss'),
    Timezone: `${timezone} (UTC${t.toFormat('ZZ')})`,
  };
}

/** Errors no retry can fix: bad expressions and parameters, script errors, refused addresses. */
function isPermanent(err: unknown): boolean {
  return err instanceof ExpressionError || err instanceof CodeError || err instanceof ParameterError || err instanceof OutboundAddressRefused || (err instanceof ApplicationFailure && err.nonRetryable === true);
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Definitions by version: a version never changes, so the worker keeps a few. */
class DefinitionCache {
  private readonly map = new Map<string, DagDefinition>();
  constructor(private readonly max = 200) {}

  async get(ctx: AppCtx, instanceId: string, workflowId: string, version: number): Promise<DagDefinition> {
    const key = JSON.stringify([instanceId, workflowId, version]);
    const hit = this.map.get(key);
    if (hit !== undefined) return hit;
    const def = await persist(() => transaction(ctx.db, { instanceId }, async (tx) => {
      const { rows } = await tx.query<{ definition: DagDefinition }>('SELECT definition FROM workflow_versions WHERE instance_id = $1 AND workflow_id = $2 AND version = $3', [
        instanceId,
        workflowId,
        version,
      ]);
      return rows[0]?.definition;
    }));
    if (def === undefined) throw ApplicationFailure.nonRetryable(`workflow ${workflowId} has no version ${version}`, N8N_FAILURES.workflowNotFound);
    if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value!);
    this.map.set(key, def);
    return def;
  }
}

function nodeOf(def: DagDefinition, name: string): DagNode {
  const node = def.nodes.find((n) => n.name === name);
  if (node === undefined) throw ApplicationFailure.nonRetryable(`the workflow has no node '${name}'`, N8N_FAILURES.unknownNode);
  return node;
}

const sourceOf = (inputs: (TaskInput | null)[]): (SourceRef | null)[] => inputs.map((i) => (i ? { node: i.node, output: i.output, run: i.run } : null));
const countsOf = (outputs: Item[][]) => outputs.map((o) => o.length);

export function n8nActivities(ctx: AppCtx, scripts: ScriptThreadPool) {
  const registry: NodeRegistry = ctx.nodes;
  const outbound: AddressPolicy = createAddressPolicy(ctx.config.outboundAllowlist);
  const definitions = new DefinitionCache();
  /** A write or read of this run's records; it waits for PostgreSQL (heartbeating) rather than failing the attempt. */
  const inTx = <T>(instanceId: string, fn: (tx: Tx) => Promise<T>): Promise<T> => persist(() => transaction(ctx.db, { instanceId }, fn));

  const reader = (instanceId: string, runId: string): RunDataReader => ({
    read: (node, run) =>
      inTx(instanceId, async (tx) => {
        const row = await readNodeRun(tx, instanceId, runId, node, run);
        return row === undefined ? undefined : ({ source: row.source, outputs: row.outputs.map((o) => o ?? []) } satisfies StoredRun);
      }),
  });

  async function loadInputs(input: { instanceId: string; runId: string; inputs: (TaskInput | null)[] }): Promise<Item[][]> {
    const read = reader(input.instanceId, input.runId);
    const out: Item[][] = [];
    for (const i of input.inputs) out.push(i === null ? [] : ((await read.read(i.node, i.run))?.outputs[i.output] ?? []));
    return out;
  }

  async function summary(instanceId: string, runId: string, record: NodeRecord): Promise<void> {
    await inTx(instanceId, (tx) => upsertNode(tx, instanceId, runId, record));
  }

  function deps(input: NodeTaskInput, signal: AbortSignal): NodeRunDeps {
    const last = new Map(input.lastRuns);
    return {
      registry,
      reader: reader(input.instanceId, input.runId),
      lastRun: (n) => last.get(n),
      contextOf: (n) => inTx(input.instanceId, (tx) => contextBefore(tx, input.instanceId, input.runId, n, (last.get(n) ?? -1) + 1)),
      scripts: (job) => scripts.run(input.instanceId, { kind: 'node', input: job }),
      outbound,
      signal,
      credential: async (type, ref) => {
        if (ref === undefined) throw new ParameterError(`the node names no ${type} credential in its credentials block`);
        return inTx(input.instanceId, (tx) => credentialData(tx, ctx.config, input.instanceId, input.orgId, type, ref));
      },
    };
  }

  /** Regular outputs of a node (the error output of continueErrorOutput comes after them). */
  const outputsOf = (node: DagNode): number => {
    const plugin = registry.get(node.type);
    if (plugin === undefined) return 1;
    const params = schemaOf(plugin, node.typeVersion).safeParse(withDefaults(plugin, node.typeVersion, node.parameters ?? {}));
    return params.success ? plugin.outputs(params.data, node.typeVersion) : 1;
  };

  const metaOf = (input: Pick<NodeTaskInput, 'workflowId' | 'workflowName' | 'runId' | 'runMode' | 'timezone'>): RunMeta => ({
    workflow: { id: input.workflowId, name: input.workflowName, active: false },
    execution: { id: input.runId, mode: input.runMode },
    timezone: input.timezone,
  });

  /** Saves a node run and its summary row; returns its counts. */
  async function finish(input: NodeTaskInput, outputs: Item[][], status: NodeTaskResult['status'], extra: { context?: Record<string, unknown>; error?: string; handledBy?: string; attempts?: number } = {}): Promise<NodeTaskResult> {
    const bytes = Buffer.byteLength(JSON.stringify(outputs));
    if (bytes > NODE_OUTPUT_LIMIT_BYTES) throw ApplicationFailure.nonRetryable(`output is ${bytes} bytes; the limit is ${NODE_OUTPUT_LIMIT_BYTES} bytes`, N8N_FAILURES.nodeOutputTooLarge);
    await inTx(input.instanceId, async (tx) => {
      await saveNodeRun(tx, input.instanceId, input.runId, { node: input.node, runIndex: input.runIndex, status, source: sourceOf(input.inputs), outputs, ...extra });
      await upsertNode(tx, input.instanceId, input.runId, {
        name: input.node,
        status,
        // The summary row shows a preview; the whole output is the node run's.
        output: preview(outputs.map((o) => (o.length > 0 ? o : null))) as NodeRecord['output'],
        runs: input.runIndex + 1,
        finished: true,
        ...(extra.error ? { error: extra.error } : {}),
        ...(extra.handledBy ? { handledBy: extra.handledBy } : {}),
      });
    });
    return { counts: countsOf(outputs), status, ...(extra.error ? { error: extra.error } : {}), ...(extra.handledBy ? { handledBy: extra.handledBy } : {}) };
  }

  /** A node that failed as a whole, on its last try: n8n's onError decides what goes on. */
  async function failed(input: NodeTaskInput, node: DagNode, inputs: Item[][], message: string, outputs: number): Promise<NodeTaskResult> {
    const onError = node.onError ?? (node.continueOnFail ? 'continueRegularOutput' : 'stopWorkflow');
    const items = (inputs[0] ?? []).map((item, i) => ({ json: item.json, pairedItem: { item: i } }));
    if (onError === 'continueRegularOutput') return finish(input, [items], 'failed', { error: message, handledBy: 'continueRegularOutput' });
    if (onError === 'continueErrorOutput') {
      const withError = items.map((i) => ({ ...i, json: { ...i.json, error: message } }));
      return finish(input, [...Array.from({ length: outputs }, () => []), withError], 'failed', { error: message, handledBy: 'continueErrorOutput' });
    }
    if (onError === 'skip') return finish(input, [items], 'skipped', { error: message, handledBy: 'skip' });
    await finish(input, [], 'failed', { error: message });
    throw ApplicationFailure.nonRetryable(message, N8N_FAILURES.nodeFailed);
  }

  /** An Execute Workflow node's workflowId expression, resolved for its item. */
  /** A workflow of the org (not deleted) at the given or latest version, planned on this worker. */
  async function loadRunnable(tx: Tx, instanceId: string, workflowId: string, orgId: string | null, wanted?: number) {
    const { rows } = await tx.query<{ name: string; latest_version: number; org_id: string | null }>(
      'SELECT name, latest_version, org_id FROM workflow_definitions WHERE instance_id = $1 AND id = $2 AND deleted_at IS NULL AND org_id IS NOT DISTINCT FROM $3',
      [instanceId, workflowId, orgId],
    );
    const wf = rows[0];
    if (wf === undefined) throw ApplicationFailure.nonRetryable(`workflow '${workflowId}' not found`, N8N_FAILURES.workflowNotFound);
    const version = wanted ?? wf.latest_version;
    const v = await tx.query<{ definition: DagDefinition }>('SELECT definition FROM workflow_versions WHERE instance_id = $1 AND workflow_id = $2 AND version = $3', [instanceId, workflowId, version]);
    const def = v.rows[0]?.definition;
    if (def === undefined) throw ApplicationFailure.nonRetryable(`workflow '${workflowId}' has no version ${version}`, N8N_FAILURES.workflowNotFound);
    const result = validateDefinition(def, registry);
    if (result.plan === undefined) {
      throw ApplicationFailure.nonRetryable(`workflow '${workflowId}' v${version} is not valid on this worker: ${result.issues.map((i) => i.message).join('; ')}`, N8N_FAILURES.invalidWorkflow);
    }
    return { wf, version, def, plan: result.plan };
  }

  async function resolvedWorkflowId(caller: NodeTaskInput, input: PrepareChildInput): Promise<string> {
    const def = await definitions.get(ctx, caller.instanceId, caller.workflowId, caller.version);
    const node = nodeOf(def, caller.node);
    const inputs = await loadInputs(caller);
    const itemIndex = 'from' in input.items ? (input.items.itemIndex ?? 0) : 0;
    try {
      const run = await prepareNodeRun({ node, inputs, source: sourceOf(caller.inputs), runIndex: caller.runIndex, context: {}, meta: metaOf(caller) }, deps(caller, Context.current().cancellationSignal));
      const ref = (run.params(itemIndex) as { workflowId?: unknown }).workflowId;
      const id = typeof ref === 'object' && ref !== null ? (ref as { value?: unknown }).value : ref;
      if (typeof id !== 'string' && typeof id !== 'number') throw new Error(`workflowId resolved to ${JSON.stringify(id)}, not an id`);
      return String(id);
    } catch (err) {
      throw ApplicationFailure.nonRetryable(messageOf(err), N8N_FAILURES.badWorkflowId);
    }
  }

  return {
    /** One run of one node: run it, pass its input through, copy stored items, or record given items. */
    async runN8nNode(input: NodeTaskInput): Promise<NodeTaskResult> {
      const activity = Context.current();
      const { attempt } = activity.info;
      const def = await definitions.get(ctx, input.instanceId, input.workflowId, input.version);
      const node = nodeOf(def, input.node);
      const inputs = await loadInputs(input);
      await summary(input.instanceId, input.runId, { name: input.node, status: 'running', attempts: attempt, inputPreview: preview(inputs), started: true });
      const copy = async (from: { runId: string; node: string; runIndex: number }): Promise<NodeTaskResult> => {
        const handled = input.handledBy ? { error: input.error ?? 'the node failed', handledBy: input.handledBy } : {};
        const counts = await inTx(input.instanceId, async (tx) => {
          const copied = await copyNodeRun(tx, input.instanceId, from, { runId: input.runId, node: input.node, runIndex: input.runIndex, source: sourceOf(input.inputs) });
          await upsertNode(tx, input.instanceId, input.runId, { name: input.node, status: input.handledBy ? 'failed' : 'completed', runs: input.runIndex + 1, finished: true, ...handled });
          await showNodeRun(tx, input.instanceId, input.runId, input.node, input.runIndex);
          return copied;
        });
        if (counts === undefined) throw ApplicationFailure.nonRetryable(`no stored items for node '${from.node}' (run ${from.runIndex})`, N8N_FAILURES.noStoredItems);
        return { counts, status: input.handledBy ? 'failed' : 'completed', ...handled };
      };
      switch (input.mode) {
        case 'pin':
          return copy({ runId: input.runId, node: input.node, runIndex: -1 });
        case 'copy': {
          const from = input.from ?? [];
          if (from.length === 1) return copy(from[0]!);
          const items: Item[] = [];
          for (const f of from) items.push(...((await reader(input.instanceId, f.runId).read(f.node, f.runIndex))?.outputs[0] ?? []));
          return finish(input, [items.map((i, k) => ({ json: i.json, pairedItem: { item: Math.min(k, Math.max(0, (inputs[0]?.length ?? 1) - 1)) } }))], 'completed');
        }
        case 'pass':
          return finish(input, passThrough(inputs), node.disabled ? 'skipped' : 'completed', node.disabled ? { handledBy: 'disabled' } : {});
        case 'items':
          return finish(input, [(input.items ?? []).map((json, i) => ({ json, pairedItem: { item: Math.min(i, Math.max(0, (inputs[0]?.length ?? 1) - 1)) } }))], 'completed');
        case 'fail':
          return failed(input, node, inputs, input.error ?? 'the node failed', outputsOf(node));
      }
      const beat = setInterval(() => activity.heartbeat(), HEARTBEAT_MS);
      try {
        const context = (await inTx(input.instanceId, (tx) => contextBefore(tx, input.instanceId, input.runId, input.node, input.runIndex))) ?? {};
        const outputs = await observeNode(ctx.metrics, node, () => runNode({ node, inputs, source: sourceOf(input.inputs), runIndex: input.runIndex, context, meta: metaOf(input) }, deps(input, activity.cancellationSignal)));
        return await finish(input, outputs, 'completed', { context, attempts: attempt });
      } catch (err) {
        const message = messageOf(err);
        if (isPermanent(err) || attempt >= input.maxAttempts) return failed(input, node, inputs, message, outputsOf(node));
        await summary(input.instanceId, input.runId, { name: input.node, status: 'retrying', error: message });
        throw err;
      } finally {
        clearInterval(beat);
      }
    },

    /** Sends a sendCommand node's commands, one per input item, replying to this run's workflow. */
    async sendN8nCommands(input: SendNodeCommandsInput): Promise<SentCommand[]> {
      const def = await definitions.get(ctx, input.instanceId, input.workflowId, input.version);
      const node = nodeOf(def, input.node);
      const inputs = await loadInputs(input);
      await summary(input.instanceId, input.runId, { name: input.node, status: 'running', attempts: input.attempt, inputPreview: preview(inputs), started: true });
      const items = inputs[0]?.length ?? 0;
      if (items > LIMITS.commandsPerNode) throw ApplicationFailure.nonRetryable(`${items} items would send ${items} commands; the limit is ${LIMITS.commandsPerNode}`, N8N_FAILURES.tooManyCommands);
      const tenantCtx: TenantCtx = {
        ...ctx,
        // The instance's payload limit holds for commands its workflows send, too.
        tenant: { instanceId: input.instanceId, orgId: input.orgId, role: 'operator', actor: `workflow:${input.runId}`, keyId: null, keyOrgId: null, limits: await requestLimitsOf(ctx.db, input.instanceId) },
      };
      try {
        const run = await prepareNodeRun(
          { node, inputs, source: sourceOf(input.inputs), runIndex: input.runIndex, context: {}, meta: metaOf(input) },
          deps({ ...input, mode: 'run', maxAttempts: 1 }, Context.current().cancellationSignal),
        );
        const sent: SentCommand[] = [];
        for (let i = 0; i < Math.max(items, 1); i++) {
          const p = run.params(i) as SendCommandParams;
          const commandId = dagCommandId({ runId: input.runId, node, attempt: input.attempt }, i, p.commandId);
          const { command } = await sendCommand(tenantCtx, {
            domain: p.domain,
            type: p.type,
            commandId,
            correlationId: input.runId,
            payload: p.payload ?? null,
            replyTo: TEMPORAL_REPLY_PREFIX + input.temporalWorkflowId,
          });
          const ended = command.status === 'COMPLETED' || command.status === 'FAILED' || command.status === 'CANCELED';
          const base = { commandId, domain: command.domain, type: command.type, correlationId: command.correlationId };
          const reply = !ended
            ? undefined
            : command.status === 'COMPLETED'
              ? { ...base, outcome: 'SUCCESS' as const, result: command.result }
              : command.status === 'FAILED'
                ? { ...base, outcome: 'FAILED' as const, ...(command.lastError ? { error: command.lastError } : {}) }
                : { ...base, outcome: 'CANCELED' as const };
          sent.push({ domain: p.domain, type: p.type, commandId, ...(reply ? { reply } : {}) });
        }
        return sent;
      } catch (err) {
        if (err instanceof ApplicationFailure) throw err;
        if (isPermanent(err) || (err instanceof CadenzaError && err.kind !== 'unavailable')) throw ApplicationFailure.nonRetryable(messageOf(err), (err as Error).name);
        throw err;
      }
    },

    /**
     * Loads another workflow of the caller's org (Execute Workflow, or an error workflow), plans
     * it and records its run with its input items. Another org's workflow is not found.
     */
    async prepareN8nChild(input: PrepareChildInput): Promise<N8nRunInput> {
      const workflowId = input.caller && input.workflowId.startsWith('=') ? await resolvedWorkflowId(input.caller, input) : input.workflowId;
      return inTx(input.instanceId, async (tx) => {
        const { wf, version, def, plan } = await loadRunnable(tx, input.instanceId, workflowId, input.orgId, input.version);
        const isError = 'error' in input.items;
        const mode: RunMode = isError ? 'error' : 'subworkflow';
        const startNode = startNodeOf(def, registry, mode);
        if (startNode === undefined) throw ApplicationFailure.nonRetryable(`workflow '${workflowId}' has no ${isError ? 'error trigger' : 'start node'}`, N8N_FAILURES.invalidWorkflow);
        let items: Item[];
        if ('error' in input.items) items = [{ json: input.items.error }];
        else {
          const from = input.items.from;
          const all = from === null ? [] : ((await readNodeRun(tx, input.instanceId, input.items.parentRunId, from.node, from.run))?.outputs[from.output] ?? []);
          const chosen = input.items.itemIndex === undefined ? all : all.slice(input.items.itemIndex, input.items.itemIndex + 1);
          items = chosen.map((i) => ({ json: i.json }));
        }
        await recordRunStarted(tx, `run:${input.parentRunId}`, {
          instance_id: input.instanceId,
          org_id: wf.org_id,
          id: input.runId,
          workflow_id: workflowId,
          version,
          input: items.map((i) => i.json),
          retry_of: null,
          parent_run_id: input.parentRunId,
          temporal_workflow_id: dagWorkflowId(input.instanceId, workflowId, input.runId),
          created_by: `run:${input.parentRunId}`,
        });
        const pinned = pinnedItems(def, plan.nodes.map((n) => n.name));
        await seedNodeRuns(tx, input.instanceId, input.runId, startNode, items, pinned);
        return {
          instanceId: input.instanceId,
          orgId: wf.org_id,
          workflowId,
          workflowName: wf.name,
          version,
          runId: input.runId,
          plan,
          startNode,
          startItems: items.length,
          mode,
          pinned: Object.keys(pinned),
          ...(input.historyEventLimit ? { historyEventLimit: input.historyEventLimit } : {}),
        };
      });
    },
    /**
     * A due time of a Schedule Trigger node: records a run of the workflow's latest version that
     * starts from the node with n8n's schedule item. Production runs ignore pinData, as n8n's do.
     */
    async prepareN8nTriggerRun(input: TriggerRunInput): Promise<N8nRunInput> {
      return inTx(input.instanceId, async (tx) => {
        const { wf, version, def, plan } = await loadRunnable(tx, input.instanceId, input.workflowId, input.orgId);
        if (!def.nodes.some((n) => n.name === input.node && !n.disabled)) throw ApplicationFailure.nonRetryable(`workflow '${input.workflowId}' v${version} has no enabled node '${input.node}'`, N8N_FAILURES.invalidWorkflow);
        const items: Item[] = [{ json: scheduleItem(input.firedAt, plan.timezone ?? 'UTC') }];
        const actor = `schedule:${input.node}`;
        await recordRunStarted(tx, actor, {
          instance_id: input.instanceId,
          org_id: wf.org_id,
          id: input.runId,
          workflow_id: input.workflowId,
          version,
          input: items.map((i) => i.json),
          retry_of: null,
          parent_run_id: null,
          temporal_workflow_id: dagWorkflowId(input.instanceId, input.workflowId, input.runId),
          created_by: actor,
        });
        await seedNodeRuns(tx, input.instanceId, input.runId, input.node, items, {});
        return {
          instanceId: input.instanceId,
          orgId: wf.org_id,
          workflowId: input.workflowId,
          workflowName: wf.name,
          version,
          runId: input.runId,
          plan,
          startNode: input.node,
          startItems: items.length,
          mode: 'schedule',
          pinned: [],
          ...(input.historyEventLimit ? { historyEventLimit: input.historyEventLimit } : {}),
        };
      });
    },
  };
}

export type N8nActivities = ReturnType<typeof n8nActivities>;
