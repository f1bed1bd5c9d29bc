// The TypeScript client library for the Cadenza HTTP API. It has no dependencies beyond
// Node's fetch, so services can import it without pulling in the server.

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

type Query = Record<string, string | number | boolean | undefined>;

export class CadenzaClient {
  private readonly base: string;

  constructor(private readonly options: ClientOptions) {
    this.base = options.url.replace(/\/$/, '');
  }

  /** Sends one request; a non-2xx answer throws CadenzaApiError with the problem details. */
  async request<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
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
    return parsed as T;
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
}
