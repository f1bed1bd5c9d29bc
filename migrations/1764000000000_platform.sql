-- Up Migration

-- Tenant statements run as this role (see src/db/db.ts); row-level security applies to it.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cadenza_tenant') THEN
    CREATE ROLE cadenza_tenant NOLOGIN NOSUPERUSER NOBYPASSRLS;
  END IF;
  BEGIN
    EXECUTE format('GRANT cadenza_tenant TO %I', current_user);
  EXCEPTION WHEN insufficient_privilege OR invalid_grant_operation THEN
    RAISE NOTICE 'could not grant cadenza_tenant to %; grant it by hand', current_user;
  END;
END $$;

-- Enables row-level security on a tenant table: rows are visible only inside a transaction
-- whose cadenza.instance_id setting names their instance.
CREATE FUNCTION cadenza_enable_tenant_rls(tbl regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE format(
    'CREATE POLICY tenant_isolation ON %s USING (instance_id = current_setting(''cadenza.instance_id'', true))',
    tbl);
END $$;

CREATE TABLE instances (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE instances ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON instances USING (id = current_setting('cadenza.instance_id', true));

CREATE TABLE orgs (
  instance_id text NOT NULL REFERENCES instances (id),
  id          text NOT NULL,
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  created_by  text NOT NULL,
  PRIMARY KEY (instance_id, id)
);
CREATE UNIQUE INDEX orgs_name_unique ON orgs (instance_id, lower(name));
SELECT cadenza_enable_tenant_rls('orgs');

CREATE TABLE api_keys (
  instance_id text NOT NULL REFERENCES instances (id),
  id          text NOT NULL,
  org_id      text,
  name        text NOT NULL,
  role        text NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
  key_hash    text NOT NULL UNIQUE,
  prefix      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  created_by  text NOT NULL,
  revoked_at  timestamptz,
  revoked_by  text,
  PRIMARY KEY (instance_id, id),
  FOREIGN KEY (instance_id, org_id) REFERENCES orgs (instance_id, id)
);
CREATE UNIQUE INDEX api_keys_active_name_unique ON api_keys (instance_id, lower(name)) WHERE revoked_at IS NULL;
SELECT cadenza_enable_tenant_rls('api_keys');

-- The append-only event log: audit trail and outbox.
-- (instance, aggregate, sequence) is unique for optimistic concurrency; event_id is derived from
-- the event's cause so a retried activity re-appending it is a no-op. tx_id lets the dispatcher
-- read in commit order without skipping rows of transactions still in flight.
CREATE TABLE events (
  position        bigserial PRIMARY KEY,
  tx_id           xid8 NOT NULL DEFAULT pg_current_xact_id(),
  instance_id     text NOT NULL REFERENCES instances (id),
  org_id          text,
  aggregate_type  text NOT NULL,
  aggregate_id    text NOT NULL,
  sequence        integer NOT NULL CHECK (sequence > 0),
  type            text NOT NULL,
  payload         jsonb NOT NULL DEFAULT '{}'::jsonb,
  creator         text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  event_id        text NOT NULL,
  CONSTRAINT events_aggregate_sequence_unique UNIQUE (instance_id, aggregate_type, aggregate_id, sequence),
  CONSTRAINT events_event_id_unique UNIQUE (instance_id, event_id)
);
CREATE INDEX events_commit_order ON events (tx_id, position);
CREATE INDEX events_type ON events (instance_id, type, position);
SELECT cadenza_enable_tenant_rls('events');

CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'events is append-only';
END $$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION events_append_only();

CREATE SCHEMA logstore;

-- One row per API request; written in batches after the response.
CREATE TABLE logstore.requests (
  id              bigserial PRIMARY KEY,
  instance_id     text,
  org_id          text,
  key_id          text,
  request_id      text NOT NULL,
  correlation_id  text,
  method          text NOT NULL,
  route           text,
  path            text NOT NULL,
  status          integer NOT NULL,
  duration_ms     double precision NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX logstore_requests_instance_time ON logstore.requests (instance_id, created_at DESC);
SELECT cadenza_enable_tenant_rls('logstore.requests');

GRANT USAGE ON SCHEMA public, logstore TO cadenza_tenant;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public, logstore TO cadenza_tenant;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public, logstore TO cadenza_tenant;
ALTER DEFAULT PRIVILEGES IN SCHEMA public, logstore GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO cadenza_tenant;
ALTER DEFAULT PRIVILEGES IN SCHEMA public, logstore GRANT USAGE, SELECT ON SEQUENCES TO cadenza_tenant;
REVOKE UPDATE, DELETE ON events FROM cadenza_tenant;
REVOKE ALL ON pgmigrations FROM cadenza_tenant;

-- Down Migration

DROP SCHEMA logstore CASCADE;
DROP TABLE events, api_keys, orgs, instances;
DROP FUNCTION events_append_only();
DROP FUNCTION cadenza_enable_tenant_rls(regclass);
