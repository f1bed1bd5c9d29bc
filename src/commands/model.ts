// Shared types of the command bus. Workflow code imports this file, so it holds plain data
// and pure functions only (no Node modules).

export const COMMAND_STATUSES = [
  'PENDING',
  'IN_PROGRESS',
  'RETRY_WAIT',
  'COMPLETED',
  'FAILED',
  'CANCELED',
  'IN_TROUBLESHOOTING_QUEUE',
] as const;
export type CommandStatus = (typeof COMMAND_STATUSES)[number];

export const TERMINAL_STATUSES: readonly CommandStatus[] = ['COMPLETED', 'FAILED', 'CANCELED'];

/** Why a command sits in the troubleshooting queue. */
export const TSQ_REASONS = ['EXHAUSTED', 'PERMANENT', 'HANDLER_NOT_FOUND'] as const;
export type TsqReason = (typeof TSQ_REASONS)[number];

/** Event types of the command aggregate, in the order of the lifecycle. */
export const COMMAND_EVENTS = {
  sent: 'command.sent',
  started: 'command.started',
  attemptFailed: 'command.attempt_failed',
  retryScheduled: 'command.retry_scheduled',
  movedToTsq: 'command.moved_to_tsq',
  operatorRetry: 'command.operator_retry',
  operatorCancel: 'command.operator_cancel',
  operatorComplete: 'command.operator_complete',
  completed: 'command.completed',
  failed: 'command.failed',
  replySent: 'command.reply_sent',
  replyFailed: 'command.reply_failed',
} as const;
export type CommandEventType = (typeof COMMAND_EVENTS)[keyof typeof COMMAND_EVENTS];

export const DOMAIN_RE = /^[a-z][a-z0-9_-]{0,62}$/;
export const TYPE_RE = /^[A-Za-z][A-Za-z0-9_.-]{0,127}$/;
export const COMMAND_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$/;

/** How a command is retried; resolved at send time from the command, its domain, and defaults. */
export interface RetryPolicy {
  maxAttempts: number;
  /** Delay before attempt n+1 is backoffMs[n-1]; the last entry repeats. */
  backoffMs: number[];
  /** A hang: the handler runs longer than this (start-to-close timeout). */
  handlerTimeoutMs: number;
  /** A crash: no heartbeat for this long (the worker heartbeats while a handler runs). */
  heartbeatTimeoutMs: number;
  /** No worker serving the domain picked the attempt up within this long. */
  pickupTimeoutMs: number;
  /**
   * `activity`: the handler runs on the domain's own queue (any worker serving the domain).
   * `inline`: as a local activity of the command workflow, on the worker running it (absent in
   * workflows started before inline handlers: activity).
   */
  execution: ExecutionMode;
}

export const EXECUTION_MODES = ['activity', 'inline'] as const;
export type ExecutionMode = (typeof EXECUTION_MODES)[number];

/** An inline handler's timeout is handlerTimeoutMs up to this: it holds its workflow task open. */
export const INLINE_HANDLER_TIMEOUT_MAX_MS = 30_000;

export const DEFAULT_POLICY: RetryPolicy = {
  maxAttempts: 3,
  backoffMs: [10_000, 60_000, 300_000],
  handlerTimeoutMs: 5 * 60_000,
  heartbeatTimeoutMs: 30_000,
  pickupTimeoutMs: 5 * 60_000,
  execution: 'activity',
};

export const POLICY_LIMITS = {
  maxAttempts: 100,
  backoffEntries: 20,
  backoffMs: 24 * 3600_000,
  handlerTimeoutMs: 24 * 3600_000,
  heartbeatTimeoutMs: 3600_000,
  pickupTimeoutMs: 7 * 24 * 3600_000,
  minTimeoutMs: 100,
} as const;

export function backoffFor(policy: RetryPolicy, attempt: number): number {
  const { backoffMs } = policy;
  if (backoffMs.length === 0) return 0;
  return backoffMs[Math.min(attempt - 1, backoffMs.length - 1)]!;
}

export interface CommandError {
  /** TRANSIENT, PERMANENT, BUSINESS_RULE, TIMEOUT, HANDLER_NOT_FOUND */
  kind: string;
  message: string;
  code?: string;
  details?: unknown;
}

export interface CommandWorkflowInput {
  instanceId: string;
  orgId: string | null;
  domain: string;
  type: string;
  commandId: string;
  correlationId: string;
  payload: unknown;
  replyTo: string | null;
  batchId: string | null;
  policy: RetryPolicy;
}

/** What the `status` query returns. */
export interface CommandSnapshot {
  status: CommandStatus;
  attempts: number;
  totalAttempts: number;
  lastError: CommandError | null;
  tsqReason: TsqReason | null;
}

export interface OperatorInput {
  operator?: string;
  reason?: string;
  result?: unknown;
}

export interface CommandReply {
  commandId: string;
  domain: string;
  type: string;
  correlationId: string;
  outcome: 'SUCCESS' | 'FAILED' | 'CANCELED';
  result?: unknown;
  error?: CommandError;
  reason?: string;
}

export interface BatchReply {
  batchId: string;
  status: 'COMPLETED' | 'COMPLETED_WITH_FAILURES';
  total: number;
  completed: number;
  failed: number;
  canceled: number;
}

export interface BulkRetryInput {
  instanceId: string;
  orgId: string | null;
  operator: string;
  domain?: string;
  type?: string;
  tsqReason?: TsqReason;
  /** Retries exactly these entries instead of those matching the filter. */
  commands?: { domain: string; commandId: string }[];
  /** The operator's note, recorded with each retry. */
  reason?: string;
  /** The most entries to retry. */
  limit: number;
}

export interface BulkRetryProgress {
  state: 'RUNNING' | 'COMPLETED';
  filter: { domain: string | null; type: string | null };
  matched: number;
  retried: number;
  failedCount: number;
  /** The first 100 failures. */
  failed: { domain: string; commandId: string; error: string }[];
}

/** Where a command lives: its instance, and its org for org commands (ids are unique per org). */
const tenantPath = (instanceId: string, orgId: string | null): string => (orgId === null ? instanceId : `${instanceId}/${orgId}`);

/** ApplicationFailure types of the command workflow and its activities (the handler errors keep their class names). */
export const COMMAND_FAILURES = {
  businessRule: 'BusinessRuleError',
  permanent: 'PermanentCommandError',
  transient: 'TransientCommandError',
  handlerNotFound: 'HandlerNotFound',
  /** An inline attempt whose worker was lost mid-handler. */
  handlerLost: 'HandlerLost',
  replyRejected: 'ReplyRejected',
  invalidOperatorInput: 'InvalidOperatorInput',
  notInTroubleshootingQueue: 'NotInTroubleshootingQueue',
} as const;

export const bulkRetryWorkflowId = (instanceId: string, id: string) => `bulk:${instanceId}:${id}`;

export const commandWorkflowId = (instanceId: string, domain: string, commandId: string, orgId: string | null = null): string =>
  `command:${tenantPath(instanceId, orgId)}:${domain}:${commandId}`;

/** The command's event stream; without an org, also the key of a command within one run or org. */
export const commandAggregateId = (domain: string, commandId: string, orgId: string | null = null): string =>
  orgId === null ? `${domain}/${commandId}` : `${orgId}/${domain}/${commandId}`;

export const batchAggregateId = (batchId: string, orgId: string | null): string => (orgId === null ? batchId : `${orgId}/${batchId}`);

export const handlerTaskQueue = (taskQueue: string, domain: string): string => `${taskQueue}-handlers-${domain}`;

export const TEMPORAL_REPLY_PREFIX = 'temporal:';
