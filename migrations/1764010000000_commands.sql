-- Up Migration

-- The read model of commands. Each row is written with its command.* event (see
-- src/commands/projection.ts); the command workflow is the only writer after SENT.
CREATE TABLE commands (
  instance_id     text NOT NULL REFERENCES instances (id),
  org_id          text,
  domain          text NOT NULL,
  command_id      text NOT NULL,
  type            text NOT NULL,
  status          text NOT NULL CHECK (status IN ('PENDING', 'IN_PROGRESS', 'RETRY_WAIT', 'COMPLETED', 'FAILED',
                                                  'CANCELED', 'IN_TROUBLESHOOTING_QUEUE')),
  correlation_id  text NOT NULL,
  reply_to        text,
  batch_id        text,
  payload         jsonb NOT NULL,
  request_hash    text NOT NULL,
  -- the resolved retry policy, so the dispatcher can restart a workflow exactly as sent
  policy          jsonb NOT NULL,
  attempts        integer NOT NULL DEFAULT 0,
  total_attempts  integer NOT NULL DEFAULT 0,
  max_attempts    integer NOT NULL,
  last_error      jsonb,
  tsq_reason      text,
  result          jsonb,
  next_attempt_at timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  dispatched_at   timestamptz,
  PRIMARY KEY (instance_id, domain, command_id)
);
CREATE INDEX commands_created ON commands (instance_id, created_at DESC, domain, command_id);
CREATE INDEX commands_status_created ON commands (instance_id, status, created_at DESC, domain, command_id);
CREATE INDEX commands_domain_created ON commands (instance_id, domain, created_at DESC, command_id);
CREATE INDEX commands_correlation ON commands (instance_id, correlation_id);
CREATE INDEX commands_batch ON commands (instance_id, batch_id) WHERE batch_id IS NOT NULL;
-- the troubleshooting queue, newest first
CREATE INDEX commands_tsq ON commands (instance_id, updated_at DESC, domain, command_id)
  WHERE status = 'IN_TROUBLESHOOTING_QUEUE';
-- the dispatcher's safety net: commands whose workflow never recorded a transition
CREATE INDEX commands_undispatched ON commands (created_at) WHERE dispatched_at IS NULL;
SELECT cadenza_enable_tenant_rls('commands');

-- Retry policy per domain; a command's own fields override it.
CREATE TABLE command_domains (
  instance_id  text NOT NULL REFERENCES instances (id),
  domain       text NOT NULL,
  policy       jsonb NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  updated_by   text NOT NULL,
  PRIMARY KEY (instance_id, domain)
);
SELECT cadenza_enable_tenant_rls('command_domains');

-- Batch counters are updated in the transaction of each terminal transition, under the
-- batch row's lock, so completion is decided exactly once and survives restarts.
CREATE TABLE batches (
  instance_id      text NOT NULL REFERENCES instances (id),
  org_id           text,
  batch_id         text NOT NULL,
  status           text NOT NULL CHECK (status IN ('IN_PROGRESS', 'COMPLETED', 'COMPLETED_WITH_FAILURES')),
  total            integer NOT NULL,
  completed_count  integer NOT NULL DEFAULT 0,
  failed_count     integer NOT NULL DEFAULT 0,
  canceled_count   integer NOT NULL DEFAULT 0,
  reply_to         text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  completed_at     timestamptz,
  PRIMARY KEY (instance_id, batch_id)
);
SELECT cadenza_enable_tenant_rls('batches');

-- Down Migration

DROP TABLE batches, command_domains, commands;
