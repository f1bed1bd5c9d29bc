// Batches: all commands of a batch are committed in one transaction, or none are. Completion is
// counted in PostgreSQL as each command finishes (see projection.ts), never held in memory.
import crypto from 'node:crypto';
import type { TenantCtx } from '../context';
import { ConcurrencyError, ConflictError, ValidationError } from '../errors';
import { transaction } from '../db/db';
import { push } from '../eventstore/eventstore';
import { applyPreSend, planPreSend, checkReplyAddress, checkReplyTo, insertCommand, resolvePolicy, startOrDefer, validateSend, type SendInput } from './send';
import type { CommandRow } from './queries';
import type { RetryPolicy } from './model';

export interface BatchInput {
  batchId?: string;
  replyTo?: string;
  commands: SendInput[];
}

export interface BatchResult {
  batchId: string;
  total: number;
  commands: { domain: string; commandId: string }[];
}

function checkDuplicates(commands: SendInput[]): void {
  const seen = new Map<string, number>();
  commands.forEach((c, i) => {
    if (c.commandId === undefined) return;
    const key = `${c.domain}/${c.commandId}`;
    const first = seen.get(key);
    if (first !== undefined) throw ValidationError.field(`body.commands[${i}].commandId`, `repeats body.commands[${first}] (${key})`);
    seen.set(key, i);
  });
}

/** preSend for each command, the actions planned once for the whole batch. */
async function preSendAll(ctx: TenantCtx, commands: SendInput[]): Promise<{ input: SendInput; runId: string | null }[]> {
  const steps = await transaction(ctx.db, ctx.tenant, (tx) => planPreSend(tx, ctx));
  const out: { input: SendInput; runId: string | null }[] = [];
  for (const c of commands) out.push(await applyPreSend(ctx, c, steps));
  return out;
}

export async function sendBatch(ctx: TenantCtx, input: BatchInput): Promise<BatchResult> {
  const max = ctx.config.limits.batchMaxCommands;
  if (input.commands.length > max) throw ValidationError.field('body.commands', `must hold at most ${max} commands`);
  input.commands.forEach((c, i) => validateSend(ctx, c, `body.commands[${i}]`));
  checkReplyTo(ctx.tenant.instanceId, input.replyTo, 'body.replyTo');
  checkDuplicates(input.commands);
  await checkReplyAddress(ctx, input.replyTo, 'body.replyTo');
  for (const [i, c] of input.commands.entries()) await checkReplyAddress(ctx, c.replyTo, `body.commands[${i}].replyTo`);
  const prepared = await preSendAll(ctx, input.commands);
  const batchId = input.batchId ?? crypto.randomUUID();
  const { tenant } = ctx;

  let rows: CommandRow[];
  try {
    rows = await transaction(ctx.db, tenant, async (tx) => {
      await push(tx, tenant.instanceId, tenant.actor, [
        {
          aggregateType: 'batch',
          aggregateId: batchId,
          orgId: tenant.orgId,
          type: 'batch.created',
          expectedSequence: 0,
          payload: { total: input.commands.length, replyTo: input.replyTo ?? null },
          project: async (ptx, e) => {
            await ptx.query(
              `INSERT INTO batches (instance_id, org_id, batch_id, status, total, reply_to, created_at) VALUES ($1, $2, $3, 'IN_PROGRESS', $4, $5, $6)`,
              [tenant.instanceId, tenant.orgId, batchId, input.commands.length, input.replyTo ?? null, e.createdAt],
            );
          },
        },
      ]);
      const policies = new Map<string, Partial<RetryPolicy> | undefined>();
      const { rows: domainRows } = await tx.query<{ domain: string; policy: Partial<RetryPolicy> }>(
        'SELECT domain, policy FROM command_domains WHERE instance_id = $1 AND domain = ANY($2)',
        [tenant.instanceId, [...new Set(input.commands.map((c) => c.domain))]],
      );
      for (const d of domainRows) policies.set(d.domain, d.policy);
      const inserted: CommandRow[] = [];
      for (const [i, c] of prepared.entries()) {
        const request = input.commands[i]!;
        const row = await insertCommand(tx, ctx, c.input, batchId, resolvePolicy(c.input, policies.get(c.input.domain)), { hashOf: request, preSendRunId: c.runId });
        if (row === undefined) throw new ConflictError(`body.commands[${i}]: command ${request.domain}/${request.commandId} already exists; nothing of the batch was sent`);
        inserted.push(row);
      }
      return inserted;
    });
  } catch (err) {
    // The batch.created event claims sequence 1 of the batch: taken means the id is taken.
    if (err instanceof ConcurrencyError && err.extra.aggregate === `batch ${batchId}`) throw new ConflictError(`batch ${batchId} already exists`);
    throw err;
  }

  // Start with bounded concurrency; a start that fails is left to the dispatcher.
  const queue = [...rows];
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let r = queue.shift(); r !== undefined; r = queue.shift()) await startOrDefer(ctx, r);
    }),
  );
  return { batchId, total: rows.length, commands: rows.map((r) => ({ domain: r.domain, commandId: r.command_id })) };
}
