-- Up Migration

-- Every run of every node of a workflow run (n8n's runData): where its inputs came from, its
-- outputs and, for nodes that keep one (Split In Batches), its context after the run. The
-- interpreter workflow carries only item counts and reads data by (run, node, run index), so
-- large outputs stay out of Temporal payloads. run_index -1 holds the node's pinned items.
-- Item data is `json`, not `jsonb`: n8n keeps the order of an object's keys, and jsonb does not.
CREATE TABLE workflow_node_runs (
  instance_id  text NOT NULL,
  run_id       text NOT NULL,
  node_name    text NOT NULL,
  run_index    integer NOT NULL CHECK (run_index >= -1),
  status       text NOT NULL CHECK (status IN ('completed', 'failed', 'skipped')),
  source       json NOT NULL DEFAULT '[]'::json,
  outputs      json NOT NULL DEFAULT '[]'::json,
  context      json,
  error        jsonb,
  handled_by   text,
  attempts     integer NOT NULL DEFAULT 1,
  finished_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (instance_id, run_id, node_name, run_index),
  FOREIGN KEY (instance_id, run_id) REFERENCES workflow_runs (instance_id, id)
);
SELECT cadenza_enable_tenant_rls('workflow_node_runs');

-- How many times each node ran in a run (the per-node row shows the last run).
ALTER TABLE workflow_run_nodes ADD COLUMN runs integer NOT NULL DEFAULT 0;

-- Saved definitions keep their key order from now on (pinned items and parameters are data).
ALTER TABLE workflow_versions ALTER COLUMN definition TYPE json USING definition::json;

-- Down Migration

ALTER TABLE workflow_versions ALTER COLUMN definition TYPE jsonb USING definition::jsonb;
ALTER TABLE workflow_run_nodes DROP COLUMN runs;
DROP TABLE workflow_node_runs;
