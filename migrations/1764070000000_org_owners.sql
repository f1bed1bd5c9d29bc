-- Up Migration

-- Org walls. Targets, executions, alerts, command-domain policies and reply signing keys belong
-- to one org or to the instance itself (org_id NULL), like actions. Command and batch ids are
-- unique per org, so one org can neither take nor probe another's ids. org_key is org_id with
-- '' for the instance, so it can sit in primary keys and unique indexes.

ALTER TABLE commands ADD COLUMN org_key text GENERATED ALWAYS AS (COALESCE(org_id, '')) STORED;
ALTER TABLE commands DROP CONSTRAINT commands_pkey, ADD PRIMARY KEY (instance_id, org_key, domain, command_id);

ALTER TABLE batches ADD COLUMN org_key text GENERATED ALWAYS AS (COALESCE(org_id, '')) STORED;
ALTER TABLE batches DROP CONSTRAINT batches_pkey, ADD PRIMARY KEY (instance_id, org_key, batch_id);

ALTER TABLE command_domains
  ADD COLUMN org_id text,
  ADD COLUMN org_key text GENERATED ALWAYS AS (COALESCE(org_id, '')) STORED,
  ADD FOREIGN KEY (instance_id, org_id) REFERENCES orgs (instance_id, id);
ALTER TABLE command_domains DROP CONSTRAINT command_domains_pkey, ADD PRIMARY KEY (instance_id, org_key, domain);

ALTER TABLE targets
  ADD COLUMN org_id text,
  ADD COLUMN org_key text GENERATED ALWAYS AS (COALESCE(org_id, '')) STORED,
  ADD FOREIGN KEY (instance_id, org_id) REFERENCES orgs (instance_id, id);
DROP INDEX targets_name_unique;
CREATE UNIQUE INDEX targets_name_unique ON targets (instance_id, org_key, name);

ALTER TABLE executions
  ADD COLUMN org_id text,
  ADD COLUMN org_key text GENERATED ALWAYS AS (COALESCE(org_id, '')) STORED,
  ADD FOREIGN KEY (instance_id, org_id) REFERENCES orgs (instance_id, id);
ALTER TABLE executions DROP CONSTRAINT executions_pkey, ADD PRIMARY KEY (instance_id, org_key, condition);
CREATE UNIQUE INDEX executions_id_unique ON executions (instance_id, id);

ALTER TABLE alerts
  ADD COLUMN org_id text,
  ADD COLUMN org_key text GENERATED ALWAYS AS (COALESCE(org_id, '')) STORED,
  ADD FOREIGN KEY (instance_id, org_id) REFERENCES orgs (instance_id, id);
DROP INDEX alerts_name_unique;
CREATE UNIQUE INDEX alerts_name_unique ON alerts (instance_id, org_key, name);

-- The keys that sign HTTP replies, one per owner, stored encrypted like target keys. The
-- instance's key is the one earlier versions derived from the master key, kept on first use,
-- so receivers keep verifying; an org's key is new and random.
CREATE TABLE reply_keys (
  instance_id  text NOT NULL REFERENCES instances (id),
  org_id       text,
  org_key      text GENERATED ALWAYS AS (COALESCE(org_id, '')) STORED,
  key_enc      text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (instance_id, org_key),
  FOREIGN KEY (instance_id, org_id) REFERENCES orgs (instance_id, id)
);
SELECT cadenza_enable_tenant_rls('reply_keys');

-- Down Migration

DROP TABLE reply_keys;
DROP INDEX alerts_name_unique;
ALTER TABLE alerts DROP COLUMN org_key, DROP COLUMN org_id;
CREATE UNIQUE INDEX alerts_name_unique ON alerts (instance_id, name);
DROP INDEX executions_id_unique;
ALTER TABLE executions DROP CONSTRAINT executions_pkey;
ALTER TABLE executions DROP COLUMN org_key, DROP COLUMN org_id, ADD PRIMARY KEY (instance_id, condition);
DROP INDEX targets_name_unique;
ALTER TABLE targets DROP COLUMN org_key, DROP COLUMN org_id;
CREATE UNIQUE INDEX targets_name_unique ON targets (instance_id, name);
ALTER TABLE command_domains DROP CONSTRAINT command_domains_pkey;
ALTER TABLE command_domains DROP COLUMN org_key, DROP COLUMN org_id, ADD PRIMARY KEY (instance_id, domain);
ALTER TABLE batches DROP CONSTRAINT batches_pkey;
ALTER TABLE batches DROP COLUMN org_key, ADD PRIMARY KEY (instance_id, batch_id);
ALTER TABLE commands DROP CONSTRAINT commands_pkey;
ALTER TABLE commands DROP COLUMN org_key, ADD PRIMARY KEY (instance_id, domain, command_id);
