// Sending commands. The row and its SENT event are committed first (the outbox), then the
// workflow is started; a resend with the same id and body answers with the existing command,
// a different body is a conflict. If the start fails, the dispatcher starts it later.
import crypto from 'node:crypto';
import type { PlannedSendHook, TenantCtx } from '../context';
import { checkJsonSize, ConcurrencyError, ConflictError } from '../errors';
import { transaction, type Tx } from '../db/db';
import { push } from '../eventstore/eventstore';
import { canonicalJson, sha256Hex } from '../ids';
import { orgKey } from '../tenancy/scope';
import { toCommand, type CommandRow } from './queries';
import type { CommandView } from './view';
import {
  COMMAND_EVENTS,
  commandAggregateId,
  DEFAULT_POLICY,
  type CommandWorkflowInput,
  type ExecutionMode,
  type RetryPolicy,
} from './model';
import { domainPolicies } from './domains';
import { checkReplyTarget, checkReplyTo } from './replies';
import { startCommandWorkflow } from './start';

export interface SendInput {
  domain: string;
  type: string;
  commandId?: string;
  correlationId?: string;
  payload?: unknown;
  replyTo?: string;
  maxAttempts?: number;
  backoffMs?: number[];
  timeouts?: { handlerMs?: number; heartbeatMs?: number; pickupMs?: number };
  execution?: ExecutionMode;
}

export interface SendResult {
  command: CommandView;
  /** false when an identical command with this id existed already. */
  created: boolean;
}

export function resolvePolicy(input: SendInput, domainPolicy: Partial<RetryPolicy> | undefined): RetryPolicy {
  const base = { ...DEFAULT_POLICY, ...domainPolicy };
  return {
    maxAttempts: input.maxAttempts ?? base.maxAttempts,
    backoffMs: input.backoffMs ?? base.backoffMs,
    handlerTimeoutMs: input.timeouts?.handlerMs ?? base.handlerTimeoutMs,
    heartbeatTimeoutMs: input.timeouts?.heartbeatMs ?? base.heartbeatTimeoutMs,
    pickupTimeoutMs: input.timeouts?.pickupMs ?? base.pickupTimeoutMs,
    execution: input.execution ?? base.execution,
  };
}

/** What the client sent, minus generated fields: equal requests hash equal. */
function requestHash(input: SendInput): string {
  const { commandId: _id, ...rest } = input;
  return sha256Hex(canonicalJson(rest));
}

export function workflowInput(row: CommandRow): CommandWorkflowInput {
  return {
    instanceId: row.instance_id,
    orgId: row.org_id,
    domain: row.domain,
    type: row.type,
    commandId: row.command_id,
    correlationId: row.correlation_id,
    payload: row.payload,
    replyTo: row.reply_to,
    batchId: row.batch_id,
    policy: row.policy,
  };
}

const INSERT_COMMAND = `
  INSERT INTO commands (instance_id, org_id, domain, command_id, type, status, correlation_id, reply_to, batch_id,
                        payload, request_hash, policy, max_attempts, created_at, updated_at)
  VALUES ($1, $2, $3, $4, $5, 'PENDING', $6, $7, $8, $9, $10, $11, $12, $13, $13)
  ON CONFLICT (instance_id, org_key, domain, command_id) DO NOTHING
  RETURNING *`;

/** Inserts one command and its SENT event in an open transaction; undefined if the id exists. */
export async function insertCommand(
  tx: Tx,
  ctx: TenantCtx,
  input: SendInput,
  batchId: string | null,
  policy: RetryPolicy,
  options: { hashOf?: SendInput; preSendRunId?: string | null } = {},
): Promise<CommandRow | undefined> {
  const { tenant } = ctx;
  const commandId = input.commandId ?? crypto.randomUUID();
  const correlationId = input.correlationId ?? crypto.randomUUID();
  const aggregateId = commandAggregateId(input.domain, commandId, tenant.orgId);
  let row: CommandRow | undefined;
  await push(tx, tenant.instanceId, tenant.actor, [
    {
      aggregateType: 'command',
      aggregateId,
      orgId: tenant.orgId,
      type: COMMAND_EVENTS.sent,
      eventId: `command:${aggregateId}:sent`,
      payload: { type: input.type, correlationId, replyTo: input.replyTo ?? null, batchId, policy, preSendRunId: options.preSendRunId ?? null },
      project: async (ptx, e) => {
        const res = await ptx.query<CommandRow>(INSERT_COMMAND, [
          tenant.instanceId,
          tenant.orgId,
          input.domain,
          commandId,
          input.type,
          correlationId,
          input.replyTo ?? null,
          batchId,
          JSON.stringify(input.payload ?? null),
          requestHash(options.hashOf ?? input),
          policy,
          policy.maxAttempts,
          e.createdAt,
        ]);
        row = res.rows[0];
      },
    },
  ]);
  return row;
}

export function validateSend(ctx: TenantCtx, input: SendInput, prefix = 'body'): void {
  checkJsonSize(input.payload, `${prefix}.payload`, Math.min(ctx.config.limits.commandPayloadBytes, ctx.tenant.limits?.commandPayloadBytes ?? Infinity));
  checkReplyTo(input.replyTo, `${prefix}.replyTo`);
}

/** The caller's own command with this id: ids are unique per org, so other orgs' never answer. */
async function existing(tx: Tx, ctx: TenantCtx, domain: string, commandId: string): Promise<CommandRow | undefined> {
  const { rows } = await tx.query<CommandRow>('SELECT * FROM commands WHERE instance_id = $1 AND org_key = $2 AND domain = $3 AND command_id = $4', [
    ctx.tenant.instanceId,
    orgKey(ctx.tenant.orgId),
    domain,
    commandId,
  ]);
  return rows[0];
}

