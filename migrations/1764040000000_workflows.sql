-- Up Migration

-- Workflow definitions (n8n-format DAGs): one row per workflow, pointing at its latest version.
CREATE TABLE workflow_definitions (
  instance_id     text NOT NULL REFERENCES instances (id),
  org_id          text,
  id              text NOT NULL,
  name            text NOT NULL,
  latest_version  integer NOT NULL,
  latest_label    text,
  created_at      timestamptz NOT NULL,
  created_by      text NOT NULL,
  updated_at      timestamptz NOT NULL,
  deleted_at      timestamptz,
  deleted_by      text,
  PRIMARY KEY (instance_id, id)
);
CREATE INDEX workflow_definitions_list ON workflow_definitions (instance_id, created_at, id);
SELECT cadenza_enable_tenant_rls('workflow_definitions');

-- Immutable versions: a run is pinned to one of these.
CREATE TABLE workflow_versions (
  instance_id  text NOT NULL,
  workflow_id  text NOT NULL,
  version      integer NOT NULL CHECK (version > 0),
  label        text,
  definition   jsonb NOT NULL,
  created_at   timestamptz NOT NULL,
  created_by   text NOT NULL,
  PRIMARY KEY (instance_id, workflow_id, version),
  FOREIGN KEY (instance_id, workflow_id) REFERENCES workflow_definitions (instance_id, id)
);
SELECT cadenza_enable_tenant_rls('workflow_versions');

CREATE TABLE workflow_runs (
  instance_id   text NOT NULL REFERENCES instances (id),
  org_id        text,
  id            text NOT NULL,
  workflow_id   text NOT NULL,
  version       integer NOT NULL,
  status        text NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'cancelled', 'timed_out')),
  input         jsonb NOT NULL DEFAULT '{}'::jsonb,
  error         jsonb,
  retry_of      text,
  parent_run_id text,
  temporal_workflow_id text NOT NULL,
  created_by    text NOT NULL,
  started_at    timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz,
  PRIMARY KEY (instance_id, id),
  FOREIGN KEY (instance_id, workflow_id, version) REFERENCES workflow_versions (instance_id, workflow_id, version)
);
CREATE INDEX workflow_runs_by_workflow ON workflow_runs (instance_id, workflow_id, started_at DESC, id DESC);
SELECT cadenza_enable_tenant_rls('workflow_runs');

-- Per-node state of a run. `output` is kept whole (up to the node output limit) so a rerun can
-- reuse it; the API shows truncated previews. reused_from_run records where a reused output came from.
CREATE TABLE workflow_run_nodes (
  instance_id     text NOT NULL,
  run_id          text NOT NULL,
  node_name       text NOT NULL,
  status          text NOT NULL CHECK (status IN ('running', 'retrying', 'waiting', 'completed', 'failed', 'skipped')),
  attempts        integer NOT NULL DEFAULT 0,
  input_preview   jsonb,
  output          jsonb,
  error           jsonb,
  handled_by      text,
  reused_from_run text,
  started_at      timestamptz,
  finished_at     timestamptz,
  PRIMARY KEY (instance_id, run_id, node_name),
  FOREIGN KEY (instance_id, run_id) REFERENCES workflow_runs (instance_id, id)
);
SELECT cadenza_enable_tenant_rls('workflow_run_nodes');

-- Down Migration

DROP TABLE workflow_run_nodes, workflow_runs, workflow_versions, workflow_definitions;
