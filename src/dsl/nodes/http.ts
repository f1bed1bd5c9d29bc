// HTTP Request (n8n-nodes-base.httpRequest v1–v4.3): one call per item, through the outbound
// address policy. The connection goes to the address that was checked, never re-resolved.
// v1 and v2 parameters (requestMethod, *ParametersUi, *ParametersJson) are read as v3's.
import http from 'node:http';
import https from 'node:https';
import { z } from 'zod';
import { OutboundAddressRefused, type AddressPolicy } from '../../net/address-policy';
import { checkOutboundUrl } from '../../net/http';
import { expr, type NodeType } from '../registry';
import type { Item } from '../types';
import { itemError } from './util';

const NameValue = z.looseObject({ name: z.string(), value: z.unknown().optional() });
const LegacyList = z.looseObject({ parameter: z.array(NameValue).max(100).optional() }).optional();
/** v1 and v2 name the generic auth types differently. */
const LEGACY_AUTH = { basicAuth: 'httpBasicAuth', headerAuth: 'httpHeaderAuth', queryAuth: 'httpQueryAuth' } as const;
const GENERIC_AUTH = ['httpBasicAuth', 'httpHeaderAuth', 'httpQueryAuth', 'httpBearerAuth'] as const;

const LegacyParams = z.looseObject({
  authentication: z.enum(['none', 'basicAuth', 'headerAuth', 'queryAuth']).default('none'),
  requestMethod: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']).default('GET'),
  url: z.string().min(1).max(8192),
  responseFormat: z.enum(['json', 'string']).default('json'),
  dataPropertyName: z.string().default('data'),
  jsonParameters: z.boolean().default(false),
  bodyParametersUi: LegacyList,
  headerParametersUi: LegacyList,
  queryParametersUi: LegacyList,
  bodyParametersJson: z.unknown().optional(),
  headerParametersJson: z.unknown().optional(),
  queryParametersJson: z.unknown().optional(),
  options: z
    .looseObject({
      timeout: expr(z.number().int().min(1).max(300_000)).optional(),
      fullResponse: z.boolean().optional(),
      ignoreResponseCode: z.boolean().optional(),
      bodyContentType: z.enum(['json', 'raw', 'form-urlencoded']).optional(),
    })
    .default({}),
});
type LegacyParams = z.infer<typeof LegacyParams>;

const HttpParams = z.looseObject({
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']).default('GET'),
  url: z.string().min(1).max(8192),
  authentication: z.enum(['none', 'genericCredentialType']).default('none'),
  genericAuthType: z.enum(GENERIC_AUTH).optional(),
  sendQuery: z.boolean().optional(),
  queryParameters: z.looseObject({ parameters: z.array(NameValue).max(100) }).optional(),
  sendHeaders: z.boolean().optional(),
  headerParameters: z.looseObject({ parameters: z.array(NameValue).max(100) }).optional(),
  sendBody: z.boolean().optional(),
  contentType: z.enum(['json', 'form-urlencoded', 'raw']).optional(),
  specifyBody: z.enum(['keypair', 'json']).optional(),
  bodyParameters: z.looseObject({ parameters: z.array(NameValue).max(100) }).optional(),
  jsonBody: z.unknown().optional(),
  body: z.string().optional(),
  options: z
    .looseObject({
      timeout: expr(z.number().int().min(1).max(300_000)).optional(),
      response: z.looseObject({ response: z.looseObject({ neverError: z.boolean().optional(), fullResponse: z.boolean().optional() }).optional() }).optional(),
    })
    .optional(),
});
type HttpParams = z.infer<typeof HttpParams>;

/** The credential type a call authenticates with, if any. */
function authType(p: HttpParams): string | undefined {
  return p.authentication === 'genericCredentialType' ? p.genericAuthType : undefined;
}

interface Auth {
  type: string;
  data: Record<string, string>;
}

/** Adds the credential to the request as n8n's generic auth types do. */
function applyAuth(auth: Auth | undefined, url: URL, headers: Record<string, string>): void {
  if (auth === undefined) return;
  const d = auth.data;
  if (auth.type === 'httpBasicAuth') headers.authorization = `Basic ${Buffer.from(`${d.user}:${d.password}`).toString('base64')}`;
  else if (auth.type === 'httpBearerAuth') headers.authorization = `Bearer ${d.token}`;
  else if (auth.type === 'httpHeaderAuth') headers[d.name!] = d.value!;
  else if (auth.type === 'httpQueryAuth') url.searchParams.append(d.name!, d.value!);
}

/** Largest response body read per call; larger ones fail the node. */
export const HTTP_RESPONSE_LIMIT_BYTES = 1024 * 1024;

export class HttpStatusError extends Error {
  override name = 'HttpStatusError';
  constructor(readonly status: number, body: string) {
    super(`HTTP ${status}: ${body.slice(0, 500)}`);
  }
}

function pairs(list: { parameters: z.infer<typeof NameValue>[] } | undefined): [string, string][] {
  return (list?.parameters ?? []).map((p) => [p.name, typeof p.value === 'string' ? p.value : JSON.stringify(p.value ?? '')]);
}

function requestBody(p: HttpParams): { body?: string; type?: string } {
  if (!p.sendBody) return {};
  if (p.contentType === 'raw') return { body: p.body ?? '', type: 'text/plain' };
  if (p.contentType === 'form-urlencoded') return { body: new URLSearchParams(pairs(p.bodyParameters)).toString(), type: 'application/x-www-form-urlencoded' };
  if (p.specifyBody === 'json') return { body: typeof p.jsonBody === 'string' ? p.jsonBody : JSON.stringify(p.jsonBody ?? {}), type: 'application/json' };
  const obj: Record<string, unknown> = {};
  for (const bp of p.bodyParameters?.parameters ?? []) obj[bp.name] = bp.value;
  return { body: JSON.stringify(obj), type: 'application/json' };
}

