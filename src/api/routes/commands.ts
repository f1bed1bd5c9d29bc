import { sendBatch } from '../../commands/batch';
import { getDomainPolicy, setDomainPolicy } from '../../commands/domains';
import { COMMAND_ID_RE, DOMAIN_RE, EXECUTION_MODES, INLINE_HANDLER_TIMEOUT_MAX_MS, POLICY_LIMITS, TYPE_RE } from '../../commands/model';
import { getBulkRetry, operate, startBulkRetry } from '../../commands/operator';
import { commandAudit, countCommands, countTroubleshooting, getBatch, getCommand, listCommands, listTroubleshooting, TROUBLESHOOTING_COUNT_GROUPS } from '../../commands/queries';
import { replySigningKey } from '../../commands/replies';
import { sendCommand } from '../../commands/send';
import { CommandView as Command, CommandStatus as Status, TsqReason } from '../../commands/view';
import { route } from '../route';
import { PageQuery, pageOf, z, words } from '../schema';

const Domain = z.string().regex(DOMAIN_RE, 'must be lowercase letters, digits, "_" or "-", starting with a letter (at most 63)');
const Type = z.string().regex(TYPE_RE, 'must be letters, digits, "_", "." or "-", starting with a letter (at most 128)');
const CommandId = z.string().regex(COMMAND_ID_RE, 'must be letters, digits, ".", "_", "~" or "-" (at most 128)');
const BULK_SELECTION_MAX = 1000;
const Ms = (max: number) => z.number().int().min(0).max(max);
const TimeoutMs = (max: number) => z.number().int().min(POLICY_LIMITS.minTimeoutMs).max(max);
const Execution = z.enum(EXECUTION_MODES).openapi({
  description: `activity (default): the handler runs as an activity on the domain's own queue, on any worker serving the domain, heartbeating. inline: it runs as a local activity of the command workflow on the worker running the workflow (which must have the domain's handlers), with no activity task round trip; for short handlers: its timeout is handlerTimeoutMs up to ${INLINE_HANDLER_TIMEOUT_MAX_MS} ms, and a lost worker is noticed by the workflow task timeout (10 s) instead of heartbeats.`,
});

const SendFields = {
  domain: Domain,
  type: Type,
  commandId: CommandId.optional().openapi({ description: 'Idempotency key; generated when absent.' }),
  correlationId: z.string().min(1).max(200).optional().openapi({ description: 'Generated when absent.' }),
  payload: z.unknown().optional().openapi({ description: 'Any JSON (null when absent); at most CADENZA_COMMAND_PAYLOAD_LIMIT_BYTES (256 KiB) serialized.' }),
  replyTo: z.string().max(2000).optional().openapi({ description: 'An http(s) URL (signed POST) or temporal:<workflowId> (signal commandReply).' }),
  maxAttempts: z.number().int().min(1).max(POLICY_LIMITS.maxAttempts).optional(),
  backoffMs: z.array(Ms(POLICY_LIMITS.backoffMs)).min(1).max(POLICY_LIMITS.backoffEntries).optional().openapi({ description: 'Delay before each retry, in ms; the last entry repeats.' }),
  timeouts: z
    .strictObject({
      handlerMs: TimeoutMs(POLICY_LIMITS.handlerTimeoutMs).optional(),
      heartbeatMs: TimeoutMs(POLICY_LIMITS.heartbeatTimeoutMs).optional(),
      pickupMs: TimeoutMs(POLICY_LIMITS.pickupTimeoutMs).optional(),
    })
    .optional()
    .openapi({ description: 'handlerMs: a hang; heartbeatMs: a crash; pickupMs: no worker serves the domain.' }),
  execution: Execution.optional(),
};
const SendCommand = z.strictObject(SendFields).openapi('SendCommand');
const SendBatch = z
  .strictObject({
    batchId: CommandId.optional(),
    replyTo: z.string().max(2000).optional(),
    commands: z.array(z.strictObject(SendFields)).min(1),
  })
  .openapi('SendBatch');

const CommandKey = z.object({ domain: Domain, commandId: CommandId });
const ListQuery = PageQuery.extend({
  status: Status.optional(),
  domain: Domain.optional(),
  type: Type.optional(),
  correlationId: z.string().max(200).optional(),
  batchId: z.string().max(200).optional(),
  createdAfter: z.iso.datetime({ offset: true }).optional(),
  createdBefore: z.iso.datetime({ offset: true }).optional(),
});
const Counts = z.record(z.string(), z.number().int()).openapi('CommandCounts');
const AuditEntry = z
  .object({ sequence: z.number().int(), type: z.string(), payload: z.record(z.string(), z.unknown()), creator: z.string(), createdAt: z.string() })
  .openapi('AuditEntry');
