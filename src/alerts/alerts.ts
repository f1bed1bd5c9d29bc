// Alerts: failure rates over runs, commands and workflow runs, and the depth of the
// troubleshooting queue. Each alert has one timer workflow (alert:<instance>:<id>) that evaluates
// it every `evaluateEverySeconds` with the measure of its kind; an alert fires at most once per
// window, through its notify target with a signed payload. The firing is claimed in the same
// transaction that checks the window, so a repeated evaluation cannot fire twice. An alert
// belongs to one org or to the instance: an org's alert counts that org's work only and notifies
// one of that org's targets.
import { WorkflowNotFoundError } from '@temporalio/client';
import type { AppCtx, TenantCtx } from '../context';
import { NotFoundError, ValidationError } from '../errors';
import { transaction, type Tx } from '../db/db';
import { rethrowUniqueViolation } from '../db/unique';
import { push } from '../eventstore/eventstore';
import { newId } from '../ids';
import { createAddressPolicy } from '../net/address-policy';
import { recordWorkflowStart, startRecorded, type WorkflowStart } from '../temporal/workflow-starts';
import { postSigned } from '../targets/post';
import { loadSigningKeys, ownsTarget } from '../targets/targets';
import { orgKey, visibleOrgKey, visibleSql } from '../tenancy/scope';
import { masterKeys } from '../config/config';
import { alertWorkflowId } from '../workflows/alert-contract';
import type { Alert, AlertScope, AlertWithHistory } from './view';

export const ALERT_LIMITS = { minWindowSeconds: 10, maxWindowSeconds: 7 * 24 * 3600, minEvaluateSeconds: 1, maxEvaluateSeconds: 3600, defaultEvaluateSeconds: 60, notifyTimeoutMs: 10_000, historyItems: 100 };

/** A depth alert watches the troubleshooting queue; every other scope is a failure rate. */
type AlertKind = 'failureRate' | 'depth';
const kindOf = (scope: AlertScope): AlertKind => (scope === 'troubleshooting' ? 'depth' : 'failureRate');

export interface AlertInput {
  name: string;
  scope: AlertScope;
  /** A target id, an action id, a flow type, a command domain or a workflow id; all of the scope when absent. */
  scopeId?: string | null;
  /** Failure-rate alerts: the failed share that fires, and the fewest runs it needs. */
  failureRateThreshold?: number;
  minRuns?: number;
  /** Depth alerts: the number of parked commands that fires. */
  depthThreshold?: number;
  window: number;
  notifyTargetId: string;
  evaluateEverySeconds?: number;
}

interface AlertRow {
  instance_id: string;
  id: string;
  org_id: string | null;
  org_key: string;
  name: string;
  scope: AlertScope;
  scope_id: string | null;
  failure_rate_threshold: number | null;
  window_seconds: number;
  min_runs: number | null;
  depth_threshold: number | null;
  evaluate_every_seconds: number;
  notify_target_id: string;
  state: 'ok' | 'firing';
  last_rate: number | null;
  last_runs: number | null;
  last_depth: number | null;
  last_evaluated_at: Date | null;
  last_fired_at: Date | null;
  created_at: Date;
}

const toAlert = (r: AlertRow): Alert => ({
  id: r.id,
  orgId: r.org_id,
  name: r.name,
  scope: r.scope,
  scopeId: r.scope_id,
  failureRateThreshold: r.failure_rate_threshold,
  window: r.window_seconds,
  minRuns: r.min_runs,
  depthThreshold: r.depth_threshold,
  notifyTargetId: r.notify_target_id,
  evaluateEverySeconds: r.evaluate_every_seconds,
  state: r.state,
  lastRate: r.last_rate,
  lastRuns: r.last_runs,
  lastDepth: r.last_depth,
  lastEvaluatedAt: r.last_evaluated_at?.toISOString() ?? null,
  lastFiredAt: r.last_fired_at?.toISOString() ?? null,
  createdAt: r.created_at.toISOString(),
});

/** Each kind takes its own thresholds, and only those. */
function checkThresholds(input: AlertInput): void {
  const [needed, refused] = kindOf(input.scope) === 'depth' ? [['depthThreshold'], ['failureRateThreshold', 'minRuns']] : [['failureRateThreshold', 'minRuns'], ['depthThreshold']];
  for (const f of needed) if (input[f as keyof AlertInput] === undefined) throw ValidationError.field(`body.${f}`, `is required for scope '${input.scope}'`);
  for (const f of refused) if (input[f as keyof AlertInput] !== undefined) throw ValidationError.field(`body.${f}`, `does not apply to scope '${input.scope}'`);
}

