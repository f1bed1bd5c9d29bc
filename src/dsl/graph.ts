// Graph facts about a definition: edges, parents, descendants. Pure and import-free so
// the validator, the API and the deterministic interpreter workflow share one reading.
import type { DagDefinition } from './types';

export interface Edge {
  from: string;
  output: number;
  to: string;
  input: number;
}

/** Every `main` connection, in definition order. */
export function edgesOf(def: DagDefinition): Edge[] {
  const edges: Edge[] = [];
  for (const [from, kinds] of Object.entries(def.connections ?? {})) {
    (kinds?.main ?? []).forEach((targets, output) => {
      for (const t of targets ?? []) edges.push({ from, output, to: t.node, input: t.index ?? 0 });
    });
  }
  return edges;
}

export function incomingEdges(edges: Edge[], name: string): Edge[] {
  return edges.filter((e) => e.to === name);
}

/** `from` and every node reachable from it. */
export function descendantsOf(edges: Edge[], from: string): Set<string> {
  const seen = new Set<string>([from]);
  const queue = [from];
  while (queue.length > 0) {
    const n = queue.shift()!;
    for (const e of edges) {
      if (e.from === n && !seen.has(e.to)) {
        seen.add(e.to);
        queue.push(e.to);
      }
    }
  }
  return seen;
}
