-- Up Migration

-- Credentials that workflow nodes name in their `credentials` block (n8n's generic HTTP auth
-- types). The secret fields are stored only encrypted under the master key (data_enc), bound to
-- the row ("credential:<instance>:<id>"); the API never returns them. Names are unique per owner.
CREATE TABLE credentials (
  instance_id  text NOT NULL REFERENCES instances (id),
  org_id       text,
  org_key      text GENERATED ALWAYS AS (COALESCE(org_id, '')) STORED,
  id           text NOT NULL,
  name         text NOT NULL,
  type         text NOT NULL CHECK (type IN ('httpHeaderAuth', 'httpBasicAuth', 'httpBearerAuth', 'httpQueryAuth')),
  data_enc     text NOT NULL,
  created_at   timestamptz NOT NULL,
  created_by   text NOT NULL,
  changed_at   timestamptz NOT NULL,
  PRIMARY KEY (instance_id, id),
  CONSTRAINT credentials_name_unique UNIQUE (instance_id, org_key, name)
);
CREATE INDEX credentials_list ON credentials (instance_id, created_at, id);
SELECT cadenza_enable_tenant_rls('credentials');

-- Down Migration

DROP TABLE credentials;
