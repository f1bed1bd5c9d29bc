-- Up Migration

-- How long an instance keeps finished commands (COMPLETED, FAILED, CANCELED) and their events.
-- Commands in the troubleshooting queue or still running are kept whatever their age.
ALTER TABLE instances ADD COLUMN command_retention_days integer NOT NULL DEFAULT 90 CHECK (command_retention_days BETWEEN 1 AND 36500);

-- The event log stays append-only, except for removing a whole instance and for expiring the
-- events of finished commands, each through its one SECURITY DEFINER function.
CREATE OR REPLACE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND OLD.instance_id = current_setting('cadenza.removing_instance', true) THEN
    RETURN OLD;
  END IF;
  IF TG_OP = 'DELETE' AND OLD.aggregate_type = 'command' AND OLD.instance_id = current_setting('cadenza.expiring_commands', true) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'events is append-only';
END $$;

-- Deletes up to `batch` of an instance's commands that finished over `keep_days` days ago, with
-- their events. A command with an event that the event dispatcher (its checkpoint `checkpoint`)
-- has not passed yet, an outbox row still to deliver, is kept for a later run, so retention never
-- drops a delivery. Without a checkpoint the dispatcher never ran, and its first run starts at the
-- head of the log: no older event waits for it. The candidates come from commands_status_created,
-- so no index is added to the hot path. Returns the commands and events deleted.
CREATE FUNCTION cadenza_expire_commands(inst text, keep_days integer, batch integer, checkpoint text, OUT commands bigint, OUT events bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  cutoff timestamptz := now() - make_interval(days => keep_days);
  floor_tx xid8;
  floor_position bigint;
BEGIN
  PERFORM set_config('cadenza.instance_id', inst, true), set_config('cadenza.expiring_commands', inst, true);
  SELECT tx_id, position INTO floor_tx, floor_position FROM event_checkpoints WHERE name = checkpoint;
  WITH candidates AS (
    SELECT c.domain, c.command_id, a.aggregate_id
      FROM commands c
     CROSS JOIN LATERAL (SELECT CASE WHEN c.org_id IS NULL THEN c.domain || '/' || c.command_id
                                     ELSE c.org_id || '/' || c.domain || '/' || c.command_id END AS aggregate_id) a
     WHERE c.instance_id = inst AND c.status IN ('COMPLETED', 'FAILED', 'CANCELED')
       AND c.created_at < cutoff AND c.updated_at < cutoff
       AND NOT EXISTS (SELECT 1 FROM events e
                        WHERE e.instance_id = inst AND e.aggregate_type = 'command' AND e.aggregate_id = a.aggregate_id
                          AND floor_tx IS NOT NULL AND (e.tx_id, e.position) > (floor_tx, floor_position))
     LIMIT batch
  ), expired AS (
    DELETE FROM commands c USING candidates x
     WHERE c.instance_id = inst AND c.domain = x.domain AND c.command_id = x.command_id
    RETURNING x.aggregate_id
  ), gone AS (
    DELETE FROM events e USING expired x
     WHERE e.instance_id = inst AND e.aggregate_type = 'command' AND e.aggregate_id = x.aggregate_id
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM expired), (SELECT count(*) FROM gone) INTO commands, events;
END $$;
REVOKE ALL ON FUNCTION cadenza_expire_commands(text, integer, integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cadenza_expire_commands(text, integer, integer, text) TO cadenza_system;

-- Down Migration

DROP FUNCTION cadenza_expire_commands(text, integer, integer, text);
CREATE OR REPLACE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND OLD.instance_id = current_setting('cadenza.removing_instance', true) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'events is append-only';
END $$;
ALTER TABLE instances DROP COLUMN command_retention_days;
