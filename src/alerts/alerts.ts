// Failure-rate alerts over runs. Each alert has one timer workflow (alert:<instance>:<id>) that
// evaluates it every `evaluateEverySeconds`; an alert fires at most once per window, through its
// notify target with a signed payload. The firing is claimed in the same transaction that checks
// the window, so a repeated evaluation cannot fire twice. An alert belongs to one org or to the
// instance: an org's alert counts that org's runs only and notifies one of that org's targets.
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

export const ALERT_LIMITS = { minWindowSeconds: 10, maxWindowSeconds: 7 * 24 * 3600, minEvaluateSeconds: 1, maxEvaluateSeconds: 3600, defaultEvaluateSeconds: 60, notifyTimeoutMs: 10_000, historyItems: 100 };

export type AlertScope = 'target' | 'action' | 'flow';

export interface AlertInput {
  name: string;
  scope: AlertScope;
  /** A target id, an action id or a flow type; all of the scope when absent. */
  scopeId?: string | null;
  failureRateThreshold: number;
  window: number;
  minRuns: number;
  notifyTargetId: string;
  evaluateEverySeconds?: number;
}

export interface Alert {
  id: string;
  /** The owning org; null for the instance's alerts (which count every org's runs). */
  orgId: string | null;
  name: string;
  scope: AlertScope;
  scopeId: string | null;
  failureRateThreshold: number;
  window: number;
  minRuns: number;
  notifyTargetId: string;
  evaluateEverySeconds: number;
  state: 'ok' | 'firing';
  lastRate: number | null;
  lastRuns: number | null;
  lastEvaluatedAt: string | null;
  lastFiredAt: string | null;
  createdAt: string;
}

export interface AlertFiring {
  firedAt: string;
  failureRate: number;
  runs: number;
  notifyStatus: number | null;
  notifyError: string | null;
}

interface AlertRow {
  instance_id: string;
  id: string;
  org_id: string | null;
  org_key: string;
  name: string;
  scope: AlertScope;
  scope_id: string | null;
  failure_rate_threshold: number;
  window_seconds: number;
  min_runs: number;
  evaluate_every_seconds: number;
  notify_target_id: string;
  state: 'ok' | 'firing';
  last_rate: number | null;
  last_runs: number | null;
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
  notifyTargetId: r.notify_target_id,
  evaluateEverySeconds: r.evaluate_every_seconds,
  state: r.state,
  lastRate: r.last_rate,
  lastRuns: r.last_runs,
  lastEvaluatedAt: r.last_evaluated_at?.toISOString() ?? null,
  lastFiredAt: r.last_fired_at?.toISOString() ?? null,
  createdAt: r.created_at.toISOString(),
});

