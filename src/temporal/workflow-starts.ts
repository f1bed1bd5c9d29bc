// Workflow starts that must happen although the process may die right after its commit: the
// start is written in the same transaction as the row that announces the run (a flow run, a
// DAG run, an alert), made right after the commit, and forgotten once Temporal has it. The
// dispatcher (worker/dispatcher.ts) makes the starts still recorded after
// CADENZA_DISPATCH_AFTER_SECONDS, as it does for commands. Starts are idempotent by workflow id
// (an open or closed workflow of that id is kept), so starting twice runs once.
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { AppCtx, TemporalDeps } from '../context';
import { SYSTEM, transaction, type Tx } from '../db/db';
import { eagerStart } from './eager-start';
import { WORKFLOW_KINDS, type WorkflowArgs, type WorkflowType } from '../workflows/contracts';
import { CadenzaInstance, CadenzaKind, CadenzaOrg, CommandDomain, CommandStatus, CommandType, CorrelationId } from './search-attributes';
import { isTemporalUnavailable } from './connection';

interface StartOptions<T extends WorkflowType> {
  workflowType: T;
  workflowId: string;
  /** The deployment's task queue: its dispatcher makes the start if this process cannot. */
  taskQueue: string;
  instanceId: string;
  orgId: string | null;
  args: WorkflowArgs[T];
  summary: string;
  details?: string;
  /** Search attributes beyond instance, org and kind (a command's domain, type, status and correlation id). */
  keywords?: Partial<Record<CommandKeyword, string>>;
}

/** One workflow start, typed by the workflow's contract; plain JSON, so it can be recorded and made later. */
export type WorkflowStart = { [T in WorkflowType]: StartOptions<T> }[WorkflowType];

type CommandKeyword = (typeof COMMAND_KEYWORDS)[number]['name'];
const COMMAND_KEYWORDS = [CommandDomain, CommandType, CommandStatus, CorrelationId] as const;

/** How long a start made while serving a request may take before the dispatcher is left to make it. */
export const START_DEADLINE_MS = 10_000;

export async function recordWorkflowStart(tx: Tx, start: WorkflowStart): Promise<void> {
  await tx.query('INSERT INTO workflow_starts (instance_id, workflow_id, task_queue, start) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [
    start.instanceId,
    start.workflowId,
    start.taskQueue,
    JSON.stringify(start),
  ]);
}

export async function forgetWorkflowStart(tx: Tx, start: Pick<WorkflowStart, 'instanceId' | 'workflowId'>): Promise<void> {
  await tx.query('DELETE FROM workflow_starts WHERE instance_id = $1 AND workflow_id = $2', [start.instanceId, start.workflowId]);
}

/** True while a recorded start has not reached Temporal yet. */
export async function startPending(tx: Tx, instanceId: string, workflowId: string): Promise<boolean> {
  const { rowCount } = await tx.query('SELECT 1 FROM workflow_starts WHERE instance_id = $1 AND workflow_id = $2', [instanceId, workflowId]);
  return (rowCount ?? 0) > 0;
}

/**
 * Starts the workflow unless one of its id exists (running or closed): the one way Cadenza starts
 * a workflow, with its task queue, id policies, eager start, summary and search attributes.
 */
export async function startWorkflow(temporal: TemporalDeps, start: WorkflowStart): Promise<void> {
  try {
    await temporal.client.connection.withDeadline(Date.now() + START_DEADLINE_MS, () =>
      temporal.client.workflow.start(start.workflowType, {
        workflowId: start.workflowId,
        taskQueue: start.taskQueue,
        args: start.args,
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        ...eagerStart(temporal),
        staticSummary: start.summary,
        ...(start.details === undefined ? {} : { staticDetails: start.details }),
        typedSearchAttributes: [
          { key: CadenzaInstance, value: start.instanceId },
          { key: CadenzaKind, value: WORKFLOW_KINDS[start.workflowType] },
          ...(start.orgId === null ? [] : [{ key: CadenzaOrg, value: start.orgId }]),
          ...COMMAND_KEYWORDS.flatMap((key) => {
            const value = start.keywords?.[key.name];
            return value === undefined ? [] : [{ key, value }];
          }),
        ],
      }),
    );
  } catch (err) {
    // A workflow of this id exists: the work it stands for was started already.
    if (err instanceof WorkflowExecutionAlreadyStartedError) return;
    throw err;
  }
}

/**
 * Makes a recorded start and forgets it. With Temporal away it returns false and the dispatcher
 * makes the start later; any other failure is thrown with the start still recorded.
 */
export async function startRecorded(ctx: AppCtx, start: WorkflowStart): Promise<boolean> {
  try {
    await startWorkflow(ctx.temporal, start);
  } catch (err) {
    if (!isTemporalUnavailable(err)) throw err;
    ctx.log.warn({ err, workflowId: start.workflowId }, 'workflow start failed; the dispatcher will start it');
    return false;
  }
  await transaction(ctx.db, { instanceId: start.instanceId }, (tx) => forgetWorkflowStart(tx, start)).catch((err: unknown) => ctx.log.warn({ err, workflowId: start.workflowId }, 'could not forget a made start; the dispatcher will repeat it harmlessly'));
  return true;
}

/** Makes the starts of this deployment's task queue recorded more than `afterSeconds` ago (oldest first); returns how many. */
export async function dispatchWorkflowStarts(ctx: AppCtx, afterSeconds: number, limit: number): Promise<number> {
  // Every instance's starts: the system path.
  const { rows } = await transaction(ctx.db, SYSTEM, (tx) =>
    tx.query<{ start: WorkflowStart }>(
      `SELECT start FROM workflow_starts WHERE task_queue = $1 AND created_at < now() - make_interval(secs => $2) ORDER BY created_at LIMIT $3`,
      [ctx.temporal.taskQueue, afterSeconds, limit],
    ),
  );
  for (const { start } of rows) {
    try {
      await startWorkflow(ctx.temporal, start);
    } catch (err) {
      if (isTemporalUnavailable(err)) throw err; // the next tick tries again
      // Refused for this start alone: the others must not wait behind it; it is tried again next tick.
      ctx.log.error({ err, instanceId: start.instanceId, workflowId: start.workflowId }, 'dispatcher could not start a workflow');
      continue;
    }
    await transaction(ctx.db, { instanceId: start.instanceId }, (tx) => forgetWorkflowStart(tx, start));
    ctx.log.info({ instanceId: start.instanceId, workflowId: start.workflowId }, 'dispatcher started a workflow');
  }
  return rows.length;
}
