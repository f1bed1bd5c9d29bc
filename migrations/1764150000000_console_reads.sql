-- Up Migration

-- Reads the operator console needs: workflow runs of every workflow, newest first (the overview's
-- failing runs), and what each target call sent and got back (previews, as the DAG nodes keep).
CREATE INDEX workflow_runs_recent ON workflow_runs (instance_id, started_at DESC, id DESC);
ALTER TABLE run_calls ADD COLUMN request jsonb, ADD COLUMN response jsonb;

-- Down Migration

ALTER TABLE run_calls DROP COLUMN request, DROP COLUMN response;
DROP INDEX workflow_runs_recent;