function checkInput(input: AlertInput): void {
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
            `INSERT INTO alerts (instance_id, org_id, id, name, scope, scope_id, failure_rate_threshold, window_seconds, min_runs, evaluate_every_seconds, notify_target_id, state, created_at, created_by)
             VALUES ($1, $13, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'ok', $11, $12) RETURNING *`,
            [instanceId, id, input.name, input.scope, input.scopeId ?? null, input.failureRateThreshold, input.window, input.minRuns, input.evaluateEverySeconds ?? ALERT_LIMITS.defaultEvaluateSeconds, input.notifyTargetId, e.createdAt, e.creator, orgId],
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

export async function getAlert(ctx: TenantCtx, id: string): Promise<Alert & { history: AlertFiring[] }> {
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    const alert = toAlert(await loadVisible(tx, ctx, id));
    const { rows } = await tx.query<{ fired_at: Date; failure_rate: number; runs: number; notify_status: number | null; notify_error: string | null }>(
      'SELECT * FROM alert_firings WHERE instance_id = $1 AND alert_id = $2 ORDER BY fired_at DESC LIMIT $3',
      [ctx.tenant.instanceId, id, ALERT_LIMITS.historyItems],
    );
    return { ...alert, history: rows.map((r) => ({ firedAt: r.fired_at.toISOString(), failureRate: r.failure_rate, runs: r.runs, notifyStatus: r.notify_status, notifyError: r.notify_error })) };
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

/** Runs (or calls) in the window and how many failed, for the alert's scope. */
async function failureCounts(tx: Tx, a: AlertRow): Promise<{ total: number; failed: number }> {
  const sql: Record<AlertScope, string> = {
    target: `SELECT count(*)::int AS total, count(*) FILTER (WHERE state = 'failed')::int AS failed FROM run_calls c
              WHERE instance_id = $1 AND ended_at >= now() - make_interval(secs => $2) AND ($3::text IS NULL OR target_id = $3) AND ${ORG_RUNS}`,
    action: `SELECT count(*)::int AS total, count(*) FILTER (WHERE state = 'failed')::int AS failed FROM run_steps c
              WHERE instance_id = $1 AND ended_at >= now() - make_interval(secs => $2) AND ($3::text IS NULL OR action_id = $3) AND ${ORG_RUNS}`,
    flow: `SELECT count(*)::int AS total, count(*) FILTER (WHERE state = 'failed')::int AS failed FROM runs
              WHERE instance_id = $1 AND kind = 'flow' AND state <> 'running' AND ended_at >= now() - make_interval(secs => $2) AND ($3::text IS NULL OR flow_type = $3)
                AND ($4::text IS NULL OR org_id = $4)`,
  };
  const { rows } = await tx.query<{ total: number; failed: number }>(sql[a.scope], [a.instance_id, a.window_seconds, a.scope_id, a.org_id]);
  return rows[0] ?? { total: 0, failed: 0 };
}

export type Evaluation = { state: 'removed' } | { state: 'ok' | 'firing'; fired: boolean; evaluateEverySeconds: number };

/** One evaluation: records the rate, and fires through the notify target when due. */
export async function evaluateAlert(ctx: AppCtx, instanceId: string, alertId: string): Promise<Evaluation> {
  const claim = await transaction(ctx.db, { instanceId }, async (tx) => {
    const { rows } = await tx.query<AlertRow>('SELECT * FROM alerts WHERE instance_id = $1 AND id = $2 FOR UPDATE', [instanceId, alertId]);
    const a = rows[0];
    if (a === undefined) return undefined;
    const { total, failed } = await failureCounts(tx, a);
    const rate = total === 0 ? 0 : failed / total;
    const breached = total >= a.min_runs && rate >= a.failure_rate_threshold;
    const withinWindow = a.last_fired_at !== null && Date.now() - a.last_fired_at.getTime() < a.window_seconds * 1000;
    const fire = breached && !withinWindow;
    const firedAt = new Date();
    await tx.query(
      `UPDATE alerts SET state = $3, last_rate = $4, last_runs = $5, last_evaluated_at = now(), last_fired_at = CASE WHEN $6 THEN $7 ELSE last_fired_at END
        WHERE instance_id = $1 AND id = $2`,
      [instanceId, alertId, breached ? 'firing' : 'ok', rate, total, fire, firedAt],
    );
    if (fire) {
      await push(tx, instanceId, 'alert-evaluator', [
        {
          aggregateType: 'alert',
          aggregateId: alertId,
          orgId: a.org_id,
          type: 'alert.fired',
          payload: { failureRate: rate, runs: total },
          project: async (ptx) => {
            await ptx.query('INSERT INTO alert_firings (instance_id, alert_id, fired_at, failure_rate, runs) VALUES ($1, $2, $3, $4, $5)', [instanceId, alertId, firedAt, rate, total]);
          },
        },
      ]);
    }
    return { a, rate, total, fire, firedAt, breached };
  });
  if (claim === undefined) return { state: 'removed' };
  if (claim.fire) await notify(ctx, claim.a, claim.rate, claim.total, claim.firedAt);
  return { state: claim.breached ? 'firing' : 'ok', fired: claim.fire, evaluateEverySeconds: claim.a.evaluate_every_seconds };
}

async function notify(ctx: AppCtx, a: AlertRow, rate: number, runs: number, firedAt: Date): Promise<void> {
  const body = {
    alert: { id: a.id, name: a.name, scope: a.scope, scopeId: a.scope_id, failureRateThreshold: a.failure_rate_threshold, window: a.window_seconds, minRuns: a.min_runs },
    failureRate: rate,
    runs,
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
