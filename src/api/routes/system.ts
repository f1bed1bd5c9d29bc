// The system scope: provisioning instances. Only system keys reach these routes, and system
// keys reach nothing else (see api/auth.ts).
import { INSTANCE_ID_RE } from '../../tenancy/instances';
import { changeInstance, getInstance, listInstances, provisionInstance, removeInstance } from '../../tenancy/provisioning';
import { systemRoute } from '../route';
import { PageQuery, pageOf, words, z } from '../schema';

const RateLimit = z
  .strictObject({
    requestsPerSecond: z.number().positive().max(100_000).openapi({ description: 'Tokens added per second.' }),
    burst: z.number().int().min(1).max(1_000_000).openapi({ description: 'Requests allowed at once (the bucket size).' }),
  })
  .openapi('RateLimit');
const Limits = z
  .strictObject({
    actionQuotaSecondsPerMonth: z
      .number()
      .int()
      .min(0)
      .max(1_000_000_000)
      .nullable()
      .openapi({ description: "Action-seconds per calendar month (UTC); 0: no quota; null: the installation's CADENZA_ACTION_QUOTA_SECONDS." }),
    logRetentionDays: z.number().int().min(1).max(3650).openapi({ description: 'How long the logstore keeps request, execution and quota logs; 30 by default.' }),
    commandRetentionDays: z
      .number()
      .int()
      .min(1)
      .max(36500)
      .openapi({ description: 'How long finished commands (COMPLETED, FAILED, CANCELED) and their audit events are kept; 90 by default. A command id can be sent again once its command expired.' }),
    commandPayloadBytes: z
      .number()
      .int()
      .min(1)
      .nullable()
      .openapi({ description: "Largest command payload (serialized JSON) of this instance; at most the installation's CADENZA_COMMAND_PAYLOAD_LIMIT_BYTES (more answers 422); null: the installation's." }),
    rateLimit: RateLimit.nullable().openapi({ description: 'API requests per second of this instance, over all its keys and every API process; null: none.' }),
  })
  .partial()
  .openapi('InstanceLimits');
const Instance = z
  .object({
    id: z.string(),
    name: z.string(),
    limits: z.object({
      actionQuotaSecondsPerMonth: z.number().int().nullable(),
      logRetentionDays: z.number().int(),
      commandRetentionDays: z.number().int(),
      commandPayloadBytes: z.number().int().nullable(),
      rateLimit: RateLimit.nullable(),
    }),
    createdAt: z.string(),
  })
  .openapi('Instance');
const InstanceParams = z.object({ instanceId: z.string().min(1).max(40) });
const CreateInstance = z
  .strictObject({
    id: z.string().regex(INSTANCE_ID_RE, 'must be 1-40 lowercase letters, digits or dashes, starting with a letter or digit'),
    name: words(200),
    limits: Limits.optional(),
  })
  .openapi('CreateInstance');

export const systemRoutes = [
  systemRoute({
    method: 'post',
    path: '/v1/system/instances',
    summary: 'Create an instance and its first admin key',
    description: 'The answer carries `adminKey`, an instance-wide admin key of the new instance, once.',
    tags: ['system'],
    body: CreateInstance,
    responses: {
      201: { description: 'The instance', schema: Instance.extend({ adminKey: z.string() }).openapi('CreatedInstance') },
      409: { description: 'The id is taken' },
      422: { description: 'Invalid instance' },
    },
    handler: async (ctx, { body }) => {
      const { instance, adminKey } = await provisionInstance(ctx, body);
      return { status: 201, body: { ...instance, adminKey } };
    },
  }),
  systemRoute({
    method: 'get',
    path: '/v1/system/instances',
    summary: 'List instances',
    tags: ['system'],
    query: PageQuery,
    responses: { 200: { description: 'The instances, by id', schema: pageOf(Instance, 'InstancePage') } },
    handler: async (ctx, { query }) => ({ status: 200, body: await listInstances(ctx, query) }),
  }),
  systemRoute({
    method: 'get',
    path: '/v1/system/instances/{instanceId}',
    summary: 'Get an instance',
    tags: ['system'],
    params: InstanceParams,
    responses: { 200: { description: 'The instance', schema: Instance }, 404: { description: 'No such instance' } },
    handler: async (ctx, { params }) => ({ status: 200, body: await getInstance(ctx, params.instanceId) }),
  }),
  systemRoute({
    method: 'patch',
    path: '/v1/system/instances/{instanceId}',
    summary: "Rename an instance or change its limits",
    tags: ['system'],
    params: InstanceParams,
    body: z.strictObject({ name: words(200).optional(), limits: Limits.optional() }).openapi('ChangeInstance'),
    responses: { 200: { description: 'The instance', schema: Instance }, 404: { description: 'No such instance' }, 422: { description: 'Invalid limits' } },
    handler: async (ctx, { params, body }) => ({ status: 200, body: await changeInstance(ctx, params.instanceId, body) }),
  }),
  systemRoute({
    method: 'delete',
    path: '/v1/system/instances/{instanceId}',
    summary: 'Remove an instance: its keys, its running workflows and all its data',
    description:
      'Revokes its keys, terminates its running workflows, then deletes every row it owns (the event log included). Repeat the call after a 503 to finish a removal that was interrupted.',
    tags: ['system'],
    params: InstanceParams,
    responses: {
      200: { description: 'Removed', schema: z.object({ terminatedWorkflows: z.number().int(), deletedRows: z.number().int() }).openapi('RemovedInstance') },
      404: { description: 'No such instance' },
    },
    handler: async (ctx, { params }) => ({ status: 200, body: await removeInstance(ctx, params.instanceId) }),
  }),
];
