// One leader at a time for a background loop: the process holding the named PostgreSQL advisory
// lock (on a dedicated connection) runs the tick; when it dies, its session ends, the lock is
// released and another worker takes over on its next tick.
import type { PoolClient } from 'pg';
import type { AppCtx } from '../context';

export interface Leader {
  stop(): Promise<void>;
}

export function runAsLeader(ctx: AppCtx, lockName: string, intervalMs: number, tick: (stopped: () => boolean) => Promise<void>): Leader {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let lockClient: PoolClient | undefined;
  let running: Promise<void> = Promise.resolve();

  const once = async () => {
    try {
      if (lockClient === undefined) {
        const client = await ctx.db.connect();
        const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [lockName]);
        if (rows[0]?.ok) lockClient = client;
        else client.release();
      }
      if (lockClient !== undefined) await tick(() => stopped);
    } catch (err) {
      ctx.log.warn({ err, lockName }, 'background tick failed');
      lockClient?.release(true);
      lockClient = undefined;
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = once().finally(schedule);
    }, intervalMs);
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
      // Releasing the connection with an error ends the session, which releases the lock.
      lockClient?.release(true);
      lockClient = undefined;
    },
  };
}
