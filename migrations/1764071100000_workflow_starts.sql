-- Up Migration

-- Workflow starts announced by a row written first (a flow run, a DAG run, an alert): the start
-- request is written in the row's transaction and deleted once Temporal has the workflow. The
-- dispatcher starts what is left after CADENZA_DISPATCH_AFTER_SECONDS (a process that died
-- between commit and start, or Temporal away), each deployment those of its own task queue.
-- Commands keep this in commands.dispatched_at.
CREATE TABLE workflow_starts (
  instance_id text NOT NULL REFERENCES instances (id),
  workflow_id text NOT NULL,
  task_queue  text NOT NULL,
  start       jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (instance_id, workflow_id)
);
CREATE INDEX workflow_starts_due ON workflow_starts (task_queue, created_at);
SELECT cadenza_enable_tenant_rls('workflow_starts');

-- Down Migration

DROP TABLE workflow_starts;
