// Provisioning instances from the system scope: create (with a first admin key), list, read,
// change limits, remove. Removing an instance revokes its keys, terminates its running
// workflows and deletes every row it owns, in every table with an instance_id; a repeated
// DELETE finishes one that was interrupted.
import type { InstanceRequestLimits, SystemCtx } from '../context';
import { SYSTEM, transaction, type Tx } from '../db/db';
import { NotFoundError, ValidationError } from '../errors';
import { push } from '../eventstore/eventstore';
import { decodeCursor, toPage, type Page } from '../pagination';
import { createInstance } from './instances';
import { insertKey } from './keys';
import { rateLimitOf } from './rate-limit';

export interface InstanceLimits extends InstanceRequestLimits {
  /** Action-seconds per calendar month (UTC); null: the installation's CADENZA_ACTION_QUOTA_SECONDS; 0: no quota. */
  actionQuotaSecondsPerMonth: number | null;
  logRetentionDays: number;
  /** Days finished commands and their events are kept (src/commands/retention.ts). */
  commandRetentionDays: number;
}

export interface ProvisionedInstance {
  id: string;
  name: string;
  limits: InstanceLimits;
  createdAt: string;
}

interface InstanceRow {
  id: string;
  name: string;
  action_quota_seconds: number | null;
  log_retention_days: number;
  command_retention_days: number;
  command_payload_bytes: number | null;
  rate_limit_per_second: number | null;
  rate_limit_burst: number | null;
  created_at: Date;
}

const toInstance = (r: InstanceRow): ProvisionedInstance => ({
  id: r.id,
  name: r.name,
  limits: {
    actionQuotaSecondsPerMonth: r.action_quota_seconds,
    logRetentionDays: r.log_retention_days,
    commandRetentionDays: r.command_retention_days,
    commandPayloadBytes: r.command_payload_bytes,
    rateLimit: rateLimitOf(r),
  },
  createdAt: r.created_at.toISOString(),
});

async function load(tx: Tx, id: string): Promise<InstanceRow> {
  const { rows } = await tx.query<InstanceRow>('SELECT * FROM instances WHERE id = $1 AND removing_at IS NULL', [id]);
  if (rows[0] === undefined) throw new NotFoundError('instance', id);
  return rows[0];
}

export async function provisionInstance(
  ctx: SystemCtx,
  input: { id: string; name: string; limits?: Partial<InstanceLimits> },
): Promise<{ instance: ProvisionedInstance; adminKey: string }> {
  checkLimits(ctx, input.limits);
  await createInstance(ctx.db, { id: input.id, name: input.name }, ctx.system.actor);
  return transaction(ctx.db, SYSTEM, async (tx) => {
    if (input.limits !== undefined) await setLimits(tx, ctx, input.id, input.limits);
    const { secret } = await insertKey(tx, input.id, ctx.system.actor, { name: 'admin', role: 'admin', orgId: null });
    return { instance: toInstance(await load(tx, input.id)), adminKey: secret };
  });
}

/** An instance's payload limit may only lower the installation's. */
function checkLimits(ctx: SystemCtx, limits: Partial<InstanceLimits> | undefined): void {
  const installation = ctx.config.limits.commandPayloadBytes;
  if (limits?.commandPayloadBytes != null && limits.commandPayloadBytes > installation) {
    throw ValidationError.field('body.limits.commandPayloadBytes', `may only lower the installation's limit of ${installation} bytes (CADENZA_COMMAND_PAYLOAD_LIMIT_BYTES)`);
  }
}

async function setLimits(tx: Tx, ctx: SystemCtx, id: string, limits: Partial<InstanceLimits>): Promise<void> {
  await push(tx, id, ctx.system.actor, [
    {
      aggregateType: 'instance',
      aggregateId: id,
      type: 'instance.limits_changed',
      payload: limits,
      project: async (ptx) => {
        await ptx.query(
          `UPDATE instances SET action_quota_seconds = CASE WHEN $2 THEN $3::integer ELSE action_quota_seconds END,
                                log_retention_days = COALESCE($4, log_retention_days),
                                command_retention_days = COALESCE($5, command_retention_days),
                                command_payload_bytes = CASE WHEN $6 THEN $7::integer ELSE command_payload_bytes END,
                                rate_limit_per_second = CASE WHEN $8 THEN $9::float8 ELSE rate_limit_per_second END,
                                rate_limit_burst = CASE WHEN $8 THEN $10::integer ELSE rate_limit_burst END
            WHERE id = $1`,
          [
            id,
            limits.actionQuotaSecondsPerMonth !== undefined,
            limits.actionQuotaSecondsPerMonth ?? null,
            limits.logRetentionDays ?? null,
            limits.commandRetentionDays ?? null,
            limits.commandPayloadBytes !== undefined,
            limits.commandPayloadBytes ?? null,
            limits.rateLimit !== undefined,
            limits.rateLimit?.requestsPerSecond ?? null,
            limits.rateLimit?.burst ?? null,
          ],
        );
      },
    },
  ]);
}

