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
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/tools/requirements.txt"
  echo "$want" > "$stamp"
fi
export SHOP_VENV="$VENV"
