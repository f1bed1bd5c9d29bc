// Active workflows: their Webhook nodes answer under /v1/hooks/<instance>/<path> and their
// Schedule Trigger nodes run as Temporal Schedules (n8nScheduledRun). Activation records one
// workflow_triggers row per trigger node of the latest version; saving a new version of an
// active workflow moves its triggers to it; deactivating or deleting removes them.
import crypto from 'node:crypto';
import { ScheduleNotFoundError, ScheduleOverlapPolicy, WorkflowFailedError, type ScheduleSpec } from '@temporalio/client';
import type { AppCtx, TenantCtx } from '../context';
import { transaction, type Tx } from '../db/db';
import { isUniqueViolation } from '../db/unique';
import { WEBHOOK_AUTH, type WebhookParams, type WebhookResponse, type ScheduleInterval, type ScheduleParams } from '../dsl/nodes/triggers';
import { schemaOf, withDefaults } from '../dsl/registry';
import type { DagDefinition, DagNode } from '../dsl/types';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import { push } from '../eventstore/eventstore';
import { CadenzaInstance, CadenzaKind, CadenzaOrg } from '../temporal/search-attributes';
import type { N8nRunResult, ScheduledRunInput } from '../workflows/n8n-contract';
import { deleteWorkflow, findDefinition, findVersion, getWorkflow, updateWorkflow, type SaveInput } from './definitions';
import { readNodeRun } from './workflow-run-store';
import type { Workflow, WorkflowActivation, WorkflowRun } from './view';
import { latestVersion, startTriggeredRun } from './workflow-runs';
import { credentialData } from '../credentials/credentials';

const WEBHOOK_TYPE = 'n8n-nodes-base.webhook';
const SCHEDULE_TYPE = 'n8n-nodes-base.scheduleTrigger';
const RESPOND_TYPE = 'n8n-nodes-base.respondToWebhook';

/** How long a webhook call waits for its answer (last node, or Respond to Webhook) before 504. */
export const WEBHOOK_WAIT_MS = 120_000;
const RESPONSE_POLL_MS = 100;

interface Trigger {
  node: string;
  kind: 'webhook' | 'schedule';
  method: string | null;
  path: string | null;
  scheduleId: string | null;
}

function paramsOf<P>(ctx: AppCtx, node: DagNode): P {
  const plugin = ctx.nodes.get(node.type)!;
  return schemaOf(plugin, node.typeVersion).parse(withDefaults(plugin, node.typeVersion, node.parameters ?? {})) as P;
}

export function scheduleId(instanceId: string, workflowId: string, node: string): string {
  return `n8n:${instanceId}:${workflowId}:${crypto.createHash('sha256').update(node).digest('hex').slice(0, 12)}`;
}

function triggersOf(ctx: AppCtx, instanceId: string, workflowId: string, def: DagDefinition): Trigger[] {
  const out: Trigger[] = [];
  for (const n of def.nodes) {
    if (n.disabled) continue;
    if (n.type === WEBHOOK_TYPE) {
      const p = paramsOf<WebhookParams>(ctx, n);
      out.push({ node: n.name, kind: 'webhook', method: p.httpMethod, path: p.path, scheduleId: null });
    } else if (n.type === SCHEDULE_TYPE) out.push({ node: n.name, kind: 'schedule', method: null, path: null, scheduleId: scheduleId(instanceId, workflowId, n.name) });
  }
  return out;
}

