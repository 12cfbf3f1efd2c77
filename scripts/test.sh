#!/usr/bin/env bash
# Runs every test: formatting, lints, unit tests and the integration tests, which start their
# own Temporal dev servers, Stripe emulators and SMTP catchers on free ports.
set -euo pipefail
source "$(dirname "$0")/setup.sh"
cd "$ROOT"
# The storefront test drives Debian's Chromium through chromedriver.
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> installing chromium and chromium-driver for the browser test"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "==> chromium/chromedriver missing and not root: the browser test will be skipped (or fail under CI=true)"
  fi
fi
# deploy/check.sh validates the compose file with docker-compose (Debian's package).
if ! command -v docker-compose >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "==> installing docker-compose to check deploy/compose.yaml"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null
fi
cargo fmt --all --check
cargo clippy --quiet --workspace --all-targets -- -D warnings
# The integration tests run the worker and starter binaries, so build them first.
cargo build --quiet --bins
bash deploy/check.sh
cargo test --workspace -- --test-threads="${TEST_THREADS:-2}"
