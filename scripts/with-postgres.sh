#!/usr/bin/env bash
# Run a command with STRIKEVOTE_TEST_PG_URL pointing at a working PostgreSQL server.
#
#   scripts/with-postgres.sh CMD [ARGS...]
#
# - STRIKEVOTE_TEST_PG_URL already set: used as is.
# - A server accepting trust connections as user `postgres` to database `test` at
#   $STRIKEVOTE_PG_PROBE_HOST:$STRIKEVOTE_PG_PROBE_PORT (default 127.0.0.1:5432): that one is used.
# - Otherwise a throwaway cluster is created (initdb, as the `postgres` system user when run as
#   root) in a temporary directory, started on a free port on 127.0.0.1, and stopped and removed
#   when CMD exits. Needs the PostgreSQL server binaries (scripts/bootstrap.sh --with-postgres).
#
# The URL is for SQLAlchemy with psycopg 3: postgresql+psycopg://postgres@HOST:PORT/test
# CMD's exit status is returned.
set -euo pipefail

[ "$#" -gt 0 ] || { echo "usage: $0 CMD [ARGS...]" >&2; exit 2; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
say() { echo "with-postgres: $*" >&2; }

if [ -n "${STRIKEVOTE_TEST_PG_URL:-}" ]; then
  say "using STRIKEVOTE_TEST_PG_URL from the environment"
  exec "$@"
fi

PY=python3
[ -x "$ROOT/.venv/bin/python" ] && PY="$ROOT/.venv/bin/python"

# can_connect HOST PORT: true when user postgres can run a query in database `test` without a password.
can_connect() {
  local host=$1 port=$2
  if command -v psql >/dev/null; then
    PGCONNECT_TIMEOUT=3 psql -X -w -q -h "$host" -p "$port" -U postgres -d test -tAc 'select 1' \
      >/dev/null 2>&1
  else
    "$PY" - "$host" "$port" >/dev/null 2>&1 <<'EOF'
import sys
import psycopg
with psycopg.connect(host=sys.argv[1], port=int(sys.argv[2]), user="postgres", dbname="test",
                     connect_timeout=3) as conn:
    conn.execute("select 1")
EOF
  fi
}

probe_host=${STRIKEVOTE_PG_PROBE_HOST:-127.0.0.1}
probe_port=${STRIKEVOTE_PG_PROBE_PORT:-5432}
if can_connect "$probe_host" "$probe_port"; then
  say "using the server at $probe_host:$probe_port"
  export STRIKEVOTE_TEST_PG_URL="postgresql+psycopg://postgres@$probe_host:$probe_port/test"
  exec "$@"
fi

# --- throwaway cluster -------------------------------------------------------------------------
bindir=""
while read -r d; do
  if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then bindir=$d; break; fi
done < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r)
if [ -z "$bindir" ] && command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
  bindir=$(dirname "$(command -v initdb)")
fi
[ -n "$bindir" ] || { say "no server at $probe_host:$probe_port and no initdb/pg_ctl found" \
                          "(run scripts/bootstrap.sh --with-postgres)"; exit 1; }

# Run a PostgreSQL server command as a non-root user: the server refuses to run as root.
if [ "$(id -u)" -eq 0 ]; then
  pguser=postgres
  if ! id -u "$pguser" >/dev/null 2>&1; then
    say "creating system user $pguser"
    useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/sh "$pguser"
  fi
  if command -v runuser >/dev/null; then
    as_pg() { runuser -u "$pguser" -- "$@"; }
  else
    as_pg() { su -s /bin/sh "$pguser" -c "$(printf '%q ' "$@")"; }
  fi
  # The temporary directory must be reachable by $pguser, so keep it out of e.g. /root.
  base=${STRIKEVOTE_PG_TMPDIR:-/tmp}
else
  as_pg() { "$@"; }
  base=${STRIKEVOTE_PG_TMPDIR:-${TMPDIR:-/tmp}}
fi

dir=$(mktemp -d "$base/strikevote-pg.XXXXXX")
[ "$(id -u)" -eq 0 ] && chown "$pguser:" "$dir"
chmod 700 "$dir"

started=0
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  if [ "$started" -eq 1 ]; then
    as_pg "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

as_pg "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C -N >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; say "initdb failed"; exit 1; }

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

for attempt in 1 2 3; do
  port=$(free_port)
  if as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
       -o "-k $dir -p $port -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
       start >/dev/null 2>&1; then
    started=1
    break
  fi
  say "start on port $port failed (attempt $attempt)"
done
[ "$started" -eq 1 ] || { cat "$dir/server.log" >&2 || true; say "could not start PostgreSQL"; exit 1; }

as_pg "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres test
say "throwaway PostgreSQL $("$bindir/pg_ctl" --version | awk '{print $3}') on 127.0.0.1:$port ($dir)"
export STRIKEVOTE_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:$port/test"

status=0
"$@" || status=$?
exit "$status"
