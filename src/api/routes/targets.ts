// Targets, executions, functions, external events and run retry (Actions v2 model). Targets
// and executions belong to the org the call acts in, or to the instance for an instance-wide
// key without X-Cadenza-Org (see tenancy/scope.ts).
import { OPERATIONS } from '../../context';
import { callFunction, pushExternalEvent } from '../../targets/execute';
import { getExecution, listExecutions, removeExecution, setExecution } from '../../targets/executions';
import { addTarget, changeTarget, getTarget, listTargets, removeTarget, rotateSigningKey } from '../../targets/targets';
import { Execution, ExecutionEntry, Target, TARGET_LIMITS, TARGET_TYPES, TargetRetryPolicy } from '../../targets/view';
import { route } from '../route';
import { PageQuery, pageOf, z } from '../schema';

const TargetWithKey = Target.extend({ signingKey: z.string().openapi({ description: 'Returned once; stored only encrypted.' }) }).openapi('TargetWithKey');
const RotateSigningKey = z
  .strictObject({
    overlapSeconds: z
      .number()
      .int()
      .min(0)
      .max(TARGET_LIMITS.maxKeyOverlapSeconds)
      .openapi({ description: `How long the replaced key keeps verifying: 0 to ${TARGET_LIMITS.maxKeyOverlapSeconds} s, ${TARGET_LIMITS.defaultKeyOverlapSeconds} s by default.` }),
  })
  .partial()
  .optional()
  .openapi('RotateSigningKey');
const targetFields = {
  name: z.string().min(1).max(200),
  type: z.enum(TARGET_TYPES),
  endpoint: z.string().max(2000).openapi({ description: 'An http(s) URL that passes the outbound address policy, at save time and at call time.' }),
  timeoutSeconds: z.number().gt(0).max(TARGET_LIMITS.maxTimeoutSeconds).openapi({ description: `More than 0, at most ${TARGET_LIMITS.maxTimeoutSeconds} s; ${TARGET_LIMITS.defaultTimeoutSeconds} s by default.` }),
  interruptOnError: z.boolean(),
  retryPolicy: TargetRetryPolicy.nullable(),
};
const CreateTarget = z
  .strictObject({ ...targetFields, timeoutSeconds: targetFields.timeoutSeconds.optional(), interruptOnError: targetFields.interruptOnError.optional(), retryPolicy: targetFields.retryPolicy.optional() })
  .openapi('CreateTarget');
const ChangeTarget = z.strictObject(targetFields).partial().openapi('ChangeTarget');
const TargetParams = z.object({ targetId: z.string().min(1).max(100) });

// The grammar of conditions (see targets/executions.ts conditionProblem), so the document states it too.
const CONDITION = new RegExp(
  `^(request|response|event)$|^(request|response)/(${OPERATIONS.join('|')})$|^function/[A-Za-z0-9_-]{1,100}$|^event/[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*(\\.\\*)?$`,
);
const Condition = z
  .string()
  .max(300)
  .regex(CONDITION, 'must be request[/<operation>], response[/<operation>], function/<name>, event, event/<type> or event/<group>.*')
  .openapi({ description: `request/<operation> and response/<operation> name one of Cadenza's write operations: ${OPERATIONS.join(', ')} (README "Conditions" says which route each is).` });
const SetExecution = z.strictObject({ condition: Condition, targets: z.array(ExecutionEntry).max(20) }).openapi('SetExecution');
const ConditionQuery = z.object({ condition: Condition });

