#!/bin/sh
# First start of the compose PostgreSQL: the roles `make cluster` creates on its embedded one.
# Neither is a superuser. `cadenza` owns Cadenza's database and may create roles (the migrations
# create cadenza_tenant, the role row-level security applies to); `temporal` may create databases
# (deploy/temporal/setup-schema.sh creates temporal and temporal_visibility).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" \
  -v cadenza_password="$CADENZA_DB_PASSWORD" -v temporal_password="$TEMPORAL_DB_PASSWORD" <<'SQL'
CREATE ROLE cadenza LOGIN CREATEROLE PASSWORD :'cadenza_password';
CREATE DATABASE cadenza OWNER cadenza;
CREATE ROLE temporal LOGIN CREATEDB PASSWORD :'temporal_password';
SQL
