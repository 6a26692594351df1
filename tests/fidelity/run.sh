#!/usr/bin/env bash
# Fidelity check: Microsoft's Python SDK (azure-identity + azure-keyvault-keys)
# against keyswitch-sim over HTTPS. Creates/reuses the repo's .venv, makes a
# throw-away CA, starts the simulator with TLS, runs pytest, stops it.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="$ROOT/.venv"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
want="$(sha256sum "$HERE/requirements.txt" | cut -d' ' -f1)"
stamp="$VENV/.fidelity-requirements.sha256"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"
  echo "$want" > "$stamp"
fi

WORK="$(mktemp -d)"
SIM_PID=""
cleanup() {
  if [ -n "$SIM_PID" ] && kill -0 "$SIM_PID" 2>/dev/null; then
    kill "$SIM_PID" 2>/dev/null || true
    wait "$SIM_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

"$VENV/bin/python" "$HERE/make_certs.py" "$WORK"

(cd "$ROOT" && CARGO_TARGET_DIR="$TARGET" cargo build --quiet -p keyswitch-sim)

free_port() {
  "$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
HTTP_PORT="$(free_port)"
TLS_PORT="$(free_port)"

"$TARGET/debug/keyswitch-sim" \
  --addr "127.0.0.1:$HTTP_PORT" \
  --tls-addr "127.0.0.1:$TLS_PORT" --tls-cert "$WORK/server.pem" --tls-key "$WORK/server-key.pem" \
  --state-dir "$ROOT/.state/sim" \
  >"$WORK/sim.out" 2>"$WORK/sim.err" &
SIM_PID=$!

for _ in $(seq 1 300); do
  grep -q "keyswitch-sim listening on" "$WORK/sim.out" 2>/dev/null && break
  kill -0 "$SIM_PID" 2>/dev/null || { cat "$WORK/sim.err" >&2; echo "simulator exited" >&2; exit 1; }
  sleep 0.1
done
grep -q "keyswitch-sim listening on" "$WORK/sim.out" || { echo "simulator did not start" >&2; exit 1; }

status=0
SIM_HTTPS="https://localhost:$TLS_PORT" \
SIM_CA="$WORK/ca.pem" \
REQUESTS_CA_BUNDLE="$WORK/ca.pem" \
  "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$HERE" "$@" || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- simulator stderr ---" >&2
  tail -n 50 "$WORK/sim.err" >&2 || true
fi
exit "$status"
