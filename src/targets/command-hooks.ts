// The request/SendCommand and response/SendCommand executions as a hook of the command bus: call
// targets may rewrite the payload before the command is stored (only the payload of the body they
// return is taken) and the answer after; a failing target with interruptOnError vetoes the send
// (TargetFailedError, 424).
import type { SendHook } from '../context';
import { applyHook, matchOperationHooks } from './execute';

export const sendCommandExecutions: SendHook = {
  async plan(tx, ctx) {
    const hooks = await matchOperationHooks(tx, ctx.tenant.instanceId, ctx.tenant.orgId, 'SendCommand');
    if (hooks.request.length === 0 && hooks.response.length === 0) return undefined;
    return {
      async before(ctx, send) {
        const body = await applyHook(ctx, hooks.request, send);
        const changed = typeof body === 'object' && body !== null && 'payload' in body ? (body as { payload: unknown }).payload : send.payload;
        return { send: changed === send.payload ? send : { ...send, payload: changed }, runId: null };
      },
      after: (ctx, view) => applyHook(ctx, hooks.response, view),
    };
  },
};