/** n8n's rule as Temporal's schedule spec (in the workflow timezone). */
export function scheduleSpec(rules: ScheduleInterval[], timezone: string): ScheduleSpec {
  const intervals: { every: number }[] = [];
  const cron: string[] = [];
  for (const r of rules) {
    switch (r.field) {
      case 'seconds':
        intervals.push({ every: r.secondsInterval * 1000 });
        break;
      case 'minutes':
        intervals.push({ every: r.minutesInterval * 60_000 });
        break;
      case 'hours':
        cron.push(`${r.triggerAtMinute} */${r.hoursInterval} * * *`);
        break;
      case 'days':
        cron.push(`${r.triggerAtMinute} ${r.triggerAtHour} */${r.daysInterval} * *`);
        break;
      case 'weeks':
        cron.push(`${r.triggerAtMinute} ${r.triggerAtHour} * * ${r.triggerAtDay.join(',')}`);
        break;
      case 'months':
        cron.push(`${r.triggerAtMinute} ${r.triggerAtHour} ${r.triggerAtDayOfMonth} */${r.monthsInterval} *`);
        break;
      case 'cronExpression':
        cron.push(r.expression);
        break;
    }
  }
  return { intervals, cronExpressions: cron, timezone };
}

const OVERLAP = { allowAll: ScheduleOverlapPolicy.ALLOW_ALL, skip: ScheduleOverlapPolicy.SKIP, bufferOne: ScheduleOverlapPolicy.BUFFER_ONE, bufferAll: ScheduleOverlapPolicy.BUFFER_ALL };

/** Creates or updates the Temporal Schedule of one Schedule Trigger node. */
async function putSchedule(ctx: AppCtx, wf: { instanceId: string; orgId: string | null; workflowId: string; name: string }, def: DagDefinition, node: DagNode, id: string): Promise<void> {
  const p = paramsOf<ScheduleParams>(ctx, node);
  const input: ScheduledRunInput = { instanceId: wf.instanceId, orgId: wf.orgId, workflowId: wf.workflowId, node: node.name, historyEventLimit: ctx.config.workflows.historyEventLimit };
  const options = {
    spec: scheduleSpec(p.rule.interval, def.settings?.timezone ?? 'UTC'),
    action: {
      type: 'startWorkflow' as const,
      workflowType: 'n8nScheduledRun',
      taskQueue: ctx.temporal.taskQueue,
      args: [input],
      typedSearchAttributes: [
        { key: CadenzaInstance, value: wf.instanceId },
        { key: CadenzaKind, value: 'dag' },
        ...(wf.orgId === null ? [] : [{ key: CadenzaOrg, value: wf.orgId }]),
      ],
    },
    policies: { overlap: OVERLAP[node.cadenza?.overlap ?? 'allowAll'] },
    state: { note: `${wf.name}: ${node.name}` },
  };
  try {
    await ctx.temporal.client.schedule.getHandle(id).update(() => options);
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    try {
      await ctx.temporal.client.schedule.create({ scheduleId: id, ...options });
    } catch (e) {
      throw ValidationError.field('definition.nodes', `node '${node.name}': Temporal refused its schedule (${(e as Error).message})`);
    }
  }
}

async function dropSchedule(ctx: AppCtx, id: string): Promise<void> {
  try {
    await ctx.temporal.client.schedule.getHandle(id).delete();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
}

async function savedTriggers(tx: Tx, instanceId: string, workflowId: string): Promise<Trigger[]> {
  const { rows } = await tx.query<{ node_name: string; kind: 'webhook' | 'schedule'; method: string | null; path: string | null; schedule_id: string | null }>(
    'SELECT node_name, kind, method, path, schedule_id FROM workflow_triggers WHERE instance_id = $1 AND workflow_id = $2',
    [instanceId, workflowId],
  );
  return rows.map((r) => ({ node: r.node_name, kind: r.kind, method: r.method, path: r.path, scheduleId: r.schedule_id }));
}

async function replaceTriggers(tx: Tx, instanceId: string, orgId: string | null, workflowId: string, triggers: Trigger[]): Promise<void> {
  await tx.query('DELETE FROM workflow_triggers WHERE instance_id = $1 AND workflow_id = $2', [instanceId, workflowId]);
  for (const t of triggers) {
    try {
      await tx.query('SAVEPOINT trigger_row');
      await tx.query('INSERT INTO workflow_triggers (instance_id, org_id, workflow_id, node_name, kind, method, path, schedule_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
        instanceId,
        orgId,
        workflowId,
        t.node,
        t.kind,
        t.method,
        t.path,
        t.scheduleId,
      ]);
    } catch (err) {
      if (isUniqueViolation(err, 'workflow_triggers_webhook')) {
        throw new ConflictError(`node '${t.node}': another active workflow already serves ${t.method} /v1/hooks/${instanceId}/${t.path}`, { field: 'definition.nodes', node: t.node });
      }
      throw err;
    }
  }
}

