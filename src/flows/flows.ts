// Flows: the ordered action list of each trigger, per owner (one org, or the instance).
// Events: flow.trigger_actions.set (the whole ordered list of one trigger), flow.cleared, and
// flow.trigger_actions.cascade_removed when a deleted action leaves the triggers that used it.
import type { TenantCtx } from '../context';
import { NotFoundError, ValidationError } from '../errors';
import { transaction, type Tx } from '../db/db';
import { push } from '../eventstore/eventstore';
import { ownerOrgId, type Owner } from '../actions/owner';
import { ZITADEL_SURFACES } from '../actions/zitadel-v1';
import { checkTrigger, FLOW_CATALOGUE, flowTypeOf } from './catalogue';
import type { Flow } from './view';

export const FLOW_LIMITS = { actionsPerTrigger: 50 };

/** One step of a run, pinned to the action version current when the run starts. */
export interface RunStepPlan {
  actionId: string;
  name: string;
  version: number;
  timeoutMs: number;
  allowedToFail: boolean;
  owner: 'instance' | 'org';
}

const flowAggregate = (owner: Owner, flowType: string) => `${ownerOrgId(owner) ?? 'instance'}:${flowType}`;

/** Replaces the stored list of one trigger (the projection of every flow event). */
async function writeTriggerList(tx: Tx, instanceId: string, orgId: string | null, flowType: string, triggerType: string, actionIds: string[]): Promise<void> {
  await tx.query(
    'DELETE FROM flow_triggers WHERE instance_id = $1 AND org_id IS NOT DISTINCT FROM $2 AND flow_type = $3 AND trigger_type = $4',
    [instanceId, orgId, flowType, triggerType],
  );
  if (actionIds.length === 0) return;
  await tx.query(
    `INSERT INTO flow_triggers (instance_id, org_id, flow_type, trigger_type, position, action_id)
     SELECT $1, $2, $3, $4, t.ord - 1, t.id FROM unnest($5::text[]) WITH ORDINALITY AS t(id, ord)`,
    [instanceId, orgId, flowType, triggerType, actionIds],
  );
}

async function triggerList(tx: Tx, instanceId: string, orgId: string | null, flowType: string, triggerType: string): Promise<string[]> {
  const { rows } = await tx.query<{ action_id: string }>(
    `SELECT action_id FROM flow_triggers
      WHERE instance_id = $1 AND org_id IS NOT DISTINCT FROM $2 AND flow_type = $3 AND trigger_type = $4 ORDER BY position`,
    [instanceId, orgId, flowType, triggerType],
  );
  return rows.map((r) => r.action_id);
}

async function checkActionIds(tx: Tx, ctx: TenantCtx, owner: Owner, flowType: string, actionIds: string[]): Promise<void> {
  if (actionIds.length > FLOW_LIMITS.actionsPerTrigger) {
    throw ValidationError.field('body.actionIds', `may hold at most ${FLOW_LIMITS.actionsPerTrigger} actions`);
  }
  const dup = actionIds.findIndex((id, i) => actionIds.indexOf(id) !== i);
  if (dup >= 0) throw ValidationError.field(`body.actionIds[${dup}]`, `repeats action '${actionIds[dup]}'`);
  const { rows } = await tx.query<{ id: string; api: string }>(
    'SELECT id, api FROM actions WHERE instance_id = $1 AND org_id IS NOT DISTINCT FROM $2 AND id = ANY($3::text[])',
    [ctx.tenant.instanceId, ownerOrgId(owner), actionIds],
  );
  const known = new Map(rows.map((r) => [r.id, r.api]));
  const missing = actionIds.findIndex((id) => !known.has(id));
  if (missing >= 0) {
    throw ValidationError.field(`body.actionIds[${missing}]`, `there is no ${owner.level} action '${actionIds[missing]}' to bind`);
  }
  // Zitadel's script API exists for Zitadel's flows only; such an action in another flow could never run.
  const foreign = ZITADEL_SURFACES[flowType] === undefined ? actionIds.findIndex((id) => known.get(id) === 'zitadel-v1') : -1;
  if (foreign >= 0) {
    throw ValidationError.field(`body.actionIds[${foreign}]`, `action '${actionIds[foreign]}' uses the zitadel-v1 script API, which the ${flowType} flow does not offer`);
  }
}

async function pushTriggerList(ctx: TenantCtx, tx: Tx, owner: Owner, flowType: string, triggerType: string, actionIds: string[]): Promise<void> {
  await push(tx, ctx.tenant.instanceId, ctx.tenant.actor, [
    {
      aggregateType: 'flow',
      aggregateId: flowAggregate(owner, flowType),
      orgId: ownerOrgId(owner),
      type: 'flow.trigger_actions.set',
      payload: { flowType, triggerType, actionIds },
      project: (ptx, e) => writeTriggerList(ptx, e.instanceId, e.orgId, flowType, triggerType, actionIds),
    },
  ]);
}

export async function setTriggerActions(ctx: TenantCtx, owner: Owner, flowType: string, triggerType: string, actionIds: string[]): Promise<Flow> {
  checkTrigger(flowType, triggerType);
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    await checkActionIds(tx, ctx, owner, flowType, actionIds);
    await pushTriggerList(ctx, tx, owner, flowType, triggerType, actionIds);
    return readFlow(tx, ctx, owner, flowType);
  });
}

