// The one hook a workflow node's execution goes through (activities/n8n.ts; activities/dag.ts for
// the first interpreter's runs): a span per node attempt and a count by node type and outcome.
import type { Metrics } from '../metrics/metrics';
import { inSpan } from './tracing';

export async function observeNode<T>(metrics: Metrics, node: { name: string; type: string }, run: () => Promise<T>): Promise<T> {
  try {
    const result = await inSpan(`node ${node.name}`, { 'cadenza.node.name': node.name, 'cadenza.node.type': node.type }, run);
    metrics.dagNodes.inc({ node_type: node.type, outcome: 'success' });
    return result;
  } catch (err) {
    metrics.dagNodes.inc({ node_type: node.type, outcome: 'error' });
    throw err;
  }
}
