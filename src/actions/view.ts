// Actions as the API shows them: one schema each for an action and a version that the routes
// answer with (and the OpenAPI document describes), whose inferred types the domain returns.
import { z } from '../zod';

/** The script API an action is written against: Cadenza's own (the default) or Zitadel's Actions v1. */
export const ACTION_APIS = ['cadenza', 'zitadel-v1'] as const;
export type ActionApi = (typeof ACTION_APIS)[number];

export const ActionApiField = z.enum(ACTION_APIS).openapi({
  description:
    "The script API: `cadenza` (the default: `api.getContext`, `api.setContext`, `api.http.fetch`) or `zitadel-v1` (Zitadel's Actions v1 API for the flow the action runs in: `ctx.v1`, `api.v1`, `require('zitadel/http')`, `require('zitadel/log')`, `require('zitadel/uuid')`; see the README).",
});

export const ActionState = z.enum(['active', 'inactive']);
export type ActionState = z.infer<typeof ActionState>;

export const Action = z
  .object({
    id: z.string(),
    owner: z.enum(['instance', 'org']),
    orgId: z.string().nullable(),
    name: z.string(),
    script: z.string(),
    api: ActionApiField,
    timeoutSeconds: z.number(),
    allowedToFail: z.boolean(),
    state: ActionState,
    version: z.number().int(),
    createdAt: z.string(),
    createdBy: z.string(),
    changedAt: z.string(),
    changedBy: z.string(),
  })
  .openapi('Action');
export type Action = z.infer<typeof Action>;

export const ActionVersion = z
  .object({
    actionId: z.string(),
    version: z.number().int(),
    name: z.string(),
    script: z.string(),
    api: ActionApiField,
    scriptHash: z.string(),
    timeoutSeconds: z.number(),
    allowedToFail: z.boolean(),
    rolledBackFrom: z.number().int().nullable(),
    createdAt: z.string(),
    createdBy: z.string(),
  })
  .openapi('ActionVersion');
export type ActionVersion = z.infer<typeof ActionVersion>;
