// The built-in node types under n8n's names, plus cadenza.waitForSignal and cadenza.sendCommand.
import { NodeRegistry } from './registry';
import { code, functionItem, functionNode } from './nodes/code';
import { sendCommand } from './nodes/commands';
import { executeWorkflow, wait, waitForSignal } from './nodes/control';
import { errorTrigger, executeWorkflowTrigger, manualTrigger, noOp, start, stickyNote } from './nodes/core';
import { dateTime } from './nodes/date-time';
import { httpRequest } from './nodes/http';
import { merge } from './nodes/merge';
import { filter, ifNode, switchNode } from './nodes/routing';
import { set } from './nodes/set';
import { splitInBatches } from './nodes/split-in-batches';
import { respondToWebhook, scheduleTrigger, webhook } from './nodes/triggers';
import { aggregateNode, itemLists, limitNode, removeDuplicatesNode, sortNode, splitOutNode, summarizeNode } from './nodes/transform';

export const BUILTIN_NODES = [
  manualTrigger, start, executeWorkflowTrigger, errorTrigger, webhook, scheduleTrigger, respondToWebhook, noOp, stickyNote, set, ifNode, filter, switchNode, merge, code, functionNode, functionItem,
  itemLists, aggregateNode, splitOutNode, sortNode, limitNode, removeDuplicatesNode, summarizeNode, splitInBatches, dateTime, wait, httpRequest,
  executeWorkflow, waitForSignal, sendCommand,
];

export function builtinRegistry(): NodeRegistry {
  const r = new NodeRegistry();
  for (const n of BUILTIN_NODES) r.register(n);
  return r;
}
