// The safety net behind the API: if a process dies between committing a command and starting
// its workflow, the command would sit PENDING forever. One worker at a time (a PostgreSQL
// advisory lock held on a dedicated connection) starts the workflows of commands whose workflow
// never recorded a transition. Starts are idempotent, so a command started twice runs once.
import type { PoolClient } from 'pg';
import type { AppCtx } from '../context';
import type { CommandWorkflowInput, RetryPolicy } from '../commands/model';
import { startCommandWorkflow } from '../commands/start';

const LOCK_KEY = 7_316_001; // "cadenza dispatcher"
const INTERVAL_MS = 2_000;
const BATCH = 200;

interface UndispatchedRow {
  instance_id: string;
  org_id: string | null;
  domain: string;
  command_id: string;
  type: string;
  correlation_id: string;
  payload: unknown;
  reply_to: string | null;
  batch_id: string | null;
  policy: RetryPolicy;
}

export interface Dispatcher {
  stop(): Promise<void>;
}

export function startDispatcher(ctx: AppCtx): Dispatcher {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let lockClient: PoolClient | undefined;
  let running: Promise<void> = Promise.resolve();

  const tick = async () => {
    try {
      if (lockClient === undefined) {
        const client = await ctx.db.connect();
        const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [LOCK_KEY]);
        if (rows[0]?.ok) lockClient = client;
        else client.release();
      }
      if (lockClient !== undefined) await dispatchOnce(ctx);
    } catch (err) {
      ctx.log.warn({ err }, 'dispatcher tick failed');
      lockClient?.release(true);
      lockClient = undefined;
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick().finally(schedule);
    }, INTERVAL_MS);
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

/** Starts workflows for commands left undispatched; returns how many it started. */
export async function dispatchOnce(ctx: AppCtx): Promise<number> {
  const { rows } = await ctx.db.query<UndispatchedRow>(
    `SELECT instance_id, org_id, domain, command_id, type, correlation_id, payload, reply_to, batch_id, policy
       FROM commands
      WHERE dispatched_at IS NULL AND created_at < now() - make_interval(secs => $1)
      ORDER BY created_at LIMIT $2`,
    [ctx.config.worker.dispatchAfterSeconds, BATCH],
  );
  for (const r of rows) {
    const input: CommandWorkflowInput = {
      instanceId: r.instance_id,
      orgId: r.org_id,
      domain: r.domain,
      type: r.type,
      commandId: r.command_id,
      correlationId: r.correlation_id,
      payload: r.payload,
      replyTo: r.reply_to,
      batchId: r.batch_id,
      policy: r.policy,
    };
    await startCommandWorkflow(ctx.temporal, input);
    await ctx.db.query('UPDATE commands SET dispatched_at = now() WHERE instance_id = $1 AND domain = $2 AND command_id = $3', [
      r.instance_id,
      r.domain,
      r.command_id,
    ]);
    ctx.log.info({ instanceId: r.instance_id, domain: r.domain, commandId: r.command_id }, 'dispatcher started a command workflow');
  }
  return rows.length;
}