const activationOf = (id: string, active: boolean, instanceId: string, triggers: Trigger[]): WorkflowActivation => ({
  id,
  active,
  webhooks: triggers.filter((t) => t.kind === 'webhook').map((t) => ({ node: t.node, method: t.method!, url: `/v1/hooks/${instanceId}/${t.path}` })),
  schedules: triggers.filter((t) => t.kind === 'schedule').map((t) => ({ node: t.node, scheduleId: t.scheduleId! })),
});

/**
 * Points the workflow's triggers at its latest version (activate, or a save while active): the
 * rows change in one transaction with the event; then the schedules follow, and those of trigger
 * nodes that are gone are deleted.
 */
async function applyTriggers(ctx: TenantCtx, workflowId: string, eventType: 'workflow.activated' | 'workflow.triggers_moved'): Promise<WorkflowActivation> {
  const { instanceId } = ctx.tenant;
  const { wf, def, before, after } = await transaction(ctx.db, ctx.tenant, async (tx) => {
    const wf = await findDefinition(tx, ctx, workflowId, true);
    const def = (await findVersion(tx, instanceId, workflowId, wf.latest_version))!.definition;
    const after = triggersOf(ctx, instanceId, workflowId, def);
    if (after.length === 0) throw ValidationError.field('definition.nodes', 'has no enabled Webhook or Schedule Trigger node: nothing would start a run');
    const before = await savedTriggers(tx, instanceId, workflowId);
    await push(tx, instanceId, ctx.tenant.actor, [
      {
        aggregateType: 'workflow',
        aggregateId: workflowId,
        orgId: wf.org_id,
        type: eventType,
        payload: { version: wf.latest_version, triggers: after.map((t) => t.node) },
        project: async (ptx) => {
          await ptx.query('UPDATE workflow_definitions SET active = true WHERE instance_id = $1 AND id = $2', [instanceId, workflowId]);
          await replaceTriggers(ptx, instanceId, wf.org_id, workflowId, after);
        },
      },
    ]);
    return { wf, def, before, after };
  });
  try {
    for (const t of after.filter((x) => x.kind === 'schedule')) {
      await putSchedule(ctx, { instanceId, orgId: wf.org_id, workflowId, name: wf.name }, def, def.nodes.find((n) => n.name === t.node)!, t.scheduleId!);
    }
  } catch (err) {
    await deactivateWorkflow(ctx, workflowId);
    throw err;
  }
  const kept = new Set(after.map((t) => t.scheduleId));
  for (const t of before) if (t.scheduleId !== null && !kept.has(t.scheduleId)) await dropSchedule(ctx, t.scheduleId);
  return activationOf(workflowId, true, instanceId, after);
}

export function activateWorkflow(ctx: TenantCtx, workflowId: string): Promise<WorkflowActivation> {
  return applyTriggers(ctx, workflowId, 'workflow.activated');
}

/** Saves a new version; an active workflow's triggers move to it (a version without triggers deactivates it). */
export async function saveVersion(ctx: TenantCtx, workflowId: string, input: SaveInput): Promise<Workflow> {
  const saved = await updateWorkflow(ctx, workflowId, input);
  if (!saved.active) return saved;
  try {
    await applyTriggers(ctx, workflowId, 'workflow.triggers_moved');
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    await deactivateWorkflow(ctx, workflowId);
  }
  return getWorkflow(ctx, workflowId);
}

/** Deletes a workflow (softly) after removing its webhooks and schedules: a deleted workflow starts no run. */
export async function removeWorkflow(ctx: TenantCtx, workflowId: string): Promise<void> {
  await deactivateWorkflow(ctx, workflowId);
  await deleteWorkflow(ctx, workflowId);
}

