// The safety net behind the API: if a process dies between committing a row and starting its
// workflow (or Temporal is away then), the row would sit PENDING or running forever. One worker
// at a time (runAsLeader) starts, after CADENZA_DISPATCH_AFTER_SECONDS, the workflows of
// commands whose workflow never recorded a transition, and the recorded starts of flow runs,
// DAG runs and alerts (temporal/workflow-starts.ts). Starts are idempotent, so a workflow
// started twice runs once. One database serves one deployment (task queue).
import type { AppCtx } from '../context';
import type { CommandWorkflowInput, RetryPolicy } from '../commands/model';
import { startCommandWorkflow } from '../commands/start';
import { SYSTEM, transaction } from '../db/db';
import { dispatchWorkflowStarts } from '../temporal/workflow-starts';
import { orgKey } from '../tenancy/scope';
import { runAsLeader, type Leader } from './leader';

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

/** One leader per task queue: the deployment whose workers run the started workflows. */
export function startDispatcher(ctx: AppCtx): Leader {
  return runAsLeader(ctx, `cadenza command dispatcher:${ctx.temporal.taskQueue}`, INTERVAL_MS, async () => {
    await dispatchOnce(ctx);
    await dispatchWorkflowStarts(ctx, ctx.config.worker.dispatchAfterSeconds, BATCH);
  });
}

/** Starts workflows for commands left undispatched; returns how many it started. */
export async function dispatchOnce(ctx: AppCtx): Promise<number> {
  // Every instance's undispatched commands: the system path.
  const { rows } = await transaction(ctx.db, SYSTEM, (tx) =>
    tx.query<UndispatchedRow>(
      `SELECT instance_id, org_id, domain, command_id, type, correlation_id, payload, reply_to, batch_id, policy
         FROM commands
        WHERE dispatched_at IS NULL AND created_at < now() - make_interval(secs => $1)
        ORDER BY created_at LIMIT $2`,
      [ctx.config.worker.dispatchAfterSeconds, BATCH],
    ),
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
    await transaction(ctx.db, { instanceId: r.instance_id }, (tx) =>
      tx.query('UPDATE commands SET dispatched_at = now() WHERE instance_id = $1 AND org_key = $2 AND domain = $3 AND command_id = $4', [r.instance_id, orgKey(r.org_id), r.domain, r.command_id]),
    );
    ctx.log.info({ instanceId: r.instance_id, domain: r.domain, commandId: r.command_id }, 'dispatcher started a command workflow');
  }
  return rows.length;
}
