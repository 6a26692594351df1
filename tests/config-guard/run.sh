#!/usr/bin/env bash
# The deployed-configuration guard (issue 13, item 8), against the built
# worker (run scripts/build first; scripts/test runs this after the stack):
#
#   1. `wrangler deploy --dry-run --env production` (and staging) succeeds
#      offline and binds what the worker needs.
#   2. A worker started with the production environment and an unsafe
#      setting (KEYVAULT_PROXY; then an http:// address, BENCH_ROUTES and a
#      missing secret) answers every worker route 503 service_misconfigured
#      with the catalog's generic text, and its log has exactly one line
#      naming each problem (never a value).
#   3. The same environment with a safe configuration serves /api/health:
#      the guard refuses what is unsafe, not everything.
#
# Usage: tests/config-guard/run.sh [PORT] (default 18797; a free port).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
port=${1:-${CONFIG_GUARD_PORT:-18797}}
url="http://127.0.0.1:$port"
tmp=$(mktemp -d /tmp/keyswitch-config-guard.XXXXXX)
pid=""
stop() {
  [ -n "$pid" ] || return 0
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  pid=""
}
trap 'stop; rm -rf "$tmp"' EXIT
fail() { printf '\033[1;31m[config-guard] FAIL:\033[0m %s\n' "$*" >&2; exit 1; }
ok() { printf '[config-guard] ok: %s\n' "$*" >&2; }

[ -f "$ROOT/edge/build/index.js" ] || fail "edge/build/index.js is missing: run scripts/build first"

# ---- 1. deploy --dry-run of the deployed environments ---------------------
for env in production staging; do
  out="$tmp/dry-run-$env.log"
  (cd "$ROOT/edge" && WRANGLER_LOG=log "$NODE22" "$WRANGLER_JS" deploy --dry-run --env "$env" --outdir "$tmp/dist-$env") \
    >"$out" 2>&1 || { cat "$out" >&2; fail "wrangler deploy --dry-run --env $env failed"; }
  grep -q -- '--dry-run: exiting now' "$out" || { cat "$out" >&2; fail "--env $env: not a completed dry run"; }
  # wrangler marks a warning `▲ [WARNING]` (coloured): match the marker with
  # the colours stripped, not the word (a var may be called EXPIRY_WARNING_DAYS).
  sed 's/\x1b\[[0-9;]*m//g' "$out" | grep -q '\[WARNING\]' && { cat "$out" >&2; fail "--env $env: the dry run warns"; }
  for binding in COMPANY_KMS WORKSPACE_VAULTS KEY_BINDINGS ASSETS; do
    grep -q "$binding" "$out" || { cat "$out" >&2; fail "dry run --env $env does not bind $binding"; }
  done
  grep -q "ENVIRONMENT" "$out" && { cat "$out" >&2; fail "--env $env sets ENVIRONMENT (it would skip the guard)"; }
  [ -s "$tmp/dist-$env/index.js" ] || fail "dry run --env $env wrote no bundle"
  ok "wrangler deploy --dry-run --env $env"
done

# ---- 2./3. a worker with the production environment ----------------------
platform_key=$(head -c 32 /dev/urandom | base64)
envelope_token=$(head -c 32 /dev/urandom | base64 | tr -d '/+=')
all_secrets() {
  printf 'PLATFORM_KEY="%s"\n' "$platform_key"
  printf 'CONNECTOR_CLIENT_SECRET="%s"\n' "guard-connector-secret-value"
  printf 'GOOGLE_CLIENT_SECRET="%s"\n' "guard-google-secret-value"
  printf 'ENVELOPE_SERVICE_TOKEN="%s"\n' "$envelope_token"
  printf 'AWS_SECRET_ACCESS_KEY="%s"\n' "guard-aws-secret-value"
}
# Production-like values for what wrangler.toml leaves to the deployment.
safe_vars=(
  --var "REDAPP_API_URL:https://api.redapp.example.com"
  --var "REDAPP_SESSION_JWKS_URL:https://id.redapp.example.com/.well-known/jwks.json"
  --var "REDAPP_SIGN_IN_URL:https://id.redapp.example.com/sign-in"
  --var "CONNECTOR_CLIENT_ID:5f0c2b7e-9a41-4c36-8d2e-0b7a6c1e4f21"
  --var "CONSENT_REDIRECT_URI:https://keyswitch.example.com/oauth/consent/callback"
  --var "ALLOWED_ORIGINS:https://app.redapp.example.com"
  --var "GOOGLE_CLIENT_ID:keyswitch.apps.googleusercontent.com"
  --var "AWS_ACCESS_KEY_ID:AKIAKEYSWITCHGUARD"
)

