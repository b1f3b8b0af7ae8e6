#!/usr/bin/env bash
# Idempotent development setup, safe to run on every `make` invocation.
#
#   scripts/bootstrap.sh [--with-belenios] [--with-postgres]
#
# - creates .venv with python3 when .venv/bin/python is missing (installs python3-venv with apt
#   when venv creation fails);
# - runs `pip install -e '.[dev]'` only when pyproject.toml changed since the last install
#   (sha256 kept in .venv/.stamp);
# - --with-belenios: installs the Belenios reference tools (scripts/install-belenios-tool.sh);
# - --with-postgres: makes sure PostgreSQL server binaries (initdb, pg_ctl) exist, with apt.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

with_belenios=0
with_postgres=0
for arg in "$@"; do
  case "$arg" in
    --with-belenios) with_belenios=1 ;;
    --with-postgres) with_postgres=1 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "bootstrap: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

say() { echo "bootstrap: $*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    echo "bootstrap: need root (or sudo) to run: $*" >&2
    exit 1
  fi
}

apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then
    as_root apt-get update -qq >/dev/null
    apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# --- virtualenv ---------------------------------------------------------------------------------
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  say "creating .venv with $($PYTHON --version 2>&1)"
  if ! "$PYTHON" -m venv .venv >/dev/null 2>&1; then
    say "venv creation failed; installing python3-venv with apt"
    rm -rf .venv
    apt_install python3-venv
    "$PYTHON" -m venv .venv
  fi
  rm -f .venv/.stamp
fi

want=$(sha256sum pyproject.toml | cut -d' ' -f1)
have=$(cat .venv/.stamp 2>/dev/null || true)
if [ "$want" != "$have" ]; then
  say "installing strikevote[dev] into .venv (pyproject.toml changed)"
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
  echo "$want" >.venv/.stamp
else
  say ".venv up to date"
fi

# --- GNU time: the benchmarks (and their smoke tests) read a child's peak memory from it ------------------------
if [ "$with_belenios" -eq 1 ] && [ ! -x /usr/bin/time ]; then
  say "installing GNU time with apt"
  apt_install time
fi

# --- Belenios reference tools -------------------------------------------------------------------
if [ "$with_belenios" -eq 1 ]; then
  bash "$ROOT/scripts/install-belenios-tool.sh" | sed 's/^/bootstrap: /'
fi

# --- PostgreSQL server binaries -----------------------------------------------------------------
have_pg_bins() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    if [ -x "$d/pg_ctl" ] && [ -x "$d/initdb" ]; then
      return 0
    fi
  done
  return 1
}
if [ "$with_postgres" -eq 1 ]; then
  if ! have_pg_bins; then
    say "installing postgresql with apt"
    apt_install postgresql
  fi
  have_pg_bins || { echo "bootstrap: initdb/pg_ctl still missing after installing postgresql" >&2; exit 1; }
  say "postgresql binaries present"
fi
