#!/usr/bin/env bash
# Checks what of deploy/ can be checked on a machine without a container runtime or systemd as
# PID 1: the unit files with `systemd-analyze verify` (against the built binaries, put where the
# units expect them in a scratch root), and the compose file with `docker-compose config`.
# Building the image and starting the stack are not done here.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug"
scratch="$(mktemp -d)"; trap 'rm -rf "$scratch"' EXIT

if command -v systemd-analyze >/dev/null; then
  for unit in "$ROOT"/deploy/systemd/*.service; do
    name="$(basename "$unit")"
    # The same unit with the binaries and env file of this build instead of /usr/local/bin.
    sed -e "s#/usr/local/bin/cartflow-worker#$BIN/worker#g" -e "s#/usr/local/bin/cartflow-webapp#$BIN/webapp#g" \
        -e "s#/etc/cartflow/cartflow.env#$ROOT/deploy/cartflow.env.example#" -e '/^User=/d' -e '/^Group=/d' \
        "$unit" > "$scratch/$name"
  done
  # A bad value is only a warning to systemd ("ignoring"); here any complaint fails the check.
  complaints="$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no "$scratch"/*.service 2>&1)" || {
    echo "$complaints" >&2; exit 1; }
  if [ -n "$complaints" ]; then echo "$complaints" >&2; exit 1; fi
  echo "deploy: unit files verified"
else
  echo "deploy: systemd-analyze not found; unit files not verified" >&2
fi

if command -v docker-compose >/dev/null; then
  cp "$ROOT/deploy/cartflow.env.example" "$scratch/cartflow.env"
  cp "$ROOT/deploy/compose.yaml" "$scratch/compose.yaml"
  (cd "$scratch" && docker-compose -f compose.yaml config -q)
  echo "deploy: compose file valid"
else
  echo "deploy: docker-compose not found; compose file not checked" >&2
fi
