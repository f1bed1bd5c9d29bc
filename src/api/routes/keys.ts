import { createKey, listKeys, revokeKey } from '../../tenancy/keys';
import { route } from '../route';
import { PageQuery, pageOf, z, words } from '../schema';

const Role = z.enum(['admin', 'operator', 'viewer']);
const ApiKey = z
  .object({
    id: z.string(),
    name: z.string(),
    role: Role,
    orgId: z.string().nullable(),
    prefix: z.string().openapi({ description: 'The first characters of the key, to recognise it.' }),
    createdAt: z.string(),
    createdBy: z.string(),
    revokedAt: z.string().nullable(),
  })
  .openapi('ApiKey');
const CreatedKey = ApiKey.extend({ secret: z.string().openapi({ description: 'The key itself. Shown once; only its hash is stored.' }) }).openapi('CreatedApiKey');
const CreateKey = z
  .strictObject({
    name: words(200),
    role: Role,
    orgId: z.string().min(1).max(100).nullable().optional().openapi({ description: 'Scope the key to one org; omit for an instance-wide key.' }),
  })
  .openapi('CreateApiKey');
const KeyParams = z.object({ keyId: z.string().min(1).max(100) });
const Me = z
  .object({
    keyId: z.string().nullable(),
    name: z.string().openapi({ description: "The key's name, recorded as creator and operator of what it does." }),
    role: Role,
    instanceId: z.string(),
    keyOrgId: z.string().nullable().openapi({ description: 'Set when the key belongs to one org; null for an instance-wide key.' }),
    orgId: z.string().nullable().openapi({ description: 'The org this call acts in (the key\'s own, or the one X-Cadenza-Org picked); null at instance level.' }),
    temporal: z.object({
      namespace: z.string(),
      webUiUrl: z.string().nullable().openapi({ description: 'The Temporal Web UI (CADENZA_TEMPORAL_UI_URL): a workflow is at <webUiUrl>/namespaces/<namespace>/workflows/<workflowId>.' }),
    }),
  })
  .openapi('Me');

export const keyRoutes = [
  route({
    method: 'get',
    path: '/v1/me',
    summary: 'The calling key: its name, role and scope, and where the Temporal Web UI is',
    description: 'Any valid key may ask. The operator console reads it to show what the key may do.',
    tags: ['keys'],
    auth: 'viewer',
    responses: { 200: { description: 'The key', schema: Me } },
    handler: async (ctx) => ({
      status: 200,
      body: {
        keyId: ctx.tenant.keyId,
        name: ctx.tenant.actor,
        role: ctx.tenant.role,
        instanceId: ctx.tenant.instanceId,
        keyOrgId: ctx.tenant.keyOrgId,
        orgId: ctx.tenant.orgId,
        temporal: { namespace: ctx.temporal.namespace, webUiUrl: ctx.config.temporal.webUiUrl ?? null },
      },
    }),
  }),
  route({
    method: 'post',
    path: '/v1/keys',
    summary: 'Create an API key',
    description: 'The response carries the secret once. An org-scoped admin creates keys for its own org only.',
    tags: ['keys'],
    auth: 'admin',
    body: CreateKey,
    responses: { 201: { description: 'The key and its secret', schema: CreatedKey }, 409: { description: 'An active key has this name' } },
    handler: async (ctx, { body }) => {
      const { key, secret } = await createKey(ctx, body);
      return { status: 201, body: { ...key, secret } };
    },
  }),
  route({
    method: 'get',
    path: '/v1/keys',
    summary: 'List API keys',
    tags: ['keys'],
    auth: 'admin',
    query: PageQuery,
    responses: { 200: { description: 'A page of keys (never their secrets)', schema: pageOf(ApiKey, 'ApiKeyPage') } },
    handler: async (ctx, { query }) => ({ status: 200, body: await listKeys(ctx, query) }),
  }),
  route({
    method: 'delete',
    path: '/v1/keys/{keyId}',
    summary: 'Revoke an API key',
    tags: ['keys'],
    auth: 'admin',
    params: KeyParams,
    responses: { 200: { description: 'The revoked key', schema: ApiKey } },
    handler: async (ctx, { params }) => ({ status: 200, body: await revokeKey(ctx, params.keyId) }),
  }),
];
