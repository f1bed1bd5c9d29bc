-- Up Migration

-- Milestones (src/eventstore/milestones.ts): the first time an instance, and each of its orgs,
-- reached a step of first use. org_key is '' for the instance's own row. A row is written once,
-- by the projection of the event that reached it, together with its milestone.reached event;
-- pushed_at is set when a target call delivering that event succeeded.
CREATE TABLE milestones (
  instance_id     text NOT NULL REFERENCES instances (id),
  org_id          text,
  org_key         text GENERATED ALWAYS AS (COALESCE(org_id, '')) STORED,
  milestone       text NOT NULL,
  reached_at      timestamptz NOT NULL,
  -- The event that reached it, and the milestone.reached event it appended.
  cause_event_id  text NOT NULL,
  cause_type      text NOT NULL,
  event_id        text NOT NULL,
  pushed_at       timestamptz,
  PRIMARY KEY (instance_id, org_key, milestone)
);
CREATE UNIQUE INDEX milestones_event ON milestones (instance_id, event_id);
SELECT cadenza_enable_tenant_rls('milestones');

-- Down Migration

DROP TABLE milestones;
