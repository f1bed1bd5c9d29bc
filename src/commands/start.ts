// Starting a command's workflow: idempotent by workflow id. A running or finished workflow of
// the same id is reused (a completed command never runs again), so both the API and the
// dispatcher may call this as often as they like.
import type { TemporalDeps } from '../context';
import { withLogContext } from '../telemetry/log-context';
import { startWorkflow } from '../temporal/workflow-starts';
import { commandWorkflowId, type CommandWorkflowInput } from './model';

export async function startCommandWorkflow(temporal: TemporalDeps, input: CommandWorkflowInput): Promise<void> {
  // The command's work logs its own correlation id (the sending request's id comes along too).
  await withLogContext({ correlationId: input.correlationId }, () =>
    startWorkflow(temporal, {
      workflowType: 'commandWorkflow',
      workflowId: commandWorkflowId(input.instanceId, input.domain, input.commandId, input.orgId),
      taskQueue: temporal.taskQueue,
      instanceId: input.instanceId,
      orgId: input.orgId,
      args: [input],
      summary: `${input.domain}/${input.type} ${input.commandId}`,
      details: `correlation ${input.correlationId}${input.batchId ? ` · batch ${input.batchId}` : ''}`,
      keywords: { CommandDomain: input.domain, CommandType: input.type, CommandStatus: 'PENDING', CorrelationId: input.correlationId },
    }),
  );
}
