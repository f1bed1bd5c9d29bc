-- Up Migration

-- Database roles (src/db/roles.ts). The tables' owner only migrates; the API and workers
-- connect as a role that owns nothing and reach rows only inside `transaction(db, scope)`, as
-- cadenza_tenant (row-level security to one instance) or as cadenza_system: the one named path
-- that reads across instances (key lookup, dispatchers, request log, bootstrap, key rotation).
-- FORCE ROW LEVEL SECURITY holds the owner to the policies too.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cadenza_system') THEN
    CREATE ROLE cadenza_system NOLOGIN NOSUPERUSER NOBYPASSRLS;
  END IF;
  -- The owner's own data migrations see every row through it.
  BEGIN
    EXECUTE format('GRANT cadenza_system TO %I', current_user);
  EXCEPTION WHEN insufficient_privilege OR invalid_grant_operation THEN
    RAISE NOTICE 'could not grant cadenza_system to %; grant it by hand', current_user;
  END;
END $$;

-- Tables created from now on get both policies and FORCE.
CREATE OR REPLACE FUNCTION cadenza_enable_tenant_rls(tbl regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', tbl);
  EXECUTE format(
    'CREATE POLICY tenant_isolation ON %s USING (instance_id = current_setting(''cadenza.instance_id'', true))',
    tbl);
  EXECUTE format('CREATE POLICY system_access ON %s TO cadenza_system USING (true) WITH CHECK (true)', tbl);
END $$;

DO $$
DECLARE
  tbl regclass;
BEGIN
  FOR tbl IN SELECT DISTINCT format('%I.%I', schemaname, tablename)::regclass FROM pg_policies WHERE policyname = 'tenant_isolation'
  LOOP
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
    EXECUTE format('CREATE POLICY system_access ON %s TO cadenza_system USING (true) WITH CHECK (true)', tbl);
  END LOOP;
END $$;

-- The event dispatcher's checkpoints belong to no tenant: only the system path sees them.
ALTER TABLE event_checkpoints ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY system_access ON event_checkpoints TO cadenza_system USING (true) WITH CHECK (true);
REVOKE ALL ON event_checkpoints FROM cadenza_tenant;

GRANT USAGE ON SCHEMA public, logstore TO cadenza_system;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public, logstore TO cadenza_system;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public, logstore TO cadenza_system;
ALTER DEFAULT PRIVILEGES IN SCHEMA public, logstore GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO cadenza_system;
ALTER DEFAULT PRIVILEGES IN SCHEMA public, logstore GRANT USAGE, SELECT ON SEQUENCES TO cadenza_system;
REVOKE UPDATE, DELETE ON events FROM cadenza_system;
-- /readyz reads which migrations ran.
REVOKE ALL ON pgmigrations FROM cadenza_system;
GRANT SELECT ON pgmigrations TO cadenza_system;

-- Down Migration

DO $$
DECLARE
  tbl regclass;
BEGIN
  FOR tbl IN SELECT DISTINCT format('%I.%I', schemaname, tablename)::regclass FROM pg_policies WHERE policyname = 'system_access'
  LOOP
    EXECUTE format('DROP POLICY system_access ON %s', tbl);
    EXECUTE format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY', tbl);
  END LOOP;
END $$;
ALTER TABLE event_checkpoints DISABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON event_checkpoints TO cadenza_tenant;
ALTER DEFAULT PRIVILEGES IN SCHEMA public, logstore REVOKE ALL ON TABLES FROM cadenza_system;
ALTER DEFAULT PRIVILEGES IN SCHEMA public, logstore REVOKE ALL ON SEQUENCES FROM cadenza_system;
REVOKE ALL ON ALL TABLES IN SCHEMA public, logstore FROM cadenza_system;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public, logstore FROM cadenza_system;
REVOKE ALL ON SCHEMA public, logstore FROM cadenza_system;
CREATE OR REPLACE FUNCTION cadenza_enable_tenant_rls(tbl regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE format(
    'CREATE POLICY tenant_isolation ON %s USING (instance_id = current_setting(''cadenza.instance_id'', true))',
    tbl);
END $$;
