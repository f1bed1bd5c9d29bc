#!/bin/sh
# First start of the compose PostgreSQL: the roles `make cluster` creates on its embedded one.
# None is a superuser. `cadenza` owns Cadenza's database and may create roles (the migrations
# create cadenza_tenant and cadenza_system and grant them to cadenza_app); `cadenza_app` is what
# the API and workers log in as, owning nothing; `temporal` may create databases
# (deploy/temporal/setup-schema.sh creates temporal and temporal_visibility).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" \
  -v cadenza_password="$CADENZA_DB_PASSWORD" -v app_password="$CADENZA_APP_DB_PASSWORD" \
  -v temporal_password="$TEMPORAL_DB_PASSWORD" <<'SQL'
CREATE ROLE cadenza LOGIN CREATEROLE PASSWORD :'cadenza_password';
CREATE ROLE cadenza_app LOGIN NOINHERIT PASSWORD :'app_password';
CREATE DATABASE cadenza OWNER cadenza;
CREATE ROLE temporal LOGIN CREATEDB PASSWORD :'temporal_password';
SQL
