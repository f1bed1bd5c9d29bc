// Credentials that workflow nodes name (n8n's generic HTTP auth types). Their secret fields go in,
// never come out: answers carry the name, type and owner only.
import { addCredential, CREDENTIAL_FIELDS, CREDENTIAL_TYPES, getCredential, listCredentials, removeCredential, rotateCredential } from '../../credentials/credentials';
import { route } from '../route';
import { PageQuery, pageOf, z } from '../schema';

const Type = z.enum(CREDENTIAL_TYPES as [string, ...string[]]).openapi({
  description: Object.entries(CREDENTIAL_FIELDS)
    .map(([t, f]) => `${t}: ${f.join(', ')}`)
    .join('; '),
});
const Data = z.record(z.string(), z.string().max(8192)).openapi({ description: "The type's secret fields, each a string; stored encrypted, never returned." });
const Credential = z
  .object({ id: z.string(), orgId: z.string().nullable(), name: z.string(), type: Type, createdAt: z.string(), createdBy: z.string(), changedAt: z.string() })
  .openapi('Credential');
const CredentialParams = z.object({ credentialId: z.string().min(1).max(100) });

export const credentialRoutes = [
  route({
    method: 'post',
    path: '/v1/credentials',
    summary: 'Create a credential for workflow nodes',
    description: 'Nodes name it in their `credentials` block by id or name: `{"httpHeaderAuth": {"id": "cred_…", "name": "Shop API"}}`.',
    tags: ['workflows'],
    auth: 'admin',
    body: z.strictObject({ name: z.string().trim().min(1).max(200), type: Type, data: Data }).openapi('CreateCredential'),
    responses: { 201: { description: 'The credential (without its data)', schema: Credential }, 409: { description: 'The name is taken' }, 422: { description: 'Missing or unknown fields for the type' } },
    handler: async (ctx, { body }) => ({ status: 201, body: await addCredential(ctx, body as Parameters<typeof addCredential>[1]) }),
  }),
  route({
    method: 'get',
    path: '/v1/credentials',
    summary: 'List credentials (without their data)',
    tags: ['workflows'],
    auth: 'viewer',
    query: PageQuery,
    responses: { 200: { description: 'A page of credentials', schema: pageOf(Credential, 'CredentialPage') } },
    handler: async (ctx, { query }) => ({ status: 200, body: await listCredentials(ctx, query) }),
  }),
  route({
    method: 'get',
    path: '/v1/credentials/{credentialId}',
    summary: 'Get a credential (without its data)',
    tags: ['workflows'],
    auth: 'viewer',
    params: CredentialParams,
    responses: { 200: { description: 'The credential', schema: Credential }, 404: { description: 'No such credential' } },
    handler: async (ctx, { params }) => ({ status: 200, body: await getCredential(ctx, params.credentialId) }),
  }),
  route({
    method: 'put',
    path: '/v1/credentials/{credentialId}/data',
    summary: 'Rotate: replace the secret fields',
    description: 'Node runs that start afterwards use the new fields.',
    tags: ['workflows'],
    auth: 'admin',
    params: CredentialParams,
    body: z.strictObject({ data: Data }),
    responses: { 200: { description: 'The credential', schema: Credential }, 404: { description: 'No such credential' }, 422: { description: 'Missing or unknown fields for its type' } },
    handler: async (ctx, { params, body }) => ({ status: 200, body: await rotateCredential(ctx, params.credentialId, body) }),
  }),
  route({
    method: 'delete',
    path: '/v1/credentials/{credentialId}',
    summary: 'Remove a credential',
    description: 'Nodes that name it fail when they next run; saving a workflow that names it fails validation.',
    tags: ['workflows'],
    auth: 'admin',
    params: CredentialParams,
    responses: { 204: { description: 'Removed' }, 404: { description: 'No such credential' } },
    handler: async (ctx, { params }) => {
      await removeCredential(ctx, params.credentialId);
      return { status: 204 };
    },
  }),
];
