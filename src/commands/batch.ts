// Batches: the commands of a batch are committed in one transaction, or none are; only a command
// a request/SendCommand target vetoes is left out, and reported as refused. Completion is
// counted in PostgreSQL as each command finishes (see projection.ts), never held in memory.
import crypto from 'node:crypto';
import type { PlannedSendHook, TenantCtx } from '../context';
import { ConcurrencyError, ConflictError, TargetFailedError, ValidationError } from '../errors';
import { transaction } from '../db/db';
import { push } from '../eventstore/eventstore';
import { mapBounded } from '../bounded';
import { domainPolicies } from './domains';
import { batchAggregateId } from './model';
import { toCommand, type CommandRow } from './queries';
import { checkReplyTarget, checkReplyTo } from './replies';
import { afterSend, beforeSend, insertCommand, planSendHooks, resolvePolicy, startOrDefer, validateSend, type SendInput } from './send';

export interface BatchInput {
  batchId?: string;
  replyTo?: string;
  commands: SendInput[];
}

export interface BatchResult {
  batchId: string;
  /** How many commands were stored. */
  total: number;
  commands: { domain: string; commandId: string }[];
  /** The commands a request/SendCommand target vetoed, by their index in the request: not stored. */
  refused: RefusedCommand[];
}

export interface RefusedCommand {
  index: number;
  domain: string;
  commandId: string | null;
  /** The veto as `POST /v1/commands` answers it (424): detail, target, targetStatus, targetBody, runId. */
  status: 424;
  detail: string;
  [extra: string]: unknown;
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

/** How many commands of a batch run their preSend actions, SendCommand executions or start at once. */
const BATCH_CONCURRENCY = 16;

/** A command ready to store, with the index of its request. */
interface Prepared {
  index: number;
  input: SendInput;
  runId: string | null;
}

/**
 * Each command as `POST /v1/commands` would store it: its preSend actions (planned once for the
 * batch), then the request/SendCommand executions, so a vetoing target cannot be sidestepped by
 * batching. A veto refuses that command only; any other error refuses the whole batch before
 * anything is stored, and so does a veto of every command.
 */
async function prepareAll(ctx: TenantCtx, commands: SendInput[]): Promise<{ prepared: Prepared[]; refused: RefusedCommand[]; hooks: PlannedSendHook[] }> {
  const hooks = await transaction(ctx.db, ctx.tenant, (tx) => planSendHooks(tx, ctx));
  const vetoes: TargetFailedError[] = [];
  const refused: RefusedCommand[] = [];
  const outcomes = await mapBounded(commands, BATCH_CONCURRENCY, async (c, index): Promise<Prepared | undefined> => {
    try {
      const { input, preSendRunId } = await beforeSend(ctx, hooks, c);
      return { index, input, runId: preSendRunId };
    } catch (err) {
      if (!(err instanceof TargetFailedError)) throw err;
      vetoes.push(err);
      refused.push({ index, domain: c.domain, commandId: c.commandId ?? null, status: 424, detail: err.message, ...err.extra });
      return undefined;
    }
  });
  if (refused.length === commands.length) throw vetoes[0]!;
  return { prepared: outcomes.filter((p) => p !== undefined), refused: refused.sort((a, b) => a.index - b.index), hooks };
}

export async function sendBatch(ctx: TenantCtx, input: BatchInput): Promise<BatchResult> {
  const max = ctx.config.limits.batchMaxCommands;
  if (input.commands.length > max) throw ValidationError.field('body.commands', `must hold at most ${max} commands`);
  input.commands.forEach((c, i) => validateSend(ctx, c, `body.commands[${i}]`));
  checkReplyTo(input.replyTo, 'body.replyTo');
  checkDuplicates(input.commands);
  await checkReplyTarget(ctx, input.replyTo, 'body.replyTo');
  for (const [i, c] of input.commands.entries()) await checkReplyTarget(ctx, c.replyTo, `body.commands[${i}].replyTo`);
  const { prepared, refused, hooks } = await prepareAll(ctx, input.commands);
  const batchId = input.batchId ?? crypto.randomUUID();
  const { tenant } = ctx;
  const aggregateId = batchAggregateId(batchId, tenant.orgId);

  let rows: CommandRow[];
  try {
    rows = await transaction(ctx.db, tenant, async (tx) => {
      await push(tx, tenant.instanceId, tenant.actor, [
        {
          aggregateType: 'batch',
          aggregateId,
          orgId: tenant.orgId,
          type: 'batch.created',
          expectedSequence: 0,
          payload: { batchId, total: prepared.length, replyTo: input.replyTo ?? null },
          project: async (ptx, e) => {
            await ptx.query(
              `INSERT INTO batches (instance_id, org_id, batch_id, status, total, reply_to, created_at) VALUES ($1, $2, $3, 'IN_PROGRESS', $4, $5, $6)`,
              [tenant.instanceId, tenant.orgId, batchId, prepared.length, input.replyTo ?? null, e.createdAt],
            );
          },
        },
      ]);
      const policies = await domainPolicies(tx, tenant.instanceId, tenant.orgId, prepared.map((c) => c.input.domain));
      const inserted: CommandRow[] = [];
      for (const c of prepared) {
        const request = input.commands[c.index]!;
        const row = await insertCommand(tx, ctx, c.input, batchId, resolvePolicy(c.input, policies.get(c.input.domain)), { hashOf: request, preSendRunId: c.runId });
        if (row === undefined) throw new ConflictError(`body.commands[${c.index}]: command ${request.domain}/${request.commandId} already exists; nothing of the batch was sent`);
        inserted.push(row);
      }
      return inserted;
    });
  } catch (err) {
    // The batch.created event claims sequence 1 of the batch: taken means the id is taken.
    if (err instanceof ConcurrencyError && err.extra.aggregate === `batch ${aggregateId}`) throw new ConflictError(`batch ${batchId} already exists`);
    throw err;
  }

  for (const r of rows) ctx.metrics.commandsSent.inc({ domain: r.domain, type: r.type });
  // A start that fails is left to the dispatcher.
  await mapBounded(rows, BATCH_CONCURRENCY, (r) => startOrDefer(ctx, r));
  // The hooks after each stored command (response/SendCommand: a failing target with interruptOnError answers 424).
  await mapBounded(rows, BATCH_CONCURRENCY, (r) => afterSend(ctx, hooks, toCommand(r)));
  return { batchId, total: rows.length, commands: rows.map((r) => ({ domain: r.domain, commandId: r.command_id })), refused };
}
