#!/usr/bin/env bash
# Load benchmark: starts a release build of the stack on spare ports (Temporal dev server in
# memory, or persisted to SQLite with --persisted), drives it with N concurrent shoppers over
# HTTP, prints the figures, then measures one worker holding --open-carts carts. Stops everything.
#   scripts/bench.sh [--persisted] [--shoppers 32] [--seconds 30] [--open-carts 10000] [--stack DIR] [--profile]
# --stack DIR runs the worker and webapp from another build's binary folder (e.g. the previous
# main's target/release) under the same load generator, to compare the two in one sitting.
# --profile samples the worker and the webapp with `perf` while the load runs and prints the
# top entries of each (flat, by symbol; Debian's linux-perf, software clock events).
set -euo pipefail
source "$(dirname "$0")/setup.sh"
cd "$ROOT"

PERSISTED=0; SHOPPERS=32; SECONDS_=30; OPEN=0; STACK=; PROFILE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --persisted) PERSISTED=1 ;;
    --shoppers) SHOPPERS="$2"; shift ;;
    --seconds) SECONDS_="$2"; shift ;;
    --open-carts) OPEN="$2"; shift ;;
    --stack) STACK="$2"; shift ;;
    --profile) PROFILE=1 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

echo "==> building release binaries"
cargo build --quiet --release --bins
BIN="$CARGO_TARGET_DIR/release"
STACK="${STACK:-$BIN}"
WORK="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT INT TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 150); do (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.2; done; echo "port $1 never opened" >&2; exit 1; }

TPORT=$(free_port); SPORT=$(free_port); HPORT=$(free_port)
DB=(); [ "$PERSISTED" = 1 ] && DB=(--db-filename "$WORK/temporal.db")
"$VENV/bin/temporal" server start-dev --headless --ip 127.0.0.1 --port "$TPORT" --ui-port "$(free_port)" \
  --log-level error ${DB[@]+"${DB[@]}"} --search-attribute CartStatus=Keyword --search-attribute CartItemCount=Int \
  --search-attribute CartTotalCents=Int --search-attribute CartUpdatedAt=Datetime \
  > "$WORK/temporal.log" 2>&1 & TEMPORAL=$!; pids+=($TEMPORAL)
"$VENV/bin/python" tools/stripe_emulator.py --host 127.0.0.1 --port "$SPORT" > "$WORK/stripe.log" 2>&1 & pids+=($!)
wait_port "$TPORT"; wait_port "$SPORT"
export TEMPORAL_ADDRESS="127.0.0.1:$TPORT" SHOP_STRIPE_BASE_URL="http://127.0.0.1:$SPORT" SHOP_DATA_DIR="$WORK" RUST_LOG=warn
"$STACK/worker" > "$WORK/worker.log" 2>&1 & WORKER=$!; pids+=($WORKER)
# One machine plays every shopper, from one address: the per-client limit would throttle it.
SHOP_RATE_LIMIT=off SHOP_HTTP_ADDRESS="127.0.0.1:$HPORT" "$STACK/webapp" > "$WORK/webapp.log" 2>&1 & WEBAPP=$!; pids+=($WEBAPP)
wait_port "$HPORT"

mode="in-memory dev server"; [ "$PERSISTED" = 1 ] && mode="dev server persisted to SQLite"
echo "==> $SHOPPERS shoppers for ${SECONDS_}s against the $mode, stack $STACK ($(nproc) cores, everything on this machine)"
perfs=()
if [ "$PROFILE" = 1 ]; then
  command -v perf >/dev/null || { echo "--profile needs perf (Debian: linux-perf)" >&2; exit 2; }
  for p in worker:$WORKER webapp:$WEBAPP; do
    perf record -q -F 499 -e cpu-clock -o "$WORK/${p%%:*}.perf" -p "${p##*:}" -- sleep "$SECONDS_" 2>/dev/null & perfs+=($!)
  done
fi
"$BIN/bench" --url "http://127.0.0.1:$HPORT" --shoppers "$SHOPPERS" --seconds "$SECONDS_" \
  --worker-pid "$WORKER" --webapp-pid "$WEBAPP" --temporal-pid "$TEMPORAL" --temporal-address "127.0.0.1:$TPORT"
if [ "$PROFILE" = 1 ]; then
  wait "${perfs[@]}" 2>/dev/null || true
  for name in worker webapp; do
    echo "==> $name: where its CPU went (top entries, % of its samples)"
    perf report -q -i "$WORK/$name.perf" --no-children --sort dso,symbol --stdio --percent-limit 1.2 2>/dev/null \
      | awk '{ $1 = $1; sub(/ - -$/, ""); print }' | head -25
  done
fi
if [ "$OPEN" -gt 0 ]; then
  echo "==> filling $OPEN open carts"
  "$BIN/bench" --url "http://127.0.0.1:$HPORT" --shoppers "$SHOPPERS" --open-carts "$OPEN" --worker-pid "$WORKER" --webapp-pid "$WEBAPP"
  echo "worker RSS now: $(awk '/VmRSS/ {printf "%.0f MiB", $2/1024}' /proc/$WORKER/status)"
fi
