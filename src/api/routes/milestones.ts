// Milestones: when the caller's instance, or its org, first reached each step of first use.
import { MILESTONES } from '../../eventstore/milestones';
import { listMilestones } from '../../tenancy/milestones';
import { route } from '../route';
import { z } from '../schema';

const Milestone = z
  .object({
    milestone: z.enum(MILESTONES.map((m) => m.name) as [string, ...string[]]),
    reachedBy: z.string().openapi({ description: 'The event type that reaches it.' }),
    reachedAt: z.string().nullable().openapi({ description: 'When it was reached; null while it is not.' }),
    pushedAt: z.string().nullable().openapi({ description: 'When a target call delivering its milestone.reached event succeeded; null until then.' }),
  })
  .openapi('Milestone');
const MilestoneList = z
  .object({
    orgId: z.string().nullable().openapi({ description: "The org they belong to; null for the instance's own." }),
    items: z.array(Milestone),
  })
  .openapi('MilestoneList');

export const milestoneRoutes = [
  route({
    method: 'get',
    path: '/v1/milestones',
    summary: "The caller's milestones, reached or not",
    description:
      "An org call (an org key, or an instance-wide key with X-Cadenza-Org) gets its org's milestones; an instance-level call gets the instance's (with instance_created). Org keys never see the instance's.",
    tags: ['milestones'],
    auth: 'viewer',
    responses: { 200: { description: 'Every milestone of the scope, in first-use order', schema: MilestoneList } },
    handler: async (ctx) => ({ status: 200, body: await listMilestones(ctx) }),
  }),
];
