#!/bin/sh
# Creates Temporal's two databases on PostgreSQL and applies the schemas that temporal-sql-tool
# carries. Every step is idempotent. Run by `make cluster`, the cluster tests and deploy/compose.yaml.
# Reads temporal-sql-tool's own variables: SQL_HOST, SQL_PORT, SQL_USER, SQL_PASSWORD.
set -eu
tool="${TEMPORAL_SQL_TOOL:-temporal-sql-tool}"
for pair in temporal:temporal temporal_visibility:visibility; do
  database="${pair%%:*}"
  schema="postgresql/v12/${pair##*:}"
  "$tool" --plugin postgres12 --db "$database" create-database
  "$tool" --plugin postgres12 --db "$database" setup-schema -v 0.0
  "$tool" --plugin postgres12 --db "$database" update-schema --schema-name "$schema"
done
