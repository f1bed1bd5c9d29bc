// The explicit dependencies every domain function takes as its first argument.
import type { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { Config } from './config/config';
import type { Db, Tx } from './db/db';
import type { Logger } from './log';
import type { NodeRegistry } from './dsl/registry';
import type { Metrics } from './metrics/metrics';
import type { Sandbox } from './sandbox/sandbox';

export type Role = 'admin' | 'operator' | 'viewer';
export const ROLE_RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

export interface TemporalDeps {
  client: Client;
  namespace: string;
  taskQueue: string;
  /**
   * Set in processes that run a worker: the client and the worker share this connection, so
   * workflow starts can be eager (the first workflow task comes back in the start's answer
   * and runs here, skipping a round through the server's task queue).
   */
  workerConnection?: NativeConnection;
}

export interface AppCtx {
  config: Config;
  db: Db;
  temporal: TemporalDeps;
  log: Logger;
  /** This process's Prometheus metrics. */
  metrics: Metrics;
  /** What features built on the command bus do around each send, in order (installed by app-context.ts). */
  sendHooks: readonly SendHook[];
  /** The workflow node types: built-ins plus CADENZA_PLUGINS_DIR, loaded once when the context opens. */
  nodes: NodeRegistry;
  /** This thread's script engine: compiles scripts when definitions are saved (runs happen on script threads, each with its own). */
  sandbox: Sandbox;
  /** The request/ and response/ executions of Cadenza's other write operations (installed by app-context.ts). */
  operationHooks: OperationHooks;
}

/**
 * Cadenza's own write operations that request/<operation> and response/<operation> executions
 * hook (README "Conditions" lists the route and the body of each).
 */
export const OPERATIONS = [
  'SendCommand',
  'RetryCommand',
  'CancelCommand',
  'CompleteCommand',
  'BulkRetryCommands',
  'PushEvent',
  'CallFunction',
  'ExecuteWorkflow',
  'RetryWorkflowRun',
  'CancelWorkflowRun',
  'SignalWorkflowRun',
] as const;
export type Operation = (typeof OPERATIONS)[number];

/** A feature's part in Cadenza's write operations (targets): the domains call it and import none of it. */
export interface OperationHooks {
  /** In the caller's read transaction: the hooks of `operation` for the caller's tenant; they do nothing when none is configured. */
  plan(tx: Tx, ctx: TenantCtx, operation: Operation): Promise<PlannedOperation>;
}

export interface PlannedOperation {
  /**
   * Before the operation: `body` with the `changeable` fields the request/ targets returned in
   * their place (the rest is kept), or a thrown error vetoing the operation.
   */
  request<B extends object>(ctx: TenantCtx, body: B, changeable: readonly (keyof B & string)[]): Promise<B>;
  /** After it: the answer, maybe rewritten by response/ targets. */
  response<V>(ctx: TenantCtx, view: V): Promise<V>;
}

/** The part of a command a send hook sees and may change (its payload). */
export interface HookedSend {
  domain: string;
  type: string;
  commandId?: string;
  correlationId?: string;
  payload?: unknown;
}

/** A feature's part in every send (action flows, targets): the command bus calls it and imports none of them. */
export interface SendHook {
  /** In the send's read transaction: this hook's work for the caller's tenant, or undefined when it has none. */
  plan(tx: Tx, ctx: TenantCtx): Promise<PlannedSendHook | undefined>;
}

export interface PlannedSendHook {
  /** Before the command is stored: the send, maybe with another payload, or a thrown error refusing it; `runId` names a run it recorded. */
  before<S extends HookedSend>(ctx: TenantCtx, send: S): Promise<{ send: S; runId: string | null }>;
  /** After the command is stored and started: the answer, maybe rewritten. */
  after<V>(ctx: TenantCtx, view: V): Promise<V>;
}

/** Who is calling, resolved from the API key (and X-Cadenza-Org for instance-wide keys). */
export interface Tenant {
  instanceId: string;
  /** The org the call acts in: the key's own org, or the one X-Cadenza-Org picked; null for instance level. */
  orgId: string | null;
  role: Role;
  /** Recorded as creator and operator identity: the API key's name. */
  actor: string;
  keyId: string | null;
  /** Set when the key itself belongs to one org; such keys never see other orgs. */
  keyOrgId: string | null;
  /** The instance's own request limits: read with the API key, or by a workflow activity that sends commands. */
  limits?: InstanceRequestLimits;
}

export interface InstanceRequestLimits {
  /** Largest command payload, when the instance has one lower than CADENZA_COMMAND_PAYLOAD_LIMIT_BYTES. */
  commandPayloadBytes: number | null;
  rateLimit: { requestsPerSecond: number; burst: number } | null;
}

export interface TenantCtx extends AppCtx {
  tenant: Tenant;
}

/** A call with a system key: it provisions instances and never acts inside one. */
export interface SystemCtx extends AppCtx {
  system: { keyId: string; actor: string };
}
