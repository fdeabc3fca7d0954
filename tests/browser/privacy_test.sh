#!/usr/bin/env bash
# The customer privacy center (/privacy, docs/privacy-center.md) in a real
# browser: the real `mamori serve` on a free port and a fresh data directory
# with the example policy and the demo customers, a privacy officer (who
# verifies and approves requests through the staff API, with curl) and a
# call-center agent (who collects a subject and finds by phone); then
# privacy.test.mjs drives Debian's chromium (playwright-core) through the
# page: the notices, a disclosure request followed to its download, a
# deletion request after which the subject cannot be found, a withdrawn
# request, a complaint, the language switch; no console errors, no request
# leaving localhost, no personal data or secret in a URL or in storage.
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

# --- the server (as in console_test.sh) ---------------------------------------------
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
# The demo customers: customer 1 (MT-0001-0001) asks for a disclosure,
# customer 2 makes a request and withdraws it.
run import --data "$DATA" "$MAMORI_SOURCE_DIR/examples/demo-customers.jsonl"
expect_code 0 "import the demo customers"

# No scheduled retention sweep: the deletion below must be the request's
# doing, not the sweep's.
"$MAMORI_BIN" serve --data "$DATA" --listen 127.0.0.1:0 --port-file "$WORK/port" \
  --sweep-every 0 >>"$WORK/server.out" 2>>"$WORK/server.err" &
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

# post TOKEN PATH BODY: sets CODE (the HTTP status) and OUT.
post() {
  CODE=$(curl -s -o "$WORK/answer" -w '%{http_code}' -X POST -H "Authorization: Bearer $1" \
    -H 'Content-Type: application/json' --data-binary "$3" --max-time 60 "$URL$2")
  OUT=$(cat "$WORK/answer")
  ERR=""
}

# --- a customer whose data nothing keeps any more --------------------------------
# Collected through the customer center (`support`) in 2017; every contract
# ended in January 2018. By now every purpose of the service has let the data
# go (customer care: 3 years from collection; billing: 7 years from the end
# of the contract), no legal hold keeps it, and only the sweep (off here)
# has not erased it yet: a deletion request erases all of it.
post "$AGENT" /v1/subjects '{"phone":"070-5555-0101","contract":"MT-0009-0101",
  "birth_date":"1970-01-01","name":"消去 希望子",
  "records":[
    {"category":"pd:Name","service":"support","value":"消去 希望子","collected_at":"2017-06-01T10:00:00+09:00"},
    {"category":"pd:TelephoneNumber","service":"support","value":"070-5555-0101","collected_at":"2017-06-01T10:00:00+09:00"},
    {"category":"mamori:InquiryHistory","service":"support","value":"2017-06-01 解約の相談","collected_at":"2017-06-01T10:05:00+09:00"}]}'
expect_code 201 "a subject collected through the customer center (support) in 2017"
GONE=$(jq -r .subject <<<"$OUT" 2>/dev/null || true)
post "$OFFICER" "/v1/subjects/$GONE/contract-end" '{"ended_at":"2018-01-31"}'
if [ "$CODE" = 200 ] || [ "$CODE" = 201 ]; then
  pass "the subject's contracts ended in January 2018"
else
  fail "contract end (HTTP $CODE)"
fi
post "$AGENT" /v1/find '{"purpose":"dpv:CustomerCare","phone":"070-5555-0101"}'
if [ "$CODE" = 200 ] && jq -e --arg s "$GONE" '.subjects | index($s) != null' >/dev/null 2>&1 <<<"$OUT"
then
  pass "before the request, a find by phone finds the subject"
else
  fail "find before the deletion (HTTP $CODE)"
fi

# --- the browser -------------------------------------------------------------------
set +e
MAMORI_URL="$URL" MAMORI_TOKEN="$OFFICER" MAMORI_AGENT_TOKEN="$AGENT" MAMORI_CHROMIUM="$CHROMIUM" \
  MAMORI_SECRETS="$WORK/secrets" "$NODE" "$HERE/privacy.test.mjs"
CODE=$?
set -e
OUT="" ERR=""
expect_code 0 "the privacy center in chromium (privacy.test.mjs)"

# --- what the server logged ------------------------------------------------------------
# Tokens and request secrets travel in headers, customers' identifiers in
# bodies: none of them in the server's logs.
LEAKED=""
touch "$WORK/secrets"
while IFS= read -r secret; do
  [ -n "$secret" ] || continue
  if grep -qF -- "$secret" "$WORK/server.out" "$WORK/server.err"; then LEAKED="$LEAKED secret"; fi
done < <(printf '%s\n' "$OFFICER" "$AGENT"; cat "$WORK/secrets")
if grep -qE '090-1234-5678|MT-0001-0001|070-5555-0101|taro\.yamada' \
  "$WORK/server.out" "$WORK/server.err"; then
  LEAKED="$LEAKED identifier"
fi
if [ -z "$LEAKED" ] && [ -s "$WORK/secrets" ]; then
  pass "the server's logs show no token, no request secret and no customer identifier"
else
  fail "the server's logs (leaked:${LEAKED:- none}; secrets seen: $(wc -l <"$WORK/secrets"))"
fi
finish
