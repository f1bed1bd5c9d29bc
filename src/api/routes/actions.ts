// Actions and flows, at org level (/v1/actions, /v1/flows) and at instance level
// (/v1/instance/actions, /v1/instance/flows, instance-wide keys only). One route table per level.
import {
  addAction,
  changeAction,
  deactivateAction,
  getAction,
  getVersion,
  listActions,
  listVersions,
  reactivateAction,
  removeAction,
  rollbackAction,
} from '../../actions/actions';
import { instanceOwner, orgOwner, type Owner } from '../../actions/owner';
import { Action, ActionApiField, ActionState, ActionVersion } from '../../actions/view';
import type { TenantCtx } from '../../context';
import { FLOW_CATALOGUE } from '../../flows/catalogue';
import { Flow } from '../../flows/view';
import { clearFlow, getFlow, listFlows, removeTriggerAction, setTriggerActions } from '../../flows/flows';
import { runFlowTrigger } from '../../flows/flow-runs';
import { FLOW_RUN_LIMITS } from '../../workflows/flow-run-contract';
import { route, type AnyRoute } from '../route';
import { PageQuery, pageOf, z } from '../schema';
import { RunStep } from '../../runs/view';

const name = z
  .string()
  .regex(/^[A-Za-z_$][A-Za-z0-9_$]*$/, 'must be a JavaScript identifier (letters, digits, _ and $)')
  .max(200)
  .openapi({ description: 'Unique per owner; the script defines a function of this name.' });
const script = z.string().min(1).openapi({ description: 'JavaScript defining `function <name>(ctx, api)`; at most 40,000 bytes.' });
const timeoutSeconds = z.number().positive().openapi({ description: 'Run time limit, 10 s by default, at most CADENZA_ACTION_MAX_TIMEOUT_SECONDS.' });
const CreateAction = z.strictObject({ name, script, api: ActionApiField.optional(), timeoutSeconds: timeoutSeconds.optional(), allowedToFail: z.boolean().optional() }).openapi('CreateAction');
const ChangeAction = z
  .strictObject({ name: name.optional(), script: script.optional(), api: ActionApiField.optional(), timeoutSeconds: timeoutSeconds.optional(), allowedToFail: z.boolean().optional() })
  .openapi('ChangeAction');
const Rollback = z.strictObject({ version: z.number().int().positive() }).openapi('RollbackAction');
const ActionParams = z.object({ actionId: z.string().min(1).max(100) });
const VersionParams = ActionParams.extend({ version: z.coerce.number().int().positive().max(2_147_483_647) });
const ListActionsQuery = PageQuery.extend({ state: ActionState.optional() });

const FLOW_TYPES = FLOW_CATALOGUE.map((f) => f.type) as [string, ...string[]];
const TRIGGER_TYPES = [...new Set(FLOW_CATALOGUE.flatMap((f) => f.triggers.map((t) => t.type)))] as [string, ...string[]];
const FlowParams = z.object({ flowType: z.enum(FLOW_TYPES).openapi({ description: 'A flow type of the flow catalogue.' }) });
const TriggerParams = FlowParams.extend({
  triggerType: z.enum(TRIGGER_TYPES).openapi({ description: `A trigger type of the flow type: ${FLOW_CATALOGUE.map((f) => `${f.type}: ${f.triggers.map((t) => t.type).join(', ')}`).join('; ')}. Another flow's trigger answers 422.` }),
});
const TriggerActionParams = TriggerParams.extend({ actionId: z.string().min(1).max(100) });
const SetTrigger = z.strictObject({ actionIds: z.array(z.string().min(1).max(100)) }).openapi('SetTriggerActions');
const RunFlow = z.strictObject({ context: z.record(z.string(), z.unknown()).default({}) }).openapi('RunFlow');
const FlowRunResult = z.object({ runId: z.string().nullable().openapi({ description: 'Null when the trigger has no active action: nothing ran.' }), context: z.record(z.string(), z.unknown()), steps: z.array(RunStep) }).openapi('FlowRunResult');

interface Level {
  actions: string;
  flows: string;
  tag: string;
  owner: (ctx: TenantCtx) => Owner;
  note: string;
}

const LEVELS: Level[] = [
  { actions: '/v1/actions', flows: '/v1/flows', tag: 'actions', owner: orgOwner, note: 'Org level: an org key, or an instance key with X-Cadenza-Org.' },
  { actions: '/v1/instance/actions', flows: '/v1/instance/flows', tag: 'instance actions', owner: instanceOwner, note: 'Instance level: needs an instance-wide key.' },
];

