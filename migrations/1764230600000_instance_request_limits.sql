-- Up Migration

-- Per-instance request limits (NULL: none of its own): a command payload limit under the
-- installation's, and an API request rate (a token bucket: requests per second, burst).
ALTER TABLE instances
  ADD COLUMN command_payload_bytes integer CHECK (command_payload_bytes > 0),
  ADD COLUMN rate_limit_per_second double precision CHECK (rate_limit_per_second > 0),
  ADD COLUMN rate_limit_burst integer CHECK (rate_limit_burst >= 1),
  ADD CONSTRAINT instances_rate_limit_whole CHECK ((rate_limit_per_second IS NULL) = (rate_limit_burst IS NULL));

-- The token bucket of each rate-limited instance, shared by every API process.
CREATE TABLE instance_rate_buckets (
  instance_id text PRIMARY KEY,
  tokens      double precision NOT NULL,
  refilled_at timestamptz NOT NULL
);
SELECT cadenza_enable_tenant_rls('instance_rate_buckets');

-- Down Migration

DROP TABLE instance_rate_buckets;
ALTER TABLE instances DROP CONSTRAINT instances_rate_limit_whole, DROP COLUMN command_payload_bytes, DROP COLUMN rate_limit_per_second, DROP COLUMN rate_limit_burst;
