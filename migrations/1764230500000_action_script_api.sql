-- Up Migration

-- The script API an action is written against: Cadenza's own, or Zitadel's Actions v1 (ctx.v1, api.v1, require('zitadel/…')).
ALTER TABLE actions ADD COLUMN api text NOT NULL DEFAULT 'cadenza' CHECK (api IN ('cadenza', 'zitadel-v1'));
ALTER TABLE action_versions ADD COLUMN api text NOT NULL DEFAULT 'cadenza' CHECK (api IN ('cadenza', 'zitadel-v1'));

-- Down Migration

ALTER TABLE action_versions DROP COLUMN api;
ALTER TABLE actions DROP COLUMN api;