/** Removes the workflow's webhooks and schedules; runs already started go on. Idempotent. */
export async function deactivateWorkflow(ctx: TenantCtx, workflowId: string): Promise<WorkflowActivation> {
  const { instanceId } = ctx.tenant;
  const before = await transaction(ctx.db, ctx.tenant, async (tx) => {
    const wf = await findDefinition(tx, ctx, workflowId, true);
    const before = await savedTriggers(tx, instanceId, workflowId);
    if (!wf.active && before.length === 0) return before;
    await push(tx, instanceId, ctx.tenant.actor, [
      {
        aggregateType: 'workflow',
        aggregateId: workflowId,
        orgId: wf.org_id,
        type: 'workflow.deactivated',
        project: async (ptx) => {
          await ptx.query('UPDATE workflow_definitions SET active = false WHERE instance_id = $1 AND id = $2', [instanceId, workflowId]);
          await ptx.query('DELETE FROM workflow_triggers WHERE instance_id = $1 AND workflow_id = $2', [instanceId, workflowId]);
        },
      },
    ]);
    return before;
  });
  for (const t of before) if (t.scheduleId !== null) await dropSchedule(ctx, t.scheduleId);
  return activationOf(workflowId, false, instanceId, []);
}

export interface WebhookCall {
  instanceId: string;
  method: string;
  path: string;
  headers: Record<string, unknown>;
  query: Record<string, unknown>;
  body: unknown;
}

export interface WebhookAnswer {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
  text?: string;
}

/** Serves one webhook call: starts a run of the active workflow from its Webhook node, and answers as the node says. */
export async function callWebhook(app: AppCtx, call: WebhookCall): Promise<WebhookAnswer> {
  const found = await transaction(app.db, { instanceId: call.instanceId }, async (tx) => {
    const { rows } = await tx.query<{ workflow_id: string; org_id: string | null; node_name: string }>(
      "SELECT workflow_id, org_id, node_name FROM workflow_triggers WHERE instance_id = $1 AND kind = 'webhook' AND method = $2 AND path = $3",
      [call.instanceId, call.method, call.path],
    );
    return rows[0];
  });
  if (found === undefined) throw new NotFoundError('webhook', `${call.method} ${call.path}`);
  const ctx: TenantCtx = {
    ...app,
    tenant: { instanceId: call.instanceId, orgId: found.org_id, role: 'operator', actor: `webhook:${call.path}`, keyId: null, keyOrgId: found.org_id },
  };
  const loaded = await latestVersion(ctx, found.workflow_id);
  const definition = loaded.definition;
  const node = definition.nodes.find((n) => n.name === found.node_name)!;
  const p = paramsOf<WebhookParams>(app, node);
  const refused = await refusedCaller(ctx, node, p, call.headers);
  if (refused !== undefined) return refused;
  const item = { headers: call.headers, params: {}, query: call.query, body: call.body ?? {}, webhookUrl: `/v1/hooks/${call.instanceId}/${call.path}`, executionMode: 'production' };
  const run = await startTriggeredRun(ctx, loaded, found.node_name, 'webhook', [item]);
  const headers = Object.fromEntries((p.options.responseHeaders?.entries ?? []).map((e) => [e.name.toLowerCase(), e.value]));
  if (p.responseMode === 'onReceived') return { status: p.responseCode, headers, ...(p.responseData === 'noData' ? {} : { body: { message: 'Workflow was started' } }) };
  if (p.responseMode === 'lastNode') return lastNodeAnswer(ctx, run, found.node_name, p, headers);
  const responders = definition.nodes.filter((n) => n.type === RESPOND_TYPE).map((n) => n.name);
  return respondNodeAnswer(ctx, run, responders);
}