function actionRoutesFor(l: Level): AnyRoute[] {
  const one = `${l.actions}/{actionId}`;
  const stateRoute = (verb: 'deactivate' | 'reactivate', fn: typeof deactivateAction) =>
    route({
      method: 'post',
      path: `${one}/${verb}`,
      summary: `${verb === 'deactivate' ? 'Deactivate' : 'Reactivate'} an action`,
      description: `${l.note} Inactive actions stay bound to their triggers but do not run.`,
      tags: [l.tag],
      auth: 'admin',
      params: ActionParams,
      responses: { 200: { description: 'The action', schema: Action }, 404: { description: 'No such action' }, 409: { description: 'Already in that state' } },
      handler: async (ctx, { params }) => ({ status: 200, body: await fn(ctx, l.owner(ctx), params.actionId) }),
    });
  return [
    route({
      method: 'post',
      path: l.actions,
      summary: 'Create an action',
      description: `${l.note} The script's syntax is checked; an error answers 422 with its line.`,
      tags: [l.tag],
      auth: 'admin',
      body: CreateAction,
      responses: { 201: { description: 'The new action (version 1)', schema: Action }, 409: { description: 'The name is taken' }, 422: { description: 'Invalid action' } },
      handler: async (ctx, { body }) => ({ status: 201, body: await addAction(ctx, l.owner(ctx), body) }),
    }),
    route({
      method: 'get',
      path: l.actions,
      summary: 'List actions',
      description: l.note,
      tags: [l.tag],
      auth: 'viewer',
      query: ListActionsQuery,
      responses: { 200: { description: 'A page of actions', schema: pageOf(Action, `${l.tag === 'actions' ? 'Org' : 'Instance'}ActionPage`) } },
      handler: async (ctx, { query }) => ({ status: 200, body: await listActions(ctx, l.owner(ctx), query) }),
    }),
    route({
      method: 'get',
      path: one,
      summary: 'Get an action',
      description: l.note,
      tags: [l.tag],
      auth: 'viewer',
      params: ActionParams,
      responses: { 200: { description: 'The action', schema: Action }, 404: { description: 'No such action' } },
      handler: async (ctx, { params }) => ({ status: 200, body: await getAction(ctx, l.owner(ctx), params.actionId) }),
    }),
    route({
      method: 'patch',
      path: one,
      summary: 'Change an action',
      description: `${l.note} Every change makes a new version.`,
      tags: [l.tag],
      auth: 'admin',
      params: ActionParams,
      body: ChangeAction,
      responses: { 200: { description: 'The action', schema: Action }, 404: { description: 'No such action' }, 422: { description: 'Invalid action' } },
      handler: async (ctx, { params, body }) => ({ status: 200, body: await changeAction(ctx, l.owner(ctx), params.actionId, body) }),
    }),
    route({
      method: 'delete',
      path: one,
      summary: 'Delete an action',
      description: `${l.note} The action leaves every trigger that used it (event flow.trigger_actions.cascade_removed).`,
      tags: [l.tag],
      auth: 'admin',
      params: ActionParams,
      responses: { 204: { description: 'Deleted' }, 404: { description: 'No such action' } },
      handler: async (ctx, { params }) => {
        await removeAction(ctx, l.owner(ctx), params.actionId);
        return { status: 204 };
      },
    }),
    stateRoute('deactivate', deactivateAction),
    stateRoute('reactivate', reactivateAction),
    route({
      method: 'get',
      path: `${one}/versions`,
      summary: 'List the versions of an action',
      description: l.note,
      tags: [l.tag],
      auth: 'viewer',
      params: ActionParams,
      responses: { 200: { description: 'Every version, oldest first', schema: z.object({ items: z.array(ActionVersion) }) }, 404: { description: 'No such action' } },
      handler: async (ctx, { params }) => ({ status: 200, body: await listVersions(ctx, l.owner(ctx), params.actionId) }),
    }),
    route({
      method: 'get',
      path: `${one}/versions/{version}`,
      summary: 'Get one version of an action',
      description: l.note,
      tags: [l.tag],
      auth: 'viewer',
      params: VersionParams,
      responses: { 200: { description: 'The version', schema: ActionVersion }, 404: { description: 'No such action or version' } },
      handler: async (ctx, { params }) => ({ status: 200, body: await getVersion(ctx, l.owner(ctx), params.actionId, params.version) }),
    }),
    route({
      method: 'post',
      path: `${one}/rollback`,
      summary: 'Roll an action back to a version',
      description: `${l.note} Makes a new version equal to the old one.`,
      tags: [l.tag],
      auth: 'admin',
      params: ActionParams,
      body: Rollback,
      responses: { 200: { description: 'The action at its new version', schema: Action }, 404: { description: 'No such action' }, 422: { description: 'No such version' } },
      handler: async (ctx, { params, body }) => ({ status: 200, body: await rollbackAction(ctx, l.owner(ctx), params.actionId, body.version) }),
    }),
  ];
}

