#!/usr/bin/env bash
# Install the Belenios reference tools that the interop tests use as an independent peer.
#
#   scripts/install-belenios-tool.sh [DEST]
#
# 1. belenios-tool 2.0 from this machine's own Debian suite (bookworm), installed with apt as
#    /usr/bin/belenios-tool. It knows the BELENIOS-2048 group only.
# 2. belenios-tool 3.0 from the next Debian suite (trixie), which adds the Ed25519 group. Its .deb
#    files are downloaded with a private apt state, unpacked (not installed) under DEST
#    (default: $HOME/.cache/belenios-tool-3) and run through their own loader by the wrapper
#    DEST/belenios-tool-3, so the system libc is left alone.
#
# The Debian mirror is read from this machine's apt configuration. Step 1 needs root (or sudo).
# Idempotent: when both tools are present and run, nothing is downloaded.
# Prints the two tool paths on success.
set -euo pipefail

DEST=${1:-${BELENIOS_TOOL_3_DIR:-$HOME/.cache/belenios-tool-3}}
WRAPPER="$DEST/belenios-tool-3"

say() { echo "install-belenios-tool: $*" >&2; }
die() { say "$*"; exit 1; }

# Run a command as root: directly when we are root, through sudo otherwise.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    die "need root (or sudo) to run: $*"
  fi
}

# --- 1. belenios-tool 2.0 from this machine's Debian suite -------------------------------------
if ! command -v belenios-tool >/dev/null; then
  say "installing belenios-tool (2.0) with apt"
  as_root apt-get update -qq >/dev/null
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq belenios-tool >/dev/null
fi
TOOL2=$(command -v belenios-tool) || die "belenios-tool is still missing after apt-get install"

# --- 2. belenios-tool 3.0 unpacked from Debian trixie ------------------------------------------
if [ ! -x "$WRAPPER" ] || ! "$WRAPPER" --version >/dev/null 2>&1; then
  arch=$(dpkg --print-architecture)
  [ "$arch" = amd64 ] || die "belenios-tool 3.0 recipe supports amd64 only (this machine: $arch)"

  # First Debian mirror of the main archive (not the security one) from the apt configuration.
  uri=$(grep -h -E '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null \
          | awk '{print $2}' | grep -v -- '-security' | head -1 || true)
  if [ -z "$uri" ]; then
    uri=$(grep -h -E '^deb ' /etc/apt/sources.list 2>/dev/null \
            | awk '{for (i = 2; i <= NF; i++) if ($i ~ /^http/) {print $i; exit}}' \
            | grep -v -- '-security' | head -1 || true)
  fi
  [ -n "$uri" ] || die "no Debian mirror found in the apt configuration"

  say "downloading belenios-tool 3.0 (trixie) from $uri into $DEST"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/etc" "$work/lists/partial" "$work/cache/archives/partial" "$work/debs" "$work/root"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri trixie main" \
    >"$work/etc/sources.list"
  opts=(-o Dir::Etc::SourceList="$work/etc/sources.list" -o Dir::Etc::SourceParts=/dev/null
        -o Dir::State::Lists="$work/lists" -o Dir::Cache="$work/cache"
        -o APT::Architecture=amd64 -o APT::Sandbox::User=root -o Debug::NoLocking=1)
  apt-get "${opts[@]}" update -qq >/dev/null
  (cd "$work/debs" && apt-get "${opts[@]}" download -qq \
     belenios-tool libc6 libev4t64 libgmp10 libsodium23 libssl3t64 zlib1g libgcc-s1 >/dev/null)
  for f in "$work"/debs/*.deb; do dpkg-deb -x "$f" "$work/root"; done

  # Swap the new tree in only once it is complete, so an interrupted run is simply redone.
  mkdir -p "$DEST"
  rm -rf "$DEST/root" "$WRAPPER"
  mv "$work/root" "$DEST/root"
  {
    echo '#!/bin/sh'
    echo "# belenios-tool 3.0 (Debian trixie), run through its own loader; made by $(basename "$0")"
    printf "R='%s'\n" "$(printf '%s' "$DEST/root" | sed "s/'/'\\\\''/g")"
    # shellcheck disable=SC2016  # $R and $@ are for the wrapper, not for us
    echo 'exec "$R/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" --library-path "$R/usr/lib/x86_64-linux-gnu" "$R/usr/bin/belenios-tool" "$@"'
  } >"$WRAPPER.tmp"
  chmod +x "$WRAPPER.tmp"
  mv "$WRAPPER.tmp" "$WRAPPER"
fi
"$WRAPPER" --version >/dev/null || die "$WRAPPER does not run"

echo "belenios-tool-2: $TOOL2"
echo "belenios-tool-3: $WRAPPER"
