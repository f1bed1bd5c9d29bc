-- Up Migration

-- The system scope above instances: its keys provision instances and never act in one.
CREATE TABLE system_keys (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  key_hash    text NOT NULL UNIQUE,
  prefix      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  created_by  text NOT NULL,
  revoked_at  timestamptz
);
REVOKE ALL ON system_keys FROM cadenza_tenant;

-- Per-instance limits (NULL: the installation's default), and the mark of an instance being removed.
ALTER TABLE instances
  ADD COLUMN action_quota_seconds integer CHECK (action_quota_seconds >= 0),
  ADD COLUMN removing_at timestamptz;

-- The event log stays append-only, except for removing a whole instance (its data goes with it).
CREATE OR REPLACE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND OLD.instance_id = current_setting('cadenza.removing_instance', true) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'events is append-only';
END $$;

-- Down Migration

CREATE OR REPLACE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'events is append-only';
END $$;
ALTER TABLE instances DROP COLUMN action_quota_seconds, DROP COLUMN removing_at;
DROP TABLE system_keys;
