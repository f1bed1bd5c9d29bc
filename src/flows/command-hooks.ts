// The command flow's preSend trigger as a hook of the command bus: its active actions run before
// a command is stored, may change the payload, or reject the command (FlowRunFailedError, a 422
// naming the action) before anything is stored or started.
import type { HookedSend, SendHook } from '../context';
import { planRunSteps } from './flows';
import { runFlowTrigger } from './flow-runs';

/** The context a command flow's actions see: `ctx.command.payload` is theirs to change. */
export function commandFlowContext(c: HookedSend) {
  return { command: { domain: c.domain, type: c.type, commandId: c.commandId ?? null, correlationId: c.correlationId ?? null, payload: c.payload ?? null } };
}

export const preSendActions: SendHook = {
  async plan(tx, ctx) {
    const steps = await planRunSteps(tx, ctx.tenant.instanceId, ctx.tenant.orgId, 'command', 'preSend');
    if (steps.length === 0) return undefined;
    return {
      async before(ctx, send) {
        const run = await runFlowTrigger(ctx, { flowType: 'command', trigger: 'preSend', context: commandFlowContext(send), steps });
        if (run.runId === null) return { send, runId: null };
        const changed = (run.context as { command?: { payload?: unknown } }).command?.payload;
        return { send: { ...send, payload: changed === undefined ? send.payload : changed }, runId: run.runId };
      },
      after: async (_ctx, view) => view,
    };
  },
};
