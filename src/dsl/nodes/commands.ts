// cadenza.sendCommand: sends one command per input item through the command bus (preSend flow,
// idempotency by commandId) and waits in the interpreter workflow for each command's reply.
import { z } from 'zod';
import { COMMAND_ID_RE, DOMAIN_RE, TYPE_RE } from '../../commands/model';
import { expr, type NodeType } from '../registry';

/** Longest wait for the outcomes: 30 days, like waitForSignal (the default is in LIMITS). */
const MAX_COMMAND_TIMEOUT_SECONDS = 30 * 86_400;

const SendCommandParams = z.looseObject({
  domain: expr(z.string().regex(DOMAIN_RE, 'lowercase letters, digits, _ and - (1 to 63)')),
  type: expr(z.string().regex(TYPE_RE, 'letters, digits, . _ - (1 to 128)')),
  payload: z.unknown().optional(),
  /** Retries of the node send `<commandId>.<try>` from the 2nd try on; 100 characters leave room for that. */
  commandId: expr(z.string().max(100).regex(COMMAND_ID_RE, 'letters, digits, . _ ~ - (1 to 100)')).optional(),
  timeoutSeconds: z.number().int().min(1).max(MAX_COMMAND_TIMEOUT_SECONDS).optional(),
});

export type SendCommandParams = z.infer<typeof SendCommandParams>;

export const sendCommand: NodeType<SendCommandParams> = {
  type: 'cadenza.sendCommand',
  versions: [1],
  description: 'Sends a command (domain, type, payload) per input item through the command bus and waits for its outcome; emits {commandId, outcome, result}.',
  kind: 'command',
  parameters: SendCommandParams,
  outputs: () => 1,
};
