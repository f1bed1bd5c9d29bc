-- Up Migration

-- Active workflows start runs by themselves: one row per Webhook node (its method and path, unique
-- in the instance, since the URL names only the instance) and per Schedule Trigger node (the id
-- of its Temporal Schedule). Deactivating or deleting the workflow removes its rows.
ALTER TABLE workflow_definitions ADD COLUMN active boolean NOT NULL DEFAULT false;

CREATE TABLE workflow_triggers (
  instance_id  text NOT NULL REFERENCES instances (id),
  org_id       text,
  workflow_id  text NOT NULL,
  node_name    text NOT NULL,
  kind         text NOT NULL CHECK (kind IN ('webhook', 'schedule')),
  method       text,
  path         text,
  schedule_id  text,
  PRIMARY KEY (instance_id, workflow_id, node_name),
  FOREIGN KEY (instance_id, workflow_id) REFERENCES workflow_definitions (instance_id, id)
);
CREATE UNIQUE INDEX workflow_triggers_webhook ON workflow_triggers (instance_id, method, path) WHERE kind = 'webhook';
SELECT cadenza_enable_tenant_rls('workflow_triggers');

-- Down Migration

DROP TABLE workflow_triggers;
ALTER TABLE workflow_definitions DROP COLUMN active;
