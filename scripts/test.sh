#!/usr/bin/env bash
# Runs every test: formatting, lints, unit tests and the integration tests, which start their
# own Temporal dev servers, Stripe emulators and SMTP catchers on free ports.
set -euo pipefail
source "$(dirname "$0")/setup.sh"
cd "$ROOT"
cargo fmt --all --check
cargo clippy --quiet --workspace --all-targets -- -D warnings
# The integration tests run the worker and starter binaries, so build them first.
cargo build --quiet --bins
cargo test --workspace -- --test-threads="${TEST_THREADS:-2}"
