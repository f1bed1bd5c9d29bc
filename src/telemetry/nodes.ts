// The one hook a workflow node's execution goes through (activities/dag.ts): it counts the
// attempt by node type and outcome. Keep the interpreter's side of it to this single call.
import type { Metrics } from '../metrics/metrics';

export async function observeNode<T>(metrics: Metrics, nodeType: string, run: () => Promise<T>): Promise<T> {
  try {
    const result = await run();
    metrics.dagNodes.inc({ node_type: nodeType, outcome: 'success' });
    return result;
  } catch (err) {
    metrics.dagNodes.inc({ node_type: nodeType, outcome: 'error' });
    throw err;
  }
}
