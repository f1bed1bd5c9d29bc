// The `demo` domain, enabled in the embedded default for the README tour and the tests.
import { BusinessRuleError, defineHandler, PermanentCommandError, TransientCommandError } from './handlers';

export const demoHandlers = [
  /** Returns its payload. */
  defineHandler({ domain: 'demo', type: 'echo', handle: (command) => command.payload }),

  /** Does nothing; the benchmark's handler. */
  defineHandler({ domain: 'demo', type: 'noop', handle: () => null }),

  /**
   * Fails its first `failTimes` attempts, counted across operator retries, with a permanent
   * error when `permanent` is true and a transient one otherwise.
   */
  defineHandler<{ failTimes?: number; permanent?: boolean }>({
    domain: 'demo',
    type: 'flaky',
    handle: (command, ctx) => {
      const failTimes = Number(command.payload?.failTimes ?? 1);
      if (ctx.totalAttempts <= failTimes) {
        const message = `demo/flaky failure ${ctx.totalAttempts} of ${failTimes}`;
        throw command.payload?.permanent ? new PermanentCommandError(message, 'DEMO_PERMANENT') : new TransientCommandError(message, 'DEMO_TRANSIENT');
      }
      return { succeededOnAttempt: ctx.totalAttempts };
    },
  }),

  /** Always refused by a business rule: FAILED with a reply, never the troubleshooting queue. */
  defineHandler<{ reason?: string }>({
    domain: 'demo',
    type: 'reject',
    handle: (command) => {
      throw new BusinessRuleError(command.payload?.reason ?? 'rejected by demo/reject', 'DEMO_REJECTED');
    },
  }),

  /** Works for `ms` milliseconds, heartbeating, then returns; stops early when aborted. */
  defineHandler<{ ms?: number }>({
    domain: 'demo',
    type: 'slow',
    handle: async (command, ctx) => {
      const ms = Math.min(Number(command.payload?.ms ?? 1000), 10 * 60_000);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, ms);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(new TransientCommandError('demo/slow was interrupted'));
        });
      });
      return { sleptMs: ms };
    },
  }),
];