function checkInput(input: AlertInput): void {
  checkThresholds(input);
  if (input.window < ALERT_LIMITS.minWindowSeconds || input.window > ALERT_LIMITS.maxWindowSeconds) {
    throw ValidationError.field('body.window', `must be ${ALERT_LIMITS.minWindowSeconds} to ${ALERT_LIMITS.maxWindowSeconds} seconds`);
  }
  const every = input.evaluateEverySeconds ?? ALERT_LIMITS.defaultEvaluateSeconds;
  if (every < ALERT_LIMITS.minEvaluateSeconds || every > ALERT_LIMITS.maxEvaluateSeconds) {
    throw ValidationError.field('body.evaluateEverySeconds', `must be ${ALERT_LIMITS.minEvaluateSeconds} to ${ALERT_LIMITS.maxEvaluateSeconds} seconds`);
  }
}

export async function addAlert(ctx: TenantCtx, input: AlertInput): Promise<Alert> {
  checkInput(input);
  const { instanceId, actor, orgId } = ctx.tenant;
  const id = newId('alr');
  const start = alertStart(ctx.temporal.taskQueue, instanceId, orgId, id);
  const row = await transaction(ctx.db, ctx.tenant, async (tx) => {
    if (!(await ownsTarget(tx, instanceId, orgKey(orgId), input.notifyTargetId))) {
      throw ValidationError.field('body.notifyTargetId', `no target '${input.notifyTargetId}' of this ${orgId === null ? 'instance' : 'org'}`);
    }
    let out: AlertRow | undefined;
    await push(tx, instanceId, actor, [
      {
        aggregateType: 'alert',
        aggregateId: id,
        orgId,
        type: 'alert.added',
        expectedSequence: 0,
        payload: { ...input },
        project: async (ptx, e) => {
          const res = await ptx.query<AlertRow>(
            `INSERT INTO alerts (instance_id, org_id, id, name, scope, scope_id, failure_rate_threshold, window_seconds, min_runs, evaluate_every_seconds, notify_target_id, state, created_at, created_by, depth_threshold)
             VALUES ($1, $13, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'ok', $11, $12, $14) RETURNING *`,
            [
              instanceId, id, input.name, input.scope, input.scopeId ?? null, input.failureRateThreshold ?? null, input.window, input.minRuns ?? null,
              input.evaluateEverySeconds ?? ALERT_LIMITS.defaultEvaluateSeconds, input.notifyTargetId, e.createdAt, e.creator, orgId, input.depthThreshold ?? null,
            ],
          );
          out = res.rows[0];
        },
      },
    ]);
    await recordWorkflowStart(tx, start);
    return out!;
  }).catch((err: unknown) => rethrowUniqueViolation(err, `an alert named '${input.name}' exists`, { constraint: 'alerts_name_unique', field: 'body.name' }));
  await startRecorded(ctx, start);
  return toAlert(row);
}

function alertStart(taskQueue: string, instanceId: string, orgId: string | null, alertId: string): WorkflowStart {
  return { workflowType: 'alertWorkflow', workflowId: alertWorkflowId(instanceId, alertId), taskQueue, instanceId, orgId, args: [{ instanceId, alertId }], summary: `alert ${alertId}` };
}

/** An alert the caller may see; any other answers 404. */
async function loadVisible(tx: Tx, ctx: TenantCtx, id: string): Promise<AlertRow> {
  const { rows } = await tx.query<AlertRow>(`SELECT * FROM alerts WHERE instance_id = $1 AND id = $2 AND ${visibleSql(3)}`, [ctx.tenant.instanceId, id, visibleOrgKey(ctx.tenant)]);
  if (rows[0] === undefined) throw new NotFoundError('alert', id);
  return rows[0];
}

export async function getAlert(ctx: TenantCtx, id: string): Promise<AlertWithHistory> {
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    const alert = toAlert(await loadVisible(tx, ctx, id));
    const { rows } = await tx.query<{ fired_at: Date; failure_rate: number | null; runs: number | null; depth: number | null; notify_status: number | null; notify_error: string | null }>(
      'SELECT * FROM alert_firings WHERE instance_id = $1 AND alert_id = $2 ORDER BY fired_at DESC LIMIT $3',
      [ctx.tenant.instanceId, id, ALERT_LIMITS.historyItems],
    );
    return { ...alert, history: rows.map((r) => ({ firedAt: r.fired_at.toISOString(), failureRate: r.failure_rate, runs: r.runs, depth: r.depth, notifyStatus: r.notify_status, notifyError: r.notify_error })) };
  });
}

export async function listAlerts(ctx: TenantCtx): Promise<{ items: Alert[] }> {
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    const { rows } = await tx.query<AlertRow>(`SELECT * FROM alerts WHERE instance_id = $1 AND ${visibleSql(2)} ORDER BY created_at, id`, [
      ctx.tenant.instanceId,
      visibleOrgKey(ctx.tenant),
    ]);
    return { items: rows.map(toAlert) };
  });
}