# start_worker NAME SECRETS_FILE EXTRA_ARGS...: wrangler dev --env production.
start_worker() {
  local name=$1 secrets=$2; shift 2
  log="$tmp/worker-$name.log"
  (cd "$ROOT/edge" && exec setsid "$NODE22" "$WRANGLER_JS" dev --env production \
    --ip 127.0.0.1 --port "$port" --persist-to "$tmp/state-$name" \
    --env-file "$secrets" --show-interactive-dev-session=false "$@") >"$log" 2>&1 &
  pid=$!
  local i
  for ((i = 0; i < 600; i++)); do
    curl -sS -o /dev/null --max-time 2 "$url/api/health" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; fail "$name: the worker did not start"; }
    sleep 0.2
  done
  cat "$log" >&2
  fail "$name: the worker did not answer within 120 s"
}

# expect_refused NAME PROBLEM...: every route answers 503 service_misconfigured;
# the log has exactly one guard line, naming each PROBLEM and no value.
expect_refused() {
  local name=$1; shift
  local routes=(
    "GET /api/health"
    "GET /api/openapi.yaml"
    "GET /api/sign-in?return_to=/"
    "GET /api/companies/acme/kms"
    "POST /api/companies/acme/kms/switch"
    "POST /api/envelope/companies/acme/data-keys"
    "GET /api/workspaces/acme/vaults"
    "GET /oauth/consent/callback?state=x&code=y"
    "GET /api/no-such-route"
    "OPTIONS /api/companies/acme/kms"
  )
  local r method path body status
  for r in "${routes[@]}"; do
    method=${r%% *}; path=${r#* }
    body="$tmp/body"
    local data=()
    [ "$method" = POST ] && data=(--data '{}')
    status=$(curl -sS -o "$body" -w '%{http_code}' -X "$method" \
      -H "Authorization: Bearer $envelope_token" -H 'Content-Type: application/json' \
      -H 'Origin: https://app.redapp.example.com' -H 'Access-Control-Request-Method: POST' \
      "${data[@]}" "$url$path")
    [ "$status" = 503 ] || fail "$name: $method $path answered $status, not 503: $(head -c 300 "$body")"
    grep -q '"code":"service_misconfigured"' "$body" || fail "$name: $method $path: $(head -c 300 "$body")"
    grep -q '"message":"The service is not configured correctly"' "$body" || fail "$name: $method $path: not the catalog text"
    for p in "$@" KEYVAULT_PROXY PLATFORM_KEY; do
      grep -q "$p" "$body" && fail "$name: the answer names $p (the caller gets the generic text only)"
    done
  done
  # Give the log a moment to flush.
  sleep 1
  local lines
  lines=$(grep -c 'configuration refused' "$log" || true)
  [ "$lines" = 1 ] || { cat "$log" >&2; fail "$name: $lines guard log lines, not exactly 1 (checked once per isolate)"; }
  local line
  line=$(grep 'configuration refused' "$log")
  for p in "$@"; do
    grep -q "$p" <<<"$line" || fail "$name: the log line does not name $p: $line"
  done
  # The proxy is matched with its path: wrangler's banner names the worker's
  # own 127.0.0.1:<port> (its Cron hint), which must not count.
  for v in "$platform_key" "$envelope_token" guard-connector-secret-value guard-google-secret-value guard-aws-secret-value 127.0.0.1:1/kv; do
    grep -qF -- "$v" "$log" &&
      fail "$name: the log holds a configured value (log line $(grep -nF -- "$v" "$log" | cut -d: -f1 | head -n 1))"
  done
  ok "$name: ${#routes[@]} routes answer 503 service_misconfigured; one log line: ${line##*configuration refused}"
}

all_secrets >"$tmp/secrets-all"
start_worker proxy "$tmp/secrets-all" "${safe_vars[@]}" --var "KEYVAULT_PROXY:http://127.0.0.1:1/kv/"
expect_refused proxy KEYVAULT_PROXY
stop

all_secrets | grep -v '^GOOGLE_CLIENT_SECRET=' >"$tmp/secrets-missing"
start_worker mixed "$tmp/secrets-missing" "${safe_vars[@]}" \
  --var "ENTRA_AUTHORITY:http://login.microsoftonline.com" --var "BENCH_ROUTES:enabled" \
  --var "REDAPP_SIGN_IN_URL:https://127.0.0.1:8790/redapp/sign-in"
expect_refused mixed ENTRA_AUTHORITY BENCH_ROUTES REDAPP_SIGN_IN_URL GOOGLE_CLIENT_SECRET
stop

start_worker safe "$tmp/secrets-all" "${safe_vars[@]}"
status=$(curl -sS -o "$tmp/body" -w '%{http_code}' "$url/api/health")
[ "$status" = 200 ] || fail "safe: /api/health answered $status with a safe production configuration: $(head -c 300 "$tmp/body")"
grep -q 'configuration refused' "$log" && { cat "$log" >&2; fail "safe: the guard refused a safe configuration"; }
stop
ok "safe: a complete https production configuration serves /api/health"
