// Builders for workflow definitions in n8n's format, so tests read as graphs, and the API calls
// that create, execute and await their runs.
import { call, waitFor, type ApiTarget, type TestTenant } from './harness';

let seq = 0;

export type N8nNode = Record<string, unknown> & { name: string };

export const trigger = (name = 'Start'): N8nNode => ({ id: `n${++seq}`, name, type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {}, position: [0, 0] });

export const http = (name: string, url: string, extra: Record<string, unknown> = {}): N8nNode => ({
  id: `n${++seq}`,
  name,
  type: 'n8n-nodes-base.httpRequest',
  typeVersion: 4.2,
  parameters: { method: 'POST', url, sendBody: true, specifyBody: 'json', jsonBody: '={{ $json }}', options: {} },
  position: [0, 0],
  ...extra,
});

export const setNode = (name: string, fields: Record<string, unknown>, extra: Record<string, unknown> = {}): N8nNode => ({
  id: `n${++seq}`,
  name,
  type: 'n8n-nodes-base.set',
  typeVersion: 3.4,
  parameters: {
    assignments: { assignments: Object.entries(fields).map(([k, v], i) => ({ id: `a${i}`, name: k, value: v, type: typeof v === 'number' ? 'number' : 'string' })) },
    includeOtherFields: true,
    options: {},
  },
  position: [0, 0],
  ...extra,
});

export const node = (name: string, type: string, typeVersion: number, parameters: Record<string, unknown>, extra: Record<string, unknown> = {}): N8nNode => ({
  id: `n${++seq}`,
  name,
  type,
  typeVersion,
  parameters,
  position: [0, 0],
  ...extra,
});

/** connections from `[from, to]` or `[from, to, output, input]` tuples. */
export function connect(...links: [string, string, number?, number?][]): Record<string, { main: { node: string; type: string; index: number }[][] }> {
  const out: Record<string, { main: { node: string; type: string; index: number }[][] }> = {};
  for (const [from, to, output = 0, input = 0] of links) {
    const main = (out[from] ??= { main: [] }).main;
    while (main.length <= output) main.push([]);
    main[output]!.push({ node: to, type: 'main', index: input });
  }
  return out;
}

export const workflow = (name: string, nodes: N8nNode[], connections: ReturnType<typeof connect>, settings: Record<string, unknown> = {}) => ({
  name,
  nodes,
  connections,
  settings: { executionOrder: 'v1', ...settings },
});

/** Creates a workflow through the API; returns its id. */
export async function createWorkflow(h: ApiTarget, t: Pick<TestTenant, 'adminKey'>, definition: unknown): Promise<string> {
  const res = await call(h, 'POST', '/v1/workflows', { key: t.adminKey, body: { definition } });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

/** Starts a run through the API; returns the run id. */
export async function executeWorkflow(h: ApiTarget, t: Pick<TestTenant, 'adminKey'>, workflowId: string, input: unknown = {}): Promise<string> {
  const res = await call(h, 'POST', `/v1/workflows/${workflowId}/execute`, { key: t.adminKey, body: { input } });
  if (res.status !== 202) throw new Error(`execute failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

/** The run as GET /v1/workflow-runs/{runId} shows it once it is no longer running. */
export function finishedRun(h: ApiTarget, t: Pick<TestTenant, 'adminKey'>, runId: string, timeoutMs = 60_000): Promise<any> {
  return waitFor(
    async () => {
      const res = await call(h, 'GET', `/v1/workflow-runs/${runId}`, { key: t.adminKey });
      return res.body.status !== 'running' ? res.body : undefined;
    },
    { timeoutMs, what: `run ${runId} to finish` },
  );
}

export const runNode = (run: any, name: string) => run.nodes.find((n: any) => n.name === name);
/** The json of a node's items on one output of a finished run. */
export const runItems = (run: any, name: string, output = 0) => runNode(run, name)?.output?.[output]?.map((i: any) => i.json);
