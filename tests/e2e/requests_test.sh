#!/usr/bin/env bash
# Customer requests and complaints end to end (docs/requests.md, "The API"),
# against the real `mamori serve`: the privacy center in Japanese and
# English; every request kind submitted by the customer, verified and
# approved by the privacy officer, with its effect (a disclosure holds the
# data, a purpose notice the services, a correction changes what /v1/read
# returns, a stop_use makes /v1/decide deny, a stop_provision and a
# deletion complete, and the deleted customer can no longer be found);
# erasure keeps what an active contract needs; the customer's view with
# and without the secret; the result as JSON and as a printable page; a
# requester who cannot be verified (and the same public answer whatever
# failed); refusal, extension, withdrawal, idempotent verify and approve,
# a failed execution and its retry; complaints; the permissions; every
# error code (400s, 401, 403, 404, 409, 413, 429 with Retry-After) and that
# a failed call changes nothing. Every answer is checked against the
# OpenAPI document the server serves, and every documented status of these
# routes is exercised (openapi_check.py coverage). Finally, nothing the
# customers gave is in the logs or the data directory in plaintext.
source "$(dirname "$0")/lib.sh"

PYTHON=""
for candidate in python3 /usr/bin/python3; do
  if "$candidate" -c 'import jsonschema' 2>/dev/null; then
    PYTHON=$candidate
    break
  fi
done
if [ -z "$PYTHON" ] || ! command -v curl >/dev/null || ! command -v sqlite3 >/dev/null; then
  echo "needs curl, sqlite3 and python3 with jsonschema (scripts/install-deps.sh)" >&2
  exit 1
fi
CHECK="$MAMORI_SOURCE_DIR/tests/e2e/openapi_check.py"

DATA="$WORK/data"

TODAY=$(date -u +%F)
NO_REQUEST=req_AAAAAAAAAAAAAAAAAAAAAA
NO_COMPLAINT=cmp_AAAAAAAAAAAAAAAAAAAAAA

# Customer 1 of examples/demo-customers.jsonl (mobile, an active contract).
C1_CONTRACT="MT-0001-0001"
C1_PHONE="090-1234-5678"
C1_BIRTH="1985-04-12"
C1_EMAIL="taro.yamada@example.jp"
C1=$(jq -nc --arg c "$C1_CONTRACT" --arg p "$C1_PHONE" --arg b "$C1_BIRTH" \
  '{contract: $c, phone: $p, birth_date: $b}')
# Customer 2 (fiber).
C2=$(jq -nc '{contract: "MT-0001-0002", phone: "080-2345-6789", birth_date: "1992-11-03"}')
# Customer 2 with a wrong birth date: cannot be verified.
C2_WRONG=$(jq -nc '{contract: "MT-0001-0002", phone: "080-2345-6789", birth_date: "1992-11-04"}')
# Customers created here through POST /v1/subjects.
C3_PHONE="090-4444-0303"
C3=$(jq -nc --arg p "$C3_PHONE" '{contract: "MT-0009-0003", phone: $p, birth_date: "1990-03-03"}')
C4=$(jq -nc '{contract: "MT-0009-0004", phone: "090-4444-0404", birth_date: "1990-04-04"}')

# What requesters and complainants give: none of it may reach a log, the
# ledger or the data directory in plaintext.
DETAILS="DETAILS-7f3a 古い連絡先の確認をお願いします"
AGENT_NAME="代理人 花子"
AGENT_CONTACT="proxy.hanako@example.jp"
NEW_EMAIL="taro.corrected@example.jp"
ADDED_EMAIL="misaki.added@example.jp"
EXTEND_REASON="EXTEND-REASON-41c2 本人確認書類の再提出待ち"
EXTEND_NOTICE="EXTEND-NOTICE-88d0 回答期限を延長します"
REFUSAL_TEXT="REFUSAL-TEXT-5b19 ご本人確認ができませんでした"
COMPLAINT_TEXT="COMPLAINT-TEXT-92e4 勧誘の電話が止まりません"
COMPLAINT_CONTACT="complainant.e2e@example.jp"
RESPONSE_TEXT="RESPONSE-TEXT-0c77 勧誘リストから外しました"
INQUIRY="INQUIRY-3d5e 回線工事の日程についての問い合わせ"

check() { if eval "$1"; then pass "$2"; else fail "$2"; fi; }

# --- a data directory: the demo customers, staff and their tokens --------------------
run init --data "$DATA" --policy "$POLICY"
expect_code 0 "init"
run import --data "$DATA" "$MAMORI_SOURCE_DIR/examples/demo-customers.jsonl"
expect_code 0 "the demo customers import"
actor() { # ID ROLE COURSE...
  local id=$1 role=$2
  shift 2
  "$MAMORI_BIN" actor add --data "$DATA" --id "$id" --role "$role" >/dev/null 2>&1
  for course in "$@"; do
    "$MAMORI_BIN" training record --data "$DATA" --actor "$id" --course "$course" \
      --completed "$TODAY" >/dev/null 2>&1
  done
}
actor emp:officer privacy-officer privacy-annual secrecy-annual my-number
actor emp:agent call-center-agent privacy-annual
actor emp:auditor auditor privacy-annual
actor emp:untrained privacy-officer # the requests permission, but no training
token() { "$MAMORI_BIN" token create --data "$DATA" --actor "$1" 2>/dev/null | jq -r .token; }
OFFICER=$(token emp:officer)
AGENT=$(token emp:agent)
AUDITOR=$(token emp:auditor)
UNTRAINED=$(token emp:untrained)
check '[[ "$OFFICER" == mamori_* && "$AGENT" == mamori_* && "$AUDITOR" == mamori_* && "$UNTRAINED" == mamori_* ]]' \
  "actors, training and tokens"

start_server