export async function removeAlert(ctx: TenantCtx, id: string): Promise<void> {
  await transaction(ctx.db, ctx.tenant, async (tx) => {
    const row = await loadVisible(tx, ctx, id);
    await push(tx, ctx.tenant.instanceId, ctx.tenant.actor, [
      {
        aggregateType: 'alert',
        aggregateId: id,
        orgId: row.org_id,
        type: 'alert.removed',
        project: async (ptx, e) => {
          await ptx.query('DELETE FROM alert_firings WHERE instance_id = $1 AND alert_id = $2', [e.instanceId, id]);
          await ptx.query('DELETE FROM alerts WHERE instance_id = $1 AND id = $2', [e.instanceId, id]);
        },
      },
    ]);
  });
  // The workflow also ends by itself at its next evaluation when the alert is gone.
  await ctx.temporal.client.workflow.getHandle(alertWorkflowId(ctx.tenant.instanceId, id)).terminate('alert removed').catch((err: unknown) => {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  });
}

// An org's alert counts the calls and steps of its org's runs; the instance's counts them all.
const ORG_RUNS = `($4::text IS NULL OR EXISTS (SELECT 1 FROM runs r WHERE r.instance_id = c.instance_id AND r.id = c.run_id AND r.org_id = $4))`;
const COUNTS = `count(*)::int AS total, count(*) FILTER (WHERE`;
const WINDOW = (column: string) => `${column} >= now() - make_interval(secs => $2)`;

/**
 * Per failure-rate scope, what settled in the window and how many of them failed: target calls,
 * action steps, flow runs, commands (failed by a business rule or parked in the troubleshooting
 * queue, out of those also completed; cancelled ones do not count) and workflow runs (failed or
 * timed out, out of those also completed; cancelled ones do not count).
 */
const FAILURE_COUNTS: Record<Exclude<AlertScope, 'troubleshooting'>, string> = {
  target: `SELECT ${COUNTS} state = 'failed')::int AS failed FROM run_calls c
            WHERE instance_id = $1 AND ${WINDOW('ended_at')} AND ($3::text IS NULL OR target_id = $3) AND ${ORG_RUNS}`,
  action: `SELECT ${COUNTS} state = 'failed')::int AS failed FROM run_steps c
            WHERE instance_id = $1 AND ${WINDOW('ended_at')} AND ($3::text IS NULL OR action_id = $3) AND ${ORG_RUNS}`,
  flow: `SELECT ${COUNTS} state = 'failed')::int AS failed FROM runs
            WHERE instance_id = $1 AND kind = 'flow' AND state <> 'running' AND ${WINDOW('ended_at')} AND ($3::text IS NULL OR flow_type = $3) AND ($4::text IS NULL OR org_id = $4)`,
  command: `SELECT ${COUNTS} status <> 'COMPLETED')::int AS failed FROM commands
            WHERE instance_id = $1 AND status IN ('COMPLETED', 'FAILED', 'IN_TROUBLESHOOTING_QUEUE') AND ${WINDOW('updated_at')}
              AND ($3::text IS NULL OR domain = $3) AND ($4::text IS NULL OR org_id = $4)`,
  workflow: `SELECT ${COUNTS} status <> 'completed')::int AS failed FROM workflow_runs
            WHERE instance_id = $1 AND finished_at IS NOT NULL AND ${WINDOW('finished_at')} AND status IN ('completed', 'failed', 'timed_out')
              AND ($3::text IS NULL OR workflow_id = $3) AND ($4::text IS NULL OR org_id = $4)`,
};

/** What one evaluation saw: whether the alert's threshold is reached, and the figures it reports. */
interface Measurement {
  breached: boolean;
  rate: number | null;
  runs: number | null;
  depth: number | null;
}

async function measureFailureRate(tx: Tx, a: AlertRow): Promise<Measurement> {
  const { rows } = await tx.query<{ total: number; failed: number }>(FAILURE_COUNTS[a.scope as keyof typeof FAILURE_COUNTS], [a.instance_id, a.window_seconds, a.scope_id, a.org_id]);
  const { total, failed } = rows[0] ?? { total: 0, failed: 0 };
  const rate = total === 0 ? 0 : failed / total;
  return { breached: total >= a.min_runs! && rate >= a.failure_rate_threshold!, rate, runs: total, depth: null };
}

/** The commands parked in the troubleshooting queue now, of one domain or all. */
async function measureDepth(tx: Tx, a: AlertRow): Promise<Measurement> {
  const { rows } = await tx.query<{ depth: number }>(
    `SELECT count(*)::int AS depth FROM commands
      WHERE instance_id = $1 AND status = 'IN_TROUBLESHOOTING_QUEUE' AND ($2::text IS NULL OR domain = $2) AND ($3::text IS NULL OR org_id = $3)`,
    [a.instance_id, a.scope_id, a.org_id],
  );
  const depth = rows[0]?.depth ?? 0;
  return { breached: depth >= a.depth_threshold!, rate: null, runs: null, depth };
}

