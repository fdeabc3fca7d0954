# Helpers for end-to-end tests that drive the real `mamori` binary.
# Source it; it sets up a scratch directory that is removed on exit.
set -euo pipefail

: "${MAMORI_BIN:?set MAMORI_BIN to the mamori binary}"
: "${MAMORI_SOURCE_DIR:?set MAMORI_SOURCE_DIR to the repository root}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mamori-e2e.XXXXXX")
trap 'stop_server; rm -rf "$WORK"' EXIT
POLICY="$MAMORI_SOURCE_DIR/examples/telecom-operator.toml"
PASSED=0
FAILED=0

# run CMD...: runs mamori, capturing stdout in $OUT, stderr in $ERR and the
# exit code in $CODE, without failing the script.
run() {
  set +e
  "$MAMORI_BIN" "$@" >"$WORK/out" 2>"$WORK/err"
  CODE=$?
  set -e
  OUT=$(cat "$WORK/out")
  ERR=$(cat "$WORK/err")
}

pass() { PASSED=$((PASSED + 1)); echo "ok - $1"; }
fail() {
  FAILED=$((FAILED + 1))
  echo "not ok - $1"
  echo "  exit: $CODE"
  echo "  stdout: ${OUT:0:2000}"
  echo "  stderr: ${ERR:0:2000}"
}

# expect_code N DESCRIPTION: the last run exited with N.
expect_code() { if [ "$CODE" -eq "$1" ]; then pass "$2"; else fail "$2 (wanted exit $1)"; fi; }

# expect_json JQ_FILTER DESCRIPTION: the filter is true on $OUT.
expect_json() {
  if jq -e "$1" >/dev/null 2>&1 <<<"$OUT"; then pass "$2"; else fail "$2 (jq: $1)"; fi
}

# expect_err_contains TEXT DESCRIPTION
expect_err_contains() {
  if grep -qF -- "$1" <<<"$ERR"; then pass "$2"; else fail "$2 (stderr lacks: $1)"; fi
}

# expect_err_lacks TEXT DESCRIPTION
expect_err_lacks() {
  if grep -qF -- "$1" <<<"$ERR$OUT"; then fail "$2 (output shows: $1)"; else pass "$2"; fi
}

# add_agent DATA: a call-center agent "emp:e2e" with current training, for
# the commands that decide a use (find, read, decide).
add_agent() {
  "$MAMORI_BIN" actor add --data "$1" --id emp:e2e --role call-center-agent >/dev/null 2>&1
  "$MAMORI_BIN" training record --data "$1" --actor emp:e2e --course privacy-annual \
    --completed "$(date -u +%F)" >/dev/null 2>&1
}
# A find as that agent: `run find --data D $AS_AGENT --phone ...`.
AS_AGENT="--actor emp:e2e --purpose dpv:CustomerCare"

finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}

# --- the real server, for the tests that drive it over HTTP ---------------------
SERVER_PID=""

# start_server [ARG...]: `mamori serve --data "$DATA"` on a free port of
# 127.0.0.1 with the extra arguments, its output appended to
# $WORK/server.out and $WORK/server.err; sets SERVER_PID, PORT and URL. When
# no port comes (the server failed to start), fails and ends the script.
start_server() {
  rm -f "$WORK/port"
  "$MAMORI_BIN" serve --data "$DATA" --listen 127.0.0.1:0 --port-file "$WORK/port" "$@" \
    >>"$WORK/server.out" 2>>"$WORK/server.err" &
  SERVER_PID=$!
  for ((i = 0; i < 400; i++)); do
    if grep -qE '^[0-9]+$' "$WORK/port" 2>/dev/null; then break; fi
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.05
  done
  PORT=$(cat "$WORK/port" 2>/dev/null || true)
  if ! [[ "$PORT" =~ ^[0-9]+$ ]] || [ "$PORT" -eq 0 ]; then
    fail "the server starts (stderr: $(tail -5 "$WORK/server.err"))"
    finish || true
    exit 1
  fi
  URL="http://127.0.0.1:$PORT"
}

# stop_server: SIGTERM, then up to 30 s for a clean exit, whose code is
# left in $SERVER_CODE. Does nothing when no server runs.
stop_server() {
  SERVER_CODE=""
  [ -n "$SERVER_PID" ] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for ((i = 0; i < 600; i++)); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  set +e
  wait "$SERVER_PID" 2>/dev/null
  SERVER_CODE=$?
  set -e
  SERVER_PID=""
}
