-- Up Migration

-- Alerts on the troubleshooting queue's depth per domain, and on the failure rates of commands
-- and of workflow runs. A depth alert has a depth threshold, a failure-rate alert a failure-rate
-- threshold and a minimum of runs; a firing records the depth or the rate it saw.
ALTER TABLE alerts DROP CONSTRAINT alerts_scope_check;
ALTER TABLE alerts
  ADD CONSTRAINT alerts_scope_check CHECK (scope IN ('target', 'action', 'flow', 'command', 'workflow', 'troubleshooting')),
  ALTER COLUMN failure_rate_threshold DROP NOT NULL,
  ALTER COLUMN min_runs DROP NOT NULL,
  ADD COLUMN depth_threshold integer CHECK (depth_threshold > 0),
  ADD COLUMN last_depth integer,
  ADD CONSTRAINT alerts_one_threshold CHECK (
    CASE WHEN scope = 'troubleshooting'
      THEN depth_threshold IS NOT NULL AND failure_rate_threshold IS NULL AND min_runs IS NULL
      ELSE depth_threshold IS NULL AND failure_rate_threshold IS NOT NULL AND min_runs IS NOT NULL
    END);
ALTER TABLE alert_firings
  ALTER COLUMN failure_rate DROP NOT NULL,
  ALTER COLUMN runs DROP NOT NULL,
  ADD COLUMN depth integer;

-- What the failure-rate alerts count: commands that settled, and workflow runs that finished, in a window.
CREATE INDEX commands_settled ON commands (instance_id, updated_at) WHERE status IN ('COMPLETED', 'FAILED', 'IN_TROUBLESHOOTING_QUEUE');
CREATE INDEX workflow_runs_finished ON workflow_runs (instance_id, finished_at) WHERE finished_at IS NOT NULL;

-- Down Migration

DROP INDEX workflow_runs_finished;
DROP INDEX commands_settled;
DELETE FROM alert_firings f USING alerts a WHERE a.instance_id = f.instance_id AND a.id = f.alert_id AND a.scope IN ('command', 'workflow', 'troubleshooting');
DELETE FROM alerts WHERE scope IN ('command', 'workflow', 'troubleshooting');
ALTER TABLE alert_firings DROP COLUMN depth, ALTER COLUMN runs SET NOT NULL, ALTER COLUMN failure_rate SET NOT NULL;
ALTER TABLE alerts
  DROP CONSTRAINT alerts_one_threshold,
  DROP COLUMN last_depth,
  DROP COLUMN depth_threshold,
  ALTER COLUMN min_runs SET NOT NULL,
  ALTER COLUMN failure_rate_threshold SET NOT NULL,
  DROP CONSTRAINT alerts_scope_check,
  ADD CONSTRAINT alerts_scope_check CHECK (scope IN ('target', 'action', 'flow'));