const Batch = z
  .object({
    batchId: z.string(),
    status: z.string(),
    total: z.number().int(),
    counts: Counts,
    replyTo: z.string().nullable(),
    createdAt: z.string(),
    completedAt: z.string().nullable(),
  })
  .openapi('Batch');
const OperatorBody = z.strictObject({ reason: z.string().min(1).max(1000).optional() });
const CancelBody = z.strictObject({ reason: words(1000) });
const CompleteBody = z.strictObject({ reason: z.string().min(1).max(1000).optional(), result: z.unknown().optional() });
const BulkRetryBody = z
  .strictObject({
    domain: Domain.optional(),
    type: Type.optional(),
    tsqReason: TsqReason.optional(),
    commands: z
      .array(CommandKey)
      .min(1)
      .max(BULK_SELECTION_MAX)
      .optional()
      .openapi({ description: `Retry exactly these entries (at most ${BULK_SELECTION_MAX}) instead of a filter; entries no longer in the queue are reported as failed.` }),
    reason: z.string().min(1).max(1000).optional().openapi({ description: "The operator's note, recorded with each retry." }),
    limit: z.number().int().min(1).max(100_000).default(1000),
  })
  .refine((b) => b.commands === undefined || (b.domain === undefined && b.type === undefined && b.tsqReason === undefined), {
    path: ['commands'],
    message: 'is an alternative to domain, type and tsqReason; send one or the other',
  })
  .openapi('BulkRetryRequest');
const BulkRetry = z
  .object({
    id: z.string(),
    state: z.enum(['RUNNING', 'COMPLETED']),
    filter: z.object({ domain: z.string().nullable(), type: z.string().nullable() }),
    matched: z.number().int(),
    retried: z.number().int(),
    failedCount: z.number().int(),
    failed: z.array(z.object({ domain: z.string(), commandId: z.string(), error: z.string() })).openapi({ description: 'The first 100 failures.' }),
  })
  .openapi('BulkRetry');
const Policy = z
  .strictObject({
    maxAttempts: z.number().int().min(1).max(POLICY_LIMITS.maxAttempts).optional(),
    backoffMs: z.array(Ms(POLICY_LIMITS.backoffMs)).min(1).max(POLICY_LIMITS.backoffEntries).optional(),
    handlerTimeoutMs: TimeoutMs(POLICY_LIMITS.handlerTimeoutMs).optional(),
    heartbeatTimeoutMs: TimeoutMs(POLICY_LIMITS.heartbeatTimeoutMs).optional(),
    pickupTimeoutMs: TimeoutMs(POLICY_LIMITS.pickupTimeoutMs).optional(),
    execution: Execution.optional(),
  })
  .openapi('RetryPolicy');

const payloadLimitNote = 'A payload over the limit answers 413.';

