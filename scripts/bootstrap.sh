#!/usr/bin/env bash
# Idempotent development setup, safe to run on every `make` invocation.
#
#   scripts/bootstrap.sh [--with-belenios] [--with-postgres] [--with-browser]
#
# - creates .venv with python3 when .venv/bin/python is missing (installs python3-venv with apt
#   when venv creation fails);
# - runs `pip install -e '.[dev]'` only when pyproject.toml changed since the last install
#   (sha256 kept in .venv/.stamp);
# - --with-belenios: installs the Belenios reference tools (scripts/install-belenios-tool.sh);
# - --with-postgres: makes sure PostgreSQL server binaries (initdb, pg_ctl) exist, with apt;
# - always: builds the voting booth (booth/, bundled by esbuild into src/strikevote/web/static/booth/),
#   installing Debian's nodejs and npm when missing; `npm ci` and the build run only when their inputs changed;
# - --with-browser: Debian's chromium for the browser tests (never a downloaded browser).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

with_belenios=0
with_postgres=0
with_browser=0
for arg in "$@"; do
  case "$arg" in
    --with-belenios) with_belenios=1 ;;
    --with-postgres) with_postgres=1 ;;
    --with-browser) with_browser=1 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
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

# --- The voting booth (booth/ -> src/strikevote/web/static/booth/) --------------------------------------------------
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  say "installing nodejs and npm with apt"
  apt_install nodejs npm
fi
lock_sum=$(sha256sum booth/package-lock.json | cut -d' ' -f1)
if [ ! -d booth/node_modules ] || [ "$(cat booth/node_modules/.strikevote-stamp 2>/dev/null || true)" != "$lock_sum" ]; then
  say "installing the booth's npm packages (npm ci)"
  (cd booth && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_sum" >booth/node_modules/.strikevote-stamp
fi
booth_out=src/strikevote/web/static/booth
booth_sum=$(find booth/src booth/build.mjs booth/package-lock.json -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
if [ "$(cat "$booth_out/.stamp" 2>/dev/null || true)" != "$booth_sum" ] || [ ! -f "$booth_out/booth.js" ]; then
  say "building the booth (esbuild)"
  (cd booth && node build.mjs)
  echo "$booth_sum" >"$booth_out/.stamp"
else
  say "booth up to date"
fi

# --- Chromium for the browser tests ---------------------------------------------------------------------------------
if [ "$with_browser" -eq 1 ]; then
  if [ ! -x /usr/bin/chromium ]; then
    say "installing chromium with apt"
    apt_install chromium
  fi
  say "chromium present: $(/usr/bin/chromium --version 2>/dev/null || echo '?')"
fi
