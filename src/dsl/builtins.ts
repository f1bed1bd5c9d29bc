// The built-in node types under n8n's core names. `n8n-nodes-base.code` is not here yet: it
// needs the shared script sandbox (see the README's Workflows section).
import { NodeRegistry } from './registry';
import { errorTrigger, executeWorkflowTrigger, ifNode, manualTrigger, merge, noOp, set, start, switchNode } from './nodes/core';
import { executeWorkflow, wait, waitForSignal } from './nodes/control';
import { httpRequest } from './nodes/http';

export const BUILTIN_NODES = [
  manualTrigger, start, executeWorkflowTrigger, errorTrigger, noOp, set, ifNode, switchNode, merge, httpRequest, wait, waitForSignal, executeWorkflow,
];

export function builtinRegistry(): NodeRegistry {
  const r = new NodeRegistry();
  for (const n of BUILTIN_NODES) r.register(n);
  return r;
}
