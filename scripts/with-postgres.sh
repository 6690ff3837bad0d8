#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster: initdb under a temp dir, started as
# the `postgres` user on 127.0.0.1 and a free port, DATABASE_URL exported, removed afterwards.
#   scripts/with-postgres.sh pytest
set -euo pipefail

find_pg_bin() {
  if command -v initdb >/dev/null; then dirname "$(command -v initdb)"; return; fi
  local dir
  for dir in /usr/local/bin /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && { echo "$dir"; return; }
  done
  echo "PostgreSQL server binaries not found; installing Debian's postgresql" >&2
  local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
  ls -d /usr/lib/postgresql/*/bin | tail -1
}

PGBIN=$(find_pg_bin)
WORK=$(mktemp -d /tmp/patron-pg.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

as_pg() {  # PostgreSQL refuses to run as root: run as the postgres user when we are root.
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

cleanup() {
  as_pg "$PGBIN/pg_ctl" -D "$WORK/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] && { id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres; chown postgres "$WORK"; }
as_pg "$PGBIN/initdb" -D "$WORK/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
# Durability settings are off: this cluster lives for one test run. The memory and cost
# settings are those docs/operations.md recommends for a production server (a cache
# that holds the working set, random reads priced as on an SSD), so that benchmarks
# measure the plans production gets.
as_pg "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w start \
  -o "-h 127.0.0.1 -p $PORT -k $WORK -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
      -c shared_buffers=${PATRON_PG_SHARED_BUFFERS:-1GB} -c effective_cache_size=4GB -c random_page_cost=1.1" >/dev/null
echo "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT (throwaway)"

# The test runner makes its own test database; benchmarks and `patron` use this one.
if command -v psql >/dev/null; then
  psql -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -c "CREATE DATABASE patron" >/dev/null
fi
export DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/patron"
"$@"
