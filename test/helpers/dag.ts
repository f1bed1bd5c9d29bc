// Builders for workflow definitions in n8n's format, so tests read as graphs.
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