export const commandRoutes = [
  route({
    method: 'post',
    path: '/v1/commands',
    summary: 'Send a command',
    description: `202 when new; 200 with the existing command when the same commandId is resent with the same body; 409 with a different body. ${payloadLimitNote}`,
    tags: ['commands'],
    auth: 'operator',
    body: SendCommand,
    bodyLimitBytes: 2 * 1024 * 1024,
    responses: {
      202: { description: 'Accepted', schema: Command },
      200: { description: 'Already sent', schema: Command },
      409: { description: 'Same id, different body' },
      413: { description: 'Payload too large' },
      422: { description: 'Invalid command, or a replyTo that is not reachable or not a workflow run of your org; a preSend action refused it' },
      424: { description: 'A request/SendCommand target with interruptOnError refused it' },
    },
    handler: async (ctx, { body }) => {
      const { command, created } = await sendCommand(ctx, body);
      return { status: created ? 202 : 200, body: command, headers: { location: `/v1/commands/${command.domain}/${command.commandId}` } };
    },
  }),
  route({
    method: 'post',
    path: '/v1/commands/batch',
    summary: 'Send a batch of commands, all or none (but for the ones a request/SendCommand target vetoes)',
    description:
      'At most CADENZA_BATCH_MAX_COMMANDS (1000) commands and 16 MiB of body. Each command runs the request/SendCommand and response/SendCommand executions of its own; a command a request target vetoes is left out and listed in `refused`, the others are stored together. When every command is vetoed, nothing is stored and the answer is the first veto (424).',
    tags: ['commands'],
    auth: 'operator',
    body: SendBatch,
    bodyLimitBytes: 16 * 1024 * 1024,
    responses: {
      202: {
        description: 'Accepted',
        schema: z
          .object({
            batchId: z.string(),
            total: z.number().int().openapi({ description: 'How many commands were stored.' }),
            commands: z.array(z.object({ domain: z.string(), commandId: z.string() })),
            refused: z
              .array(
                z.looseObject({
                  index: z.number().int().openapi({ description: 'Its place in `commands` of the request.' }),
                  domain: z.string(),
                  commandId: z.string().nullable(),
                  status: z.literal(424),
                  detail: z.string(),
                  target: z.unknown().optional(),
                  targetStatus: z.number().int().nullable().optional(),
                  targetBody: z.unknown().optional(),
                  runId: z.string().optional(),
                }),
              )
              .openapi({ description: 'The commands a request/SendCommand target with interruptOnError vetoed, as POST /v1/commands would answer them (424): not stored.' }),
          })
          .openapi('BatchSent'),
      },
      409: { description: 'The batch id, or a command id, exists in your org' },
      422: { description: 'An invalid command, too many commands, or a replyTo that is not reachable or not a workflow run of your org' },
      424: { description: 'A request/SendCommand target with interruptOnError refused every command, or a response/SendCommand target failed' },
    },
    handler: async (ctx, { body }) => ({ status: 202, body: await sendBatch(ctx, body) }),
  }),
  route({
    method: 'get',
    path: '/v1/commands',
    summary: 'List commands, newest first',
    tags: ['commands'],
    auth: 'viewer',
    query: ListQuery,
    responses: { 200: { description: 'A page of commands', schema: pageOf(Command, 'CommandPage') } },
    handler: async (ctx, { query }) => ({ status: 200, body: await listCommands(ctx, query) }),
  }),
  route({
    method: 'get',
    path: '/v1/commands/counts',
    summary: 'Count commands by status',
    tags: ['commands'],
    auth: 'viewer',
    query: z.object({ domain: Domain.optional(), type: Type.optional() }),
    responses: { 200: { description: 'Counts by status', schema: Counts } },
    handler: async (ctx, { query }) => ({ status: 200, body: await countCommands(ctx, query) }),
  }),
  route({
    method: 'get',
    path: '/v1/commands/reply-signing-key',
    summary: "The key that signs the HTTP replies of the caller's org's commands (Cadenza-Signature)",
    description: "An org's commands are signed with the org's key; instance-level commands (an instance-wide key without X-Cadenza-Org) with the instance's.",
    tags: ['commands'],
    auth: 'admin',
    responses: { 200: { description: 'The key', schema: z.object({ key: z.string(), orgId: z.string().nullable() }) } },
    handler: async (ctx) => ({ status: 200, body: { key: await replySigningKey(ctx.db, ctx.config, ctx.tenant.instanceId, ctx.tenant.orgId), orgId: ctx.tenant.orgId } }),
  }),
  route({
    method: 'get',
    path: '/v1/commands/{domain}/{commandId}',
    summary: 'Get a command',
    tags: ['commands'],
    auth: 'viewer',
    params: CommandKey,
    responses: { 200: { description: 'The command', schema: Command }, 409: { description: 'Several orgs use this id: name one with X-Cadenza-Org' } },
    handler: async (ctx, { params }) => ({ status: 200, body: await getCommand(ctx, params.domain, params.commandId) }),
  }),
  route({
    method: 'get',
    path: '/v1/commands/{domain}/{commandId}/audit',
    summary: "A command's audit trail, in order",
    tags: ['commands'],
    auth: 'viewer',
    params: CommandKey,
    query: PageQuery,
    responses: { 200: { description: 'A page of its events', schema: pageOf(AuditEntry, 'AuditPage') }, 409: { description: 'Several orgs use this id: name one with X-Cadenza-Org' } },
    handler: async (ctx, { params, query }) => ({ status: 200, body: await commandAudit(ctx, params.domain, params.commandId, query) }),
  }),
  route({
    method: 'get',
    path: '/v1/batches/{batchId}',
    summary: 'A batch and its counts by status',
    tags: ['commands'],
    auth: 'viewer',
    params: z.object({ batchId: z.string().min(1).max(200) }),
    responses: { 200: { description: 'The batch', schema: Batch }, 409: { description: 'Several orgs use this id: name one with X-Cadenza-Org' } },
    handler: async (ctx, { params }) => ({ status: 200, body: await getBatch(ctx, params.batchId) }),
  }),
  route({
    method: 'get',
    path: '/v1/troubleshooting',
    summary: 'The troubleshooting queue, newest first',
    tags: ['troubleshooting'],
    auth: 'viewer',
    query: PageQuery.extend({ domain: Domain.optional(), type: Type.optional(), tsqReason: TsqReason.optional() }),
    responses: { 200: { description: 'A page of commands in the queue', schema: pageOf(Command, 'TroubleshootingPage') } },
    handler: async (ctx, { query }) => ({ status: 200, body: await listTroubleshooting(ctx, query) }),
  }),
  route({
    method: 'get',
    path: '/v1/troubleshooting/counts',
    summary: 'The depth of the troubleshooting queue per domain, type and reason',
    description: `Largest groups first, at most ${TROUBLESHOOTING_COUNT_GROUPS}; \`total\` counts every entry.`,
    tags: ['troubleshooting'],
    auth: 'viewer',
    responses: {
      200: {
        description: 'The groups',
        schema: z
          .object({
            items: z.array(z.object({ domain: z.string(), type: z.string(), tsqReason: TsqReason, count: z.number().int() })),
            total: z.number().int(),
            truncated: z.boolean().openapi({ description: 'More groups exist than were returned.' }),
          })
          .openapi('TroubleshootingCounts'),
      },
    },
    handler: async (ctx) => ({ status: 200, body: await countTroubleshooting(ctx) }),
  }),
  route({
    method: 'post',
    path: '/v1/troubleshooting/retry',
    summary: 'Retry the selected queue entries, or every entry matching a filter (bulk)',
    description:
      'Starts a durable bulk retry of the `commands` given, or of up to `limit` entries matching the filter (default 1,000, at most 100,000), and answers at once; follow its progress at GET /v1/troubleshooting/retry/{bulkId}.',
    tags: ['troubleshooting'],
    auth: 'operator',
    body: BulkRetryBody,
    responses: { 202: { description: 'Started', schema: BulkRetry }, 422: { description: '`commands` sent together with a filter (domain, type or tsqReason)' } },
    handler: async (ctx, { body }) => {
      const started = await startBulkRetry(ctx, body);
      return { status: 202, body: started, headers: { location: `/v1/troubleshooting/retry/${started.id}` } };
    },
  }),
  route({
    method: 'get',
    path: '/v1/troubleshooting/retry/{bulkId}',
    summary: 'Progress of a bulk retry',
    tags: ['troubleshooting'],
    auth: 'viewer',
    params: z.object({ bulkId: z.string().regex(/^bulk_[a-z0-9]{16}$/, 'is not a bulk retry id') }),
    responses: { 200: { description: 'Its progress', schema: BulkRetry } },
    handler: async (ctx, { params }) => ({ status: 200, body: await getBulkRetry(ctx, params.bulkId) }),
  }),
  route({
    method: 'post',
    path: '/v1/troubleshooting/{domain}/{commandId}/retry',
    summary: 'Retry a command from the queue (attempts start again)',
    tags: ['troubleshooting'],
    auth: 'operator',
    params: CommandKey,
    body: OperatorBody,
    responses: { 200: { description: 'The command, now PENDING', schema: Command }, 409: { description: 'Not in the troubleshooting queue' } },
    handler: async (ctx, { params, body }) => ({ status: 200, body: await operate(ctx, 'retry', params.domain, params.commandId, body) }),
  }),
  route({
    method: 'post',
    path: '/v1/troubleshooting/{domain}/{commandId}/cancel',
    summary: 'Cancel a command in the queue (a reason is required)',
    tags: ['troubleshooting'],
    auth: 'operator',
    params: CommandKey,
    body: CancelBody,
    responses: { 200: { description: 'The command, now CANCELED', schema: Command }, 409: { description: 'Not in the troubleshooting queue' } },
    handler: async (ctx, { params, body }) => ({ status: 200, body: await operate(ctx, 'cancel', params.domain, params.commandId, body) }),
  }),
  route({
    method: 'post',
    path: '/v1/troubleshooting/{domain}/{commandId}/complete',
    summary: 'Complete a command in the queue by hand, with an optional result',
    tags: ['troubleshooting'],
    auth: 'operator',
    params: CommandKey,
    body: CompleteBody,
    responses: { 200: { description: 'The command, now COMPLETED', schema: Command }, 409: { description: 'Not in the troubleshooting queue' } },
    handler: async (ctx, { params, body }) => ({ status: 200, body: await operate(ctx, 'complete', params.domain, params.commandId, body) }),
  }),
  route({
    method: 'put',
    path: '/v1/command-domains/{domain}',
    summary: "Set a domain's retry policy",
    tags: ['commands'],
    auth: 'admin',
    params: z.object({ domain: Domain }),
    body: Policy,
    responses: { 200: { description: 'The policy', schema: z.object({ domain: z.string(), policy: Policy, effective: Policy, updatedAt: z.string().nullable(), updatedBy: z.string().nullable() }) } },
    handler: async (ctx, { params, body }) => ({ status: 200, body: await setDomainPolicy(ctx, params.domain, body) }),
  }),
  route({
    method: 'get',
    path: '/v1/command-domains/{domain}',
    summary: "A domain's retry policy (defaults where unset)",
    tags: ['commands'],
    auth: 'viewer',
    params: z.object({ domain: Domain }),
    responses: { 200: { description: 'The policy', schema: z.object({ domain: z.string(), policy: Policy, effective: Policy, updatedAt: z.string().nullable(), updatedBy: z.string().nullable() }) } },
    handler: async (ctx, { params }) => ({ status: 200, body: await getDomainPolicy(ctx, params.domain) }),
  }),
];
