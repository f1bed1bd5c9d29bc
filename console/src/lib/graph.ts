// An n8n workflow definition as a graph to draw: nodes by name, one edge per connection (labelled
// by output where a node has several), laid out left to right by dagre.
import { Graph, layout } from '@dagrejs/dagre';

export interface GraphNode {
  name: string;
  type: string;
  /** The node type without its package: "if", "httpRequest", "waitForSignal". */
  kind: string;
  disabled: boolean;
  /** The signal a cadenza.waitForSignal node waits for. */
  signalName?: string;
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  output: number;
  label?: string;
}

interface DefNode {
  name?: unknown;
  type?: unknown;
  disabled?: unknown;
  onError?: unknown;
  parameters?: { signalName?: unknown };
}

type Connections = Record<string, { main?: ({ node: string }[] | null)[] }>;

export const NODE_WIDTH = 168;
export const NODE_HEIGHT = 58;

export function graphOf(definition: unknown): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const def = (definition ?? {}) as { nodes?: DefNode[]; connections?: Connections };
  const defNodes = (def.nodes ?? []).filter((n) => typeof n.name === 'string' && n.type !== 'n8n-nodes-base.stickyNote');
  const nodes: GraphNode[] = defNodes.map((n) => {
    const type = String(n.type ?? '');
    return {
      name: n.name as string,
      type,
      kind: type.slice(type.lastIndexOf('.') + 1),
      disabled: n.disabled === true,
      ...(typeof n.parameters?.signalName === 'string' ? { signalName: n.parameters.signalName } : {}),
    };
  });
  const byName = new Map(defNodes.map((n) => [n.name as string, n]));
  const edges: GraphEdge[] = [];
  for (const [source, outputs] of Object.entries(def.connections ?? {})) {
    const main = outputs.main ?? [];
    main.forEach((targets, output) => {
      for (const t of targets ?? []) {
        if (!byName.has(t.node) || !byName.has(source)) continue;
        edges.push({ id: `${source}:${output}->${t.node}`, source, target: t.node, output, label: outputLabel(byName.get(source)!, output, main.length) });
      }
    });
  }
  return { nodes, edges };
}

function outputLabel(node: DefNode, output: number, outputs: number): string | undefined {
  const errorOutput = node.onError === 'continueErrorOutput' && output === outputs - 1;
  if (errorOutput && outputs > 1) return 'error';
  if (node.type === 'n8n-nodes-base.if') return output === 0 ? 'true' : 'false';
  if (outputs > 1) return `output ${output}`;
  return undefined;
}

export interface Layout {
  /** Top-left position of each node. */
  positions: Map<string, { x: number; y: number }>;
  width: number;
  height: number;
}

/** Positions of the nodes, left to right in dependency order. */
export function layoutGraph(nodes: GraphNode[], edges: GraphEdge[]): Layout {
  const g = new Graph({ multigraph: true });
  g.setGraph({ rankdir: 'LR', nodesep: 22, ranksep: 48, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) g.setNode(n.name, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const e of edges) g.setEdge(e.source, e.target, {}, e.id);
  layout(g);
  const positions = new Map<string, { x: number; y: number }>();
  for (const n of nodes) {
    const p = g.node(n.name) as { x: number; y: number };
    positions.set(n.name, { x: p.x - NODE_WIDTH / 2, y: p.y - NODE_HEIGHT / 2 });
  }
  const { width = 0, height = 0 } = g.graph() as { width?: number; height?: number };
  return { positions, width, height };
}
