-- Up Migration

-- Wakes the event dispatcher when events that an execution may want commit, instead of at its
-- next poll. NOTIFY is delivered at commit, once per transaction for the same channel and
-- payload (here the instance id), and never for a transaction that rolls back. Only instances
-- with event executions notify: a NOTIFY serializes commits on PostgreSQL's notification queue,
-- which commands in an instance without event executions need not pay for. The poll stays as
-- the fallback.
CREATE FUNCTION events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  instance text;
BEGIN
  FOR instance IN
    SELECT DISTINCT n.instance_id FROM new_events n
     WHERE n.aggregate_type <> 'run'
       AND EXISTS (SELECT 1 FROM executions x WHERE x.instance_id = n.instance_id AND x.condition LIKE 'event%')
  LOOP
    PERFORM pg_notify('cadenza_events', instance);
  END LOOP;
  RETURN NULL;
END $$;
CREATE TRIGGER events_notify AFTER INSERT ON events REFERENCING NEW TABLE AS new_events
  FOR EACH STATEMENT EXECUTE FUNCTION events_notify();

-- Down Migration

DROP TRIGGER events_notify ON events;
DROP FUNCTION events_notify();
