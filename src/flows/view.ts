// A flow as the API shows it: one schema that the routes answer with (and the OpenAPI document
// describes), whose inferred type the domain returns.
import { ActionState } from '../actions/view';
import { z } from '../zod';

const FlowAction = z.object({ id: z.string(), name: z.string(), state: ActionState, version: z.number().int() });

export const Flow = z
  .object({
    flowType: z.string(),
    description: z.string(),
    owner: z.enum(['instance', 'org']),
    orgId: z.string().nullable(),
    triggers: z.array(
      z.object({
        triggerType: z.string(),
        description: z.string(),
        actions: z.array(FlowAction),
      }),
    ),
  })
  .openapi('Flow');
export type Flow = z.infer<typeof Flow>;