const sameSecret = (a: string, b: string) => a.length === b.length && crypto.timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** n8n's webhook authentication: basic (401 without credentials, 403 with wrong ones) or a header (403). */
async function refusedCaller(ctx: TenantCtx, node: DagNode, p: WebhookParams, headers: Record<string, unknown>): Promise<WebhookAnswer | undefined> {
  const type = WEBHOOK_AUTH[p.authentication];
  if (type === undefined) return undefined;
  const ref = (node.credentials as Record<string, { id?: string; name?: string }> | undefined)?.[type] ?? {};
  const data = await transaction(ctx.db, ctx.tenant, (tx) => credentialData(tx, ctx.config, ctx.tenant.instanceId, ctx.tenant.orgId, type, ref));
  const wrong: WebhookAnswer = { status: 403, headers: {}, body: { message: 'Authorization data is wrong!' } };
  if (type === 'httpHeaderAuth') {
    const got = headers[data.name!.toLowerCase()];
    return typeof got === 'string' && sameSecret(got, data.value!) ? undefined : wrong;
  }
  const m = /^Basic\s+(\S+)$/i.exec(String(headers.authorization ?? ''));
  if (m === null) return { status: 401, headers: { 'www-authenticate': 'Basic realm="Webhook"' }, body: { message: 'Authorization is required!' } };
  return sameSecret(Buffer.from(m[1]!, 'base64').toString('utf8'), `${data.user}:${data.password}`) ? undefined : wrong;
}

const workflowError = (): WebhookAnswer => ({ status: 500, headers: {}, body: { message: 'Error in workflow' } });

async function lastNodeAnswer(ctx: TenantCtx, run: WorkflowRun, startNode: string, p: WebhookParams, headers: Record<string, string>): Promise<WebhookAnswer> {
  let result: N8nRunResult;
  try {
    result = await ctx.temporal.client.connection.withDeadline(Date.now() + WEBHOOK_WAIT_MS, () => ctx.temporal.client.workflow.getHandle(run.temporalWorkflowId).result());
  } catch (err) {
    if (err instanceof WorkflowFailedError) return workflowError();
    throw err;
  }
  if (p.responseData === 'noData') return { status: p.responseCode, headers };
  // A run that ran no node after the trigger answers with the trigger's item, as n8n does.
  const [last, index] = result.lastNode === null ? [startNode, 0] : [result.lastNode, result.lastRun!];
  const items = (await transaction(ctx.db, ctx.tenant, (tx) => readNodeRun(tx, ctx.tenant.instanceId, run.id, last, index)))?.outputs[0] ?? [];
  const json = items.map((i) => i.json);
  if (p.responseData === 'allEntries') return { status: p.responseCode, headers, body: json };
  return { status: p.responseCode, headers, body: json[0] ?? {} };
}

/** Waits for the first Respond to Webhook node run of the run, or for the run to end without one. */
async function respondNodeAnswer(ctx: TenantCtx, run: WorkflowRun, responders: string[]): Promise<WebhookAnswer> {
  const deadline = Date.now() + WEBHOOK_WAIT_MS;
  for (;;) {
    const state = await transaction(ctx.db, ctx.tenant, async (tx) => {
      const { rows } = await tx.query<{ context: { response?: WebhookResponse } | null }>(
        `SELECT context FROM workflow_node_runs WHERE instance_id = $1 AND run_id = $2 AND node_name = ANY($3) AND context->>'response' IS NOT NULL
          ORDER BY finished_at, run_index LIMIT 1`,
        [ctx.tenant.instanceId, run.id, responders],
      );
      const status = (await tx.query<{ status: string }>('SELECT status FROM workflow_runs WHERE instance_id = $1 AND id = $2', [ctx.tenant.instanceId, run.id])).rows[0]?.status;
      return { response: rows[0]?.context?.response, status };
    });
    if (state.response !== undefined) return state.response;
    if (state.status !== 'running') return state.status === 'completed' ? { status: 200, headers: {}, body: { message: 'Workflow executed successfully' } } : workflowError();
    if (Date.now() > deadline) return { status: 504, headers: {}, body: { message: `no answer within ${WEBHOOK_WAIT_MS / 1000} s; the run ${run.id} goes on` } };
    await new Promise((r) => setTimeout(r, RESPONSE_POLL_MS));
  }
}
