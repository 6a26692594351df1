#!/usr/bin/env bash
# Property-based API check: schemathesis (PyPI, pinned in tests/requirements.txt)
# reads the OpenAPI document the running worker serves and fires generated
# requests at it. Fails on any 5xx or any response that breaks the schema.
#
#   KEYSWITCH_URL=http://127.0.0.1:8787 \
#   ENVELOPE_VARS=/path/to/dev.vars \
#   tests/schemathesis/run.sh <partner-admin-session> [workspace-owner-session]
#
# Three runs, each with the credential its routes take:
#   1. the Partner Admin session: every route except /api/workspaces and
#      /api/envelope (Manage KMS, sign-in, health, the consent callback);
#   2. the Workspace Owner session (if given): /api/workspaces/… (vaults, items);
#   3. the envelope service token (if ENVELOPE_VARS names the stack's dev.vars
#      file holding ENVELOPE_SERVICE_TOKEN): /api/envelope/….
# Tokens are passed in a header, never logged.
set -euo pipefail
: "${KEYSWITCH_URL:?set KEYSWITCH_URL to the running worker}"
PARTNER=${1:?usage: run.sh <partner-admin-session> [workspace-owner-session]}
OWNER=${2:-}
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ST="${SCHEMATHESIS_BIN:-$ROOT/.venv/bin/schemathesis}"
[ -x "$ST" ] || ST=$(command -v schemathesis) || { echo "schemathesis is not installed (tests/requirements.txt)" >&2; exit 1; }

# run <label> <bearer> <filter args…>
run() {
  local label=$1 bearer=$2
  shift 2
  echo "== schemathesis: $label"
  "$ST" run "$KEYSWITCH_URL/api/openapi.yaml" \
    --url "$KEYSWITCH_URL" \
    --header "Authorization: Bearer $bearer" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-examples "${SCHEMATHESIS_EXAMPLES:-25}" \
    --max-redirects 0 \
    --request-timeout 60 \
    --no-color \
    "$@"
}

status=0
run "partner_admin session (Manage KMS and public routes)" "$PARTNER" \
  --exclude-path-regex '^/api/(workspaces|envelope)/' || status=1

if [ -n "$OWNER" ]; then
  run "workspace_owner session (/api/workspaces)" "$OWNER" \
    --include-path-regex '^/api/workspaces/' || status=1
else
  echo "== schemathesis: no workspace_owner session given; /api/workspaces not run" >&2
fi

if [ -n "${ENVELOPE_VARS:-}" ]; then
  envelope=$(sed -n 's/^ENVELOPE_SERVICE_TOKEN="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$ENVELOPE_VARS" | head -n 1)
  [ -n "$envelope" ] || { echo "ENVELOPE_SERVICE_TOKEN is not in \$ENVELOPE_VARS" >&2; exit 1; }
  run "envelope service token (/api/envelope)" "$envelope" \
    --include-path-regex '^/api/envelope/' || status=1
else
  echo "== schemathesis: ENVELOPE_VARS not set; /api/envelope not run" >&2
fi
exit "$status"