const MEASURES: Record<AlertKind, (tx: Tx, a: AlertRow) => Promise<Measurement>> = { failureRate: measureFailureRate, depth: measureDepth };

export type Evaluation = { state: 'removed' } | { state: 'ok' | 'firing'; fired: boolean; evaluateEverySeconds: number };

/** One evaluation: records what the alert's measure saw, and fires through the notify target when due. */
export async function evaluateAlert(ctx: AppCtx, instanceId: string, alertId: string): Promise<Evaluation> {
  const claim = await transaction(ctx.db, { instanceId }, async (tx) => {
    const { rows } = await tx.query<AlertRow>('SELECT * FROM alerts WHERE instance_id = $1 AND id = $2 FOR UPDATE', [instanceId, alertId]);
    const a = rows[0];
    if (a === undefined) return undefined;
    const seen = await MEASURES[kindOf(a.scope)](tx, a);
    const withinWindow = a.last_fired_at !== null && Date.now() - a.last_fired_at.getTime() < a.window_seconds * 1000;
    const fire = seen.breached && !withinWindow;
    const firedAt = new Date();
    await tx.query(
      `UPDATE alerts SET state = $3, last_rate = $4, last_runs = $5, last_depth = $8, last_evaluated_at = now(), last_fired_at = CASE WHEN $6 THEN $7 ELSE last_fired_at END
        WHERE instance_id = $1 AND id = $2`,
      [instanceId, alertId, seen.breached ? 'firing' : 'ok', seen.rate, seen.runs, fire, firedAt, seen.depth],
    );
    if (fire) {
      await push(tx, instanceId, 'alert-evaluator', [
        {
          aggregateType: 'alert',
          aggregateId: alertId,
          orgId: a.org_id,
          type: 'alert.fired',
          payload: { failureRate: seen.rate, runs: seen.runs, depth: seen.depth },
          project: async (ptx) => {
            await ptx.query('INSERT INTO alert_firings (instance_id, alert_id, fired_at, failure_rate, runs, depth) VALUES ($1, $2, $3, $4, $5, $6)', [
              instanceId,
              alertId,
              firedAt,
              seen.rate,
              seen.runs,
              seen.depth,
            ]);
          },
        },
      ]);
    }
    return { a, seen, fire, firedAt };
  });
  if (claim === undefined) return { state: 'removed' };
  if (claim.fire) await notify(ctx, claim.a, claim.seen, claim.firedAt);
  return { state: claim.seen.breached ? 'firing' : 'ok', fired: claim.fire, evaluateEverySeconds: claim.a.evaluate_every_seconds };
}

async function notify(ctx: AppCtx, a: AlertRow, seen: Measurement, firedAt: Date): Promise<void> {
  const body = {
    alert: {
      id: a.id, name: a.name, scope: a.scope, scopeId: a.scope_id, failureRateThreshold: a.failure_rate_threshold, window: a.window_seconds, minRuns: a.min_runs, depthThreshold: a.depth_threshold,
    },
    failureRate: seen.rate,
    runs: seen.runs,
    depth: seen.depth,
    firedAt: firedAt.toISOString(),
  };
  let status: number | null = null;
  let error: string | null = null;
  try {
    const target = await transaction(ctx.db, { instanceId: a.instance_id }, async (tx) => {
      const { rows } = await tx.query<{ endpoint: string; timeout_ms: number }>('SELECT endpoint, timeout_ms FROM targets WHERE instance_id = $1 AND org_key = $2 AND id = $3', [
        a.instance_id,
        a.org_key,
        a.notify_target_id,
      ]);
      if (rows[0] === undefined) throw new Error(`notify target '${a.notify_target_id}' no longer exists`);
      return { ...rows[0], keys: await loadSigningKeys(tx, masterKeys(ctx.config), a.instance_id, a.notify_target_id) };
    });
    const res = await postSigned(createAddressPolicy(ctx.config.outboundAllowlist), target.endpoint, target.keys, body, Math.min(target.timeout_ms, ALERT_LIMITS.notifyTimeoutMs));
    status = res.status;
    if (!res.ok) error = `HTTP ${res.status}`;
  } catch (err) {
    error = (err as Error).message;
  }
  await transaction(ctx.db, { instanceId: a.instance_id }, (tx) =>
    tx.query('UPDATE alert_firings SET notify_status = $4, notify_error = $5 WHERE instance_id = $1 AND alert_id = $2 AND fired_at = $3', [a.instance_id, a.id, firedAt, status, error]),
  );
}