export async function removeTriggerAction(ctx: TenantCtx, owner: Owner, flowType: string, triggerType: string, actionId: string): Promise<Flow> {
  checkTrigger(flowType, triggerType);
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    const current = await triggerList(tx, ctx.tenant.instanceId, ownerOrgId(owner), flowType, triggerType);
    if (!current.includes(actionId)) throw new NotFoundError(`action in trigger ${flowType}/${triggerType}`, actionId);
    await pushTriggerList(ctx, tx, owner, flowType, triggerType, current.filter((id) => id !== actionId));
    return readFlow(tx, ctx, owner, flowType);
  });
}

export async function clearFlow(ctx: TenantCtx, owner: Owner, flowType: string): Promise<void> {
  flowTypeOf(flowType);
  await transaction(ctx.db, ctx.tenant, async (tx) => {
    await push(tx, ctx.tenant.instanceId, ctx.tenant.actor, [
      {
        aggregateType: 'flow',
        aggregateId: flowAggregate(owner, flowType),
        orgId: ownerOrgId(owner),
        type: 'flow.cleared',
        payload: { flowType },
        project: async (ptx, e) => {
          await ptx.query('DELETE FROM flow_triggers WHERE instance_id = $1 AND org_id IS NOT DISTINCT FROM $2 AND flow_type = $3', [
            e.instanceId,
            e.orgId,
            flowType,
          ]);
        },
      },
    ]);
  });
}

/** Called inside the delete of an action: one cascade event per flow that used it. */
export async function removeActionFromTriggers(ctx: TenantCtx, tx: Tx, owner: Owner, actionId: string): Promise<void> {
  const orgId = ownerOrgId(owner);
  const { rows } = await tx.query<{ flow_type: string; trigger_type: string }>(
    `SELECT DISTINCT flow_type, trigger_type FROM flow_triggers
      WHERE instance_id = $1 AND org_id IS NOT DISTINCT FROM $2 AND action_id = $3 ORDER BY flow_type, trigger_type`,
    [ctx.tenant.instanceId, orgId, actionId],
  );
  const byFlow = new Map<string, string[]>();
  for (const r of rows) byFlow.set(r.flow_type, [...(byFlow.get(r.flow_type) ?? []), r.trigger_type]);
  for (const [flowType, triggerTypes] of byFlow) {
    await push(tx, ctx.tenant.instanceId, ctx.tenant.actor, [
      {
        aggregateType: 'flow',
        aggregateId: flowAggregate(owner, flowType),
        orgId,
        type: 'flow.trigger_actions.cascade_removed',
        payload: { flowType, triggerTypes, actionId },
        project: async (ptx, e) => {
          for (const triggerType of triggerTypes) {
            const remaining = (await triggerList(ptx, e.instanceId, orgId, flowType, triggerType)).filter((id) => id !== actionId);
            await writeTriggerList(ptx, e.instanceId, orgId, flowType, triggerType, remaining);
          }
        },
      },
    ]);
  }
}

async function readFlow(tx: Tx, ctx: TenantCtx, owner: Owner, flowType: string): Promise<Flow> {
  const flow = flowTypeOf(flowType);
  const orgId = ownerOrgId(owner);
  const { rows } = await tx.query<{ trigger_type: string; id: string; name: string; state: 'active' | 'inactive'; version: number }>(
    `SELECT t.trigger_type, a.id, a.name, a.state, a.version FROM flow_triggers t
       JOIN actions a ON a.instance_id = t.instance_id AND a.id = t.action_id
      WHERE t.instance_id = $1 AND t.org_id IS NOT DISTINCT FROM $2 AND t.flow_type = $3
      ORDER BY t.trigger_type, t.position`,
    [ctx.tenant.instanceId, orgId, flowType],
  );
  return {
    flowType,
    description: flow.description,
    owner: owner.level,
    orgId,
    triggers: flow.triggers.map((t) => ({
      triggerType: t.type,
      description: t.description,
      actions: rows.filter((r) => r.trigger_type === t.type).map((r) => ({ id: r.id, name: r.name, state: r.state, version: r.version })),
    })),
  };
}

export async function getFlow(ctx: TenantCtx, owner: Owner, flowType: string): Promise<Flow> {
  flowTypeOf(flowType);
  return transaction(ctx.db, ctx.tenant, (tx) => readFlow(tx, ctx, owner, flowType));
}

/** Every flow type of the catalogue, each trigger with its ordered actions. */
export async function listFlows(ctx: TenantCtx, owner: Owner): Promise<{ items: Flow[] }> {
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    const items: Flow[] = [];
    for (const f of FLOW_CATALOGUE) items.push(await readFlow(tx, ctx, owner, f.type));
    return { items };
  });
}

/** The active actions a run executes: the instance's first, then the org's, each in trigger order. */
export async function planRunSteps(tx: Tx, instanceId: string, orgId: string | null, flowType: string, triggerType: string): Promise<RunStepPlan[]> {
  const { rows } = await tx.query<{ id: string; name: string; version: number; timeout_ms: number; allowed_to_fail: boolean; org_id: string | null }>(
    `SELECT a.id, a.name, a.version, a.timeout_ms, a.allowed_to_fail, t.org_id FROM flow_triggers t
       JOIN actions a ON a.instance_id = t.instance_id AND a.id = t.action_id
      WHERE t.instance_id = $1 AND t.flow_type = $2 AND t.trigger_type = $3
        AND (t.org_id IS NULL OR t.org_id = $4) AND a.state = 'active'
      ORDER BY (t.org_id IS NOT NULL), t.position`,
    [instanceId, flowType, triggerType, orgId],
  );
  return rows.map((r) => ({
    actionId: r.id,
    name: r.name,
    version: r.version,
    timeoutMs: r.timeout_ms,
    allowedToFail: r.allowed_to_fail,
    owner: r.org_id === null ? 'instance' : 'org',
  }));
}
