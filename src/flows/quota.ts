// The action-seconds quota: every action step adds its duration to logstore.quota_logs, and a
// run is refused when its instance has used up the configured seconds of the calendar month (UTC).
import type { Tx } from '../db/db';

export async function usedActionSeconds(tx: Tx, instanceId: string): Promise<number> {
  const { rows } = await tx.query<{ used: number }>(
    `SELECT COALESCE(SUM(amount), 0)::float8 AS used FROM logstore.quota_logs
      WHERE instance_id = $1 AND unit = 'action_seconds' AND created_at >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`,
    [instanceId],
  );
  return rows[0]?.used ?? 0;
}

export async function recordActionSeconds(
  tx: Tx,
  r: { instanceId: string; orgId: string | null; runId: string; actionId: string; seconds: number },
): Promise<void> {
  await tx.query(
    `INSERT INTO logstore.quota_logs (instance_id, org_id, unit, amount, run_id, action_id) VALUES ($1, $2, 'action_seconds', $3, $4, $5)`,
    [r.instanceId, r.orgId, r.seconds, r.runId, r.actionId],
  );
}