export const targetRoutes = [
  route({
    method: 'post',
    path: '/v1/targets',
    summary: 'Create a target',
    description: 'The answer carries the signing key, once.',
    tags: ['targets'],
    auth: 'admin',
    body: CreateTarget,
    responses: { 201: { description: 'The target and its signing key', schema: TargetWithKey }, 409: { description: 'The name is taken' }, 422: { description: 'Invalid target' } },
    handler: async (ctx, { body }) => {
      const { target, signingKey } = await addTarget(ctx, body);
      return { status: 201, body: { ...target, signingKey } };
    },
  }),
  route({
    method: 'get',
    path: '/v1/targets',
    summary: 'List targets',
    tags: ['targets'],
    auth: 'viewer',
    query: PageQuery,
    responses: { 200: { description: 'A page of targets', schema: pageOf(Target, 'TargetPage') } },
    handler: async (ctx, { query }) => ({ status: 200, body: await listTargets(ctx, query) }),
  }),
  route({
    method: 'get',
    path: '/v1/targets/{targetId}',
    summary: 'Get a target',
    tags: ['targets'],
    auth: 'viewer',
    params: TargetParams,
    responses: { 200: { description: 'The target', schema: Target }, 404: { description: 'No such target' } },
    handler: async (ctx, { params }) => ({ status: 200, body: await getTarget(ctx, params.targetId) }),
  }),
  route({
    method: 'patch',
    path: '/v1/targets/{targetId}',
    summary: 'Change a target',
    tags: ['targets'],
    auth: 'admin',
    params: TargetParams,
    body: ChangeTarget,
    responses: { 200: { description: 'The target', schema: Target }, 404: { description: 'No such target' }, 422: { description: 'Invalid target' } },
    handler: async (ctx, { params, body }) => ({ status: 200, body: await changeTarget(ctx, params.targetId, body) }),
  }),
  route({
    method: 'delete',
    path: '/v1/targets/{targetId}',
    summary: 'Remove a target',
    tags: ['targets'],
    auth: 'admin',
    params: TargetParams,
    responses: { 204: { description: 'Removed' }, 404: { description: 'No such target' } },
    handler: async (ctx, { params }) => {
      await removeTarget(ctx, params.targetId);
      return { status: 204 };
    },
  }),
  route({
    method: 'post',
    path: '/v1/targets/{targetId}/signing-key',
    summary: 'Rotate the signing key of a target',
    description: `The new key is returned once. The key it replaces keeps verifying for \`overlapSeconds\` (default ${TARGET_LIMITS.defaultKeyOverlapSeconds} s): until then every call carries both signatures, \`v1=<new>,v1=<old>\`. 0 ends the overlap at once.`,
    tags: ['targets'],
    auth: 'admin',
    params: TargetParams,
    body: RotateSigningKey,
    responses: {
      200: { description: 'The new key', schema: z.object({ signingKey: z.string(), previousKeyExpiresAt: z.string().nullable() }).openapi('RotatedSigningKey') },
      404: { description: 'No such target' },
      422: { description: 'Invalid overlap' },
    },
    handler: async (ctx, { params, body }) => ({ status: 200, body: await rotateSigningKey(ctx, params.targetId, body ?? {}) }),
  }),
  route({
    method: 'put',
    path: '/v1/executions',
    summary: 'Set the execution of a condition',
    description: 'Conditions: request[/<operation>], response[/<operation>], function/<name>, event, event/<type>, event/<group>.*. Includes nest at most 3 deep; cycles are refused.',
    tags: ['executions'],
    auth: 'admin',
    body: SetExecution,
    responses: { 200: { description: 'The execution', schema: Execution }, 422: { description: 'Unknown condition, unknown target or include, cycle or depth' } },
    handler: async (ctx, { body }) => ({ status: 200, body: await setExecution(ctx, body.condition, body.targets) }),
  }),
  route({
    method: 'get',
    path: '/v1/executions',
    summary: 'List executions, or get one with ?condition=',
    tags: ['executions'],
    auth: 'viewer',
    query: ConditionQuery.partial(),
    responses: { 200: { description: 'The executions', schema: z.object({ items: z.array(Execution) }) }, 404: { description: 'No execution for that condition' } },
    handler: async (ctx, { query }) => ({
      status: 200,
      body: query.condition === undefined ? await listExecutions(ctx) : { items: [await getExecution(ctx, query.condition)] },
    }),
  }),
  route({
    method: 'delete',
    path: '/v1/executions',
    summary: 'Remove the execution of a condition',
    tags: ['executions'],
    auth: 'admin',
    query: ConditionQuery,
    responses: { 204: { description: 'Removed' }, 404: { description: 'No execution for that condition' }, 422: { description: 'Still included by another execution' } },
    handler: async (ctx, { query }) => {
      await removeExecution(ctx, query.condition);
      return { status: 204 };
    },
  }),
  route({
    method: 'post',
    path: '/v1/functions/{name}/call',
    summary: 'Call a function',
    description: 'Runs the execution of function/<name> and returns the final body. A target with interruptOnError that fails answers 424 with its status and body.',
    tags: ['executions'],
    auth: 'operator',
    params: z.object({ name: z.string().min(1).max(100) }),
    body: z.strictObject({ payload: z.unknown().optional() }).openapi('CallFunction'),
    bodyLimitBytes: 256 * 1024,
    responses: { 200: { description: 'The final body and the run id', schema: z.object({ runId: z.string(), body: z.unknown() }) }, 404: { description: 'No execution for the function' }, 424: { description: 'A target failed' } },
    handler: async (ctx, { params, body }) => ({ status: 200, body: await callFunction(ctx, params.name, body.payload ?? null) }),
  }),
  route({
    method: 'post',
    path: '/v1/events',
    summary: 'Push an external event',
    description: 'Appended to the event log; executions on event conditions deliver it with retries.',
    tags: ['executions'],
    auth: 'operator',
    body: z
      .strictObject({
        type: z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'must be a dotted name such as order.placed').max(200),
        aggregateType: z.string().min(1).max(100),
        aggregateId: z.string().min(1).max(200),
        payload: z.record(z.string(), z.unknown()).default({}),
      })
      .openapi('PushEvent'),
    bodyLimitBytes: 256 * 1024,
    responses: {
      202: { description: 'Stored', schema: z.object({ eventId: z.string(), position: z.string() }) },
      422: { description: "An aggregate type or type reserved for Cadenza's own events, or a payload a request/PushEvent target made invalid" },
      424: { description: 'A PushEvent target with interruptOnError refused it' },
    },
    handler: async (ctx, { body }) => ({ status: 202, body: await pushExternalEvent(ctx, body) }),
  }),
];
