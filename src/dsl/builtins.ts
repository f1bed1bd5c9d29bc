// The built-in node types under n8n's core names, plus cadenza.waitForSignal and cadenza.sendCommand.
import { NodeRegistry } from './registry';
import { errorTrigger, executeWorkflowTrigger, ifNode, manualTrigger, merge, noOp, set, start, switchNode } from './nodes/core';
import { executeWorkflow, wait, waitForSignal } from './nodes/control';
import { httpRequest } from './nodes/http';
import { code } from './nodes/code';
import { sendCommand } from './nodes/commands';

export const BUILTIN_NODES = [
  manualTrigger, start, executeWorkflowTrigger, errorTrigger, noOp, set, ifNode, switchNode, merge, httpRequest, wait, waitForSignal, executeWorkflow, code, sendCommand,
];

export function builtinRegistry(): NodeRegistry {
  const r = new NodeRegistry();
  for (const n of BUILTIN_NODES) r.register(n);
  return r;
}
