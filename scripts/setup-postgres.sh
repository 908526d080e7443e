#!/usr/bin/env bash
# PostgreSQL for the second run of the server suite (the same server code on the PostgreSQL dialect).
# Debian's postgresql package, its default cluster started, and a login role the tests use to make a fresh
# database per test server. Idempotent.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  $SUDO apt-get install -y postgresql || { $SUDO apt-get update && $SUDO apt-get install -y postgresql; }
fi
ver=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | grep -q .; then $SUDO pg_createcluster "$ver" main; fi
cluster=$(pg_lsclusters -h | head -1 | awk '{print $1" "$2}')
if ! pg_lsclusters -h | head -1 | grep -q online; then $SUDO pg_ctlcluster $cluster start; fi
for i in $(seq 1 30); do
  if $SUDO -u postgres psql -qAtc 'select 1' >/dev/null 2>&1 || su postgres -c "psql -qAtc 'select 1'" >/dev/null 2>&1; then break; fi
  sleep 1
done
psql_admin() { if [ -n "$SUDO" ]; then sudo -u postgres psql -qAtc "$1"; else su postgres -c "psql -qAtc \"$1\""; fi; }
if [ "$(psql_admin "select 1 from pg_roles where rolname='fleet'")" != "1" ]; then
  psql_admin "CREATE ROLE fleet LOGIN PASSWORD 'fleet' CREATEDB"
fi
echo "PostgreSQL ready: postgres://fleet:fleet@127.0.0.1/postgres"
