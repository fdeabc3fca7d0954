#!/usr/bin/env bash
# The staff console's request, complaint and lookup pages in a real browser
# (docs/console.md): the real `mamori serve` on a free port and a fresh data
# directory with the demo customers, a privacy officer's and a call-center
# agent's tokens, customer requests and a complaint made with curl through
# the public API, then staff.test.mjs drives Debian's chromium
# (playwright-core) through /console/requests, /console/complaints and
# /console/lookup; afterwards the customer's own view of the request shows
# what the staff did.
source "$MAMORI_SOURCE_DIR/tests/browser/lib.sh"

init_data
run import --data "$DATA" "$MAMORI_SOURCE_DIR/examples/demo-customers.jsonl"
expect_code 0 "import the demo customers"
add_staff "a privacy officer and a call-center agent with tokens"
start_server

# --- what customers send, through the public API (no token) ---------------------------
# public PATH BODY: sets CODE (the HTTP status) and OUT.
public() { call POST "$1" "$2"; }
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
run_browser staff.test.mjs \
  "the request, complaint and lookup pages in chromium (staff.test.mjs)" \
  MAMORI_REQUEST="$REQUEST1" MAMORI_REQUEST2="$REQUEST2" MAMORI_REQUEST3="$REQUEST3" \
  MAMORI_COMPLAINT="$COMPLAINT"

# --- what the customer sees afterwards ---------------------------------------------------
# get SECRET PATH: the customer's view, with the secret in a header.
get() { call GET "$2" "" -H "X-Request-Secret: $1"; }
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
