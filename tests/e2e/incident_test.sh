#!/usr/bin/env bash
# Leakage incidents end to end (docs/incidents.md). Directly: the affected
# set of an actor's window is exactly what the actor read and found (a
# decide and a denied read do not count; a `to` date includes that day), a
# subject list, a service whose copies were encrypted without their keys
# (not reportable: encrypted_exempt); show, list, subjects, timeline, the
# narrative (options not given are kept), report submissions, drafts as
# JSON and HTML, customer notices as decided reads with the ground law, and
# close; bad input changes nothing. Then the API: every route's answers
# checked against the OpenAPI document the server serves (openapi_check.py),
# 401, 403 forbidden without the incidents permission, 400, 404, 409, 413
# and the HTML draft; and the CLI with --server. Supervision and the
# internal audit (docs/supervision.md) too: an actor's activity, the alert
# five denials in a day raise and the incident opened from it, training
# due, the access review and the audit report (JSON, and HTML with its
# charts), directly, through the API and with --server; they add nothing to
# the ledger. The ledger holds no name, address or description, only counts
# and hashes.
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

# Personal values: none may reach the ledger.
NAME1="山田 花子"
EMAIL1="hanako.yamada@example.jp"
NAME2="鈴木 一郎"
ADDRESS2="東京都千代田区丸の内一丁目1番1号"
NAME3="田中 三郎"
PHONE3="090-5555-0303"
NAME4="高橋 四郎"
DESCRIPTION="USBメモリの紛失（山田様の申込書を含む）"
DAMAGE="二次被害は確認されていない（鈴木様に連絡済み）"
PREVENTION="USBメモリの持ち出しを禁止した"
# The operator's zone is Asia/Tokyo: a window of today's date there covers
# the reads made just now only if a `to` date includes that whole day.
TODAY=$(TZ=Asia/Tokyo date +%F)
NO_INCIDENT=inc_AAAAAAAAAAAAAAAAAAAAAA
NO_SUBJECT=sub_AAAAAAAAAAAAAAAAAAAAAA

ledger_size() { sqlite3 "$DATA/records.db" "SELECT COUNT(*) FROM ledger_entries"; }
ledger_entries() { sqlite3 "$DATA/records.db" "SELECT entry FROM ledger_entries"; }
# expect_true CONDITION_EXIT_CODE DESCRIPTION (for checks outside run/call)
check() { if eval "$1"; then pass "$2"; else fail "$2"; fi; }

# --- a data directory: staff, customers and their uses --------------------------
run init --data "$DATA" --policy "$POLICY"
expect_code 0 "init"
add_agent "$DATA" # emp:e2e, a trained call-center agent (no incidents permission)
# The officer handles incidents and, as a call-center agent too, may read the
# customers' contact data for the notices.
"$MAMORI_BIN" actor add --data "$DATA" --id emp:officer --role privacy-officer \
  --role call-center-agent >/dev/null 2>&1
for course in privacy-annual secrecy-annual my-number; do
  "$MAMORI_BIN" training record --data "$DATA" --actor emp:officer --course "$course" \
    --completed "$(date -u +%F)" >/dev/null 2>&1
