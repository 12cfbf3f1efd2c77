#!/usr/bin/env bash
# Runs the whole shop on its embedded defaults: a Temporal dev server persisting to
# data/temporal.db, the Stripe emulator, a trace collector, the worker and the HTTP gateway. Ctrl-C stops everything;
# running it again keeps the carts that were open.
set -euo pipefail
source "$(dirname "$0")/setup.sh"
cd "$ROOT"

DATA="${SHOP_DATA_DIR:-$ROOT/data}"
TEMPORAL_PORT="${TEMPORAL_PORT:-7233}"
UI_PORT="${TEMPORAL_UI_PORT:-8233}"
STRIPE_PORT="${STRIPE_PORT:-8420}"
mkdir -p "$DATA/logs" "$DATA/stripe"

echo "==> building (first time: a few minutes)"
cargo build --quiet --bins

pids=()
names=()
limits=()
# Each program runs in a session of its own (setsid), so a terminal's Ctrl-C, which goes to the
# whole foreground process group, reaches only this script, and `stop` takes them down in order.
DETACH=()
command -v setsid > /dev/null && DETACH=(setsid)
started() { # name [seconds to stop]: the program just started in the background
  pids+=($!); names+=("$1"); limits+=("${2:-5}")
}
hurry=0
# Sends SIGTERM and waits up to the program's deadline, then SIGKILL. A second Ctrl-C during
# `stop` repeats the SIGTERM (the worker then leaves at once) and cuts the waits to 2 s.
stop_one() { # index
  local pid="${pids[$1]}" name="${names[$1]}" left=$((${limits[$1]} * 10)) pushed=0
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    if ((hurry && !pushed)); then
      pushed=1
      kill -TERM "$pid" 2>/dev/null || true
      ((left > 20)) && left=20
    fi
    if ((left <= 0)); then
      echo "==> $name did not stop within ${limits[$1]} s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.1
    left=$((left - 1))
  done
  wait "$pid" 2>/dev/null || true
}
stop() {
  trap - EXIT
  trap 'hurry=1' INT TERM HUP
  echo; echo "==> stopping"
  # Newest first, each waited for: the gateway and the worker drain while Temporal is still up.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    stop_one "$i"
  done
  echo "==> stopped; state kept in $DATA"
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM HUP
trap stop EXIT

# Every process started so far must still be running; a dead one is named with its log's end.
check_alive() {
  for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      echo "${names[$i]} exited during start; the end of $DATA/logs/${names[$i]}.log:" >&2
      tail -n 20 "$DATA/logs/${names[$i]}.log" >&2
      exit 1
    fi
  done
}

wait_port() { # name port
  for _ in $(seq 1 150); do
    (echo > "/dev/tcp/127.0.0.1/$2") 2>/dev/null && return 0
    check_alive
    sleep 0.2
  done
  echo "$1 did not open port $2; see $DATA/logs" >&2; exit 1
}

wait_log() { # name line: the process wrote `line` to its log
  for _ in $(seq 1 150); do
    grep -q "$2" "$DATA/logs/$1.log" 2>/dev/null && return 0
    check_alive
    sleep 0.2
  done
  echo "$1 did not get ready; see $DATA/logs/$1.log" >&2; exit 1
}

# What operators find carts by (app/src/workflows/search.rs); the worker checks them at start.
SEARCH_ATTRIBUTES=(--search-attribute CartStatus=Keyword --search-attribute CartItemCount=Int
  --search-attribute CartTotalCents=Int --search-attribute CartUpdatedAt=Datetime)
TEMPORAL_PORTS=()
[ -n "${TEMPORAL_HTTP_PORT:-}" ] && TEMPORAL_PORTS+=(--http-port "$TEMPORAL_HTTP_PORT")
[ -n "${TEMPORAL_METRICS_PORT:-}" ] && TEMPORAL_PORTS+=(--metrics-port "$TEMPORAL_METRICS_PORT")
"${DETACH[@]}" "$VENV/bin/temporal" server start-dev --ip 127.0.0.1 --port "$TEMPORAL_PORT" --ui-port "$UI_PORT" \
  "${TEMPORAL_PORTS[@]}" --db-filename "$DATA/temporal.db" --log-level warn "${SEARCH_ATTRIBUTES[@]}" \
  < /dev/null > "$DATA/logs/temporal.log" 2>&1 &
started temporal 10
"${DETACH[@]}" "$VENV/bin/python" tools/stripe_emulator.py --host 127.0.0.1 --port "$STRIPE_PORT" \
  --state-dir "$DATA/stripe" < /dev/null > "$DATA/logs/stripe.log" 2>&1 &
started stripe
# Traces go to your collector when OTEL_EXPORTER_OTLP_ENDPOINT is set; otherwise to a small
# local one that keeps each span as a JSON line (README: "Traces and request ids").
OTLP_PORT="${OTLP_PORT:-4318}"
if [ -z "${OTEL_EXPORTER_OTLP_ENDPOINT:-}" ]; then
  "${DETACH[@]}" "$VENV/bin/python" tools/otlp_collector.py --port "$OTLP_PORT" --out "$DATA/logs/spans.jsonl" \
    < /dev/null > "$DATA/logs/collector.log" 2>&1 &
  started collector
  export OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$OTLP_PORT"
  traces="$DATA/logs/spans.jsonl (set OTEL_EXPORTER_OTLP_ENDPOINT for your collector)"
  wait_port "OTLP collector" "$OTLP_PORT"
else
  traces="exported to $OTEL_EXPORTER_OTLP_ENDPOINT"
fi
wait_port "Temporal" "$TEMPORAL_PORT"
wait_port "Stripe emulator" "$STRIPE_PORT"

export TEMPORAL_ADDRESS="127.0.0.1:$TEMPORAL_PORT"
export SHOP_DATA_DIR="$DATA"
if [ -z "${STRIPE_SECRET_KEY:-}" ]; then
  export SHOP_STRIPE_BASE_URL="${SHOP_STRIPE_BASE_URL:-http://127.0.0.1:$STRIPE_PORT}"
  # The emulator signs its webhooks with this; real Stripe's comes from `stripe listen`.
  export STRIPE_WEBHOOK_SECRET="${STRIPE_WEBHOOK_SECRET:-whsec_dev_emulator}"
  # The storefront pays through the emulator's Stripe.js, which takes any pk_ key.
  export SHOP_STRIPE_JS_URL="${SHOP_STRIPE_JS_URL:-$SHOP_STRIPE_BASE_URL/js.stripe.com/v3/}"
  export SHOP_STRIPE_PUBLISHABLE_KEY="${SHOP_STRIPE_PUBLISHABLE_KEY:-pk_test_emulator}"
elif [ -z "${SHOP_STRIPE_PUBLISHABLE_KEY:-}" ]; then
  echo "==> SHOP_STRIPE_PUBLISHABLE_KEY is not set: the storefront cannot take cards (set your pk_test_… key)"
fi
# Short enough to watch: a reminder after a minute of quiet, expiry after five.
export SHOP_REMINDER_AFTER="${SHOP_REMINDER_AFTER:-1m}"
export SHOP_CART_TTL="${SHOP_CART_TTL:-5m}"
# Orders move a step every 20 s so the lifecycle can be watched; the API needs this token.
export SHOP_ORDER_STEP="${SHOP_ORDER_STEP:-20s}"
# A storefront on any local port may call the API (production lists its origins instead).
export SHOP_CORS_ORIGINS="${SHOP_CORS_ORIGINS:-loopback}"
# Every token is its own and 32 characters or more (the gateway refuses anything else at start).
export SHOP_ORDERS_TOKEN="${SHOP_ORDERS_TOKEN:-dev-orders-token-not-secret-0123456789}"
export SHOP_OPERATOR_TOKEN="${SHOP_OPERATOR_TOKEN:-dev-operator-token-not-secret-0123456789}"
export SHOP_METRICS_TOKEN="${SHOP_METRICS_TOKEN:-dev-metrics-token-not-secret-0123456789}"
# Payloads go to Temporal in plain JSON unless SHOP_PAYLOAD_KEYS is set (README: "Customer data
# encrypted in Temporal"); with it, /codec serves the Web UI behind its own token.
export SHOP_CODEC_TOKEN="${SHOP_CODEC_TOKEN:-dev-codec-token-not-secret-0123456789}"
# Signs the cart ids the gateway mints; a real shop sets its own secret, shared by its gateways.
export SHOP_CART_ID_KEY="${SHOP_CART_ID_KEY:-dev-cart-id-key-not-secret}"

METRICS_PORT="${METRICS_PORT:-9464}"
export SHOP_METRICS_ADDRESS="${SHOP_METRICS_ADDRESS:-127.0.0.1:$METRICS_PORT}"
# Process substitution, so $! is the program itself (not tee) and `stop` reaches it; tee stays
# in this script's process group, so it ignores Ctrl-C and ends when its program does.
# The worker's drain ends within 10 s whatever Temporal does (app::worker::DRAIN_DEADLINE).
"${DETACH[@]}" "$CARGO_TARGET_DIR/debug/worker" < /dev/null > >(trap '' INT; exec tee "$DATA/logs/worker.log") 2>&1 &
started worker 12
HTTP_PORT="${HTTP_PORT:-8080}"
SHOP_HTTP_ADDRESS="127.0.0.1:$HTTP_PORT" "${DETACH[@]}" "$CARGO_TARGET_DIR/debug/webapp" < /dev/null \
  > >(trap '' INT; exec tee "$DATA/logs/webapp.log") 2>&1 &
started webapp 10
wait_port "webapp" "$HTTP_PORT"
# The worker logs this once its order store is migrated and it joins the task queue.
wait_log worker "worker polling"
if [ -n "${SHOP_STRIPE_BASE_URL:-}" ] && [ -n "${STRIPE_WEBHOOK_SECRET:-}" ]; then
  # The emulator posts PaymentIntent events to the gateway, signed like Stripe's.
  curl -fsS -X POST "$SHOP_STRIPE_BASE_URL/_config/webhooks/dev" \
    --data-urlencode "url=http://127.0.0.1:$HTTP_PORT/stripe/webhook" \
    --data-urlencode "secret=$STRIPE_WEBHOOK_SECRET" > /dev/null
fi
sleep 1
check_alive
if [ -n "${SHOP_PAYLOAD_KEYS:-}" ]; then
  payloads="payloads encrypted; the remote codec is http://127.0.0.1:$HTTP_PORT/codec"
else
  payloads='payloads in plain JSON; SHOP_PAYLOAD_KEYS=dev:$(openssl rand -base64 32) encrypts them'
fi

cat <<MSG

  Storefront        http://127.0.0.1:$HTTP_PORT/
  Test cards        4242 4242 4242 4242 pays, 4000 0027 6000 3184 asks for 3-D Secure,
                    4000 0000 0000 0002 is declined (any future expiry, any CVC)
  API docs          http://127.0.0.1:$HTTP_PORT/docs/   (OpenAPI: /openapi.json)
  Orders API        curl -H "Authorization: Bearer $SHOP_ORDERS_TOKEN" http://127.0.0.1:$HTTP_PORT/orders
  Worker metrics    http://$SHOP_METRICS_ADDRESS/metrics
  Gateway metrics   curl -H "Authorization: Bearer $SHOP_METRICS_TOKEN" http://127.0.0.1:$HTTP_PORT/metrics
  Carts (operators) curl -H "Authorization: Bearer $SHOP_OPERATOR_TOKEN" http://127.0.0.1:$HTTP_PORT/admin/carts/stats
  Temporal Web UI   http://127.0.0.1:$UI_PORT   ($payloads)
  Stripe emulator   http://127.0.0.1:$STRIPE_PORT
  Email outbox      $DATA/outbox
  Traces            $traces
  Orders database   ${DATABASE_URL:-$DATA/orders.db (SQLite)}
  Play a shopper    cargo run -p starter -- --gateway http://127.0.0.1:$HTTP_PORT [abandon]

  Ctrl-C stops everything.
MSG
wait -n "${pids[@]}"
