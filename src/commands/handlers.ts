// Command handlers: what application code writes. A handler module exports handler
// definitions made with defineHandler(); the worker loads them from CADENZA_HANDLERS_DIR.
//
//   const { defineHandler, PermanentCommandError } = require('cadenza/handlers');
//   module.exports = [defineHandler({ domain: 'billing', type: 'Charge', async handle(command, ctx) { … } })];
import type { Span } from '@opentelemetry/api';
import type { Logger } from '../log';
import fs from 'node:fs';
import path from 'node:path';
import { COMMAND_FAILURES, DOMAIN_RE, TYPE_RE } from './model';

export interface Command<P = unknown> {
  instanceId: string;
  orgId: string | null;
  domain: string;
  type: string;
  commandId: string;
  correlationId: string;
  payload: P;
}

export interface HandlerContext {
  /** 1-based attempt in the current round (an operator retry starts a new round). */
  attempt: number;
  maxAttempts: number;
  /** Attempts across operator retries, 1-based. */
  totalAttempts: number;
  correlationId: string;
  /** Report progress; the worker also heartbeats on its own while the handler runs. */
  heartbeat(details?: unknown): void;
  /** Aborted when the attempt is cancelled or times out, or the worker shuts down past its grace period. */
  signal: AbortSignal;
  /** The attempt's OpenTelemetry span (non-recording when tracing is off); spans the handler starts are its children. */
  span: Span;
  /** The worker's logger; each line carries the command's request id and correlation id. */
  log: Logger;
}

export interface HandlerDefinition<P = any, R = unknown> {
  domain: string;
  type: string;
  handle(command: Command<P>, ctx: HandlerContext): Promise<R> | R;
}

const BRAND = Symbol.for('cadenza.handler');

export type RegisteredHandler = HandlerDefinition & { [BRAND]: true };

export function defineHandler<P = any, R = unknown>(def: HandlerDefinition<P, R>): RegisteredHandler {
  if (!DOMAIN_RE.test(def.domain)) throw new Error(`handler domain '${def.domain}' must match ${DOMAIN_RE}`);
  if (!TYPE_RE.test(def.type)) throw new Error(`handler type '${def.type}' must match ${TYPE_RE}`);
  if (typeof def.handle !== 'function') throw new Error(`handler ${def.domain}/${def.type} has no handle function`);
  return { ...def, [BRAND]: true } as RegisteredHandler;
}

function isHandler(value: unknown): value is RegisteredHandler {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** Retried with the command's backoff; any error that is not one of the two below counts as this. */
export class TransientCommandError extends Error {
  constructor(
    message: string,
    readonly code?: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = COMMAND_FAILURES.transient;
  }
}

/** Not worth retrying: the command goes straight to the troubleshooting queue. */
export class PermanentCommandError extends Error {
  constructor(
    message: string,
    readonly code?: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = COMMAND_FAILURES.permanent;
  }
}

/** The command is refused for a business reason: FAILED, with a reply, and no troubleshooting. */
export class BusinessRuleError extends Error {
  constructor(
    message: string,
    readonly code?: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = COMMAND_FAILURES.businessRule;
  }
}

export class HandlerRegistry {
  private readonly handlers = new Map<string, { handler: RegisteredHandler; source: string }>();

  register(handler: RegisteredHandler, source: string): void {
    const key = `${handler.domain}/${handler.type}`;
    const existing = this.handlers.get(key);
    if (existing !== undefined) throw new Error(`handler ${key} is registered twice (${existing.source} and ${source})`);
    this.handlers.set(key, { handler, source });
  }

  get(domain: string, type: string): RegisteredHandler | undefined {
    return this.handlers.get(`${domain}/${type}`)?.handler;
  }

  domains(): string[] {
    return [...new Set([...this.handlers.values()].map((h) => h.handler.domain))].sort();
  }

  list(): string[] {
    return [...this.handlers.keys()].sort();
  }
}

/** Every handler a module exports: a definition, an array of them, or an object holding them. */
function handlersIn(moduleExports: unknown): RegisteredHandler[] {
  const found: RegisteredHandler[] = [];
  const visit = (value: unknown, depth: number) => {
    if (isHandler(value)) found.push(value);
    else if (Array.isArray(value) && depth < 2) value.forEach((v) => visit(v, depth + 1));
    else if (typeof value === 'object' && value !== null && depth < 2) Object.values(value).forEach((v) => visit(v, depth + 1));
  };
  visit(moduleExports, 0);
  return found;
}

/** Loads every .js/.cjs module of a folder; a duplicate (domain, type) fails the worker's start. */
export function loadHandlersDir(registry: HandlerRegistry, dir: string): void {
  const abs = path.resolve(dir);
  if (!fs.existsSync(abs)) throw new Error(`handlers folder ${abs} does not exist (CADENZA_HANDLERS_DIR)`);
  for (const file of fs.readdirSync(abs).filter((f) => /\.(c?js)$/.test(f)).sort()) {
    const full = path.join(abs, file);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const found = handlersIn(require(full));
    if (found.length === 0) throw new Error(`${full} exports no handler (use defineHandler)`);
    for (const h of found) registry.register(h, full);
  }
}
