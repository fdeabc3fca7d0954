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
source "$MAMORI_SOURCE_DIR/tests/browser/lib.sh"

init_data
add_staff "a privacy officer and an agent with tokens"
# The demo customers: customer 1 (MT-0001-0001) asks for a disclosure,
# customer 2 makes a request and withdraws it.
run import --data "$DATA" "$MAMORI_SOURCE_DIR/examples/demo-customers.jsonl"
expect_code 0 "import the demo customers"

# No scheduled retention sweep: the deletion below must be the request's
# doing, not the sweep's.
start_server --sweep-every 0

# post TOKEN PATH BODY: sets CODE (the HTTP status) and OUT.
post() { call POST "$2" "$3" -H "Authorization: Bearer $1"; }

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
run_browser privacy.test.mjs "the privacy center in chromium (privacy.test.mjs)" \
  MAMORI_SECRETS="$WORK/secrets"

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
