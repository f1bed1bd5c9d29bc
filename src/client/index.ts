// The TypeScript client library for the Cadenza HTTP API. It has no dependencies beyond
// Node's fetch, so services can import it without pulling in the server: what it shares with
// the server is types only, erased at build.
import type { CommandStatus, TsqReason } from '../commands/model';
import type { CommandView } from '../commands/view';

export type { CommandStatus, TsqReason };

export { SIGNATURE_HEADER, signatureHeader, verifySignature } from './signature';
export interface ClientOptions {
  /** Base URL, e.g. http://localhost:3000 */
  url: string;
  apiKey: string;
  /** X-Cadenza-Org for instance-wide keys. */
  org?: string;
  /** Per-request timeout; 30 s by default. */
  timeoutMs?: number;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { field: string; message: string }[];
  [extra: string]: unknown;
}

export class CadenzaApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(`${status} ${problem.title}: ${problem.detail}`);
    this.name = 'CadenzaApiError';
  }
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export type Role = 'admin' | 'operator' | 'viewer';

export interface Org {
  id: string;
  name: string;
  createdAt: string;
  createdBy: string;
}

export interface ApiKey {
  id: string;
  name: string;
  role: Role;
  orgId: string | null;
  prefix: string;
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
}

export interface SendCommandInput {
  domain: string;
  type: string;
  commandId?: string;
  correlationId?: string;
  payload?: unknown;
  replyTo?: string;
  maxAttempts?: number;
  /** Delay before each retry, in ms; the last entry repeats. */
  backoffMs?: number[];
  timeouts?: { handlerMs?: number; heartbeatMs?: number; pickupMs?: number };
  /** inline: the handler runs inside the command workflow (a local activity); activity by default. */
  execution?: 'activity' | 'inline';
}

/** A command as the API shows it: the type of the route's schema (commands/view.ts). */
export type Command = CommandView;

export interface AuditEntry {
  sequence: number;
  type: string;
  payload: Record<string, unknown>;
  creator: string;
  createdAt: string;
}

export interface CommandFilter {
  status?: CommandStatus;
  domain?: string;
  type?: string;
  correlationId?: string;
  batchId?: string;
  createdAfter?: string;
  createdBefore?: string;
  limit?: number;
  cursor?: string;
}

export interface BulkRetry {
  id: string;
  state: 'RUNNING' | 'COMPLETED';
  filter: { domain: string | null; type: string | null };
  matched: number;
  retried: number;
  failedCount: number;
  failed: { domain: string; commandId: string; error: string }[];
}

type Query = Record<string, string | number | boolean | undefined>;

const seg = (s: string) => encodeURIComponent(s);

export class CadenzaClient {
  private readonly base: string;

  constructor(private readonly options: ClientOptions) {
    this.base = options.url.replace(/\/$/, '');
  }

