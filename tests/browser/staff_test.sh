#!/usr/bin/env bash
# The staff console's request, complaint and lookup pages in a real browser
# (docs/console.md): the real `mamori serve` on a free port and a fresh data
# directory with the demo customers, a privacy officer's and a call-center
# agent's tokens, customer requests and a complaint made with curl through
# the public API, then staff.test.mjs drives Debian's chromium
# (playwright-core) through /console/requests, /console/complaints and
# /console/lookup; afterwards the customer's own view of the request shows
# what the staff did.
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
run import --data "$DATA" "$MAMORI_SOURCE_DIR/examples/demo-customers.jsonl"
expect_code 0 "import the demo customers"
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
  pass "a privacy officer and a call-center agent with tokens"
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

# --- what customers send, through the public API (no token) ---------------------------
# public PATH BODY: sets CODE (the HTTP status) and OUT.
public() {
  CODE=$(curl -s -o "$WORK/answer" -w '%{http_code}' -X POST \
    -H 'Content-Type: application/json' --data-binary "$2" --max-time 60 "$URL$1")
  OUT=$(cat "$WORK/answer")
  ERR=""
}
# Customer 1 of examples/demo-customers.jsonl, with the factors the example
# policy requires.
CUSTOMER1='{"contract":"MT-0001-0001","phone":"090-1234-5678","birth_date":"1985-04-12"}'
public /v1/public/requests "{\"kind\":\"disclosure\",\"identifiers\":$CUSTOMER1,
  \"details\":\"すべての保有個人データの開示を電子的に希望します <b>test</b>\",\"language\":\"ja\"}"
expect_code 201 "customer 1 asks for a disclosure"
expect_json '(.request | startswith("req_")) and (.secret | length > 0) and .status == "received"' \
  "the answer: request id, secret, received"
REQUEST1=$(jq -r .request <<<"$OUT" 2>/dev/null || true)
SECRET1=$(jq -r .secret <<<"$OUT" 2>/dev/null || true)
public /v1/public/requests "{\"kind\":\"correction\",\"identifiers\":$CUSTOMER1,
  \"category\":\"pd:EmailAddress\",\"value\":\"taro.new@example.jp\",
  \"details\":\"メールアドレスが古いので訂正してください\"}"
expect_code 201 "customer 1 asks for a correction of the email address"
REQUEST2=$(jq -r .request <<<"$OUT" 2>/dev/null || true)
SECRET2=$(jq -r .secret <<<"$OUT" 2>/dev/null || true)
public /v1/public/requests "{\"kind\":\"stop_provision\",\"identifiers\":$CUSTOMER1}"
expect_code 201 "customer 1 asks to stop the provision to third parties"
REQUEST3=$(jq -r .request <<<"$OUT" 2>/dev/null || true)
SECRET3=$(jq -r .secret <<<"$OUT" 2>/dev/null || true)
public /v1/public/complaints '{"service":"mobile","category":"marketing",
  "text":"広告メールの配信停止を申し出たのにまだ届きます <script>window.pwned = 1</script>",
  "contact":"taro.yamada@example.jp","language":"ja"}'
expect_code 201 "a customer files a complaint"
expect_json '(.complaint | startswith("cmp_")) and (.first_response_due | length > 0)' \
  "the answer: complaint id and first response due"
COMPLAINT=$(jq -r .complaint <<<"$OUT" 2>/dev/null || true)

# --- the browser -------------------------------------------------------------------
set +e
MAMORI_URL="$URL" MAMORI_TOKEN="$OFFICER" MAMORI_AGENT_TOKEN="$AGENT" MAMORI_CHROMIUM="$CHROMIUM" \
  MAMORI_REQUEST="$REQUEST1" MAMORI_REQUEST2="$REQUEST2" MAMORI_REQUEST3="$REQUEST3" \
  MAMORI_COMPLAINT="$COMPLAINT" \
  "$NODE" "$HERE/staff.test.mjs"
CODE=$?
set -e
OUT="" ERR=""
expect_code 0 "the request, complaint and lookup pages in chromium (staff.test.mjs)"

# --- what the customer sees afterwards ---------------------------------------------------
# get SECRET PATH: the customer's view, with the secret in a header.
get() {
  CODE=$(curl -s -o "$WORK/answer" -w '%{http_code}' -H "X-Request-Secret: $1" \
    --max-time 60 "$URL$2")
  OUT=$(cat "$WORK/answer")
  ERR=""
}
get "$SECRET1" "/v1/public/requests/$REQUEST1"
expect_code 200 "the customer reads the disclosure request"
expect_json '.status == "completed" and .verification == "verified" and .result == true' \
  "the customer sees it completed and verified, with a result"
get "$SECRET1" "/v1/public/requests/$REQUEST1/result?format=json"
expect_code 200 "the customer fetches the result document"
if grep -qF 'taro.yamada@example.jp' "$WORK/answer"; then
  pass "the disclosure holds the customer's email address"
else
  fail "the disclosure lacks the email address"
fi
get "$SECRET2" "/v1/public/requests/$REQUEST2"
expect_code 200 "the customer reads the correction request"
expect_json '.status == "refused" and .refusal.ground == "data_correct" and
  (.extensions | length) == 1 and (.extensions[0].days == 7)' \
  "the customer sees it refused (data_correct), after one extension of 7 days"
get "$SECRET3" "/v1/public/requests/$REQUEST3"
expect_code 200 "the customer reads the stop_provision request"
expect_json '.status == "refused" and .refusal.ground == "not_verified"' \
  "the customer sees it refused (not_verified), as the other staff member did"
LEAKED=""
for secret in "$OFFICER" "$AGENT" "$SECRET1" "$SECRET2" "$SECRET3" 090-1234-5678; do
  if grep -qF -- "$secret" "$WORK/server.out" "$WORK/server.err"; then
    LEAKED="$LEAKED ${secret:0:8}…"
  fi
done
if [ -z "$LEAKED" ]; then
  pass "the server's logs show no token, request secret or identifier looked up"
else
  fail "the server's logs show:$LEAKED"
fi
finish
