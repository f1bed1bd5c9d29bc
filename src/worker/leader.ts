// One leader at a time for a background loop: the process holding the named PostgreSQL advisory
// lock (on a dedicated connection) runs the tick; when it dies, its session ends, the lock is
// released and another worker takes over on its next tick. With `wake`, the leader also LISTENs
// on a channel on that connection and ticks soon after a notification instead of at the next
// interval.
import type { Notification, PoolClient } from 'pg';
import type { AppCtx } from '../context';

export interface Leader {
  stop(): Promise<void>;
}

export interface WakeOptions {
  /** The NOTIFY channel that means "there is work". */
  channel: string;
  /** Ticks started by notifications are at least this far apart, so a burst costs a few ticks. */
  minGapMs: number;
}

export function runAsLeader(
  ctx: AppCtx,
  lockName: string,
  intervalMs: number,
  tick: (stopped: () => boolean) => Promise<void>,
  wake?: WakeOptions,
): Leader {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let lockClient: PoolClient | undefined;
  let running: Promise<void> = Promise.resolve();
  let ticking = false;
  let woken = false;
  /** When the pending timer fires (ms since the epoch). */
  let due = 0;

  const setTimer = (delayMs: number) => {
    due = Date.now() + delayMs;
    timer = setTimeout(run, delayMs);
  };
  const onNotification = (n: Notification) => {
    if (stopped || wake === undefined || n.channel !== wake.channel) return;
    if (ticking) {
      woken = true;
    } else if (timer !== undefined && due - Date.now() > wake.minGapMs) {
      // Only ever brings the tick closer, so a steady stream of notifications cannot starve it.
      clearTimeout(timer);
      setTimer(wake.minGapMs);
    }
  };

  const becomeLeader = async (client: PoolClient) => {
    // Held before LISTEN, so a failing LISTEN still releases the connection and its lock.
    lockClient = client;
    ctx.log.info({ lockName }, 'became leader');
    // The held connection sits idle between ticks: if PostgreSQL goes away, the error arrives
    // here (not in a query); the next tick tries to become leader again. Kept on the client
    // for good, so a late error from a dropped connection has a listener too.
    client.on('error', (err) => {
      if (lockClient !== client) return;
      ctx.log.warn({ err, lockName }, 'leader connection lost');
      dropLeadership();
    });
    if (wake !== undefined) {
      client.on('notification', onNotification);
      await client.query(`LISTEN ${client.escapeIdentifier(wake.channel)}`);
    }
  };
  const dropLeadership = () => {
    lockClient?.removeListener('notification', onNotification);
    // Releasing the connection with an error ends the session, which releases the lock.
    lockClient?.release(true);
    lockClient = undefined;
  };

  const once = async () => {
    try {
      if (lockClient === undefined) {
        const client = await ctx.db.connect();
        const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [lockName]);
        if (rows[0]?.ok) await becomeLeader(client);
        else client.release();
      }
      if (lockClient !== undefined) await tick(() => stopped);
    } catch (err) {
      ctx.log.warn({ err, lockName }, 'background tick failed');
      dropLeadership();
    }
  };
  const run = () => {
    timer = undefined;
    ticking = true;
    running = once().finally(() => {
      ticking = false;
      schedule();
    });
  };
  const schedule = () => {
    if (stopped) return;
    // Work notified during the tick may have committed after its read: look again soon.
    const delay = woken && wake !== undefined ? wake.minGapMs : intervalMs;
    woken = false;
    setTimer(delay);
  };
  // The first tick at once: a new leader catches up without waiting an interval.
  setTimer(0);
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
      dropLeadership();
    },
  };
}