interface HttpResult {
  status: number;
  headers: Record<string, string>;
  body: string;
}

async function send(p: HttpParams, auth: Auth | undefined, policy: AddressPolicy, signal: AbortSignal): Promise<HttpResult> {
  const { url, address } = await checkOutboundUrl(policy, p.url);
  if (p.sendQuery) for (const [k, v] of pairs(p.queryParameters)) url.searchParams.append(k, v);
  const { body, type } = requestBody(p);
  const headers: Record<string, string> = Object.fromEntries(p.sendHeaders ? pairs(p.headerParameters) : []);
  if (type && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = type;
  applyAuth(auth, url, headers);
  const timeout = typeof p.options?.timeout === 'number' ? p.options.timeout : 30_000;
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      url,
      {
        method: p.method,
        headers,
        timeout,
        signal,
        // Connect to the checked address; SNI and Host stay the URL's name.
        lookup: (_host, _opts, cb) => cb(null, [{ address, family: address.includes(':') ? 6 : 4 }] as any, undefined as any),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > HTTP_RESPONSE_LIMIT_BYTES) req.destroy(new Error(`response larger than ${HTTP_RESPONSE_LIMIT_BYTES} bytes`));
          else chunks.push(c);
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers as Record<string, string>, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no response within ${timeout} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

function toItem(r: HttpResult, full: boolean): Item {
  let data: unknown = r.body;
  try {
    data = r.body === '' ? {} : JSON.parse(r.body);
  } catch {
    // not JSON: keep the text
  }
  if (full) return { json: { statusCode: r.status, headers: r.headers, body: data } };
  return { json: data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : { data } };
}

function jsonObject(v: unknown): Record<string, unknown> {
  if (v === undefined || v === null || v === '') return {};
  const parsed = typeof v === 'string' ? JSON.parse(v) : v;
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('JSON parameters must be an object');
  return parsed as Record<string, unknown>;
}

const toPairs = (o: Record<string, unknown>) => ({ parameters: Object.entries(o).map(([name, value]) => ({ name, value })) });

/** v1 and v2 parameters in v3's shape. */
function fromLegacy(p: LegacyParams): HttpParams {
  const query = p.jsonParameters ? toPairs(jsonObject(p.queryParametersJson)) : { parameters: p.queryParametersUi?.parameter ?? [] };
  const headers = p.jsonParameters ? toPairs(jsonObject(p.headerParametersJson)) : { parameters: p.headerParametersUi?.parameter ?? [] };
  const withBody = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(p.requestMethod);
  const type = p.options.bodyContentType ?? 'json';
  return {
    method: p.requestMethod,
    url: p.url,
    ...(p.authentication === 'none' ? { authentication: 'none' } : { authentication: 'genericCredentialType', genericAuthType: LEGACY_AUTH[p.authentication] }),
    sendQuery: query.parameters.length > 0,
    queryParameters: query,
    sendHeaders: headers.parameters.length > 0,
    headerParameters: headers,
    sendBody: withBody,
    contentType: type,
    ...(p.jsonParameters && type === 'json' ? { specifyBody: 'json' as const, jsonBody: p.bodyParametersJson ?? {} } : { specifyBody: 'keypair' as const, bodyParameters: { parameters: p.bodyParametersUi?.parameter ?? [] } }),
    ...(type === 'raw' ? { body: typeof p.bodyParametersJson === 'string' ? p.bodyParametersJson : JSON.stringify(p.bodyParametersJson ?? '') } : {}),
    options: {
      ...(p.options.timeout !== undefined ? { timeout: p.options.timeout } : {}),
      response: { response: { neverError: p.options.ignoreResponseCode === true, fullResponse: p.options.fullResponse === true } },
    },
  } as HttpParams;
}

export const httpRequest: NodeType = {
  type: 'n8n-nodes-base.httpRequest',
  versions: [1, 2, 3, 4, 4.1, 4.2, 4.3],
  description: 'Calls a URL once per item, under the outbound address policy; authentication none or a generic credential (basic, header, query, bearer).',
  kind: 'activity',
  parameters: (v) => (v < 3 ? LegacyParams : HttpParams.refine((p) => p.authentication === 'none' || p.genericAuthType !== undefined, { message: 'genericAuthType is required with genericCredentialType', path: ['genericAuthType'] })),
  outputs: () => 1,
  credentialType: (params, version) => authType(version < 3 ? fromLegacy(params as LegacyParams) : (params as HttpParams)),
  execute: async (ctx) => {
    const out: Item[] = [];
    for (let i = 0; i < ctx.itemCount; i++) {
      try {
        const raw = ctx.params(i);
        const legacy = ctx.node.typeVersion < 3 ? (raw as LegacyParams) : undefined;
        const p = legacy ? fromLegacy(legacy) : (raw as HttpParams);
        const type = authType(p);
        const res = await send(p, type === undefined ? undefined : { type, data: await ctx.credential(type) }, ctx.outbound, ctx.signal);
        const neverError = p.options?.response?.response?.neverError === true;
        if (res.status >= 400 && !neverError) throw new HttpStatusError(res.status, res.body);
        const item = toItem(res, p.options?.response?.response?.fullResponse === true);
        if (legacy?.responseFormat === 'string') item.json = { [legacy.dataPropertyName]: res.body };
        out.push({ ...item, pairedItem: { item: i } });
      } catch (err) {
        if (!ctx.continueOnFail || err instanceof OutboundAddressRefused) throw err;
        out.push(itemError(err, i));
      }
    }
    return [out];
  },
};
