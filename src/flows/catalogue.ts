// The one list of flow types and their trigger types. Zitadel's four flows (for integrations
// that call `run`) keep Zitadel's names; the `command` flow belongs to the command bus.
import { ValidationError } from '../errors';

export interface FlowTypeDoc {
  type: string;
  description: string;
  triggers: { type: string; description: string }[];
}

export const FLOW_CATALOGUE: readonly FlowTypeDoc[] = [
  {
    type: 'externalAuthentication',
    description: 'Login with an external identity provider (Zitadel flow 1).',
    triggers: [
      { type: 'postAuthentication', description: 'After the external provider authenticated the user.' },
      { type: 'preCreation', description: 'Before a user from the external provider is created.' },
      { type: 'postCreation', description: 'After a user from the external provider was created.' },
    ],
  },
  {
    type: 'customiseToken',
    description: 'Complement tokens and userinfo (Zitadel flow 2).',
    triggers: [
      { type: 'preUserinfoCreation', description: 'Before the userinfo response and the ID token are built.' },
      { type: 'preAccessTokenCreation', description: 'Before an access token is built.' },
    ],
  },
  {
    type: 'internalAuthentication',
    description: 'Login with a local account (Zitadel flow 3).',
    triggers: [
      { type: 'postAuthentication', description: 'After the user authenticated.' },
      { type: 'preCreation', description: 'Before a user registers.' },
      { type: 'postCreation', description: 'After a user registered.' },
    ],
  },
  {
    type: 'customizeSAMLResponse',
    description: 'Complement SAML responses (Zitadel flow 4).',
    triggers: [{ type: 'preSAMLResponseCreation', description: 'Before a SAML response is built.' }],
  },
  {
    type: 'command',
    description: 'The command bus.',
    triggers: [
      { type: 'preSend', description: 'Before a command workflow starts: may change the payload or reject the command.' },
      { type: 'postCompletion', description: 'After a command completed; asynchronous, never blocks the command.' },
      { type: 'postTroubleshooting', description: 'After a command entered the troubleshooting queue; asynchronous.' },
    ],
  },
];

export function flowTypeOf(flowType: string, field = 'path.flowType'): FlowTypeDoc {
  const flow = FLOW_CATALOGUE.find((f) => f.type === flowType);
  if (flow === undefined) {
    throw ValidationError.field(field, `'${flowType}' is not a flow type; known: ${FLOW_CATALOGUE.map((f) => f.type).join(', ')}`);
  }
  return flow;
}

/** Throws a 422 naming the field when the flow type or its trigger type is unknown. */
export function checkTrigger(flowType: string, triggerType: string, fields = { flow: 'path.flowType', trigger: 'path.triggerType' }): void {
  const flow = flowTypeOf(flowType, fields.flow);
  if (!flow.triggers.some((t) => t.type === triggerType)) {
    throw ValidationError.field(
      fields.trigger,
      `'${triggerType}' is not a trigger of flow ${flowType}; known: ${flow.triggers.map((t) => t.type).join(', ')}`,
    );
  }
}
