#!/usr/bin/env bash
# The staff console's audit dashboard in a real browser (docs/console.md): the
# real `mamori serve` on a free port and a fresh data directory, a
# privacy officer's token, a few uses through the API, then console.test.mjs
# drives Debian's chromium (playwright-core) through the pages: headers, the
# token prompt, a wrong token, the dashboard, a new date range; an alert
# opened as an incident, its reports, narrative and draft; no console errors
# and no request leaving localhost.
source "$MAMORI_SOURCE_DIR/tests/e2e/lib.sh"

HERE="$MAMORI_SOURCE_DIR/tests/browser"
CHROMIUM=${MAMORI_CHROMIUM:-/usr/bin/chromium}
NODE=$(command -v node || command -v nodejs || true)
if [ -z "$NODE" ] || [ ! -x "$CHROMIUM" ] || [ ! -d "$HERE/node_modules/playwright-core" ] ||
  ! command -v curl >/dev/null; then
  echo "needs node, chromium ($CHROMIUM), curl and tests/browser/node_modules" \
    "(run scripts/install-deps.sh)" >&2
  exit 1
fi

# --- the server (as in tests/e2e/server_test.sh) ----------------------------------
DATA="$WORK/data"
SERVER_PID=""
stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for ((i = 0; i < 600; i++)); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}
trap 'stop_server; rm -rf "$WORK"' EXIT

TODAY=$(date -u +%F)
run init --data "$DATA" --policy "$POLICY"
expect_code 0 "init with the example policy"
add_actor() { # ID ROLE COURSE...
  local id=$1 role=$2
  shift 2
  "$MAMORI_BIN" actor add --data "$DATA" --id "$id" --role "$role" >/dev/null
  for course in "$@"; do
    "$MAMORI_BIN" training record --data "$DATA" --actor "$id" --course "$course" \
      --completed "$TODAY" >/dev/null
  done
}
add_actor emp:officer privacy-officer privacy-annual secrecy-annual my-number
add_actor emp:agent call-center-agent privacy-annual
OFFICER=$("$MAMORI_BIN" token create --data "$DATA" --actor emp:officer 2>/dev/null | jq -r .token)
AGENT=$("$MAMORI_BIN" token create --data "$DATA" --actor emp:agent 2>/dev/null | jq -r .token)
if [[ "$OFFICER" == mamori_* && "$AGENT" == mamori_* ]]; then
  pass "a privacy officer and an agent with tokens"
else
  fail "tokens"
fi

"$MAMORI_BIN" serve --data "$DATA" --listen 127.0.0.1:0 --port-file "$WORK/port" \
  >>"$WORK/server.out" 2>>"$WORK/server.err" &
SERVER_PID=$!
for ((i = 0; i < 400; i++)); do
  if grep -qE '^[0-9]+$' "$WORK/port" 2>/dev/null; then break; fi
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.05
done
PORT=$(cat "$WORK/port" 2>/dev/null || true)
if ! [[ "$PORT" =~ ^[0-9]+$ ]]; then
  fail "the server starts (stderr: $(cat "$WORK/server.err"))"
  finish
  exit 1
fi
URL="http://127.0.0.1:$PORT"
pass "the server listens on port $PORT"

# --- a few uses through the API, so that the report has decisions ------------------
# post PATH BODY: as the agent; sets CODE (the HTTP status) and OUT.
post() {
  CODE=$(curl -s -o "$WORK/answer" -w '%{http_code}' -X POST -H "Authorization: Bearer $AGENT" \
    -H 'Content-Type: application/json' --data-binary "$2" --max-time 60 "$URL$1")
  OUT=$(cat "$WORK/answer")
  ERR=""
}
post /v1/subjects '{"phone":"090-1234-5678","name":"試験 太郎",
  "records":[{"category":"pd:Name","service":"mobile","value":"試験 太郎"}]}'
S=$(jq -r .subject <<<"$OUT" 2>/dev/null || true)
expect_code 201 "a subject with a record, through the API"
post /v1/decide "{\"subject\":\"$S\",\"purpose\":\"dpv:CustomerCare\",\"categories\":[\"pd:Name\"]}"
expect_code 200 "an allowed decide"
post /v1/read "{\"subject\":\"$S\",\"purpose\":\"dpv:CustomerCare\",\"categories\":[\"pd:Name\"]}"
expect_code 200 "an allowed read"
post /v1/read "{\"subject\":\"$S\",\"purpose\":\"dpv:Marketing\",\"categories\":[\"pd:Name\"]}"
expect_code 403 "a denied read"
# Four more: five denials in a day raise a repeated_denials alert for the
# agent (docs/supervision.md), which the alerts page turns into an incident.
for _ in 1 2 3 4; do
  post /v1/read "{\"subject\":\"$S\",\"purpose\":\"dpv:Marketing\",\"categories\":[\"pd:Name\"]}"
  [ "$CODE" = 403 ] || break
done
expect_code 403 "five denied reads in a day (a repeated_denials alert)"

# --- the browser -------------------------------------------------------------------
set +e
MAMORI_URL="$URL" MAMORI_TOKEN="$OFFICER" MAMORI_AGENT_TOKEN="$AGENT" MAMORI_CHROMIUM="$CHROMIUM" \
  "$NODE" "$HERE/console.test.mjs"
CODE=$?
set -e
OUT="" ERR=""
expect_code 0 "the console in chromium (console.test.mjs)"
if grep -qF -- "$OFFICER" "$WORK/server.out" "$WORK/server.err"; then
  fail "the server's logs show the token"
else
  pass "the server's logs do not show the token"
fi
finish
