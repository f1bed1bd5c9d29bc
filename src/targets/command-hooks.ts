// The request/<operation> and response/<operation> executions as hooks of Cadenza's write
// operations. Call targets may rewrite the body before the operation (the caller takes back only
// the fields it allows to change, such as a command's payload) and the answer after; a failing
// target with interruptOnError vetoes the operation (TargetFailedError, 424).
import type { OperationHooks, PlannedOperation, SendHook } from '../context';
import { applyHook, matchOperationHooks } from './execute';

/** What an operation with no execution configured runs: nothing. */
const NO_HOOKS: PlannedOperation = {
  request: async (_ctx, body) => body,
  response: async (_ctx, view) => view,
};

/** The body with each changeable field the targets' answer holds taken from it. */
function takeChanges<B extends object>(body: B, answer: unknown, changeable: readonly string[]): B {
  if (typeof answer !== 'object' || answer === null) return body;
  const changes = Object.fromEntries(changeable.filter((f) => f in answer).map((f) => [f, (answer as Record<string, unknown>)[f]]));
  return Object.keys(changes).length === 0 ? body : { ...body, ...changes };
}

export const operationExecutions: OperationHooks = {
  async plan(tx, ctx, operation) {
    const hooks = await matchOperationHooks(tx, ctx.tenant.instanceId, ctx.tenant.orgId, operation);
    if (hooks.request.length === 0 && hooks.response.length === 0) return NO_HOOKS;
    return {
      request: async (ctx, body, changeable) => takeChanges(body, await applyHook<unknown>(ctx, hooks.request, body), changeable),
      response: (ctx, view) => applyHook(ctx, hooks.response, view),
    };
  },
};

/** request/ and response/SendCommand as a send hook of the command bus: a request target may change the payload. */
export const sendCommandExecutions: SendHook = {
  async plan(tx, ctx) {
    const hooks = await operationExecutions.plan(tx, ctx, 'SendCommand');
    if (hooks === NO_HOOKS) return undefined;
    return {
      before: async (ctx, send) => ({ send: await hooks.request(ctx, send, ['payload']), runId: null }),
      after: (ctx, view) => hooks.response(ctx, view),
    };
  },
};