function flowRoutesFor(l: Level): AnyRoute[] {
  const flow = `${l.flows}/{flowType}`;
  const trigger = `${flow}/triggers/{triggerType}`;
  return [
    route({
      method: 'get',
      path: l.flows,
      summary: 'List every flow type with its triggers and their ordered actions',
      description: l.note,
      tags: [l.tag],
      auth: 'viewer',
      responses: { 200: { description: 'The flows of the catalogue', schema: z.object({ items: z.array(Flow) }) } },
      handler: async (ctx) => ({ status: 200, body: await listFlows(ctx, l.owner(ctx)) }),
    }),
    route({
      method: 'get',
      path: flow,
      summary: 'Show a flow',
      description: `${l.note} Every trigger of the flow type with its ordered actions.`,
      tags: [l.tag],
      auth: 'viewer',
      params: FlowParams,
      responses: { 200: { description: 'The flow', schema: Flow }, 422: { description: 'Unknown flow type' } },
      handler: async (ctx, { params }) => ({ status: 200, body: await getFlow(ctx, l.owner(ctx), params.flowType) }),
    }),
    route({
      method: 'delete',
      path: flow,
      summary: 'Clear a flow',
      description: `${l.note} Removes every action from every trigger of the flow.`,
      tags: [l.tag],
      auth: 'admin',
      params: FlowParams,
      responses: { 204: { description: 'Cleared' }, 422: { description: 'Unknown flow type' } },
      handler: async (ctx, { params }) => {
        await clearFlow(ctx, l.owner(ctx), params.flowType);
        return { status: 204 };
      },
    }),
    route({
      method: 'put',
      path: trigger,
      summary: 'Set the ordered actions of a trigger',
      description: `${l.note} At most 50 actions, each once, all of this owner.`,
      tags: [l.tag],
      auth: 'admin',
      params: TriggerParams,
      body: SetTrigger,
      responses: { 200: { description: 'The flow', schema: Flow }, 422: { description: 'Unknown flow type, trigger or action' } },
      handler: async (ctx, { params, body }) => ({
        status: 200,
        body: await setTriggerActions(ctx, l.owner(ctx), params.flowType, params.triggerType, body.actionIds),
      }),
    }),
    route({
      method: 'delete',
      path: `${trigger}/actions/{actionId}`,
      summary: 'Remove one action from a trigger',
      description: l.note,
      tags: [l.tag],
      auth: 'admin',
      params: TriggerActionParams,
      responses: { 200: { description: 'The flow', schema: Flow }, 404: { description: 'The action is not bound to the trigger' }, 422: { description: 'The trigger is not one of the flow type' } },
      handler: async (ctx, { params }) => ({
        status: 200,
        body: await removeTriggerAction(ctx, l.owner(ctx), params.flowType, params.triggerType, params.actionId),
      }),
    }),
    route({
      method: 'post',
      path: `${trigger}/run`,
      summary: 'Run a trigger',
      description:
        `${l.note} Runs the active instance actions, then (at org level) the org's, as one workflow; ` +
        'bounded by the sum of the action timeouts plus a margin. A failing action that is not allowed to fail stops the run with 422 naming it.',
      tags: [l.tag],
      auth: 'operator',
      params: TriggerParams,
      body: RunFlow,
      bodyLimitBytes: FLOW_RUN_LIMITS.contextBytes + 1024,
      responses: {
        200: { description: 'The resulting context, the run id and its steps', schema: FlowRunResult },
        422: { description: 'Unknown flow type or trigger, or an action failed' },
        429: { description: 'The monthly action-seconds quota is used up' },
      },
      handler: async (ctx, { params, body }) => ({
        status: 200,
        body: await runFlowTrigger(ctx, {
          flowType: params.flowType,
          trigger: params.triggerType,
          context: body.context,
          orgId: l.owner(ctx).level === 'instance' ? null : ctx.tenant.orgId,
        }),
      }),
    }),
  ];
}

export const actionRoutes = LEVELS.flatMap((l) => [...actionRoutesFor(l), ...flowRoutesFor(l)]);
