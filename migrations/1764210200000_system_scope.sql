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
ALTER TABLE system_keys ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY system_access ON system_keys TO cadenza_system USING (true) WITH CHECK (true);

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

-- No role may delete events; removing an instance deletes its own through this one function.
CREATE FUNCTION cadenza_remove_instance_events(removed text) RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  n bigint;
BEGIN
  PERFORM set_config('cadenza.instance_id', removed, true), set_config('cadenza.removing_instance', removed, true);
  DELETE FROM events WHERE instance_id = removed;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;
REVOKE ALL ON FUNCTION cadenza_remove_instance_events(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cadenza_remove_instance_events(text) TO cadenza_system;

-- Down Migration

DROP FUNCTION cadenza_remove_instance_events(text);

CREATE OR REPLACE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'events is append-only';
END $$;
ALTER TABLE instances DROP COLUMN action_quota_seconds, DROP COLUMN removing_at;
DROP TABLE system_keys;