  /** Sends one request; a non-2xx answer throws CadenzaApiError with the problem details. */
  async request<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
    return (await this.exchange<T>(method, path, body, query)).body;
  }

  /** Like request, with the HTTP status of the answer. */
  async exchange<T>(method: string, path: string, body?: unknown, query?: Query): Promise<{ status: number; body: T }> {
    const url = new URL(this.base + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.apiKey}`, accept: 'application/json' };
    if (this.options.org !== undefined) headers['x-cadenza-org'] = this.options.org;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
    });
    const text = await res.text();
    const parsed: unknown = text === '' ? undefined : JSON.parse(text);
    if (!res.ok) {
      const problem = (parsed ?? { type: 'about:blank', title: res.statusText, status: res.status, detail: text }) as Problem;
      throw new CadenzaApiError(res.status, problem);
    }
    return { status: res.status, body: parsed as T };
  }

  createOrg(name: string): Promise<Org> {
    return this.request('POST', '/v1/orgs', { name });
  }

  listOrgs(query: { limit?: number; cursor?: string } = {}): Promise<Page<Org>> {
    return this.request('GET', '/v1/orgs', undefined, query);
  }

  getOrg(id: string): Promise<Org> {
    return this.request('GET', `/v1/orgs/${encodeURIComponent(id)}`);
  }

  createKey(input: { name: string; role: Role; orgId?: string }): Promise<ApiKey & { secret: string }> {
    return this.request('POST', '/v1/keys', input);
  }

  listKeys(query: { limit?: number; cursor?: string } = {}): Promise<Page<ApiKey>> {
    return this.request('GET', '/v1/keys', undefined, query);
  }

  revokeKey(id: string): Promise<ApiKey> {
    return this.request('DELETE', `/v1/keys/${encodeURIComponent(id)}`);
  }

  /** Sends a command; `created` is false when an identical command with this id existed. */
  async sendCommand(input: SendCommandInput): Promise<Command & { created: boolean }> {
    const res = await this.exchange<Command>('POST', '/v1/commands', input);
    return { ...res.body, created: res.status === 202 };
  }

  /** Sends a batch; the commands a request/SendCommand target vetoed are in `refused`, not stored. */
  sendBatch(input: { batchId?: string; replyTo?: string; commands: SendCommandInput[] }): Promise<{
    batchId: string;
    total: number;
    commands: { domain: string; commandId: string }[];
    refused: { index: number; domain: string; commandId: string | null; status: 424; detail: string; targetStatus?: number | null; targetBody?: unknown }[];
  }> {
    return this.request('POST', '/v1/commands/batch', input);
  }

  getCommand(domain: string, commandId: string): Promise<Command> {
    return this.request('GET', `/v1/commands/${seg(domain)}/${seg(commandId)}`);
  }

  listCommands(filter: CommandFilter = {}): Promise<Page<Command>> {
    return this.request('GET', '/v1/commands', undefined, { ...filter });
  }

  countCommands(filter: { domain?: string; type?: string } = {}): Promise<Record<CommandStatus, number>> {
    return this.request('GET', '/v1/commands/counts', undefined, filter);
  }

  /** The whole audit trail, read a page (500 events) at a time. */
  async audit(domain: string, commandId: string): Promise<AuditEntry[]> {
    const out: AuditEntry[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.request<Page<AuditEntry>>('GET', `/v1/commands/${seg(domain)}/${seg(commandId)}/audit`, undefined, { limit: 500, cursor });
      out.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return out;
  }

  getBatch(batchId: string): Promise<{ batchId: string; status: string; total: number; counts: Record<CommandStatus, number>; completedAt: string | null }> {
    return this.request('GET', `/v1/batches/${seg(batchId)}`);
  }

  listTroubleshooting(filter: { domain?: string; type?: string; tsqReason?: TsqReason; limit?: number; cursor?: string } = {}): Promise<Page<Command>> {
    return this.request('GET', '/v1/troubleshooting', undefined, filter);
  }

  retryCommand(domain: string, commandId: string, reason?: string): Promise<Command> {
    return this.request('POST', `/v1/troubleshooting/${seg(domain)}/${seg(commandId)}/retry`, reason === undefined ? {} : { reason });
  }

  cancelCommand(domain: string, commandId: string, reason: string): Promise<Command> {
    return this.request('POST', `/v1/troubleshooting/${seg(domain)}/${seg(commandId)}/cancel`, { reason });
  }

  completeCommand(domain: string, commandId: string, result?: unknown, reason?: string): Promise<Command> {
    return this.request('POST', `/v1/troubleshooting/${seg(domain)}/${seg(commandId)}/complete`, { result, reason });
  }

  /** Starts a bulk retry of the selected queue entries, or of those matching the filter; follow it with getBulkRetry. */
  bulkRetry(
    request: { domain?: string; type?: string; tsqReason?: TsqReason; commands?: { domain: string; commandId: string }[]; reason?: string; limit?: number } = {},
  ): Promise<BulkRetry> {
    return this.request('POST', '/v1/troubleshooting/retry', request);
  }

  getBulkRetry(bulkId: string): Promise<BulkRetry> {
    return this.request('GET', `/v1/troubleshooting/retry/${seg(bulkId)}`);
  }

  /** Polls a command until `until` holds (for example a terminal status), or the timeout passes. */
  async waitForCommand(domain: string, commandId: string, until: (c: Command) => boolean, timeoutMs = 60_000, intervalMs = 200): Promise<Command> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const c = await this.getCommand(domain, commandId);
      if (until(c)) return c;
      if (Date.now() > deadline) throw new Error(`command ${domain}/${commandId} is still ${c.status} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}
