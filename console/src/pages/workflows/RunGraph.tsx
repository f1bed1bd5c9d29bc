// A workflow drawn as its graph (@xyflow/react, laid out by dagre), each node coloured by its
// state in a run. Clicking a node selects it.
import { Background, Controls, Handle, Position, ReactFlow, type Edge, type Node, type NodeProps } from '@xyflow/react';
import { useMemo } from 'react';
import { graphOf, layoutGraph, type GraphNode } from '../../lib/graph';

type Data = { node: GraphNode; status?: string; selected: boolean };
type DagFlowNode = Node<Data, 'dag'>;

const STATUS_LABEL: Record<string, string> = { pending: 'not run' };

function DagNode({ data }: NodeProps<DagFlowNode>) {
  return (
    <div className={`dag-node state-${data.status ?? 'none'}${data.selected ? ' is-selected' : ''}${data.node.disabled ? ' is-disabled' : ''}`} data-node={data.node.name} data-status={data.status}>
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <div className="dag-node-name">{data.node.name}</div>
      <div className="dag-node-meta">
        <span>{data.node.kind}</span>
        {data.status && <span className="dag-node-status">{STATUS_LABEL[data.status] ?? data.status}</span>}
      </div>
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
}

const nodeTypes = { dag: DagNode };

/** Without `statuses` the graph shows a definition: no states, every edge alike. */
export function RunGraph({ definition, statuses, selected, onSelect, label }: { definition: unknown; statuses?: Map<string, string>; selected?: string; onSelect?: (name: string) => void; label: string }) {
  const graph = useMemo(() => graphOf(definition), [definition]);
  const layout = useMemo(() => layoutGraph(graph.nodes, graph.edges), [graph]);
  const status = (name: string) => (statuses === undefined ? undefined : (statuses.get(name) ?? 'pending'));
  const nodes: DagFlowNode[] = graph.nodes.map((n) => ({
    id: n.name,
    type: 'dag',
    position: layout.positions.get(n.name)!,
    data: { node: n, status: status(n.name), selected: n.name === selected },
    ariaLabel: statuses === undefined ? n.name : `${n.name}: ${STATUS_LABEL[status(n.name)!] ?? status(n.name)}`,
    selectable: onSelect !== undefined,
  }));
  const edges: Edge[] = graph.edges.map((e) => {
    const target = statuses?.get(e.target);
    return {
      id: e.id,
      source: e.source,
      target: e.target,
      label: e.label,
      className: statuses === undefined ? 'edge-plain' : target === 'skipped' || target === undefined ? 'edge-idle' : 'edge-taken',
      animated: target === 'running' || target === 'waiting' || target === 'retrying',
    };
  });
  // Tall enough for the graph at the width it will likely get, never taller than needed.
  const height = Math.round(Math.min(460, Math.max(260, (layout.height / Math.max(layout.width, 1)) * 900 + 90)));
  return (
    <div className="graph" role="region" aria-label={label} style={{ height }}>
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodeClick={onSelect ? (_e, n) => onSelect(n.id) : undefined}
        nodesDraggable={false}
        nodesConnectable={false}
        edgesFocusable={false}
        fitView
        fitViewOptions={{ padding: 0.1, maxZoom: 1 }}
        minZoom={0.2}
      >
        <Background gap={18} size={1} />
        <Controls showInteractive={false} orientation="horizontal" />
      </ReactFlow>
    </div>
  );
}