export async function changeInstance(ctx: SystemCtx, id: string, input: { name?: string; limits?: Partial<InstanceLimits> }): Promise<ProvisionedInstance> {
  checkLimits(ctx, input.limits);
  return transaction(ctx.db, SYSTEM, async (tx) => {
    await load(tx, id);
    if (input.name !== undefined) {
      await push(tx, id, ctx.system.actor, [
        { aggregateType: 'instance', aggregateId: id, type: 'instance.renamed', payload: { name: input.name }, project: (ptx) => ptx.query('UPDATE instances SET name = $2 WHERE id = $1', [id, input.name]).then(() => undefined) },
      ]);
    }
    if (input.limits !== undefined) await setLimits(tx, ctx, id, input.limits);
    return toInstance(await load(tx, id));
  });
}

export async function getInstance(ctx: SystemCtx, id: string): Promise<ProvisionedInstance> {
  return toInstance(await transaction(ctx.db, SYSTEM, (tx) => load(tx, id)));
}

export async function listInstances(ctx: SystemCtx, input: { limit: number; cursor?: string }): Promise<Page<ProvisionedInstance>> {
  const after = decodeCursor(input.cursor, ['text'])?.[0] ?? null;
  const { rows } = await transaction(ctx.db, SYSTEM, (tx) =>
    tx.query<InstanceRow>('SELECT * FROM instances WHERE removing_at IS NULL AND ($1::text IS NULL OR id > $1) ORDER BY id LIMIT $2', [after, input.limit + 1]),
  );
  return toPage(rows, input.limit, toInstance, (r) => [r.id]);
}

/** Every table that holds rows of an instance (new tables are covered without a change here). */
async function instanceTables(tx: Tx): Promise<string[]> {
  const { rows } = await tx.query<{ name: string }>(
    `SELECT format('%I.%I', table_schema, table_name) AS name FROM information_schema.columns
      WHERE column_name = 'instance_id' AND table_schema IN ('public', 'logstore')
        AND table_name IN (SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE')
      ORDER BY 1`,
  );
  return rows.map((r) => r.name);
}

/** Deletes the instance's rows; tables referenced by others go once their referrers are empty. */
async function deleteRows(tx: Tx, id: string): Promise<number> {
  // The event log refuses deletes to every role: its rows go through the one function that may.
  let deleted = Number((await tx.query<{ n: string }>('SELECT cadenza_remove_instance_events($1) AS n', [id])).rows[0]!.n);
  let pending = (await instanceTables(tx)).filter((t) => t !== 'public.events');
  while (pending.length > 0) {
    const blocked: string[] = [];
    for (const table of pending) {
      await tx.query('SAVEPOINT remove_table');
      try {
        deleted += (await tx.query(`DELETE FROM ${table} WHERE instance_id = $1`, [id])).rowCount ?? 0;
        await tx.query('RELEASE SAVEPOINT remove_table');
      } catch (err) {
        await tx.query('ROLLBACK TO SAVEPOINT remove_table');
        if ((err as { code?: string }).code !== '23503') throw err; // still referenced: after its referrers
        blocked.push(table);
      }
    }
    if (blocked.length === pending.length) throw new Error(`cannot remove the rows of instance '${id}' from ${blocked.join(', ')}`);
    pending = blocked;
  }
  return deleted;
}

/** Terminates the instance's running workflows (commands, runs, alerts, workflow runs). */
async function terminateWorkflows(ctx: SystemCtx, id: string): Promise<number> {
  const { client } = ctx.temporal;
  let terminated = 0;
  for await (const wf of client.workflow.list({ query: `CadenzaInstance = "${id}" AND ExecutionStatus = "Running"` })) {
    await client.workflow
      .getHandle(wf.workflowId, wf.runId)
      .terminate(`instance '${id}' removed`)
      .then(() => terminated++)
      .catch(() => undefined); // ended in between
  }
  return terminated;
}

export async function removeInstance(ctx: SystemCtx, id: string): Promise<{ terminatedWorkflows: number; deletedRows: number }> {
  if (!/^[a-z0-9][a-z0-9-]{0,39}$/.test(id)) throw new NotFoundError('instance', id);
  // First no new work: the mark hides the instance, and its keys stop working.
  const found = await transaction(ctx.db, SYSTEM, async (tx) => {
    const { rowCount } = await tx.query('UPDATE instances SET removing_at = COALESCE(removing_at, now()) WHERE id = $1', [id]);
    await tx.query('UPDATE api_keys SET revoked_at = now(), revoked_by = $2 WHERE instance_id = $1 AND revoked_at IS NULL', [id, ctx.system.actor]);
    return rowCount === 1;
  });
  if (!found) throw new NotFoundError('instance', id);
  let terminatedWorkflows = await terminateWorkflows(ctx, id);
  let deletedRows = await transaction(ctx.db, SYSTEM, (tx) => deleteRows(tx, id));
  // A dispatcher may have started a stored workflow in between: stop it, and delete what it wrote.
  terminatedWorkflows += await terminateWorkflows(ctx, id);
  deletedRows += await transaction(ctx.db, SYSTEM, async (tx) => {
    const n = await deleteRows(tx, id);
    await tx.query('DELETE FROM instances WHERE id = $1', [id]);
    return n;
  });
  ctx.log.info({ instanceId: id, terminatedWorkflows, deletedRows, by: ctx.system.actor }, 'instance removed');
  return { terminatedWorkflows, deletedRows };
}
