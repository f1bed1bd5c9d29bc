import { addOrg, getOrg, listOrgs } from '../../tenancy/orgs';
import { route } from '../route';
import { PageQuery, pageOf, z, words } from '../schema';

const Org = z
  .object({ id: z.string(), name: z.string(), createdAt: z.string(), createdBy: z.string() })
  .openapi('Org');
const CreateOrg = z.strictObject({ name: words(200) }).openapi('CreateOrg');
const OrgParams = z.object({ orgId: z.string().min(1).max(100) });

export const orgRoutes = [
  route({
    method: 'post',
    path: '/v1/orgs',
    summary: 'Create an org',
    description: 'Needs an instance-wide admin key.',
    tags: ['orgs'],
    auth: 'admin',
    body: CreateOrg,
    responses: { 201: { description: 'The new org', schema: Org }, 409: { description: 'The name is taken' } },
    handler: async (ctx, { body }) => ({ status: 201, body: await addOrg(ctx, body) }),
  }),
  route({
    method: 'get',
    path: '/v1/orgs',
    summary: 'List orgs',
    tags: ['orgs'],
    auth: 'viewer',
    query: PageQuery,
    responses: { 200: { description: 'A page of orgs', schema: pageOf(Org, 'OrgPage') } },
    handler: async (ctx, { query }) => ({ status: 200, body: await listOrgs(ctx, query) }),
  }),
  route({
    method: 'get',
    path: '/v1/orgs/{orgId}',
    summary: 'Get an org',
    tags: ['orgs'],
    auth: 'viewer',
    params: OrgParams,
    responses: { 200: { description: 'The org', schema: Org }, 404: { description: 'No such org in this tenant' } },
    handler: async (ctx, { params }) => ({ status: 200, body: await getOrg(ctx, params.orgId) }),
  }),
];
