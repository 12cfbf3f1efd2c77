#!/usr/bin/env bash
# Sourced by dev.sh and test.sh: installs the project's Python-side tools into ./.venv and picks
# a Cargo build directory outside the clone so fresh clones reuse earlier builds.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/cartflow-target}"
VENV="$ROOT/.venv"
stamp="$VENV/.requirements.sha"
want="$(sha256sum "$ROOT/tools/requirements.txt" | cut -d' ' -f1)"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "==> installing tools into $VENV (temporal CLI, Stripe emulator, SMTP catcher)"
  if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
    # Debian and Ubuntu ship venv separately.
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      python3 -m venv "$VENV"
    else
      echo "python3 cannot create a venv: install python3-venv (e.g. sudo apt-get install python3-venv)" >&2
      exit 1
    fi
  fi
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/tools/requirements.txt"
  echo "$want" > "$stamp"
fi
export SHOP_VENV="$VENV"
