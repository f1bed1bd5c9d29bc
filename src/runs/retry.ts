// Retrying a run: a new run from the original's stored input (a flow run's trigger and context,
// an execution run's body), linked to the original and idempotent per key.
import type { TenantCtx } from '../context';
import { ValidationError } from '../errors';
import { transaction } from '../db/db';
import { push } from '../eventstore/eventstore';
import { startFlowTrigger } from '../flows/flow-runs';
import { matchExecution } from '../targets/executions';
import { eventRunId, startExecutionRun } from '../targets/execute';
import { executionWorkflowId, type ExecutionRunInput } from '../workflows/execution-contract';
import { getRun } from './runs';

/** POST /v1/runs/{id}/retry: a new run from the stored input, linked to the original; idempotent per key. */
export async function retryRun(ctx: TenantCtx, runId: string, key: string): Promise<{ runId: string; retryOf: string; created: boolean }> {
  const original = await getRun(ctx, runId);
  const existing = await transaction(ctx.db, ctx.tenant, async (tx) =>
    (await tx.query<{ id: string }>('SELECT id FROM runs WHERE instance_id = $1 AND retry_of = $2 AND retry_key = $3', [ctx.tenant.instanceId, runId, key])).rows[0],
  );
  if (existing !== undefined) return { runId: existing.id, retryOf: runId, created: false };
  if (original.state === 'running') throw ValidationError.field('runId', 'is still running; retry a finished run');
  if (original.kind === 'flow') {
    const started = await startFlowTrigger(ctx, { flowType: original.flowType, trigger: original.triggerType, context: original.contextIn, orgId: original.orgId });
    if (started.runId === null) throw ValidationError.field('runId', 'the trigger has no active action any more');
    await linkRetry(ctx, runId, started.runId, key);
    return { runId: started.runId, retryOf: runId, created: true };
  }
  const stored = original.contextIn as { body?: unknown; mode?: ExecutionRunInput['mode'] };
  const matched = await transaction(ctx.db, ctx.tenant, (tx) => matchExecution(tx, ctx.tenant.instanceId, original.orgId, [original.triggerType]));
  if (matched === undefined) throw ValidationError.field('runId', `the execution '${original.triggerType}' no longer exists`);
  const newRunId = eventRunId(`retry:${runId}:${key}`);
  const input: ExecutionRunInput = {
    instanceId: ctx.tenant.instanceId, orgId: matched.orgId, runId: newRunId, executionId: matched.executionId, condition: matched.condition,
    mode: stored.mode === 'sync' ? 'sync' : 'event', body: stored.body ?? null, targets: matched.targets, retryOf: runId, retryKey: key, createdBy: ctx.tenant.actor,
  };
  await startExecutionRun(ctx.temporal, executionWorkflowId(ctx.tenant.instanceId, `retry-${newRunId}`, matched.executionId), input);
  return { runId: newRunId, retryOf: runId, created: true };
}

async function linkRetry(ctx: TenantCtx, originalId: string, newRunId: string, key: string): Promise<void> {
  await transaction(ctx.db, ctx.tenant, (tx) =>
    push(tx, ctx.tenant.instanceId, ctx.tenant.actor, [
      {
        aggregateType: 'run',
        aggregateId: originalId,
        eventId: `${originalId}:retry:${key}`,
        type: 'run.retried',
        payload: { runId: newRunId, key },
        project: async (ptx, e) => {
          await ptx.query('UPDATE runs SET retry_of = $3, retry_key = $4 WHERE instance_id = $1 AND id = $2', [e.instanceId, newRunId, originalId, key]);
        },
      },
    ]),
  );
}
