#!/usr/bin/env bash
# Property-based API check: schemathesis (PyPI, pinned in tests/requirements.txt)
# reads the OpenAPI document the running worker serves and fires generated
# requests at it. Fails on any 5xx or any response that breaks the schema.
#
#   KEYSWITCH_URL=http://127.0.0.1:8787 tests/schemathesis/run.sh <session-token> [company]
#
# The token is a RedApp session (e.g. from the simulator's
# POST /_control/redapp/sessions); it is passed in a header, never logged.
set -euo pipefail
: "${KEYSWITCH_URL:?set KEYSWITCH_URL to the running worker}"
TOKEN=${1:?usage: run.sh <session-token> [company]}
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ST="${SCHEMATHESIS_BIN:-$ROOT/.venv/bin/schemathesis}"
[ -x "$ST" ] || ST=$(command -v schemathesis) || { echo "schemathesis is not installed (tests/requirements.txt)" >&2; exit 1; }

exec "$ST" run "$KEYSWITCH_URL/api/openapi.yaml" \
  --url "$KEYSWITCH_URL" \
  --header "Authorization: Bearer $TOKEN" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-25}" \
  --request-timeout 60 \
  --no-color