/** The send hooks with work for the caller's tenant, planned in the send's read transaction (none: no hook work at all). */
export async function planSendHooks(tx: Tx, ctx: TenantCtx): Promise<PlannedSendHook[]> {
  const planned: PlannedSendHook[] = [];
  for (const hook of ctx.sendHooks) {
    const p = await hook.plan(tx, ctx);
    if (p !== undefined) planned.push(p);
  }
  return planned;
}

/** Runs the hooks before the command is stored, in order; a changed send is checked again. */
export async function beforeSend(ctx: TenantCtx, hooks: PlannedSendHook[], input: SendInput): Promise<{ input: SendInput; preSendRunId: string | null }> {
  let send = input;
  let preSendRunId: string | null = null;
  for (const hook of hooks) {
    const out = await hook.before(ctx, send);
    if (out.send !== send) validateSend(ctx, out.send);
    send = out.send;
    preSendRunId = out.runId ?? preSendRunId;
  }
  return { input: send, preSendRunId };
}

/** Runs the hooks on the answer once the command is stored and started. */
export async function afterSend<V>(ctx: TenantCtx, hooks: PlannedSendHook[], view: V): Promise<V> {
  let out = view;
  for (const hook of hooks) out = await hook.after(ctx, out);
  return out;
}

/** The same command id is only a resend with the same body; anything else is a conflict. */
function assertSameRequest(found: CommandRow, request: SendInput): void {
  if (found.request_hash !== requestHash(request)) {
    throw new ConflictError(`command ${request.domain}/${request.commandId} exists with a different body`, { commandId: request.commandId });
  }
}

/** A stored command, and whether this send stored it. */
interface Stored {
  row: CommandRow;
  created: boolean;
}

/** What a send reads before it runs anything, in one transaction: see sendCommand. */
interface SendPlan {
  /** The stored command with this id, if the request names one that exists. */
  found: CommandRow | undefined;
  hooks: PlannedSendHook[];
  /** Set when nothing had to run between the read and the write, so the read's transaction stored the command. */
  stored?: Stored;
}

function planSend(ctx: TenantCtx, request: SendInput): Promise<SendPlan> {
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    const found = request.commandId === undefined ? undefined : await existing(tx, ctx, request.domain, request.commandId);
    const hooks = await planSendHooks(tx, ctx);
    // No hook to run and no reply target to check: one transaction per command instead of two.
    if (found === undefined && hooks.length === 0 && request.replyTo === undefined) return { found, hooks, stored: await storeCommand(tx, ctx, request, request, null) };
    return { found, hooks };
  });
}

/** Inserts the command with its domain's policy, or answers with the one a concurrent send of this id stored. */
async function storeCommand(tx: Tx, ctx: TenantCtx, input: SendInput, request: SendInput, preSendRunId: string | null): Promise<Stored> {
  const policies = await domainPolicies(tx, ctx.tenant.instanceId, ctx.tenant.orgId, [input.domain]);
  const policy = resolvePolicy(input, policies.get(input.domain));
  const row = await insertCommand(tx, ctx, input, null, policy, { hashOf: request, preSendRunId });
  if (row !== undefined) return { row, created: true };
  const found = (await existing(tx, ctx, input.domain, input.commandId!))!;
  assertSameRequest(found, request);
  return { row: found, created: false };
}

/** Concurrent sends of one id: the losers wait for the winner, and one retry then finds its row. */
async function retryOnceOnConcurrency<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ConcurrencyError) return fn();
    throw err;
  }
}

/** A resend answers from the stored command, before preSend actions could run a second time. */
async function answerResend(ctx: TenantCtx, found: CommandRow, request: SendInput): Promise<SendResult> {
  assertSameRequest(found, request);
  if (found.status === 'PENDING') await startOrDefer(ctx, found);
  return { command: toCommand(found), created: false };
}

/**
 * One read (resend? work for the send hooks?), then the hooks, then one write: one PostgreSQL
 * transaction per command when no hook has work and no reply target needs checking, two otherwise.
 */
export async function sendCommand(ctx: TenantCtx, request: SendInput): Promise<SendResult> {
  validateSend(ctx, request);
  const plan = await retryOnceOnConcurrency(() => planSend(ctx, request));
  if (plan.found !== undefined) return answerResend(ctx, plan.found, request);
  await checkReplyTarget(ctx, request.replyTo, 'body.replyTo');
  const { hooks } = plan;
  const { input, preSendRunId } = await beforeSend(ctx, hooks, request);
  const outcome = plan.stored ?? (await retryOnceOnConcurrency(() => transaction(ctx.db, ctx.tenant, (tx) => storeCommand(tx, ctx, input, request, preSendRunId))));
  if (outcome.created) ctx.metrics.commandsSent.inc({ domain: input.domain, type: input.type });
  // A resend also (re)starts the workflow: harmless if it runs, a repair if the first start was lost.
  if (outcome.created || outcome.row.status === 'PENDING') await startOrDefer(ctx, outcome.row);
  // The command is stored and started; the hooks (response/SendCommand targets) may rewrite the answer.
  const command = await afterSend(ctx, hooks, toCommand(outcome.row));
  return { command, created: outcome.created };
}

/** Starts the workflow; if Temporal is unreachable the command stays committed for the dispatcher. */
export async function startOrDefer(ctx: TenantCtx, row: CommandRow): Promise<void> {
  try {
    await startCommandWorkflow(ctx.temporal, workflowInput(row));
  } catch (err) {
    ctx.log.warn({ err, domain: row.domain, commandId: row.command_id }, 'workflow start failed; the dispatcher will start it');
  }
}

