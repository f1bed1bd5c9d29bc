-- Up Migration

-- Reading the logstore: each log is paged newest first by id within an instance, and the
-- retention schedule deletes by age within an instance.
CREATE INDEX logstore_requests_instance_id ON logstore.requests (instance_id, id);
CREATE INDEX logstore_execution_logs_instance_id ON logstore.execution_logs (instance_id, id);
CREATE INDEX logstore_execution_logs_instance_time ON logstore.execution_logs (instance_id, created_at);
CREATE INDEX logstore_quota_logs_instance_id ON logstore.quota_logs (instance_id, id);
CREATE INDEX logstore_quota_logs_time ON logstore.quota_logs (instance_id, created_at);

-- Quota refusals are logged too (allowed = false, nothing used, no run).
ALTER TABLE logstore.quota_logs
  ADD COLUMN allowed boolean NOT NULL DEFAULT true,
  ADD COLUMN reason text,
  ALTER COLUMN run_id DROP NOT NULL,
  ALTER COLUMN action_id DROP NOT NULL;

-- How long an instance's logs are kept.
ALTER TABLE instances ADD COLUMN log_retention_days integer NOT NULL DEFAULT 30 CHECK (log_retention_days BETWEEN 1 AND 3650);

-- Down Migration

ALTER TABLE instances DROP COLUMN log_retention_days;
DELETE FROM logstore.quota_logs WHERE run_id IS NULL OR action_id IS NULL;
ALTER TABLE logstore.quota_logs DROP COLUMN allowed, DROP COLUMN reason, ALTER COLUMN run_id SET NOT NULL, ALTER COLUMN action_id SET NOT NULL;
DROP INDEX logstore.logstore_quota_logs_time, logstore.logstore_quota_logs_instance_id, logstore.logstore_execution_logs_instance_time,
  logstore.logstore_execution_logs_instance_id, logstore.logstore_requests_instance_id;