done
customer() { # PHONE SERVICE CATEGORY VALUE [CATEGORY VALUE]...: prints the id
  local id phone=$1 service=$2
  shift 2
  id=$("$MAMORI_BIN" subject add --data "$DATA" --phone "$phone" 2>/dev/null | jq -r .subject)
  while [ $# -gt 0 ]; do
    "$MAMORI_BIN" record add --data "$DATA" --subject "$id" --category "$1" --service "$service" \
      --value "$2" >/dev/null 2>&1
    shift 2
  done
  echo "$id"
}
S1=$(customer 090-5555-0101 mobile pd:Name "$NAME1" pd:EmailAddress "$EMAIL1")
S2=$(customer 090-5555-0202 mobile pd:Name "$NAME2" pd:PhysicalAddress "$ADDRESS2")
S3=$(customer "$PHONE3" fiber pd:Name "$NAME3")
S4=$(customer 090-5555-0404 mobile pd:Name "$NAME4")
check '[[ "$S1" == sub_* && "$S2" == sub_* && "$S3" == sub_* && "$S4" == sub_* ]]' "four customers"

# The agent reads S1's name and email and S2's name, finds S3 by phone,
# decides (no value returned) on S4 and is denied S4's call log.
run read --data "$DATA" $AS_AGENT --subject "$S1" --category pd:Name --category pd:EmailAddress
expect_code 0 "read S1"
run read --data "$DATA" $AS_AGENT --subject "$S2" --category pd:Name
expect_code 0 "read S2"
run find --data "$DATA" $AS_AGENT --phone "$PHONE3"
expect_json ".subjects == [\"$S3\"]" "find S3 by phone"
run decide --data "$DATA" $AS_AGENT --subject "$S4" --category pd:Name
expect_code 0 "decide on S4"
run read --data "$DATA" $AS_AGENT --subject "$S4" --category pd:CallLog
expect_code 3 "a denied read of S4"

# --- open, directly ---------------------------------------------------------------
run incident open --data "$DATA" --description "$DESCRIPTION" --cause loss \
  --actor emp:e2e --from "$TODAY" --to "$TODAY"
expect_code 0 "incident open --actor with a window"
INC1=$(jq -r .incident <<<"$OUT")
expect_json '(.incident | startswith("inc_")) and .status == "open" and .cause == "loss" and .opened_by == "admin:root"' "the incident"
expect_json '.affected == 3 and .categories == [{"id": "pd:EmailAddress", "subjects": 1, "encrypted_without_keys": false}, {"id": "pd:Name", "subjects": 2, "encrypted_without_keys": false}, {"id": "pd:TelephoneNumber", "subjects": 1, "encrypted_without_keys": false}]' \
  "affected: exactly what was read and found (not the decide, not the denial)"
expect_json '.reportable == false and .reports == [] and .persons == 3' "three ordinary persons: not reportable"
expect_json ".scope.actors[0].actor == \"emp:e2e\" and .scope.actors[0].to > .scope.actors[0].from and .scope.subjects == []" "the scope as recorded"
OPEN_ENTRY=$(ledger_entries | jq -c "select(.change == \"incident.open\" and .incident == \"$INC1\")")
check 'jq -e ".actor == \"admin:root\" and .cause == \"loss\" and .affected == 3 and .reportable == false and .scope == {\"actors\": 1, \"recipients\": 0, \"subjects\": 0, \"services\": 0} and (.description_sha256 | length == 64) and (has(\"description\") | not)" <<<"$OPEN_ENTRY" >/dev/null' \
  "the incident.open ledger entry: counts and the description's hash"

run incident open --data "$DATA" --description "不正アクセス" --cause unauthorized_access --subject "$S1"
expect_code 0 "incident open --subject"
INC2=$(jq -r .incident <<<"$OUT")
expect_json ".affected == 1 and .scope.subjects == [\"$S1\"] and ([.categories[].id] == [\"pd:EmailAddress\", \"pd:Name\"])" "the subject's categories"
expect_json '.reportable and .reasons == ["wrongful_purpose"] and ([.reports[].kind] == ["appi_preliminary", "appi_final"]) and ([.reports[].status] | unique == ["pending"]) and (.reports[0].due | type == "string") and .reports[0].overdue == false' \
  "unauthorized access: reportable, the preliminary and final reports pending"

run incident open --data "$DATA" --description "暗号化したバックアップの紛失" --cause loss \
  --service mobile --encrypted-without-keys
expect_code 0 "incident open --service --encrypted-without-keys"
INC3=$(jq -r .incident <<<"$OUT")
expect_json '.affected == 3 and .reportable == false and (.reasons | index("encrypted_exempt")) and .persons == 0 and .reports == [] and ([.categories[].encrypted_without_keys] | all)' \
  "every mobile customer, all exempt: not reportable (encrypted_exempt)"
expect_json '.exempt_categories == ["pd:EmailAddress", "pd:Name", "pd:PhysicalAddress"]' "the exempt categories"

# --- show, list, subjects, timeline --------------------------------------------------
run incident show --data "$DATA" --id "$INC1"
expect_code 0 "incident show"
expect_json ".incident == \"$INC1\" and .affected == 3 and .description == \"$DESCRIPTION\"" "the same incident"
run incident list --data "$DATA"
expect_code 0 "incident list"
expect_json "[.incidents[].incident] | sort == ([\"$INC1\", \"$INC2\", \"$INC3\"] | sort)" "three incidents"
run incident subjects --data "$DATA" --id "$INC1"
expect_code 0 "incident subjects"
expect_json "(.subjects | length) == 3 and ([.subjects[] | select(.subject == \"$S1\")][0].categories == [\"pd:EmailAddress\", \"pd:Name\"]) and ([.subjects[] | select(.subject == \"$S3\")][0].categories == [\"pd:TelephoneNumber\"]) and ([.subjects[].subject] | index(\"$S4\") | not)" \
  "each subject with its categories; S4 not among them"
run incident show --data "$DATA" --id "$NO_INCIDENT"
expect_code 2 "show an unknown incident: exit 2"
expect_err_contains "not found" "says not found"

# --- narrative ---------------------------------------------------------------------------
run incident narrative --data "$DATA" --id "$INC2" --secondary-damage "$DAMAGE"
expect_code 0 "incident narrative"
run incident narrative --data "$DATA" --id "$INC2" --recurrence-prevention "$PREVENTION"
expect_code 0 "incident narrative, another option"
expect_json ".narrative.secondary_damage == \"$DAMAGE\" and .narrative.recurrence_prevention == \"$PREVENTION\" and .narrative.publication == \"\"" \
  "options not given are kept"
run incident narrative --data "$DATA" --id "$INC2"
expect_code 2 "a narrative without any option: exit 2"

# --- reports -----------------------------------------------------------------------------
run incident report --data "$DATA" --id "$INC2" --kind appi_preliminary --reference PPC-0001
expect_code 0 "incident report (a required kind)"
expect_json '.reports[0].kind == "appi_preliminary" and .reports[0].status == "submitted" and .reports[0].reference == "PPC-0001" and (.reports[0].submitted_at | type == "string") and .reports[1].status == "pending"' \
  "the preliminary report submitted, the final one pending"
run incident report --data "$DATA" --id "$INC2" --kind tba_prompt
expect_code 2 "a report the incident does not require: exit 2"
expect_err_contains "not required" "says it is not required"
run incident report --data "$DATA" --id "$INC2" --kind appi_preliminary
expect_code 2 "the same report twice: exit 2"
expect_err_contains "already" "says it was already submitted"
run incident report --data "$DATA" --id "$INC2" --kind appi_weekly
expect_code 2 "an unknown report kind: exit 2"

# --- drafts ------------------------------------------------------------------------------
run incident draft --data "$DATA" --id "$INC2" --kind appi_final --lang en
expect_code 0 "incident draft (JSON)"
expect_json ".kind == \"appi_final\" and .language == \"en\" and .incident == \"$INC2\" and .authority.code == \"ppc\" and .persons.total == 1 and ([.fields[] | select(.key == \"secondary_damage\")][0].text == \"$DAMAGE\") and (.missing | index(\"secondary_damage\") | not)" \
  "the draft: statutory fields with the narrative"
run incident draft --data "$DATA" --id "$INC2" --kind appi_preliminary --html "$WORK/draft.html"
expect_code 0 "incident draft --html"
expect_json ".written == \"$WORK/draft.html\" and .bytes > 0" "prints what was written"
check 'grep -qi "<html" "$WORK/draft.html" && ! grep -qi "<script" "$WORK/draft.html"' "a printable page, no script"
run incident draft --data "$DATA" --id "$INC1" --kind appi_preliminary
expect_code 2 "the draft of a report the incident does not require: exit 2"

# --- notices -------------------------------------------------------------------------------
BEFORE=$(ledger_size)
run incident notices --data "$DATA" --id "$INC2" --actor emp:officer --lang en
expect_code 0 "incident notices"
expect_json ".incident == \"$INC2\" and .language == \"en\" and (.notices | length) == 1 and .notices[0].subject == \"$S1\" and .notices[0].channel == \"email\" and .notices[0].to == [\"$EMAIL1\"] and .notices[0].names == [\"$NAME1\"] and (.notices[0].text | contains(\"Email address\")) and .without_contact == 0 and .denied == 0" \
  "one notice, by email"
NOTICE_ENTRY=$(jq -r '.notices[0].entry' <<<"$OUT")
READ_ENTRY=$(sqlite3 "$DATA/records.db" "SELECT entry FROM ledger_entries WHERE seq = $NOTICE_ENTRY")
check 'jq -e ".kind == \"decision\" and .action == \"read\" and .actor == \"emp:officer\" and .subject == \"$S1\" and .ground == \"law\" and .outcome == \"allow\" and .flagged_for_audit" <<<"$READ_ENTRY" >/dev/null' \
  "the notice's read is in the ledger with the ground law"
check '[ "$(ledger_size)" -eq $((BEFORE + 2)) ]' "one read and one incident.notices entry"
check 'ledger_entries | jq -e "select(.change == \"incident.notices\" and .incident == \"$INC2\") | .notices == 1 and .without_contact == 0 and .denied == 0 and .language == \"en\" and .actor == \"emp:officer\"" >/dev/null' \
  "the incident.notices entry: counts only"
run incident notices --data "$DATA" --id "$INC1" --actor emp:officer
expect_code 0 "notices of the first incident"
expect_json "([.notices[] | {subject, channel}] | sort_by(.subject)) == ([{subject: \"$S1\", channel: \"email\"}, {subject: \"$S2\", channel: \"post\"}] | sort_by(.subject)) and ([.notices[] | select(.channel == \"post\")][0].to == [\"$ADDRESS2\"]) and .without_contact == 1 and .language == \"ja\"" \
  "by email, by post, and one without contact"
run incident notices --data "$DATA" --id "$INC2"
expect_code 2 "notices without --actor: exit 2"

# Each person gets the language they chose; the batch's for the others.
run subject language --data "$DATA" --subject "$S2"
expect_code 0 "subject language"
expect_json ".subject == \"$S2\" and .language == null" "no language chosen yet"
run subject language --data "$DATA" --subject "$S2" --language fr
check '[ "$CODE" -ne 0 ]' "subject language --language fr is refused"
run subject language --data "$DATA" --subject sub_AAAAAAAAAAAAAAAAAAAAAA --language en
expect_code 2 "the language of an unknown subject: exit 2"
run subject language --data "$DATA" --subject "$S2" --language en
expect_code 0 "subject language --language en"
expect_json '.language == "en"' "recorded"
check 'ledger_entries | jq -e -s "[.[] | select(.change == \"subject.language\")] | length == 1 and .[0].subject == \"$S2\" and (.[0] | has(\"language\") | not)" >/dev/null' \
  "a subject.language entry, without the language"
run incident notices --data "$DATA" --id "$INC1" --actor emp:officer
expect_code 0 "notices after the customer chose English"
expect_json "([.notices[] | select(.subject == \"$S2\")][0] | .language == \"en\" and (.text | contains(\"Notice of a leak\"))) and ([.notices[] | select(.subject == \"$S1\")][0] | .language == \"ja\" and (.text | contains(\"個人情報の漏えい\"))) and .by_language == {\"ja\": 1, \"en\": 1}" \
  "the one who chose English gets English, the other the batch's Japanese"

# --- timeline and close -----------------------------------------------------------------------
run incident timeline --data "$DATA" --id "$INC2"
expect_code 0 "incident timeline"
expect_json '[.events[].change] == ["incident.open", "incident.narrative", "incident.narrative", "incident.report", "incident.notices"] and ([.events[].entry] | . == sort) and (.events[1].narrative_sha256 | length == 64) and .events[3].report == "appi_preliminary"' \
  "every action, oldest first, with its entry number"
run incident close --data "$DATA" --id "$INC1"
expect_code 0 "incident close"
expect_json '.status == "closed" and (.closed_at | type == "string") and .updated_at >= .closed_at' "closed (and updated then)"
run incident close --data "$DATA" --id "$INC1"
expect_code 2 "closing twice: exit 2"
run incident scope --data "$DATA" --id "$INC1" --subject "$S4"
expect_code 2 "the scope of a closed incident: exit 2"
expect_err_contains "closed" "says it is closed"
run incident scope --data "$DATA" --id "$INC3" --subject "$S4"
expect_code 0 "incident scope replaces the scope"
expect_json ".affected == 1 and .scope.services == [] and .scope.subjects == [\"$S4\"] and .reportable == false and .reasons == []" "recomputed"

# --- bad input changes nothing ----------------------------------------------------------------
BEFORE=$(ledger_size)
bad_open() { # DESCRIPTION EXPECTED_STDERR ARGS...
  local desc=$1 message=$2
  shift 2
  run incident open --data "$DATA" "$@"
  if [ "$CODE" -ne 0 ] && grep -qF -- "$message" <<<"$ERR"; then pass "$desc"; else fail "$desc (wanted an error: $message)"; fi
}
bad_open "open without --cause" "--cause" --description x --subject "$S1"
bad_open "an unknown cause" "--cause" --description x --cause flood --subject "$S1"
bad_open "--from without --actor" "--from and --to go with --actor or --recipient" \
  --description x --cause loss --from "$TODAY" --to "$TODAY"
bad_open "--actor without --to" "--from and --to are required" --description x --cause loss \
  --actor emp:e2e --from "$TODAY"
bad_open "an empty scope" "give the scope" --description x --cause loss
bad_open "an unknown subject" "subject $NO_SUBJECT not found" --description x --cause loss \
  --subject "$NO_SUBJECT"
bad_open "a blank description" "description" --description " " --cause loss --subject "$S1"
bad_open "an unknown service" "service nowhere" --description x --cause loss --service nowhere
bad_open "a window ending before it starts" "from must be before to" --description x --cause loss \
  --actor emp:e2e --from 2026-02-01 --to 2026-01-01
run incident open --data "$DATA" --description x --cause loss --subject "$NO_SUBJECT"
expect_code 2 "an unknown subject: exit 2"
check '[ "$(ledger_size)" -eq "$BEFORE" ]' "the ledger did not grow"
run incident list --data "$DATA"
expect_json '(.incidents | length) == 3' "no incident was recorded"

# --- supervision and the internal audit, directly ------------------------------------------------
# An auditor (permission audit, not incidents) who has not taken the course
# the role requires.
"$MAMORI_BIN" actor add --data "$DATA" --id emp:auditor --role auditor >/dev/null 2>&1
# Four more denials of S4's call log make five today: a repeated_denials alert.
for _ in 1 2 3 4; do
  run read --data "$DATA" $AS_AGENT --subject "$S4" --category pd:CallLog
done
expect_code 3 "more denied reads of S4"
BEFORE=$(ledger_size)
run supervision activity --data "$DATA" --actor emp:e2e --from "$TODAY" --to "$TODAY"
expect_code 0 "supervision activity"
expect_json '.actor == "emp:e2e" and .decisions == 9 and .allowed == 4 and .denied == 5 and .subjects_touched == 4 and .by_purpose == [{"purpose": "dpv:CustomerCare", "allowed": 4, "denied": 5}] and ([.by_action[] | select(.action == "read")] == [{"action": "read", "allowed": 2, "denied": 5}]) and .denials == [{"reason_code": "category_not_in_purpose", "count": 5}]' \
  "the agent's decisions counted by purpose, action and denial reason"
expect_json '.by_category == [{"category": "pd:EmailAddress", "uses": 1}, {"category": "pd:Name", "uses": 3}, {"category": "pd:TelephoneNumber", "uses": 1}]' \
  "the categories the agent used"
run supervision activity --data "$DATA" --from "$TODAY" --to "$TODAY"
expect_code 2 "activity without --actor: exit 2"
expect_err_contains "--actor" "names --actor"
run supervision activity --data "$DATA" --actor emp:e2e --from soon
expect_code 2 "activity from a bound that is no date: exit 2"
run supervision alerts --data "$DATA" --from "$TODAY" --to "$TODAY"
expect_code 0 "supervision alerts"
expect_json "(.alerts | length) == 1 and .alerts[0].kind == \"repeated_denials\" and .alerts[0].actor == \"emp:e2e\" and .alerts[0].count == 5 and .alerts[0].threshold == 5 and .alerts[0].day == \"$TODAY\" and .alerts[0].role == \"\" and (.alerts[0].id | startswith(\"alr_repeated_denials_\"))" \
  "five denials today: one repeated_denials alert"
ALERT=$(jq -r '.alerts[0].id' <<<"$OUT")
NO_ALERT="alr_repeated_denials_0000000000000000_${TODAY//-/}"
run supervision training --data "$DATA"
expect_code 0 "supervision training"
expect_json '.training == [{"actor": "emp:auditor", "course": "privacy-annual", "valid_until": null, "status": "missing", "roles": ["auditor"]}]' \
  "only the auditor's missing course"
run supervision access-review --data "$DATA"
expect_code 0 "supervision access-review"
expect_json '([.roles[] | select(.actor == "emp:e2e" and .role == "call-center-agent")] | length == 1 and (.[0] | .judged_by_uses and (.last_use | type == "string") and (.flag_for_removal | not))) and ([.roles[] | select(.role == "privacy-officer")][0] | (.judged_by_uses | not) and .last_use == null) and ([.roles[] | select(.actor == "emp:auditor")] | length == 1 and (.[0].flag_for_removal | not))' \
  "every role of every actor; none flagged (all new)"
run audit report --data "$DATA" --from "$TODAY" --to "$TODAY"
expect_code 0 "audit report"
expect_json ".ledger.verified == true and .ledger.problems == [] and .ledger.entries == $BEFORE and .ledger.tree_head.tree_size == $BEFORE and .period.time_zone == \"Asia/Tokyo\"" \
  "the ledger verified up to its last entry"
expect_json ".decisions.total == 16 and .decisions.denied == 5 and .decisions.total > 0 and .decisions.by_day == [{\"day\": \"$TODAY\", \"allowed\": 11, \"denied\": 5}] and (.exception_uses | length) == 7 and ([.exception_uses[].ground] | unique == [\"law\"])" \
  "the decisions, by day, and the notices' reads on the ground law"
expect_json ".alerts[0].id == \"$ALERT\" and (.incidents | length) == 3 and .training[0].actor == \"emp:auditor\" and .requests.tracked == true and .requests.received == 0 and .policy_versions[0].version == 1 and .policy_versions[0].changes == null and (.trustees | length) > 0" \
  "alerts, incidents, training, trustees and policy versions"
run audit report --data "$DATA" --from "$TODAY" --to "$TODAY" --html "$WORK/report.html" --lang en
expect_code 0 "audit report --html"
check '[ "$(grep -o "<svg" "$WORK/report.html" | wc -l)" -eq 3 ] && grep -qi "<html" "$WORK/report.html" && ! grep -qi "<script" "$WORK/report.html"' \
  "a printable page with its three charts, no script"
run audit report --data "$DATA" --lang fr
expect_code 2 "a report in an unknown language: exit 2"
check '[ "$(ledger_size)" -eq "$BEFORE" ]' "supervision and the report add nothing to the ledger"

run supervision open-incident --data "$DATA" --alert "$NO_ALERT" --cause insider --description x
expect_code 2 "an incident from an unknown alert: exit 2"
expect_err_contains "not found" "says not found"
run supervision open-incident --data "$DATA" --alert "$ALERT" --cause nope --description x
expect_code 2 "an incident from an alert with an unknown cause: exit 2"
check '[ "$(ledger_size)" -eq "$BEFORE" ]' "the ledger did not grow"
run supervision open-incident --data "$DATA" --alert "$ALERT" --cause insider --description "$DESCRIPTION"
expect_code 0 "supervision open-incident"
expect_json ".suspected and .cause == \"insider\" and .scope.actors[0].actor == \"emp:e2e\" and .affected == 3 and .opened_by == \"admin:root\"" \
  "a suspected incident: the alert's actor on the alert's day"

# --- the API ------------------------------------------------------------------------------------
OFFICER=$("$MAMORI_BIN" token create --data "$DATA" --actor emp:officer 2>/dev/null | jq -r .token)
AGENT=$("$MAMORI_BIN" token create --data "$DATA" --actor emp:e2e 2>/dev/null | jq -r .token)
AUDITOR=$("$MAMORI_BIN" token create --data "$DATA" --actor emp:auditor 2>/dev/null | jq -r .token)
start_server

DOC="$WORK/openapi.json"
EXCHANGES="$WORK/exchanges"
SEEN="$WORK/seen"
mkdir -p "$WORK/resp"
: >"$EXCHANGES"
: >"$SEEN"
N=0
# call METHOD TARGET [BODY] [TOKEN]: one request; sets STATUS, CTYPE, OUT.
call() {
  METHOD=$1 TARGET=$2
  local data=${3-} token=${4-}
  N=$((N + 1))
  RESP="$WORK/resp/$N"
  REQ="$WORK/resp/$N.req"
  local args=(-s -S -o "$RESP" -w '%{http_code} %{content_type}' -X "$METHOD" --max-time 60)
  if [ -n "$token" ]; then args+=(-H "Authorization: Bearer $token"); fi
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
  CODE=$STATUS
  ERR=$(cat "$WORK/curl.err")
}
# expect STATUS [ERROR_CODE] DESCRIPTION: kept for the document check.
expect() {
  local status=$1 code="" desc=$2
  if [ $# -ge 3 ]; then code=$2 desc=$3; fi
  if [ "$STATUS" != "$status" ]; then
    fail "$desc (wanted HTTP $status)"
    return
  fi
  if [ -n "$code" ] && ! jq -e --arg c "$code" '.error.code == $c' >/dev/null 2>&1 <"$RESP"; then
    fail "$desc (wanted error code $code)"
    return
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$METHOD" "$TARGET" "$STATUS" "$CTYPE" "$RESP" "$REQ" \
    "$desc" >>"$EXCHANGES"
  pass "$desc"
}

call GET /openapi.json
cp "$RESP" "$DOC"
expect 200 "GET /openapi.json"
check 'jq -e --slurpfile src "$MAMORI_SOURCE_DIR/src/server/openapi.json" ". == \$src[0]" <"$DOC" >/dev/null' \
  "the served document is src/server/openapi.json"
check '"$PYTHON" "$CHECK" "$DOC" document' "the document is valid OpenAPI 3.1"

OPEN_BODY=$(jq -nc --arg d "$DESCRIPTION" --arg from "$TODAY" \
  '{description: $d, cause: "insider", suspected: true, discovered_at: $from, occurred_at: $from,
    financial_risk: ["pd:EmailAddress"],
    scope: {actors: [{actor: "emp:e2e", from: $from, to: $from}],
            services: [{service: "fiber", categories: ["pd:Name"], encrypted_without_keys: false}]}}')
call POST /v1/incidents "$OPEN_BODY" "$OFFICER"
expect 201 "POST /v1/incidents"
API_INC=$(jq -r .incident <<<"$OUT")
expect_json '.affected == 3 and .suspected and .opened_by == "emp:officer" and .reportable and (.reasons | index("wrongful_purpose")) and (.scope.services[0].categories == ["pd:Name"])' \
  "opened by the token's actor, with the window and the service"
call POST /v1/incidents "$OPEN_BODY" "$AGENT"
expect 403 forbidden "POST /v1/incidents without the incidents permission"
call POST /v1/incidents "$OPEN_BODY"
expect 401 unauthenticated "POST /v1/incidents without a token"
call GET /v1/incidents "" "$OFFICER"
expect 200 "GET /v1/incidents"
expect_json "(.incidents | length) == 5 and ([.incidents[].incident] | index(\"$API_INC\"))" "every incident"
call GET /v1/incidents "" "$AGENT"
expect 403 forbidden "GET /v1/incidents without the incidents permission"
call GET /v1/incidents
expect 401 unauthenticated "GET /v1/incidents without a token"
call GET "/v1/incidents/$API_INC" "" "$OFFICER"
expect 200 "GET /v1/incidents/{id}"
expect_json ".incident == \"$API_INC\" and .status == \"open\"" "the incident"
call GET "/v1/incidents/$NO_INCIDENT" "" "$OFFICER"
expect 404 not_found "GET an unknown incident"
call GET "/v1/incidents/$API_INC" "" "$AGENT"
expect 403 forbidden "GET an incident without the permission"
call GET "/v1/incidents/$API_INC"
expect 401 unauthenticated "GET an incident without a token"

# 400s
call POST /v1/incidents '{"description":' "$OFFICER"
expect 400 invalid_json "a body that is not JSON"
call POST /v1/incidents "$(jq -c '. + {severity: "high"}' <<<"$OPEN_BODY")" "$OFFICER"
expect 400 unknown_field "an unknown field"
call POST /v1/incidents "$(jq -c 'del(.cause)' <<<"$OPEN_BODY")" "$OFFICER"
expect 400 missing_field "no cause"
call POST /v1/incidents "$(jq -c 'del(.scope)' <<<"$OPEN_BODY")" "$OFFICER"
expect 400 missing_field "no scope"
call POST /v1/incidents "$(jq -c '.scope = ["emp:e2e"]' <<<"$OPEN_BODY")" "$OFFICER"
expect 400 wrong_type "a scope that is not an object"
call POST /v1/incidents "$(jq -c '.suspected = "yes"' <<<"$OPEN_BODY")" "$OFFICER"
expect 400 wrong_type "suspected not a boolean"
call POST /v1/incidents "$(jq -c '.cause = "flood"' <<<"$OPEN_BODY")" "$OFFICER"
expect 400 invalid_argument "an unknown cause"
call POST /v1/incidents "$(jq -c '.scope = {}' <<<"$OPEN_BODY")" "$OFFICER"
expect 400 invalid_argument "an empty scope"
call POST /v1/incidents "$(jq -c '.scope.actors[0].to = "soon"' <<<"$OPEN_BODY")" "$OFFICER"
expect 400 invalid_argument "a window bound that is no date"
call POST /v1/incidents "$(jq -c '.scope.recipients = [{recipient: "x", from: "2026-01-01"}]' <<<"$OPEN_BODY")" "$OFFICER"
expect 400 invalid_argument "a recipient window without its end"
call POST /v1/incidents "$(jq -c '.scope.colour = []' <<<"$OPEN_BODY")" "$OFFICER"
expect 400 invalid_argument "an unknown scope part"
call POST /v1/incidents "$(jq -c '.discovered_at = "2999-01-01"' <<<"$OPEN_BODY")" "$OFFICER"
expect 400 invalid_argument "a discovery in the future"
call POST /v1/incidents "$(jq -c '.financial_risk = ["pd:Nothing"]' <<<"$OPEN_BODY")" "$OFFICER"
expect 400 invalid_argument "a financial-risk category not in the policy"
call POST /v1/incidents "$(jq -c --arg s "$NO_SUBJECT" '.scope = {subjects: [$s]}' <<<"$OPEN_BODY")" "$OFFICER"
expect 404 not_found "a scope naming an unknown subject"

# scope, subjects, timeline
call POST "/v1/incidents/$API_INC/scope" "{\"scope\":{\"subjects\":[\"$S1\",\"$S2\"]}}" "$OFFICER"
expect 200 "POST /v1/incidents/{id}/scope"
expect_json ".affected == 2 and .scope.actors == [] and .scope.subjects == [\"$S1\", \"$S2\"]" "the affected set recomputed"
call POST "/v1/incidents/$API_INC/scope" '{}' "$OFFICER"
expect 400 missing_field "a scope change without the scope"
call POST "/v1/incidents/$API_INC/scope" '{"scope":{"subjects":[1]}}' "$OFFICER"
expect 400 invalid_argument "a subject that is not an id"
call POST "/v1/incidents/$NO_INCIDENT/scope" "{\"scope\":{\"subjects\":[\"$S1\"]}}" "$OFFICER"
expect 404 not_found "the scope of an unknown incident"
call POST "/v1/incidents/$API_INC/scope" '{"scope":{"subjects":[]}}' "$AGENT"
expect 403 forbidden "a scope change without the permission"
call POST "/v1/incidents/$API_INC/scope" '{"scope":{"subjects":[]}}'
expect 401 unauthenticated "a scope change without a token"
call GET "/v1/incidents/$API_INC/subjects" "" "$OFFICER"
expect 200 "GET /v1/incidents/{id}/subjects"
expect_json "[.subjects[].subject] == ([\"$S1\", \"$S2\"] | sort) and .incident == \"$API_INC\"" "the two subjects"
call GET "/v1/incidents/$NO_INCIDENT/subjects" "" "$OFFICER"
expect 404 not_found "the subjects of an unknown incident"
call GET "/v1/incidents/$API_INC/subjects" "" "$AGENT"
expect 403 forbidden "subjects without the permission"
call GET "/v1/incidents/$API_INC/subjects"
expect 401 unauthenticated "subjects without a token"

# narrative
call POST "/v1/incidents/$API_INC/narrative" "$(jq -nc --arg d "$DAMAGE" '{secondary_damage: $d}')" "$OFFICER"
expect 200 "POST /v1/incidents/{id}/narrative"
call POST "/v1/incidents/$API_INC/narrative" '{"publication":"ウェブサイトで公表"}' "$OFFICER"
expect 200 "a second narrative field"
expect_json ".narrative.secondary_damage == \"$DAMAGE\" and .narrative.publication == \"ウェブサイトで公表\"" "fields not sent are kept"
call POST "/v1/incidents/$API_INC/narrative" '{}' "$OFFICER"
expect 400 missing_field "a narrative without any field"
call POST "/v1/incidents/$API_INC/narrative" '{"other":1}' "$OFFICER"
expect 400 wrong_type "a narrative field that is not a string"
call POST "/v1/incidents/$API_INC/narrative" '{"mood":"x"}' "$OFFICER"
expect 400 unknown_field "an unknown narrative field"
call POST "/v1/incidents/$NO_INCIDENT/narrative" '{"other":"x"}' "$OFFICER"
expect 404 not_found "the narrative of an unknown incident"
call POST "/v1/incidents/$API_INC/narrative" '{"other":"x"}' "$AGENT"
expect 403 forbidden "a narrative without the permission"
call POST "/v1/incidents/$API_INC/narrative" '{"other":"x"}'
expect 401 unauthenticated "a narrative without a token"

# reports
call POST "/v1/incidents/$API_INC/reports" '{"kind":"appi_preliminary","reference":"PPC-0002"}' "$OFFICER"
expect 201 "POST /v1/incidents/{id}/reports"
expect_json '.reports[0].status == "submitted" and .reports[0].reference == "PPC-0002"' "submitted"
call POST "/v1/incidents/$API_INC/reports" '{"kind":"appi_preliminary"}' "$OFFICER"
expect 409 already_exists "the same report twice"
call POST "/v1/incidents/$API_INC/reports" '{"kind":"tba_detailed"}' "$OFFICER"
expect 409 failed_precondition "a report the incident does not require"
call POST "/v1/incidents/$API_INC/reports" '{"kind":"appi_weekly"}' "$OFFICER"
expect 400 invalid_argument "an unknown report kind"
call POST "/v1/incidents/$API_INC/reports" '{"kind":"appi_final","submitted_at":"2999-01-01"}' "$OFFICER"
expect 400 invalid_argument "a report submitted in the future"
call POST "/v1/incidents/$API_INC/reports" '{"reference":"x"}' "$OFFICER"
expect 400 missing_field "a report without its kind"
call POST "/v1/incidents/$NO_INCIDENT/reports" '{"kind":"appi_final"}' "$OFFICER"
expect 404 not_found "a report of an unknown incident"
call POST "/v1/incidents/$API_INC/reports" '{"kind":"appi_final"}' "$AGENT"
expect 403 forbidden "a report without the permission"
call POST "/v1/incidents/$API_INC/reports" '{"kind":"appi_final"}'
expect 401 unauthenticated "a report without a token"

# drafts
call GET "/v1/incidents/$API_INC/drafts/appi_final?lang=en" "" "$OFFICER"
expect 200 "GET /v1/incidents/{id}/drafts/{kind}"
expect_json '.kind == "appi_final" and .language == "en" and (.fields | length) > 5' "the draft"
call GET "/v1/incidents/$API_INC/drafts/appi_preliminary?lang=ja&format=html" "" "$OFFICER"
expect 200 "GET /v1/incidents/{id}/drafts/{kind}?format=html"
check '[[ "$CTYPE" == text/html* ]] && grep -qi "<html" "$RESP"' "the HTML draft is text/html"
call GET "/v1/incidents/$API_INC/drafts/tba_prompt" "" "$OFFICER"
expect 409 failed_precondition "the draft of a report the incident does not require"
call GET "/v1/incidents/$API_INC/drafts/appi_weekly" "" "$OFFICER"
expect 404 not_found "the draft of an unknown kind"
call GET "/v1/incidents/$NO_INCIDENT/drafts/appi_final" "" "$OFFICER"
expect 404 not_found "the draft of an unknown incident"
call GET "/v1/incidents/$API_INC/drafts/appi_final?lang=fr" "" "$OFFICER"
expect 400 invalid_argument "a draft in an unknown language"
call GET "/v1/incidents/$API_INC/drafts/appi_final?format=pdf" "" "$OFFICER"
expect 400 invalid_argument "a draft in an unknown format"
call GET "/v1/incidents/$API_INC/drafts/appi_final" "" "$AGENT"
expect 403 forbidden "a draft without the permission"
call GET "/v1/incidents/$API_INC/drafts/appi_final"
expect 401 unauthenticated "a draft without a token"

# notices
BEFORE=$(ledger_size)
call POST "/v1/incidents/$API_INC/notices" '{"lang":"en","purpose":"dpv:CustomerCare"}' "$OFFICER"
expect 200 "POST /v1/incidents/{id}/notices"
expect_json "(.notices | length) == 2 and ([.notices[].channel] | sort) == [\"email\", \"post\"] and .without_contact == 0 and .language == \"en\"" \
  "a notice for each of the two"
check '[ "$(ledger_size)" -eq $((BEFORE + 3)) ]' "two reads and the incident.notices entry"
call POST "/v1/incidents/$API_INC/notices" '' "$OFFICER"
expect 200 "notices without a body (the defaults)"
expect_json ".language == \"ja\" and ([.notices[] | select(.subject == \"$S2\")][0].language == \"en\") and .by_language == {\"ja\": 1, \"en\": 1}" \
  "in Japanese by default, but in English for the customer who chose it"
CHOOSER=$(jq -r '[.notices[] | select(.language == "ja")][0].subject' <<<"$OUT")
call POST "/v1/subjects/$CHOOSER/language" '{"language":"en"}' "$OFFICER"
expect 200 "the other customer chooses English too"
call POST "/v1/incidents/$API_INC/notices" '' "$OFFICER"
expect_json '.language == "ja" and ([.notices[].language] | unique) == ["en"] and .by_language == {"ja": 0, "en": 2}' \
  "now both notices are in English"
call POST "/v1/incidents/$API_INC/notices" '{"lang":"fr"}' "$OFFICER"
expect 400 invalid_argument "notices in an unknown language"
call POST "/v1/incidents/$API_INC/notices" '{"tone":"warm"}' "$OFFICER"
expect 400 unknown_field "an unknown notices field"
call POST "/v1/incidents/$NO_INCIDENT/notices" '{}' "$OFFICER"
expect 404 not_found "notices of an unknown incident"
call POST "/v1/incidents/$API_INC/notices" '{}' "$AGENT"
expect 403 forbidden "notices without the permission"
call POST "/v1/incidents/$API_INC/notices" '{}'
expect 401 unauthenticated "notices without a token"

# timeline
call GET "/v1/incidents/$API_INC/timeline" "" "$OFFICER"
expect 200 "GET /v1/incidents/{id}/timeline"
expect_json '[.events[].change] == ["incident.open", "incident.scope", "incident.narrative", "incident.narrative", "incident.report", "incident.notices", "incident.notices", "incident.notices"] and ([.events[].actor] | unique == ["emp:officer"])' \
  "every action on it"
call GET "/v1/incidents/$NO_INCIDENT/timeline" "" "$OFFICER"
expect 404 not_found "the timeline of an unknown incident"
call GET "/v1/incidents/$API_INC/timeline" "" "$AGENT"
expect 403 forbidden "the timeline without the permission"
call GET "/v1/incidents/$API_INC/timeline"
expect 401 unauthenticated "the timeline without a token"

# close
call POST "/v1/incidents/$API_INC/close" '{"now":true}' "$OFFICER"
expect 400 unknown_field "a close with a field"
call POST "/v1/incidents/$API_INC/close" '' "$AGENT"
expect 403 forbidden "a close without the permission"
call POST "/v1/incidents/$API_INC/close" ''
expect 401 unauthenticated "a close without a token"
call POST "/v1/incidents/$NO_INCIDENT/close" '' "$OFFICER"
expect 404 not_found "closing an unknown incident"
call POST "/v1/incidents/$API_INC/close" '' "$OFFICER"
expect 200 "POST /v1/incidents/{id}/close"
expect_json '.status == "closed"' "closed"
call POST "/v1/incidents/$API_INC/close" '' "$OFFICER"
expect 409 failed_precondition "closing twice"
call POST "/v1/incidents/$API_INC/scope" "{\"scope\":{\"subjects\":[\"$S1\"]}}" "$OFFICER"
expect 409 failed_precondition "the scope of a closed incident"

# supervision and the audit report
Q="from=$TODAY&to=$TODAY"
call GET "/v1/supervision/activity?actor=emp:e2e&$Q" "" "$OFFICER"
expect 200 "GET /v1/supervision/activity"
expect_json '.actor == "emp:e2e" and .decisions == 9 and .denied == 5 and .subjects_touched == 4' "what the CLI shows"
call GET "/v1/supervision/activity?$Q" "" "$OFFICER"
expect 400 missing_field "activity without the actor"
call GET "/v1/supervision/activity?actor=emp:e2e&from=soon" "" "$OFFICER"
expect 400 invalid_argument "activity from a bound that is no date"
call GET "/v1/supervision/activity?actor=emp:e2e" "" "$AGENT"
expect 403 forbidden "activity without the audit permission"
call GET "/v1/supervision/activity?actor=emp:e2e"
expect 401 unauthenticated "activity without a token"
call GET "/v1/alerts?$Q" "" "$AUDITOR"
expect 200 "GET /v1/alerts"
expect_json ".alerts == [.alerts[0]] and .alerts[0].id == \"$ALERT\"" "the alert"
call GET "/v1/alerts?from=$TODAY&to=2020-01-01" "" "$OFFICER"
expect 400 invalid_argument "alerts of a period that ends before it starts"
call GET /v1/alerts "" "$AGENT"
expect 403 forbidden "alerts without the audit permission"
call GET /v1/alerts
expect 401 unauthenticated "alerts without a token"
ALERT_BODY='{"cause":"misdelivery","description":"誤送信の疑い"}'
call POST "/v1/alerts/$ALERT/incident" "$ALERT_BODY" "$AUDITOR"
expect 403 forbidden "an incident from an alert without the incidents permission"
call POST "/v1/alerts/$ALERT/incident" "$ALERT_BODY"
expect 401 unauthenticated "an incident from an alert without a token"
call POST "/v1/alerts/$ALERT/incident" '{"cause":"nope","description":"x"}' "$OFFICER"
expect 400 invalid_argument "an incident from an alert with an unknown cause"
call POST "/v1/alerts/$ALERT/incident" '{"cause":"loss"}' "$OFFICER"
expect 400 missing_field "an incident from an alert without a description"
call POST "/v1/alerts/$ALERT/incident" '{"cause":1,"description":"x"}' "$OFFICER"
expect 400 wrong_type "a cause that is not a string"
call POST "/v1/alerts/$ALERT/incident" '{"cause":"loss","description":"x","scope":{}}' "$OFFICER"
expect 400 unknown_field "an alert incident with a scope"
call POST "/v1/alerts/$ALERT/incident" '{"cause":' "$OFFICER"
expect 400 invalid_json "an alert incident body that is not JSON"
call POST "/v1/alerts/$NO_ALERT/incident" "$ALERT_BODY" "$OFFICER"
expect 404 not_found "an incident from an unknown alert"
call POST "/v1/alerts/$ALERT/incident" "$ALERT_BODY" "$OFFICER"
expect 201 "POST /v1/alerts/{id}/incident"
expect_json '.suspected and .cause == "misdelivery" and .opened_by == "emp:officer" and .scope.actors[0].actor == "emp:e2e" and .affected == 3' \
  "a suspected incident on the alert's actor and day"
call GET /v1/training/due "" "$AUDITOR"
expect 200 "GET /v1/training/due"
expect_json '.training == [{"actor": "emp:auditor", "course": "privacy-annual", "valid_until": null, "status": "missing", "roles": ["auditor"]}]' "the auditor's missing course"
call GET /v1/training/due "" "$AGENT"
expect 403 forbidden "training due without the audit permission"
call GET /v1/training/due
expect 401 unauthenticated "training due without a token"
call GET /v1/access-review "" "$OFFICER"
expect 200 "GET /v1/access-review"
expect_json '(.roles | length) == 4 and ([.roles[].flag_for_removal] | any | not)' "four roles, none flagged"
call GET /v1/access-review "" "$AGENT"
expect 403 forbidden "the access review without the audit permission"
call GET /v1/access-review
expect 401 unauthenticated "the access review without a token"
call GET "/v1/audit/report?$Q" "" "$AUDITOR"
expect 200 "GET /v1/audit/report"
expect_json '.ledger.verified == true and .decisions.total > 0 and (.incidents | length) == 6 and .alerts[0].kind == "repeated_denials"' \
  "the report: the ledger verified, the decisions and every incident of today"
call GET "/v1/audit/report?$Q&format=html&lang=en" "" "$OFFICER"
expect 200 "GET /v1/audit/report?format=html"
check '[[ "$CTYPE" == text/html* ]] && [ "$(grep -o "<svg" "$RESP" | wc -l)" -eq 3 ] && ! grep -qi "<script" "$RESP"' \
  "the HTML report is text/html with three charts"
call GET "/v1/audit/report?format=pdf" "" "$OFFICER"
expect 400 invalid_argument "a report in an unknown format"
call GET "/v1/audit/report?lang=fr" "" "$OFFICER"
expect 400 invalid_argument "a report in an unknown language"
call GET "/v1/audit/report?to=never" "" "$OFFICER"
expect 400 invalid_argument "a report to a bound that is no date"
call GET /v1/audit/report "" "$AGENT"
expect 403 forbidden "the report without the audit permission"
call GET /v1/audit/report
expect 401 unauthenticated "the report without a token"

# 413 on every POST route
"$PYTHON" -c 'import json,sys; json.dump({"description": "#" * (1100 * 1024)}, sys.stdout)' \
  >"$WORK/big.json"
for target in /v1/incidents "/v1/incidents/$API_INC/scope" "/v1/incidents/$API_INC/narrative" \
  "/v1/incidents/$API_INC/reports" "/v1/incidents/$API_INC/notices" "/v1/incidents/$API_INC/close" \
  "/v1/alerts/$ALERT/incident"; do
  call POST "$target" "@$WORK/big.json" "$OFFICER"
  expect 413 payload_too_large "POST $target with a body over 1 MiB is 413"
done

# Every answer above matches the document, and every documented status of
# the incident routes was seen.
if ERR=$("$PYTHON" "$CHECK" "$DOC" batch "$EXCHANGES" "$SEEN" 2>&1); then
  pass "every answer above (and each success's request) matches openapi.json"
else
  fail "every answer above (and each success's request) matches openapi.json"
fi
jq -r '.paths | to_entries[]
  | select(.key | test("^/v1/(incidents|supervision/|alerts|training/due$|access-review$|audit/report$)") | not) | .key as $p
  | .value | to_entries[] | .key as $m | .value.responses | keys[] | "\($m | ascii_upcase) \($p) \(.)"' \
  "$DOC" >"$WORK/exempt"
if ERR=$("$PYTHON" "$CHECK" "$DOC" coverage "$SEEN" "$WORK/exempt" 2>&1); then
  pass "every documented status of every incident and supervision route was exercised"
else
  fail "every documented status of every incident and supervision route was exercised"
fi

# --- the CLI through the server ----------------------------------------------------------------
AS_OFFICER=(--server "$URL" --token "$OFFICER")
run incident open --data "$DATA" --description x --cause loss --subject "$S1"
expect_code 2 "a direct open is refused while the server runs"
run incident open "${AS_OFFICER[@]}" --description "$DESCRIPTION" --cause misdelivery --subject "$S2"
expect_code 0 "incident open --server"
REMOTE_INC=$(jq -r .incident <<<"$OUT")
expect_json ".affected == 1 and .opened_by == \"emp:officer\" and .cause == \"misdelivery\" and .scope.subjects == [\"$S2\"]" \
  "prints what the direct command prints"
run incident show "${AS_OFFICER[@]}" --id "$REMOTE_INC"
expect_code 0 "incident show --server"
expect_json ".incident == \"$REMOTE_INC\" and .status == \"open\"" "the incident"
run incident show "${AS_OFFICER[@]}" --id "$NO_INCIDENT"
expect_code 2 "incident show --server of an unknown incident: exit 2"
run incident draft "${AS_OFFICER[@]}" --id "$API_INC" --kind appi_final --html "$WORK/remote.html"
expect_code 0 "incident draft --server --html"
check 'grep -qi "<html" "$WORK/remote.html"' "the page is written"
run incident draft "${AS_OFFICER[@]}" --id "$API_INC" --kind appi_final --lang en
expect_code 0 "incident draft --server (JSON)"
expect_json '.kind == "appi_final" and .language == "en"' "the draft"
run incident list --server "$URL" --token "$AGENT"
expect_code 2 "incident list --server without the permission: exit 2"
expect_err_contains "incidents" "names the permission"
run supervision alerts "${AS_OFFICER[@]}" --from "$TODAY" --to "$TODAY"
expect_code 0 "supervision alerts --server"
expect_json ".alerts[0].id == \"$ALERT\"" "the alert"
run supervision activity --server "$URL" --token "$AUDITOR" --actor emp:e2e --from "$TODAY" --to "$TODAY"
expect_code 0 "supervision activity --server"
expect_json '.actor == "emp:e2e" and .denied == 5' "the activity"
run audit report --server "$URL" --token "$AUDITOR" --from "$TODAY" --to "$TODAY"
expect_code 0 "audit report --server"
expect_json '.ledger.verified == true and .decisions.total > 0' "the report"
run audit report --server "$URL" --token "$AUDITOR" --html "$WORK/remote-report.html" --lang en
expect_code 0 "audit report --server --html"
check '[ "$(grep -o "<svg" "$WORK/remote-report.html" | wc -l)" -eq 3 ]' "the page is written, with its charts"
run audit report --server "$URL" --token "$AGENT"
expect_code 2 "audit report --server without the permission: exit 2"
expect_err_contains "audit" "names the permission"
stop_server

# --- the ledger --------------------------------------------------------------------------------
run ledger verify --data "$DATA"
expect_code 0 "the ledger verifies"
if ledger_entries | grep -qF -e "$NAME1" -e "$NAME2" -e "$NAME3" -e "$NAME4" -e "$EMAIL1" \
  -e "$ADDRESS2" -e "$DESCRIPTION" -e "$DAMAGE" -e "$PREVENTION" -e "ウェブサイトで公表" -e "誤送信の疑い"; then
  fail "the ledger holds no name, address, description or narrative"
else
  pass "the ledger holds no name, address, description or narrative"
fi
KINDS=$(ledger_entries | jq -r 'select(.change // "" | startswith("incident.")) | .change' | sort -u | tr '\n' ' ')
check '[ "$KINDS" = "incident.close incident.narrative incident.notices incident.open incident.report incident.scope " ]' \
  "every kind of incident entry is in the ledger ($KINDS)"

finish