# --- requests and checks --------------------------------------------------------------
DOC="$WORK/openapi.json"
EXCHANGES="$WORK/exchanges"
SEEN="$WORK/seen"
CODES="$WORK/codes"
mkdir -p "$WORK/resp"
: >"$EXCHANGES"
: >"$SEEN"
: >"$CODES"
N=0
# call METHOD TARGET [BODY] [TOKEN] [SECRET]: one request; sets STATUS, CTYPE,
# OUT and HEADERS (the answer's headers, lower-cased names). SECRET goes as
# X-Request-Secret.
call() {
  METHOD=$1 TARGET=$2
  local data=${3-} token=${4-} secret=${5-}
  N=$((N + 1))
  RESP="$WORK/resp/$N"
  REQ="$WORK/resp/$N.req"
  local args=(-s -S -o "$RESP" -D "$RESP.h" -w '%{http_code} %{content_type}' -X "$METHOD"
    --max-time 60)
  if [ -n "$token" ]; then args+=(-H "Authorization: Bearer $token"); fi
  if [ -n "$secret" ]; then args+=(-H "X-Request-Secret: $secret"); fi
  if [ -n "$data" ]; then
    args+=(-H "Content-Type: application/json" --data-binary "$data")
    if [ "${data:0:1}" = "@" ]; then REQ=-; else printf '%s' "$data" >"$REQ"; fi
  else
    : >"$REQ"
  fi
  local w
  w=$(curl "${args[@]}" "$URL$TARGET" 2>"$WORK/curl.err") || true
  STATUS=${w%% *}
  CTYPE=${w#* }
  OUT=$(cat "$RESP" 2>/dev/null || true)
  HEADERS=$(tr -d '\r' <"$RESP.h" 2>/dev/null | tr 'A-Z' 'a-z' || true)
  CODE=$STATUS
  ERR=$(cat "$WORK/curl.err")
}
# header NAME: the last answer's header (NAME lower-case), or "".
header() { sed -n "s/^$1: //p" <<<"$HEADERS" | head -1; }
# expect STATUS [ERROR_CODE] DESCRIPTION: kept for the document check.
expect() {
  local status=$1 code="" desc=$2
  if [ $# -ge 3 ]; then code=$2 desc=$3; fi
  if [ "$STATUS" != "$status" ]; then
    fail "$desc (wanted HTTP $status, got $STATUS)"
    return
  fi
  if [ -n "$code" ]; then
    if ! jq -e --arg c "$code" '.error.code == $c' >/dev/null 2>&1 <"$RESP"; then
      fail "$desc (wanted error code $code)"
      return
    fi
    echo "$code" >>"$CODES"
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$METHOD" "$TARGET" "$STATUS" "$CTYPE" "$RESP" "$REQ" \
    "$desc" >>"$EXCHANGES"
  pass "$desc"
}
ledger_size() { curl -s "$URL/healthz" | jq -r .ledger_entries; }
request_count() {
  curl -s -H "Authorization: Bearer $OFFICER" "$URL/v1/requests" | jq '.requests | length'
}
complaint_count() {
  curl -s -H "Authorization: Bearer $OFFICER" "$URL/v1/complaints" | jq '.complaints | length'
}
# submit KIND IDENTIFIERS_JSON [EXTRA_JSON] DESCRIPTION: a request, 201; sets
# RID and SECRET.
submit() {
  local kind=$1 ids=$2 extra='{}' desc
  if [ $# -ge 4 ]; then extra=$3 desc=$4; else desc=$3; fi
  call POST /v1/public/requests \
    "$(jq -nc --arg k "$kind" --argjson i "$ids" --argjson e "$extra" '{kind: $k, identifiers: $i} + $e')"
  expect 201 "$desc"
  RID=$(jq -r '.request // empty' <<<"$OUT")
  SECRET=$(jq -r '.secret // empty' <<<"$OUT")
}
# verify_approve ID DESCRIPTION: verified, then approved and completed.
verify_approve() {
  call POST "/v1/requests/$1/verify" '{}' "$OFFICER"
  expect 200 "$2: verify"
  expect_json ".request.verification == \"verified\" and .request.subject_id == \"${3:-}\" and .status == \"verifying\"" \
    "$2: verified as the customer"
  call POST "/v1/requests/$1/approve" '{}' "$OFFICER"
  expect 200 "$2: approve"
  expect_json '.status == "completed" and .request.error == null and (.result | type == "object") and (.request.outcome.summary | length > 0)' \
    "$2: completed, with a result"
}

call GET /openapi.json
cp "$RESP" "$DOC"
expect 200 "GET /openapi.json"
check 'jq -e --slurpfile src "$MAMORI_SOURCE_DIR/src/server/openapi.json" ". == \$src[0]" <"$DOC" >/dev/null' \
  "the served document is src/server/openapi.json"
check '"$PYTHON" "$CHECK" "$DOC" document' "the document is valid OpenAPI 3.1"

# The customers' subject ids (the agent finds them by phone).
find_phone() { # PHONE: the subjects found, as JSON
  curl -s -H "Authorization: Bearer $AGENT" -X POST --data-binary \
    "{\"purpose\":\"dpv:CustomerCare\",\"phone\":\"$1\"}" "$URL/v1/find" | jq -c '.subjects'
}
S1=$(find_phone "$C1_PHONE" | jq -r '.[0]')
S2=$(find_phone 080-2345-6789 | jq -r '.[0]')
check '[[ "$S1" == sub_* && "$S2" == sub_* && "$S1" != "$S2" ]]' "customers 1 and 2 are found by phone"

# --- the privacy center -----------------------------------------------------------------
call GET /v1/public/privacy-center
expect 200 "GET /v1/public/privacy-center"
expect_json '.verification == ["contract", "phone", "birth_date"] and .complaint_first_response_hours == 48' \
  "the identifiers to give, and the complaint response time"
expect_json '(.request_kinds | all(.name | length > 0)) and .time_zone == "Asia/Tokyo" and (.recipients | length) > 0 and ([.request_kinds[].kind] == ["purpose_notice", "disclosure", "correction", "addition", "deletion", "stop_use", "stop_provision"]) and ([.request_kinds[] | select(.kind == "purpose_notice")][0].days == 7) and ([.request_kinds[] | select(.kind == "stop_use")][0].days == 10) and ([.request_kinds[] | select(.kind == "disclosure")][0].article | test("33"))' \
  "every request kind with its article and service level"
expect_json '([.services[].id] | index("mobile") and index("support")) and ([.services[] | select(.id == "support")][0].name == "みらいテレコム お客さまセンター")' \
  "the services, named in Japanese"
expect_json '([.complaint_categories[].id] == ["handling", "request", "marketing", "security", "other"]) and .complaint_categories[4].name == "その他" and (.security_measures | length) > 0 and (.fee | length) > 0 and (.operator.name | length) > 0 and (.operator.complaint_desk | length) > 0' \
  "complaint categories, fee, security measures and the operator (ja)"
JA_OPERATOR=$(jq -r .operator.name <<<"$OUT")
JA_MEASURE=$(jq -r '.security_measures[0]' <<<"$OUT")
call GET "/v1/public/privacy-center?lang=ja"
expect 200 "GET /v1/public/privacy-center?lang=ja"
expect_json ".operator.name == \"$JA_OPERATOR\"" "ja is the default"
call GET "/v1/public/privacy-center?lang=en"
expect 200 "GET /v1/public/privacy-center?lang=en"
expect_json '([.services[] | select(.id == "support")][0].name == "Mirai Telecom Customer Center") and .complaint_categories[4].name == "Other" and .complaint_categories[0].name == "Handling of personal information"' \
  "in English: services and complaint categories"
expect_json ".security_measures[0] != \"$JA_MEASURE\" and (.security_measures[0] | test(\"[A-Za-z]\"))" \
  "in English: the security measures"
call GET "/v1/public/privacy-center?lang=fr"
expect 400 invalid_argument "the privacy center in an unknown language"

# --- submission: every error, and nothing changes -------------------------------------------
REQUESTS_BEFORE=$(request_count)
LEDGER_BEFORE=$(ledger_size)
bad_submit() { # BODY CODE DESCRIPTION
  call POST /v1/public/requests "$1"
  expect 400 "$2" "$3"
}
OK_BODY=$(jq -nc '{kind: "disclosure", identifiers: {phone: "090-9999-0001"}}')
bad_submit '{"kind":' invalid_json "a body that is not JSON"
bad_submit '["disclosure"]' invalid_json "a body that is not an object"
bad_submit "$(jq -c '. + {colour: "red"}' <<<"$OK_BODY")" unknown_field "an unknown field"
bad_submit "$(jq -c '.identifiers.passport = "X1"' <<<"$OK_BODY")" unknown_field "an unknown identifier"
bad_submit "$(jq -c 'del(.kind)' <<<"$OK_BODY")" missing_field "no kind"
bad_submit "$(jq -c 'del(.identifiers)' <<<"$OK_BODY")" missing_field "no identifiers"
bad_submit "$(jq -c '.agent = {kind: "authorized_proxy"}' <<<"$OK_BODY")" missing_field "an agent without a name"
bad_submit "$(jq -c '.kind = 7' <<<"$OK_BODY")" wrong_type "a kind that is not a string"
bad_submit "$(jq -c '.identifiers = "090-9999-0001"' <<<"$OK_BODY")" wrong_type "identifiers that are not an object"
bad_submit "$(jq -c '.identifiers.phone = 9099990001' <<<"$OK_BODY")" wrong_type "an identifier that is not a string"
bad_submit "$(jq -c '.kind = "stop_use" | .erase = "yes"' <<<"$OK_BODY")" wrong_type "erase not a boolean"
bad_submit "$(jq -c '.details = ["x"]' <<<"$OK_BODY")" wrong_type "details not a string"
bad_submit "$(jq -c '.kind = "forget_me"' <<<"$OK_BODY")" invalid_argument "an unknown kind"
bad_submit "$(jq -c '.identifiers = {}' <<<"$OK_BODY")" invalid_argument "no identifier given"
bad_submit "$(jq -c '.identifiers = {phone: ""}' <<<"$OK_BODY")" invalid_argument "only an empty identifier"
bad_submit "$(jq -c '.category = "pd:EmailAddress"' <<<"$OK_BODY")" invalid_argument "a category on a disclosure"
bad_submit "$(jq -c '.kind = "correction" | .value = "x@example.jp"' <<<"$OK_BODY")" invalid_argument "a correction without its category"
bad_submit "$(jq -c '.kind = "correction" | .category = "pd:EmailAddress"' <<<"$OK_BODY")" invalid_argument "a correction without its value"
bad_submit "$(jq -c '.kind = "addition" | .category = "pd:EmailAddress" | .value = " "' <<<"$OK_BODY")" invalid_argument "an addition with a blank value"
bad_submit "$(jq -c '.kind = "correction" | .category = "pd:ShoeSize" | .value = "27"' <<<"$OK_BODY")" invalid_argument "a category not in the policy"
bad_submit "$(jq -c '.kind = "deletion" | .value = "x"' <<<"$OK_BODY")" invalid_argument "a value on a deletion"
bad_submit "$(jq -c '.purpose = "dpv:Marketing"' <<<"$OK_BODY")" invalid_argument "a purpose on a disclosure"
bad_submit "$(jq -c '.kind = "stop_use" | .purpose = "dpv:Nothing"' <<<"$OK_BODY")" invalid_argument "a purpose not in the policy"
bad_submit "$(jq -c '.kind = "stop_provision" | .recipient = "nobody"' <<<"$OK_BODY")" invalid_argument "a recipient not in the policy"
bad_submit "$(jq -c '.recipient = "nobody"' <<<"$OK_BODY")" invalid_argument "a recipient on a disclosure"
bad_submit "$(jq -c '.erase = true' <<<"$OK_BODY")" invalid_argument "erase on a disclosure"
bad_submit "$(jq -c '.language = "fr"' <<<"$OK_BODY")" invalid_argument "an unknown language"
bad_submit "$(jq -c '.agent = {kind: "friend", name: "x"}' <<<"$OK_BODY")" invalid_argument "an unknown agent kind"
check '[ "$(request_count)" -eq "$REQUESTS_BEFORE" ] && [ "$(ledger_size)" -eq "$LEDGER_BEFORE" ]' \
  "bad submissions record nothing (no request, no ledger entry)"

# --- the rate limit: five at once per identifier ----------------------------------------------
LIMITED=$(jq -nc '{phone: "090-7777-0006"}')
for n in 1 2 3 4 5; do
  submit purpose_notice "$LIMITED" "submission $n with the same phone"
done
REQUESTS_BEFORE=$(request_count)
LEDGER_BEFORE=$(ledger_size)
call POST /v1/public/requests "$(jq -nc --argjson i "$LIMITED" '{kind: "purpose_notice", identifiers: $i}')"
expect 429 rate_limited "the sixth with the same phone: 429"
RETRY_AFTER=$(header retry-after)
check '[[ "$RETRY_AFTER" =~ ^[0-9]+$ ]] && [ "$RETRY_AFTER" -gt 0 ] && [ "$RETRY_AFTER" -le 720 ]' \
  "with Retry-After in seconds (got '$RETRY_AFTER', at most 12 minutes)"
call POST /v1/public/requests '{"kind":"disclosure","identifiers":{"phone":"09077770006","email":"new.person@example.jp"}}'
expect 429 rate_limited "the same phone without hyphens, with another identifier: still 429"
check '[ "$(request_count)" -eq "$REQUESTS_BEFORE" ] && [ "$(ledger_size)" -eq "$LEDGER_BEFORE" ]' \
  "a limited submission records nothing"
submit purpose_notice '{"phone":"090-7777-0007"}' "another phone is not limited"

# --- disclosure: the customer's data, with an agent ---------------------------------------------
submit disclosure "$C1" "$(jq -nc --arg d "$DETAILS" --arg n "$AGENT_NAME" --arg c "$AGENT_CONTACT" \
  '{details: $d, language: "ja", agent: {kind: "authorized_proxy", name: $n, contact: $c}}')" \
  "POST /v1/public/requests (disclosure)"
DISCLOSURE=$RID
DISCLOSURE_SECRET=$SECRET
expect_json '(.request | startswith("req_")) and .status == "received" and (.secret | length) >= 16 and (.due | type == "string")' \
  "the receipt: id, secret, due, received"
check '[ "$(header cache-control)" = "no-store" ]' "the receipt is not cached (Cache-Control: no-store)"
# Day 0 is today in Tokyo; due by the end of day 14, i.e. at 00:00 of day 15 there.
DUE=$(jq -r .due <<<"$OUT")
EXPECTED_DUE=$(date -u -d "@$(TZ=Asia/Tokyo date -d "$(TZ=Asia/Tokyo date +%F) +15 days" +%s)" +%Y-%m-%dT%H:%M:%SZ)
check '[ "$DUE" = "$EXPECTED_DUE" ]' "due by the end of day 14 in Tokyo ($DUE)"

call GET "/v1/public/requests/$DISCLOSURE" "" "" "$DISCLOSURE_SECRET"
expect 200 "GET /v1/public/requests/{id} with its secret"
expect_json ".request == \"$DISCLOSURE\" and .kind == \"disclosure\" and .status == \"received\" and .verification == \"unverified\" and .language == \"ja\" and .refusal == null and .outcome == null and .result == false and .extensions == []" \
  "the customer's view: received, unverified, no result yet"
check '! grep -qF -e "$C1_PHONE" -e "$C1_CONTRACT" -e "$AGENT_NAME" -e "$DETAILS" "$RESP"' \
  "the customer's view quotes nothing they gave"
call GET "/v1/public/requests/$DISCLOSURE" "" "" "wrong-secret"
expect 404 not_found "a wrong secret: 404"
WRONG_MESSAGE=$(jq -r .error.message <<<"$OUT")
call GET "/v1/public/requests/$DISCLOSURE"
expect 404 not_found "no secret: 404"
NO_SECRET_MESSAGE=$(jq -r .error.message <<<"$OUT")
call GET "/v1/public/requests/$NO_REQUEST" "" "" "$DISCLOSURE_SECRET"
expect 404 not_found "an unknown id: 404"
check '[ "$WRONG_MESSAGE" = "$NO_SECRET_MESSAGE" ] && [ "$WRONG_MESSAGE" = "$(jq -r .error.message <<<"$OUT")" ]' \
  "an unknown id, a wrong and a missing secret answer alike"
call GET "/v1/public/requests/$DISCLOSURE/result" "" "" "$DISCLOSURE_SECRET"
expect 404 not_found "the result before completion: 404"
call GET "/v1/public/requests/$DISCLOSURE/result?format=pdf" "" "" "$DISCLOSURE_SECRET"
expect 400 invalid_argument "a result in an unknown format"

# The staff side.
call GET "/v1/requests/$DISCLOSURE" "" "$OFFICER"
expect 200 "GET /v1/requests/{id}"
expect_json ".status == \"received\" and .result == null and .request.details == \"$DETAILS\" and .request.agent == {\"kind\": \"authorized_proxy\", \"name\": \"$AGENT_NAME\", \"contact\": \"$AGENT_CONTACT\"} and ([.request.identifiers[] | .kind] | sort == [\"birth_date\", \"contract\", \"phone\"]) and .request.language == \"ja\" and .request.overdue == false" \
  "the staff view holds what the customer gave"
expect_json '(.trail | length) == 1 and .trail[0].change == "request.receive" and (.trail[0].identifier_kinds | sort == ["birth_date", "contract", "phone"]) and .trail[0].agent == "authorized_proxy" and (.trail[0].seq | type == "number")' \
  "its trail: the request.receive entry, identifier kinds only"
check '! jq -c .trail <<<"$OUT" | grep -qF -e "$C1_PHONE" -e "$C1_CONTRACT" -e "$AGENT_NAME"' \
  "the trail holds no value the customer gave"
call POST "/v1/requests/$DISCLOSURE/approve" '{}' "$OFFICER"
expect 409 failed_precondition "approving before verification: 409"
call POST "/v1/requests/$DISCLOSURE/assign" '' "$OFFICER"
expect 200 "POST /v1/requests/{id}/assign (the caller takes it)"
expect_json '.request.assignee == "emp:officer" and .status == "received"' "assigned to the caller"
call POST "/v1/requests/$DISCLOSURE/assign" '{"assignee":"emp:agent"}' "$OFFICER"
expect 200 "assign to someone else"
expect_json '.request.assignee == "emp:agent"' "assigned to emp:agent"

# verify, twice; approve, twice: the second changes nothing.
call POST "/v1/requests/$DISCLOSURE/verify" '{}' "$OFFICER"
expect 200 "POST /v1/requests/{id}/verify"
expect_json ".request.verification == \"verified\" and .request.subject_id == \"$S1\" and .status == \"verifying\" and .request.verification_reason == \"verified\"" \
  "verified as customer 1"
FIRST=$OUT
BEFORE=$(ledger_size)
call POST "/v1/requests/$DISCLOSURE/verify" '' "$OFFICER"
expect 200 "verify again: 200"
check '[ "$(jq -c ".request" <<<"$OUT")" = "$(jq -c ".request | .overdue = false" <<<"$FIRST")" ] && [ "$(ledger_size)" -eq "$BEFORE" ]' \
  "verify again: the same state, no ledger entry"
call GET "/v1/public/requests/$DISCLOSURE" "" "" "$DISCLOSURE_SECRET"
expect 200 "the customer's view after verification"
expect_json '.verification == "verified" and .status == "verifying"' "verified, publicly"
call POST "/v1/requests/$DISCLOSURE/approve" '{}' "$UNTRAINED"
expect 403 forbidden "approve by an officer without current training: 403"
check 'jq -e ".error.message | test(\"denied\")" <<<"$OUT" >/dev/null' "the execution was denied"
call GET "/v1/requests/$DISCLOSURE" "" "$OFFICER"
expect 200 "the request after the denied approval"
expect_json '.status == "verifying" and .result == null and (.trail[-1].kind == "decision") and .trail[-1].outcome == "deny" and .trail[-1].actor == "emp:untrained"' \
  "a denied approval changes nothing but the ledger (the denied decision in the trail)"
call POST "/v1/requests/$DISCLOSURE/approve" '{}' "$OFFICER"
expect 200 "POST /v1/requests/{id}/approve (disclosure)"
expect_json '.status == "completed" and .result.kind == "disclosure" and .result.no_data_held == false and .request.outcome.no_data_held == false' \
  "completed"
expect_json "[.result.records[] | select(.category == \"pd:EmailAddress\") | .value] == [\"$C1_EMAIL\"] and ([.result.records[].category] | index(\"mamori:ContractNumber\")) and (.result.records | all(.service == \"mobile\"))" \
  "the disclosure holds customer 1's email and the rest of their data"
expect_json '[.trail[].change // .trail[].action] | (index("request.approve") and index("request.complete"))' \
  "the trail: approve, the execution, complete"
expect_json '[.trail[] | select(.kind == "decision" and .outcome == "allow")][0] | .action == "request.disclosure" and .purpose == "request:disclosure" and (.records | length) > 0' \
  "the execution's decision entry, with the record ids"
APPROVED=$OUT
BEFORE=$(ledger_size)
call POST "/v1/requests/$DISCLOSURE/approve" '{}' "$OFFICER"
expect 200 "approve again: 200"
check '[ "$(jq -c "{request, status, result}" <<<"$OUT")" = "$(jq -c "{request, status, result}" <<<"$APPROVED")" ] && [ "$(ledger_size)" -eq "$BEFORE" ]' \
  "approve again: the same state and result, no ledger entry"
BEFORE=$(ledger_size)
call POST "/v1/requests/$DISCLOSURE/verify" '{}' "$OFFICER"
expect 200 "verifying a completed request (verified as the same customer): 200"
check '[ "$(jq -c "{request, status, result}" <<<"$OUT")" = "$(jq -c "{request, status, result}" <<<"$APPROVED")" ] && [ "$(ledger_size)" -eq "$BEFORE" ]' \
  "unchanged, no ledger entry"

call GET "/v1/public/requests/$DISCLOSURE" "" "" "$DISCLOSURE_SECRET"
expect 200 "the customer's view once completed"
expect_json '.status == "completed" and .result == true and (.outcome.summary | length > 0) and .outcome.no_data_held == false' \
  "completed, a result to fetch"
call GET "/v1/public/requests/$DISCLOSURE/result" "" "" "$DISCLOSURE_SECRET"
expect 200 "GET /v1/public/requests/{id}/result"
expect_json "[.records[] | select(.category == \"pd:EmailAddress\") | .value] == [\"$C1_EMAIL\"] and .request == \"$DISCLOSURE\" and .language == \"ja\" and (.outcome.summary | length > 0)" \
  "the result document holds the email"
check '[[ "$CTYPE" == application/json* ]] && [[ "$(header content-disposition)" == attachment* ]]' \
  "as JSON, an attachment"
call GET "/v1/public/requests/$DISCLOSURE/result?format=json" "" "" "$DISCLOSURE_SECRET"
expect 200 "the result with format=json"
call GET "/v1/public/requests/$DISCLOSURE/result?format=html" "" "" "$DISCLOSURE_SECRET"
expect 200 "GET /v1/public/requests/{id}/result?format=html"
check '[[ "$CTYPE" == text/html* ]] && grep -qi "<html" "$RESP" && grep -qF "$C1_EMAIL" "$RESP" && ! grep -qi "<script" "$RESP"' \
  "a printable page with the email, no script"
check '[[ "$(header content-disposition)" == attachment* ]] && [[ "$(header content-security-policy)" == *"default-src '"'"'none'"'"'"* ]]' \
  "the page is an attachment under a CSP that loads nothing"
call GET "/v1/public/requests/$DISCLOSURE/result" "" "" "wrong-secret"
expect 404 not_found "the result with a wrong secret: 404"
call POST "/v1/public/requests/$DISCLOSURE/withdraw" '' "" "$DISCLOSURE_SECRET"
expect 409 failed_precondition "withdrawing a completed request: 409"

# --- purpose notice ---------------------------------------------------------------------------------
submit purpose_notice "$C1" '{"language":"en"}' "POST /v1/public/requests (purpose_notice, in English)"
PURPOSE=$RID
PURPOSE_SECRET=$SECRET
verify_approve "$PURPOSE" "purpose notice" "$S1"
expect_json '(.result.services | length) == 1 and .result.services[0].service == "mobile" and (.result.services[0].purposes | length) > 0 and .result.no_data_held == false' \
  "the one service of customer 1, with its purposes"
expect_json '[.result.services[0].purposes[].id] | index("dpv:CustomerCare")' "customer care among them"
call GET "/v1/public/requests/$PURPOSE/result" "" "" "$PURPOSE_SECRET"
expect 200 "the purpose notice's result"
expect_json '.services[0].service == "mobile" and (.services[0].purposes[0].name | test("[A-Za-z]")) and .language == "en"' \
  "the purposes by service, in English"

# --- correction: what /v1/read returns changes ------------------------------------------------------
submit correction "$C1" "$(jq -nc --arg v "$NEW_EMAIL" '{category: "pd:EmailAddress", value: $v}')" \
  "POST /v1/public/requests (correction of the email)"
CORRECTION=$RID
call GET "/v1/requests/$CORRECTION" "" "$OFFICER"
expect 200 "the correction, staff view"
expect_json ".request.category == \"pd:EmailAddress\" and .request.value == \"$NEW_EMAIL\"" "with the category and the new value"
verify_approve "$CORRECTION" "correction" "$S1"
expect_json '.result.category == "pd:EmailAddress" and (.result.added_record | startswith("rec_")) and .result.erased_records == 1' \
  "one record added, the wrong one erased"
call POST /v1/read "{\"subject\":\"$S1\",\"purpose\":\"dpv:CustomerCare\",\"categories\":[\"pd:EmailAddress\"]}" "$AGENT"
expect 200 "POST /v1/read after the correction"
expect_json ".values[\"pd:EmailAddress\"] == [\"$NEW_EMAIL\"]" "/v1/read returns the corrected email only"

# --- addition (customer 2) ------------------------------------------------------------------------
submit addition "$C2" "$(jq -nc --arg v "$ADDED_EMAIL" '{category: "pd:EmailAddress", value: $v}')" \
  "POST /v1/public/requests (addition)"
ADDITION=$RID
verify_approve "$ADDITION" "addition" "$S2"
expect_json '.result.category == "pd:EmailAddress" and (.result.added_record | startswith("rec_")) and (.result | has("erased_records") | not)' \
  "a record added, nothing erased"
call POST /v1/read "{\"subject\":\"$S2\",\"purpose\":\"dpv:CustomerCare\",\"categories\":[\"pd:EmailAddress\"]}" "$AGENT"
expect 200 "POST /v1/read after the addition"
expect_json ".values[\"pd:EmailAddress\"] | length == 2 and index(\"$ADDED_EMAIL\")" "both emails"

# --- stop_use: the decision engine obeys --------------------------------------------------------------
call POST /v1/decide "{\"subject\":\"$S1\",\"purpose\":\"dpv:CustomerCare\",\"categories\":[\"pd:Name\"]}" "$AGENT"
expect 200 "POST /v1/decide before the stop: allowed"
submit stop_use "$C1" '{"purpose":"dpv:CustomerCare"}' "POST /v1/public/requests (stop_use for customer care)"
STOP_USE=$RID
verify_approve "$STOP_USE" "stop_use" "$S1"
expect_json '(.result.stop_order | startswith("stp_")) and .result.erased_records == 0' "a stop-use order, nothing erased"
call POST /v1/decide "{\"subject\":\"$S1\",\"purpose\":\"dpv:CustomerCare\",\"categories\":[\"pd:Name\"]}" "$AGENT"
expect 403 denied "POST /v1/decide after the stop: denied"
expect_json '.decision.reason_code == "stop_use_order"' "with the reason stop_use_order"

call POST "/v1/requests/$STOP_USE/refuse" '{"ground":"not_verified","text":"x"}' "$OFFICER"
expect 409 failed_precondition "not_verified on a verified (completed) request: 409"

# --- stop_provision (customer 2) -------------------------------------------------------------------
submit stop_provision "$C2" "POST /v1/public/requests (stop_provision)"
STOP_PROVISION=$RID
STOP_PROVISION_SECRET=$SECRET
verify_approve "$STOP_PROVISION" "stop_provision" "$S2"
expect_json '(.result.stop_order | startswith("stp_")) and .request.recipient == null' "a stop-provision order for every recipient"
call GET "/v1/public/requests/$STOP_PROVISION/result" "" "" "$STOP_PROVISION_SECRET"
expect 200 "the stop_provision's result"
expect_json '.kind == "stop_provision" and (.outcome.summary | length > 0)' "the outcome"

# --- stop_use with erasure: what the active contract needs is kept ------------------------------------
submit stop_use "$C1" '{"erase":true,"language":"en"}' "POST /v1/public/requests (stop_use with erase, in English)"
ERASE=$RID
ERASE_SECRET=$SECRET
verify_approve "$ERASE" "stop_use with erase" "$S1"
expect_json '(.request.outcome.kept | length) > 0 and (.request.outcome.kept | all(.reason | test("active contract"))) and (.result.kept | length) > 0' \
  "kept items, each because of the active contract"
call GET "/v1/public/requests/$ERASE" "" "" "$ERASE_SECRET"
expect 200 "the customer's view of the erasure"
expect_json '.status == "completed" and (.outcome.kept | length) > 0 and (.outcome.kept[0].reason | test("active contract")) and (.outcome.kept[0].item | length > 0)' \
  "the customer is told what is kept and why"

# --- deletion: a customer of the support desk, found no more -------------------------------------------
call POST /v1/subjects "$(jq -nc --argjson i "$C3" --arg v "$INQUIRY" \
  '$i + {records: [{category: "mamori:InquiryHistory", service: "support", value: $v}]}')" "$AGENT"
expect 201 "POST /v1/subjects (the agent records an inquiry)"
S3=$(jq -r .subject <<<"$OUT")
call POST /v1/find "{\"purpose\":\"dpv:CustomerCare\",\"phone\":\"$C3_PHONE\"}" "$AGENT"
expect 200 "POST /v1/find before the deletion"
expect_json ".subjects == [\"$S3\"]" "found by phone"
submit deletion "$C3" "POST /v1/public/requests (deletion)"
DELETION=$RID
verify_approve "$DELETION" "deletion" "$S3"
expect_json '.result.erased_records == 1 and .result.kept == [] and .request.outcome.kept == []' "the inquiry erased, nothing kept"
expect_json '[.trail[] | .change // empty] | index("request.subject_erased")' "the subject erased (its indexes and keys)"
call POST /v1/find "{\"purpose\":\"dpv:CustomerCare\",\"phone\":\"$C3_PHONE\"}" "$AGENT"
expect 200 "POST /v1/find after the deletion"
expect_json '.subjects == []' "no subject found by that phone any more"

# --- a failed execution and its retry ---------------------------------------------------------------
call POST /v1/subjects "$(jq -nc --argjson i "$C4" '$i + {records: [{category: "pd:Name", service: "mobile", value: "再試行 四郎"}]}')" "$AGENT"
expect 201 "POST /v1/subjects (customer 4)"
S4=$(jq -r .subject <<<"$OUT")
submit correction "$C4" '{"category":"pd:TelephoneNumber","value":"not a phone number"}' \
  "POST /v1/public/requests (a correction the vault will refuse)"
FAILING=$RID
call POST "/v1/requests/$FAILING/verify" '{}' "$OFFICER"
expect 200 "verify the failing correction"
call POST "/v1/requests/$FAILING/approve" '{}' "$OFFICER"
expect 200 "approve: 200 even when the execution fails"
expect_json '.status == "in_progress" and (.request.error | type == "string") and .request.failures == 1 and .result == null' \
  "in progress, with the error, counted"
call GET "/v1/requests?status=in_progress" "" "$OFFICER"
expect 200 "the in-progress queue"
expect_json "[.requests[] | select(.id == \"$FAILING\")][0] | (.error | type == \"string\") and .failures == 1 and .subject == \"$S4\"" \
  "the queue shows the error"
call POST "/v1/requests/$FAILING/retry" '{}' "$UNTRAINED"
expect 403 forbidden "retry by an officer without current training: 403"
call GET "/v1/requests/$FAILING" "" "$OFFICER"
expect 200 "the failed request after the denied retry"
expect_json '.status == "in_progress" and (.request.error | type == "string") and .request.failures == 1' \
  "a denied retry keeps the error (the request can still be retried)"
call POST "/v1/requests/$FAILING/retry" '{}' "$OFFICER"
expect 200 "POST /v1/requests/{id}/retry"
expect_json '.status == "in_progress" and (.request.error | type == "string") and .request.failures == 2' \
  "it fails again: still in progress, two failures"
call POST "/v1/requests/$FAILING/refuse" '{"ground":"data_correct","text":"登録済みの番号は正しいことを確認しました"}' "$OFFICER"
expect 200 "a request that keeps failing can be refused"
expect_json '.status == "refused" and .request.refusal.ground == "data_correct"' "refused"
call POST "/v1/requests/$FAILING/retry" '{}' "$OFFICER"
expect 409 failed_precondition "retrying a refused request: 409"

# --- cannot verify: the same public answer, approval refused -------------------------------------------
submit disclosure "$C2_WRONG" '{"language":"en"}' "POST /v1/public/requests (a wrong birth date)"
UNVERIFIED=$RID
UNVERIFIED_SECRET=$SECRET
call POST "/v1/requests/$UNVERIFIED/verify" '{}' "$OFFICER"
expect 200 "verify: 200 even when it fails"
expect_json '.request.verification == "cannot_verify" and .request.subject_id == null and .request.verification_reason != null and .request.verification_reason != "verified"' \
  "cannot_verify, with the internal reason (staff only)"
call GET "/v1/public/requests/$UNVERIFIED" "" "" "$UNVERIFIED_SECRET"
expect 200 "the customer's view of a failed verification"
expect_json '.verification == "cannot_verify" and (tostring | test("no_match|different_subjects|missing_factor|ambiguous|birth_date") | not)' \
  "publicly cannot_verify, and nothing more"
call POST "/v1/requests/$UNVERIFIED/approve" '{}' "$OFFICER"
expect 409 failed_precondition "approving an unverified request: 409"
# extend
call POST "/v1/requests/$UNVERIFIED/extend" "$(jq -nc --arg r "$EXTEND_REASON" --arg n "$EXTEND_NOTICE" '{days: 14, reason: $r, notice: $n}')" "$OFFICER"
expect 200 "POST /v1/requests/{id}/extend"
OLD_DUE=$(jq -r '.request.extensions[0].previous_due' <<<"$OUT")
NEW_DUE=$(jq -r '.request.due' <<<"$OUT")
expect_json ".request.extensions[0].days == 14 and .request.extensions[0].new_due == .request.due and .request.extensions[0].reason == \"$EXTEND_REASON\"" \
  "the extension recorded"
check '[ $(( $(date -d "$NEW_DUE" +%s) - $(date -d "$OLD_DUE" +%s) )) -eq $((14 * 86400)) ]' \
  "due 14 days later ($OLD_DUE -> $NEW_DUE)"
call GET "/v1/public/requests/$UNVERIFIED" "" "" "$UNVERIFIED_SECRET"
expect 200 "the customer's view of the extension"
expect_json ".due == \"$NEW_DUE\" and .extensions[0].notice == \"$EXTEND_NOTICE\" and .extensions[0].new_due == \"$NEW_DUE\"" \
  "the customer sees the new due time and the notice"
# refuse: a ground the kind does not allow, then the right one
BEFORE=$(ledger_size)
call POST "/v1/requests/$UNVERIFIED/refuse" "$(jq -nc --arg t "$REFUSAL_TEXT" '{ground: "data_correct", text: $t}')" "$OFFICER"
expect 400 invalid_argument "refusing a disclosure with data_correct: 400"
check 'jq -e ".error.message | test(\"not_verified\")" <<<"$OUT" >/dev/null' "the message lists the grounds the kind allows"
call POST "/v1/requests/$UNVERIFIED/refuse" "$(jq -nc --arg t "$REFUSAL_TEXT" '{ground: "nope", text: $t}')" "$OFFICER"
expect 400 invalid_argument "an unknown ground: 400"
call POST "/v1/requests/$UNVERIFIED/refuse" '{"ground":"not_verified","text":""}' "$OFFICER"
expect 400 invalid_argument "an empty refusal text: 400"
call POST "/v1/requests/$UNVERIFIED/refuse" '{"ground":"not_verified"}' "$OFFICER"
expect 400 missing_field "a refusal without its text: 400"
call POST "/v1/requests/$UNVERIFIED/refuse" '{"ground":1,"text":"x"}' "$OFFICER"
expect 400 wrong_type "a ground that is not a string: 400"
call POST "/v1/requests/$UNVERIFIED/extend" '{"days":0,"reason":"r","notice":"n"}' "$OFFICER"
expect 400 invalid_argument "an extension of 0 days: 400"
call POST "/v1/requests/$UNVERIFIED/extend" '{"days":"14","reason":"r","notice":"n"}' "$OFFICER"
expect 400 wrong_type "days not an integer: 400"
call POST "/v1/requests/$UNVERIFIED/extend" '{"days":14,"notice":"n"}' "$OFFICER"
expect 400 missing_field "an extension without its reason: 400"
call POST "/v1/requests/$UNVERIFIED/extend" '{"days":14,"reason":"","notice":"n"}' "$OFFICER"
expect 400 invalid_argument "an extension with an empty reason: 400"
call POST "/v1/requests/$UNVERIFIED/extend" '{"days":367,"reason":"r","notice":"n"}' "$OFFICER"
expect 400 invalid_argument "an extension of more than 366 days: 400"
call POST "/v1/requests/$UNVERIFIED/assign" '{"assignee":1}' "$OFFICER"
expect 400 wrong_type "an assignee that is not a string: 400"
call POST "/v1/requests/$UNVERIFIED/verify" '{"force":true}' "$OFFICER"
expect 400 unknown_field "verify with a field: 400"
call POST "/v1/requests/$UNVERIFIED/verify" '{"force":' "$OFFICER"
expect 400 invalid_json "verify with a body that is not JSON: 400"
call GET "/v1/requests/$UNVERIFIED" "" "$OFFICER"
expect 200 "the request after the bad calls"
expect_json '.status == "verifying" and .request.refusal == null and (.request.extensions | length) == 1' "unchanged"
check '[ "$(ledger_size)" -eq "$BEFORE" ]' "the bad calls wrote no ledger entry"
call POST "/v1/requests/$UNVERIFIED/refuse" "$(jq -nc --arg t "$REFUSAL_TEXT" '{ground: "not_verified", text: $t}')" "$OFFICER"
expect 200 "POST /v1/requests/{id}/refuse (not_verified)"
expect_json ".status == \"refused\" and .request.refusal.ground == \"not_verified\" and .request.refusal.text == \"$REFUSAL_TEXT\"" "refused"
call GET "/v1/public/requests/$UNVERIFIED" "" "" "$UNVERIFIED_SECRET"
expect 200 "the customer's view of the refusal"
expect_json ".status == \"refused\" and .refusal.ground == \"not_verified\" and .refusal.text == \"$REFUSAL_TEXT\" and (.refusal.article | length > 0) and (.refusal.notice | test(\"[A-Za-z]\")) and .result == false" \
  "the refusal with its ground's notice (in the request's language)"
call POST "/v1/requests/$UNVERIFIED/refuse" '{"ground":"not_verified","text":"again"}' "$OFFICER"
expect 409 failed_precondition "refusing twice: 409"
call POST "/v1/requests/$UNVERIFIED/extend" '{"days":1,"reason":"r","notice":"n"}' "$OFFICER"
expect 409 failed_precondition "extending a refused request: 409"
call POST "/v1/requests/$UNVERIFIED/approve" '{}' "$OFFICER"
expect 409 failed_precondition "approving a refused request: 409"
call POST "/v1/requests/$UNVERIFIED/assign" '{}' "$OFFICER"
expect 409 failed_precondition "assigning a refused request: 409"
call POST "/v1/requests/$UNVERIFIED/withdraw" '{}' "$OFFICER"
expect 409 failed_precondition "withdrawing a refused request (staff): 409"

# --- withdrawal -------------------------------------------------------------------------------------
submit disclosure '{"phone":"090-2222-0001"}' "POST /v1/public/requests (to be withdrawn)"
WITHDRAWN=$RID
WITHDRAWN_SECRET=$SECRET
call POST "/v1/public/requests/$WITHDRAWN/withdraw" '{"reason":"x"}' "" "$WITHDRAWN_SECRET"
expect 400 unknown_field "a withdrawal with a field: 400"
call POST "/v1/public/requests/$WITHDRAWN/withdraw" '{}' "" "wrong-secret"
expect 404 not_found "a withdrawal with a wrong secret: 404"
call POST "/v1/public/requests/$WITHDRAWN/withdraw" ''
expect 404 not_found "a withdrawal without the secret: 404"
call GET "/v1/public/requests/$WITHDRAWN" "" "" "$WITHDRAWN_SECRET"
expect 200 "still open after the refused withdrawals"
expect_json '.status == "received"' "received"
call POST "/v1/public/requests/$WITHDRAWN/withdraw" '{}' "" "$WITHDRAWN_SECRET"
expect 200 "POST /v1/public/requests/{id}/withdraw"
expect_json ".request == \"$WITHDRAWN\" and .status == \"withdrawn\"" "withdrawn: the customer's view"
call POST "/v1/public/requests/$WITHDRAWN/withdraw" '' "" "$WITHDRAWN_SECRET"
expect 409 failed_precondition "withdrawing twice: 409"
call POST "/v1/requests/$WITHDRAWN/verify" '{}' "$OFFICER"
expect 409 failed_precondition "verifying a withdrawn request: 409"
call GET "/v1/requests/$WITHDRAWN" "" "$OFFICER"
expect 200 "the withdrawn request, staff view"
expect_json '.status == "withdrawn" and .trail[-1].change == "request.withdraw" and .trail[-1].actor == "public"' \
  "withdrawn by the public"
submit purpose_notice '{"phone":"090-2222-0002"}' "POST /v1/public/requests (withdrawn by the staff)"
STAFF_WITHDRAWN=$RID
call POST "/v1/requests/$STAFF_WITHDRAWN/withdraw" '' "$OFFICER"
expect 200 "POST /v1/requests/{id}/withdraw"
expect_json '.status == "withdrawn" and .trail[-1].actor == "emp:officer"' "withdrawn by the officer"

# --- the queue and its filters ------------------------------------------------------------------------
call GET /v1/requests "" "$OFFICER"
expect 200 "GET /v1/requests"
TOTAL=$(jq '.requests | length' <<<"$OUT")
expect_json "([.requests[].due] == ([.requests[].due] | sort)) and ([.requests[].id] | index(\"$DISCLOSURE\")) and (.requests | all(has(\"agent\")))" \
  "every request, by due time"
expect_json "[.requests[] | select(.id == \"$DISCLOSURE\")][0] | .agent == true and .status == \"completed\" and .subject == \"$S1\" and .assignee == \"emp:agent\" and .overdue == false" \
  "a summary: agent, status, subject, assignee"
check '! grep -qF -e "$C1_PHONE" -e "$C1_CONTRACT" -e "$AGENT_NAME" -e "$DETAILS" "$RESP"' \
  "the queue holds no value the customer gave"
call GET "/v1/requests?status=completed&kind=disclosure" "" "$OFFICER"
expect 200 "GET /v1/requests?status=completed&kind=disclosure"
expect_json "[.requests[].id] == [\"$DISCLOSURE\"]" "the completed disclosure"
call GET "/v1/requests?status=refused" "" "$OFFICER"
expect 200 "GET /v1/requests?status=refused"
expect_json "([.requests[].id] | sort) == ([\"$UNVERIFIED\", \"$FAILING\"] | sort)" "the two refused"
call GET "/v1/requests?overdue=true" "" "$OFFICER"
expect 200 "GET /v1/requests?overdue=true"
expect_json '.requests == []' "none overdue"
call GET "/v1/requests?overdue=false" "" "$OFFICER"
expect 200 "GET /v1/requests?overdue=false"
expect_json "(.requests | length) == $TOTAL" "overdue=false: all"
call GET "/v1/requests?due_before=$TODAY" "" "$OFFICER"
expect 200 "GET /v1/requests?due_before=today"
expect_json '.requests == []' "none due before today"
call GET "/v1/requests?due_before=2099-01-01&kind=purpose_notice" "" "$OFFICER"
expect 200 "GET /v1/requests?due_before=2099-01-01&kind=purpose_notice"
expect_json '(.requests | length) == 8 and (.requests | all(.kind == "purpose_notice"))' "the eight purpose notices"
call GET "/v1/requests?status=nope" "" "$OFFICER"
expect 400 invalid_argument "status=nope: 400"
call GET "/v1/requests?kind=nope" "" "$OFFICER"
expect 400 invalid_argument "kind=nope: 400"
call GET "/v1/requests?overdue=maybe" "" "$OFFICER"
expect 400 invalid_argument "overdue=maybe: 400"
call GET "/v1/requests?due_before=x" "" "$OFFICER"
expect 400 invalid_argument "due_before=x: 400"

# --- permissions, unknown ids, 409 and 413 on every staff route -------------------------------------------
call GET /v1/requests "" "$AGENT"
expect 403 forbidden "GET /v1/requests without the requests permission: 403"
check 'jq -e ".error.message | test(\"requests\")" <<<"$OUT" >/dev/null' "names the permission"
call GET /v1/requests
expect 401 unauthenticated "GET /v1/requests without a token: 401"
call GET "/v1/requests/$DISCLOSURE" "" "$AGENT"
expect 403 forbidden "GET /v1/requests/{id} without the permission: 403"
call GET "/v1/requests/$DISCLOSURE"
expect 401 unauthenticated "GET /v1/requests/{id} without a token: 401"
call GET "/v1/requests/$NO_REQUEST" "" "$OFFICER"
expect 404 not_found "GET an unknown request: 404"
"$PYTHON" -c 'import json,sys; json.dump({"text": "#" * (1100 * 1024)}, sys.stdout)' >"$WORK/big.json"
for step in assign verify approve refuse extend retry withdraw; do
  call POST "/v1/requests/$DISCLOSURE/$step" '{}' "$AGENT"
  expect 403 forbidden "POST /v1/requests/{id}/$step without the permission: 403"
  call POST "/v1/requests/$DISCLOSURE/$step" '{}'
  expect 401 unauthenticated "POST /v1/requests/{id}/$step without a token: 401"
  call POST "/v1/requests/$NO_REQUEST/$step" \
    "$(case $step in refuse) echo '{"ground":"other","text":"x"}' ;; extend) echo '{"days":1,"reason":"r","notice":"n"}' ;; *) echo '{}' ;; esac)" \
    "$OFFICER"
  expect 404 not_found "POST /v1/requests/{id}/$step of an unknown request: 404"
  call POST "/v1/requests/$DISCLOSURE/$step" "@$WORK/big.json" "$OFFICER"
  expect 413 payload_too_large "POST /v1/requests/{id}/$step with a body over 1 MiB: 413"
  call POST "/v1/requests/$DISCLOSURE/$step" \
    "$(case $step in refuse) echo '{"ground":"other_law","text":"x","bogus":1}' ;; extend) echo '{"days":1,"reason":"r","notice":"n","bogus":1}' ;; *) echo '{"bogus":1}' ;; esac)" \
    "$OFFICER"
  expect 400 unknown_field "POST /v1/requests/{id}/$step with an unknown field: 400"
done
for step in assign refuse extend retry withdraw; do
  call POST "/v1/requests/$DISCLOSURE/$step" \
    "$(case $step in refuse) echo '{"ground":"other_law","text":"x"}' ;; extend) echo '{"days":1,"reason":"r","notice":"n"}' ;; *) echo '{}' ;; esac)" \
    "$OFFICER"
  expect 409 failed_precondition "POST /v1/requests/{id}/$step on a completed request: 409"
done
for target in /v1/public/requests "/v1/public/requests/$DISCLOSURE/withdraw" /v1/public/complaints; do
  call POST "$target" "@$WORK/big.json" "" "$DISCLOSURE_SECRET"
  expect 413 payload_too_large "POST $target with a body over 1 MiB: 413"
done

# --- complaints ---------------------------------------------------------------------------------------
COMPLAINTS_BEFORE=$(complaint_count)
LEDGER_BEFORE=$(ledger_size)
OK_COMPLAINT=$(jq -nc --arg t "$COMPLAINT_TEXT" --arg c "$COMPLAINT_CONTACT" \
  '{service: "mobile", category: "marketing", text: $t, contact: $c, language: "ja"}')
bad_complaint() { # BODY CODE DESCRIPTION
  call POST /v1/public/complaints "$1"
  expect 400 "$2" "$3"
}
bad_complaint '{"text":' invalid_json "a complaint that is not JSON"
bad_complaint "$(jq -c '. + {urgent: true}' <<<"$OK_COMPLAINT")" unknown_field "a complaint with an unknown field"
bad_complaint "$(jq -c 'del(.text)' <<<"$OK_COMPLAINT")" missing_field "a complaint without its text"
bad_complaint "$(jq -c 'del(.contact)' <<<"$OK_COMPLAINT")" missing_field "a complaint without a contact"
bad_complaint "$(jq -c '.text = 5' <<<"$OK_COMPLAINT")" wrong_type "a text that is not a string"
bad_complaint "$(jq -c '.category = "noise"' <<<"$OK_COMPLAINT")" invalid_argument "an unknown complaint category"
bad_complaint "$(jq -c '.service = "nowhere"' <<<"$OK_COMPLAINT")" invalid_argument "a complaint about an unknown service"
bad_complaint "$(jq -c '.language = "fr"' <<<"$OK_COMPLAINT")" invalid_argument "a complaint in an unknown language"
bad_complaint "$(jq -c '.text = "   "' <<<"$OK_COMPLAINT")" invalid_argument "a blank complaint text"
check '[ "$(complaint_count)" -eq "$COMPLAINTS_BEFORE" ] && [ "$(ledger_size)" -eq "$LEDGER_BEFORE" ]' \
  "bad complaints record nothing"
call POST /v1/public/complaints "$OK_COMPLAINT"
expect 201 "POST /v1/public/complaints"
COMPLAINT=$(jq -r .complaint <<<"$OUT")
expect_json '(.complaint | startswith("cmp_")) and (.first_response_due | type == "string")' "the receipt"
DUE_AT=$(jq -r .first_response_due <<<"$OUT")
check '[ $(( $(date -d "$DUE_AT" +%s) - $(date +%s) )) -gt $((47 * 3600)) ] && [ $(( $(date -d "$DUE_AT" +%s) - $(date +%s) )) -le $((48 * 3600)) ]' \
  "the first response due in 48 hours"
call POST /v1/public/complaints '{"category":"other","text":"その他の苦情","contact":"03-0000-0000"}'
expect 201 "a complaint about no service"
OTHER_COMPLAINT=$(jq -r .complaint <<<"$OUT")

call GET /v1/complaints "" "$AGENT"
expect 200 "GET /v1/complaints (the agent's role has complaints)"
expect_json "(.complaints | length) == 2 and ([.complaints[] | select(.id == \"$COMPLAINT\")][0] | .text == \"$COMPLAINT_TEXT\" and .contact == \"$COMPLAINT_CONTACT\" and .status == \"received\" and .service == \"mobile\" and .category == \"marketing\" and .overdue == false and .assignee == null)" \
  "both, with the complainant's words"
expect_json "[.complaints[] | select(.id == \"$OTHER_COMPLAINT\")][0].service == null" "no service: null"
call GET /v1/complaints "" "$AUDITOR"
expect 403 forbidden "GET /v1/complaints without the complaints permission: 403"
call GET /v1/complaints
expect 401 unauthenticated "GET /v1/complaints without a token: 401"
call GET "/v1/complaints/$COMPLAINT" "" "$AGENT"
expect 200 "GET /v1/complaints/{id}"
expect_json ".complaint.id == \"$COMPLAINT\" and .overdue == false and .complaint.first_response_due == \"$DUE_AT\"" "the complaint"
call GET "/v1/complaints/$NO_COMPLAINT" "" "$AGENT"
expect 404 not_found "an unknown complaint: 404"
call GET "/v1/complaints/$COMPLAINT" "" "$AUDITOR"
expect 403 forbidden "GET /v1/complaints/{id} without the permission: 403"
call GET "/v1/complaints/$COMPLAINT"
expect 401 unauthenticated "GET /v1/complaints/{id} without a token: 401"

BEFORE=$(ledger_size)
call POST "/v1/complaints/$COMPLAINT/respond" "$(jq -nc --arg r "$RESPONSE_TEXT" '{response: $r}')" "$AGENT"
expect 409 failed_precondition "responding before assignment: 409"
call POST "/v1/complaints/$COMPLAINT/close" '' "$AGENT"
expect 409 failed_precondition "closing before a response: 409"
call POST "/v1/complaints/$COMPLAINT/respond" '{}' "$AGENT"
expect 400 missing_field "a response without its text: 400"
call POST "/v1/complaints/$COMPLAINT/respond" '{"response":1}' "$AGENT"
expect 400 wrong_type "a response that is not a string: 400"
call POST "/v1/complaints/$COMPLAINT/assign" '{"who":"me"}' "$AGENT"
expect 400 unknown_field "an assignment with an unknown field: 400"
call POST "/v1/complaints/$COMPLAINT/close" '{"now":true}' "$AGENT"
expect 400 unknown_field "a close with a field: 400"
check '[ "$(ledger_size)" -eq "$BEFORE" ]' "the refused complaint steps wrote nothing"
call POST "/v1/complaints/$COMPLAINT/assign" '' "$AGENT"
expect 200 "POST /v1/complaints/{id}/assign (the caller takes it)"
expect_json '.status == "assigned" and .assignee == "emp:agent"' "assigned to the agent"
call POST "/v1/complaints/$COMPLAINT/respond" "$(jq -nc --arg r "$RESPONSE_TEXT" '{response: $r}')" "$AGENT"
expect 200 "POST /v1/complaints/{id}/respond"
expect_json ".status == \"responded\" and .last_response == \"$RESPONSE_TEXT\" and (.first_response_at | type == \"string\") and .overdue == false" \
  "responded in time"
call POST "/v1/complaints/$COMPLAINT/close" '{}' "$AGENT"
expect 200 "POST /v1/complaints/{id}/close"
expect_json '.status == "closed"' "closed"
for step in assign respond close; do
  call POST "/v1/complaints/$COMPLAINT/$step" "$([ $step = respond ] && echo '{"response":"x"}' || echo '{}')" "$AGENT"
  expect 409 failed_precondition "POST /v1/complaints/{id}/$step on a closed complaint: 409"
  call POST "/v1/complaints/$COMPLAINT/$step" '{}' "$AUDITOR"
  expect 403 forbidden "POST /v1/complaints/{id}/$step without the permission: 403"
  call POST "/v1/complaints/$COMPLAINT/$step" '{}'
  expect 401 unauthenticated "POST /v1/complaints/{id}/$step without a token: 401"
  call POST "/v1/complaints/$NO_COMPLAINT/$step" "$([ $step = respond ] && echo '{"response":"x"}' || echo '{}')" "$AGENT"
  expect 404 not_found "POST /v1/complaints/{id}/$step of an unknown complaint: 404"
  call POST "/v1/complaints/$COMPLAINT/$step" "@$WORK/big.json" "$AGENT"
  expect 413 payload_too_large "POST /v1/complaints/{id}/$step with a body over 1 MiB: 413"
done
call POST "/v1/complaints/$OTHER_COMPLAINT/assign" '{"assignee":"emp:officer"}' "$OFFICER"
expect 200 "assign a complaint to someone else (the officer has complaints too)"
expect_json '.assignee == "emp:officer" and .status == "assigned"' "assigned to the officer"
call GET "/v1/complaints?overdue=true" "" "$AGENT"
expect 200 "GET /v1/complaints?overdue=true"
expect_json '.complaints == []' "none past its first-response time"
call GET "/v1/complaints?overdue=false&status=closed" "" "$AGENT"
expect 200 "GET /v1/complaints?overdue=false&status=closed"
expect_json "[.complaints[].id] == [\"$COMPLAINT\"]" "the closed one"
call GET "/v1/complaints?status=assigned" "" "$AGENT"
expect 200 "GET /v1/complaints?status=assigned"
expect_json "[.complaints[].id] == [\"$OTHER_COMPLAINT\"]" "the assigned one"
call GET "/v1/complaints?status=nope" "" "$AGENT"
expect 400 invalid_argument "a complaint status=nope: 400"
call GET "/v1/complaints?overdue=maybe" "" "$AGENT"
expect 400 invalid_argument "complaints overdue=maybe: 400"

# --- the audit report counts them ---------------------------------------------------------------------
call GET "/v1/audit/report?from=$(TZ=Asia/Tokyo date +%F)&to=$(TZ=Asia/Tokyo date +%F)" "" "$OFFICER"
expect 200 "GET /v1/audit/report with the requests"
expect_json ".requests.tracked == true and .requests.received == $TOTAL and .requests.refused == 2 and .requests.withdrawn == 2 and .requests.complaints.received == 2 and .requests.overdue == []" \
  "the report's requests section counts them"

# --- every answer matches the document; every documented status was seen ------------------------------
if ERR=$("$PYTHON" "$CHECK" "$DOC" batch "$EXCHANGES" "$SEEN" 2>&1); then
  pass "every answer above (and each success's request) matches openapi.json"
else
  fail "every answer above (and each success's request) matches openapi.json"
fi
jq -r '.paths | to_entries[]
  | select(.key | test("^/v1/(public/(privacy-center|requests|complaints)|requests|complaints)") | not) | .key as $p
  | .value | to_entries[] | .key as $m | .value.responses | keys[] | "\($m | ascii_upcase) \($p) \(.)"' \
  "$DOC" >"$WORK/exempt"
if ERR=$("$PYTHON" "$CHECK" "$DOC" coverage "$SEEN" "$WORK/exempt" 2>&1); then
  pass "every documented status of every request and complaint route was exercised"
else
  fail "every documented status of every request and complaint route was exercised"
fi
for code in invalid_json missing_field unknown_field wrong_type invalid_argument unauthenticated \
  forbidden denied not_found failed_precondition payload_too_large rate_limited; do
  if grep -qx "$code" "$CODES"; then pass "error code $code seen"; else fail "error code $code seen"; fi
done

# --- nothing the customers gave is in plaintext ----------------------------------------------------------
stop_server
run ledger verify --data "$DATA"
expect_code 0 "the ledger verifies"
check 'sqlite3 "$DATA/records.db" "SELECT entry FROM ledger_entries" | jq -se "[.[] | select(.change == \"complaint.receive\" and .complaint == \"$COMPLAINT\")] | length == 1 and (.[0] | .category == \"marketing\" and .service == \"mobile\" and (has(\"text\") | not) and (has(\"contact\") | not))" >/dev/null' \
  "the complaint.receive entry: the category and service, not the text"
SECRETS=("$DETAILS" "$AGENT_NAME" "$AGENT_CONTACT" "$NEW_EMAIL" "$ADDED_EMAIL" "$EXTEND_REASON"
  "$EXTEND_NOTICE" "$REFUSAL_TEXT" "$COMPLAINT_TEXT" "$COMPLAINT_CONTACT" "$RESPONSE_TEXT" "$INQUIRY"
  "$C1_CONTRACT" "$C1_PHONE" "$C1_BIRTH" "$C1_EMAIL" "MT-0001-0002" "080-2345-6789" "1992-11-04"
  "$C3_PHONE" "MT-0009-0003" "MT-0009-0004" "090-7777-0006" "090-2222-0001" "not a phone number"
  "DETAILS-7f3a" "EXTEND-REASON-41c2" "EXTEND-NOTICE-88d0" "REFUSAL-TEXT-5b19" "COMPLAINT-TEXT-92e4"
  "RESPONSE-TEXT-0c77" "INQUIRY-3d5e")
leaked=""
for v in "${SECRETS[@]}"; do
  if grep -qF -- "$v" "$WORK/server.out" "$WORK/server.err"; then leaked="$leaked [log: $v]"; fi
  if grep -rqaF -- "$v" "$DATA"; then leaked="$leaked [data: $v]"; fi
done
STRINGS=$(strings -a "$DATA"/records.db* 2>/dev/null || true)
for v in DETAILS-7f3a EXTEND-REASON-41c2 EXTEND-NOTICE-88d0 REFUSAL-TEXT-5b19 COMPLAINT-TEXT-92e4 \
  RESPONSE-TEXT-0c77 INQUIRY-3d5e "$AGENT_CONTACT" "$COMPLAINT_CONTACT" "$NEW_EMAIL" "$ADDED_EMAIL" \
  "$C1_CONTRACT" "$C1_PHONE" "$C1_EMAIL"; do
  if grep -qF -- "$v" <<<"$STRINGS"; then leaked="$leaked [strings: $v]"; fi
done
if [ -z "$leaked" ]; then
  pass "no identifier, detail, agent, value, extension, refusal or complaint text in the logs or the data directory"
else
  ERR="found:$leaked"
  fail "no identifier, detail, agent, value, extension, refusal or complaint text in the logs or the data directory"
fi
check 'sqlite3 "$DATA/records.db" "SELECT COUNT(*) FROM requests" | grep -qx "$TOTAL"' \
  "the requests table holds every request"
KINDS=$(sqlite3 "$DATA/records.db" "SELECT entry FROM ledger_entries" | jq -r 'select(.change // "" | startswith("request.")) | .change' | sort -u | tr '\n' ' ')
check '[ "$KINDS" = "request.approve request.assign request.complete request.erase request.extend request.fail request.receive request.refuse request.retry request.subject_erased request.verify request.withdraw " ]' \
  "every kind of request entry is in the ledger ($KINDS)"

finish
