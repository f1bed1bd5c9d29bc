-- Up Migration

-- Script actions (org-owned, or instance-level when org_id is NULL) and their read models.
CREATE TABLE actions (
  instance_id     text NOT NULL REFERENCES instances (id),
  id              text NOT NULL,
  org_id          text,
  name            text NOT NULL,
  script          text NOT NULL,
  timeout_ms      integer NOT NULL CHECK (timeout_ms > 0),
  allowed_to_fail boolean NOT NULL,
  state           text NOT NULL CHECK (state IN ('active', 'inactive')),
  version         integer NOT NULL,
  sequence        integer NOT NULL,
  created_at      timestamptz NOT NULL,
  created_by      text NOT NULL,
  changed_at      timestamptz NOT NULL,
  changed_by      text NOT NULL,
  PRIMARY KEY (instance_id, id),
  FOREIGN KEY (instance_id, org_id) REFERENCES orgs (instance_id, id)
);
-- Names are unique per owner: per org, and once more at instance level.
CREATE UNIQUE INDEX actions_name_unique ON actions (instance_id, COALESCE(org_id, ''), name);
CREATE INDEX actions_owner_created ON actions (instance_id, org_id, created_at, id);
SELECT cadenza_enable_tenant_rls('actions');

-- Immutable versions: every create, change and rollback adds one.
CREATE TABLE action_versions (
  instance_id      text NOT NULL REFERENCES instances (id),
  action_id        text NOT NULL,
  org_id           text,
  version          integer NOT NULL CHECK (version > 0),
  name             text NOT NULL,
  script           text NOT NULL,
  script_hash      text NOT NULL,
  timeout_ms       integer NOT NULL,
  allowed_to_fail  boolean NOT NULL,
  rolled_back_from integer,
  created_at       timestamptz NOT NULL,
  created_by       text NOT NULL,
  PRIMARY KEY (instance_id, action_id, version)
);
SELECT cadenza_enable_tenant_rls('action_versions');

-- The ordered action list of each (owner, flow type, trigger type).
CREATE TABLE flow_triggers (
  instance_id  text NOT NULL REFERENCES instances (id),
  org_id       text,
  flow_type    text NOT NULL,
  trigger_type text NOT NULL,
  position     integer NOT NULL,
  action_id    text NOT NULL,
  FOREIGN KEY (instance_id, action_id) REFERENCES actions (instance_id, id)
);
CREATE UNIQUE INDEX flow_triggers_position ON flow_triggers (instance_id, COALESCE(org_id, ''), flow_type, trigger_type, position);
CREATE INDEX flow_triggers_action ON flow_triggers (instance_id, action_id);
SELECT cadenza_enable_tenant_rls('flow_triggers');

-- Flow runs and their steps (the trace).
CREATE TABLE runs (
  instance_id  text NOT NULL REFERENCES instances (id),
  id           text NOT NULL,
  org_id       text,
  kind         text NOT NULL,
  flow_type    text NOT NULL,
  trigger_type text NOT NULL,
  state        text NOT NULL CHECK (state IN ('running', 'succeeded', 'failed')),
  workflow_id  text NOT NULL,
  context_in   jsonb NOT NULL,
  context_out  jsonb,
  error        jsonb,
  started_at   timestamptz NOT NULL,
  ended_at     timestamptz,
  created_by   text NOT NULL,
  PRIMARY KEY (instance_id, id)
);
CREATE INDEX runs_instance_started ON runs (instance_id, started_at DESC, id DESC);
SELECT cadenza_enable_tenant_rls('runs');

CREATE TABLE run_steps (
  instance_id     text NOT NULL REFERENCES instances (id),
  run_id          text NOT NULL,
  position        integer NOT NULL,
  action_id       text NOT NULL,
  action_name     text NOT NULL,
  action_version  integer NOT NULL,
  owner           text NOT NULL CHECK (owner IN ('instance', 'org')),
  allowed_to_fail boolean NOT NULL,
  state           text NOT NULL CHECK (state IN ('succeeded', 'failed')),
  started_at      timestamptz NOT NULL,
  ended_at        timestamptz NOT NULL,
  error           jsonb,
  logs            jsonb NOT NULL DEFAULT '[]'::jsonb,
  logs_truncated  boolean NOT NULL DEFAULT false,
  PRIMARY KEY (instance_id, run_id, position),
  FOREIGN KEY (instance_id, run_id) REFERENCES runs (instance_id, id)
);
SELECT cadenza_enable_tenant_rls('run_steps');

-- Script log lines (api.log), tagged with run, action and version.
CREATE TABLE logstore.execution_logs (
  id             bigserial PRIMARY KEY,
  instance_id    text NOT NULL,
  org_id         text,
  run_id         text NOT NULL,
  action_id      text NOT NULL,
  action_version integer NOT NULL,
  level          text NOT NULL,
  message        text NOT NULL,
  logged_at      timestamptz NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX logstore_execution_logs_run ON logstore.execution_logs (instance_id, run_id, id);
SELECT cadenza_enable_tenant_rls('logstore.execution_logs');

-- Action-seconds used, one row per action step; summed per instance and month for the quota.
CREATE TABLE logstore.quota_logs (
  id          bigserial PRIMARY KEY,
  instance_id text NOT NULL,
  org_id      text,
  unit        text NOT NULL DEFAULT 'action_seconds',
  amount      double precision NOT NULL,
  run_id      text NOT NULL,
  action_id   text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX logstore_quota_logs_instance_time ON logstore.quota_logs (instance_id, unit, created_at);
SELECT cadenza_enable_tenant_rls('logstore.quota_logs');

-- Down Migration

DROP TABLE logstore.quota_logs, logstore.execution_logs, run_steps, runs, flow_triggers, action_versions, actions;
