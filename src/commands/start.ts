// Starting a command's workflow: idempotent by workflow id. A running or finished workflow of
// the same id is reused (a completed command never runs again), so both the API and the
// dispatcher may call this as often as they like.
import { WorkflowExecutionAlreadyStartedError, type WorkflowStartOptions } from '@temporalio/client';
import type { TemporalDeps } from '../context';
import { withLogContext } from '../telemetry/log-context';
import { eagerStart } from '../temporal/eager-start';
import { START_DEADLINE_MS } from '../temporal/workflow-starts';
import { CadenzaInstance, CadenzaKind, CadenzaOrg, CommandDomain, CommandStatus, CommandType, CorrelationId } from '../temporal/search-attributes';
import { commandWorkflowId, type CommandWorkflowInput } from './model';

export async function startCommandWorkflow(temporal: TemporalDeps, input: CommandWorkflowInput): Promise<void> {
  const workflowId = commandWorkflowId(input.instanceId, input.domain, input.commandId, input.orgId);
  const options: WorkflowStartOptions = {
    workflowId,
    taskQueue: temporal.taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    ...eagerStart(temporal),
    staticSummary: `${input.domain}/${input.type} ${input.commandId}`,
    staticDetails: `correlation ${input.correlationId}${input.batchId ? ` · batch ${input.batchId}` : ''}`,
    typedSearchAttributes: [
      { key: CadenzaInstance, value: input.instanceId },
      ...(input.orgId ? [{ key: CadenzaOrg, value: input.orgId }] : []),
      { key: CadenzaKind, value: 'command' },
      { key: CommandDomain, value: input.domain },
      { key: CommandType, value: input.type },
      { key: CommandStatus, value: 'PENDING' },
      { key: CorrelationId, value: input.correlationId },
    ],
  };
  try {
    // The command's work logs its own correlation id (the sending request's id comes along too).
    await withLogContext({ correlationId: input.correlationId }, () =>
      temporal.client.connection.withDeadline(Date.now() + START_DEADLINE_MS, () => temporal.client.workflow.start('commandWorkflow', options)),
    );
  } catch (err) {
    // A closed workflow of this id means the command already ran: nothing to start.
    if (err instanceof WorkflowExecutionAlreadyStartedError) return;
    throw err;
  }
}
