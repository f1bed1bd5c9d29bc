-- Up Migration

-- HTTP targets (instance level). The signing key is stored encrypted (AES-256-GCM under the master key).
CREATE TABLE targets (
  instance_id        text NOT NULL REFERENCES instances (id),
  id                 text NOT NULL,
  name               text NOT NULL,
  type               text NOT NULL CHECK (type IN ('webhook', 'call', 'async')),
  endpoint           text NOT NULL,
  timeout_ms         integer NOT NULL CHECK (timeout_ms > 0 AND timeout_ms <= 270000),
  interrupt_on_error boolean NOT NULL,
  retry_policy       jsonb,
  signing_key_enc    text NOT NULL,
  created_at         timestamptz NOT NULL,
  created_by         text NOT NULL,
  changed_at         timestamptz NOT NULL,
  PRIMARY KEY (instance_id, id)
);
CREATE UNIQUE INDEX targets_name_unique ON targets (instance_id, name);
SELECT cadenza_enable_tenant_rls('targets');

-- Executions: a condition bound to an ordered list of targets and includes of other conditions.
CREATE TABLE executions (
  instance_id text NOT NULL REFERENCES instances (id),
  condition   text NOT NULL,
  id          text NOT NULL,
  targets     jsonb NOT NULL,
  changed_at  timestamptz NOT NULL,
  changed_by  text NOT NULL,
  PRIMARY KEY (instance_id, condition)
);
SELECT cadenza_enable_tenant_rls('executions');

-- Execution runs share the runs table with flow runs; retries link to the run they repeat.
ALTER TABLE runs ADD COLUMN execution_id text, ADD COLUMN retry_of text, ADD COLUMN retry_key text;
CREATE UNIQUE INDEX runs_retry_key ON runs (instance_id, retry_of, retry_key) WHERE retry_key IS NOT NULL;

-- One row per target call attempt of an execution run (the trace).
CREATE TABLE run_calls (
  instance_id  text NOT NULL REFERENCES instances (id),
  run_id       text NOT NULL,
  position     integer NOT NULL,
  attempt      integer NOT NULL,
  target_id    text NOT NULL,
  target_name  text NOT NULL,
  target_type  text NOT NULL,
  state        text NOT NULL CHECK (state IN ('succeeded', 'failed')),
  status_code  integer,
  started_at   timestamptz NOT NULL,
  ended_at     timestamptz NOT NULL,
  error        text,
  PRIMARY KEY (instance_id, run_id, position, attempt),
  FOREIGN KEY (instance_id, run_id) REFERENCES runs (instance_id, id)
);
SELECT cadenza_enable_tenant_rls('run_calls');

-- The event dispatcher's durable checkpoint over the events log, in commit order (tx_id, position).
CREATE TABLE event_checkpoints (
  name     text PRIMARY KEY,
  tx_id    xid8 NOT NULL,
  position bigint NOT NULL
);

-- Failure-rate alerts over runs, evaluated by one timer workflow per alert (alert:<instance>:<id>).
CREATE TABLE alerts (
  instance_id            text NOT NULL REFERENCES instances (id),
  id                     text NOT NULL,
  name                   text NOT NULL,
  scope                  text NOT NULL CHECK (scope IN ('target', 'action', 'flow')),
  scope_id               text,
  failure_rate_threshold double precision NOT NULL CHECK (failure_rate_threshold > 0 AND failure_rate_threshold <= 1),
  window_seconds         integer NOT NULL CHECK (window_seconds > 0),
  min_runs               integer NOT NULL CHECK (min_runs > 0),
  evaluate_every_seconds integer NOT NULL CHECK (evaluate_every_seconds > 0),
  notify_target_id       text NOT NULL,
  state                  text NOT NULL CHECK (state IN ('ok', 'firing')),
  last_rate              double precision,
  last_runs              integer,
  last_evaluated_at      timestamptz,
  last_fired_at          timestamptz,
  created_at             timestamptz NOT NULL,
  created_by             text NOT NULL,
  PRIMARY KEY (instance_id, id)
);
CREATE UNIQUE INDEX alerts_name_unique ON alerts (instance_id, name);
SELECT cadenza_enable_tenant_rls('alerts');

CREATE TABLE alert_firings (
  instance_id  text NOT NULL REFERENCES instances (id),
  alert_id     text NOT NULL,
  fired_at     timestamptz NOT NULL,
  failure_rate double precision NOT NULL,
  runs         integer NOT NULL,
  notify_status integer,
  notify_error text,
  PRIMARY KEY (instance_id, alert_id, fired_at)
);
SELECT cadenza_enable_tenant_rls('alert_firings');

-- Down Migration

DROP TABLE alert_firings, alerts, event_checkpoints, run_calls, executions, targets;
DROP INDEX runs_retry_key;
ALTER TABLE runs DROP COLUMN execution_id, DROP COLUMN retry_of, DROP COLUMN retry_key;
