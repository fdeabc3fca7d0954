#!/usr/bin/env bash
# Third-party provision from the command line (docs/provision.md): `mamori
# provide` decides each subject and prints the payload of what was allowed
# (exit 3 when every subject is denied); the Art. 29 records it leaves and
# the Art. 30 records of receipts are listed by subject and by recipient;
# trustee audits decide whether a trustee may receive data. Then the same
# commands through a running server (--server), with the same output and
# exit codes. The ledger verifies and holds none of the values provided.
source "$(dirname "$0")/lib.sh"
DATA="$WORK/data"

NAME1="佐藤 花子"
NAME2="佐藤 一郎"
PROVIDER_REP="代表取締役 高橋 次郎"

run init --data "$DATA" --policy "$POLICY"
expect_code 0 "init"
add_agent "$DATA" # emp:e2e, a trained call-center agent
subject() {       # PHONE NAME: a subject with a name record; prints its id
  local id
  id=$("$MAMORI_BIN" subject add --data "$DATA" --phone "$1" 2>/dev/null | jq -r .subject)
  "$MAMORI_BIN" record add --data "$DATA" --subject "$id" --category pd:Name --service mobile \
    --value "$2" >/dev/null 2>&1
  echo "$id"
}
S1=$(subject 090-2468-1357 "$NAME1")
S2=$(subject 090-2468-1358 "$NAME2")
TO_SERVICER=(--recipient hikari-servicer --purpose dpv:PaymentManagement --category pd:Name)

# --- provide, directly ---------------------------------------------------------
run provide --data "$DATA" --actor emp:e2e "${TO_SERVICER[@]}" --subject "$S1"
expect_code 3 "provide without consent: exit 3"
expect_json '.payload == null and .decisions[0].decision.reason_code == "third_party_consent_required" and (.decisions[0].decision.ledger_entry | type == "number")' "the decisions on stdout, no payload"
expect_err_contains "mamori: denied: third_party_consent_required" "one line on stderr"
expect_err_lacks "$NAME1" "a denial shows no value"

run consent grant --data "$DATA" --subject "$S1" --purpose dpv:PaymentManagement --recipient hikari-servicer
expect_code 0 "consent to provision to the servicer"
run provide --data "$DATA" --actor emp:e2e "${TO_SERVICER[@]}" --subject "$S1" --subject "$S2"
expect_code 0 "provide two subjects, one of them allowed: exit 0"
expect_json ".decisions[0].decision.outcome == \"allow\" and .decisions[0].decision.legal_basis == \"consent\" and (.decisions[0].record | startswith(\"prv_\")) and .decisions[1].decision.outcome == \"deny\"" "each subject decided"
expect_json ".payload.subjects == [{\"subject\": \"$S1\", \"values\": {\"pd:Name\": [\"$NAME1\"]}}] and .payload.recipient == \"hikari-servicer\"" "the payload: exactly what was allowed"
RECORD=$(jq -r '.decisions[0].record' <<<"$OUT")
run provide --data "$DATA" "${TO_SERVICER[@]}" --subject "$S1"
expect_code 2 "provide without --actor: exit 2"
run provide --data "$DATA" --actor emp:e2e "${TO_SERVICER[@]}" --subject "$S1" --ground telepathy --reason x
expect_code 2 "an unknown ground: exit 2"
run provide --data "$DATA" --actor emp:e2e "${TO_SERVICER[@]}" --subject sub_AAAAAAAAAAAAAAAAAAAAAA
expect_code 2 "an unknown subject: exit 2"

# --- records ---------------------------------------------------------------------
run provision records --data "$DATA" --subject "$S1"
expect_code 0 "provision records --subject"
expect_json ".records | length == 1 and .[0].record == \"$RECORD\" and .[0].legal_basis == \"consent\" and (.[0].consent | startswith(\"con_\")) and (.[0].keep_until > .[0].provided_at)" "the Art. 29 record"
expect_err_lacks "$NAME1" "a record holds no value"
run provision records --data "$DATA" --recipient hikari-servicer
expect_code 0 "provision records --recipient"
expect_json '(.records | length) == 1 and (has("receipts") | not)' "the records of provisions to the servicer"
run provision records --data "$DATA"
expect_code 2 "provision records needs --subject or --recipient"
run provision receive --data "$DATA" --provider-name "みらいカード株式会社" \
  --provider-address "東京都港区芝九丁目2番2号" --provider-representative "$PROVIDER_REP" \
  --how-obtained "from its card members, with consent" --category pd:Name --subject "$S2" \
  --opt-out --received 2026-01-05
expect_code 0 "provision receive"
expect_json ".subject == \"$S2\" and .by_opt_out and (.receipt | startswith(\"rcv_\"))" "the Art. 30 record"
run provision receive --data "$DATA" --provider-name x --provider-address y \
  --provider-representative " " --how-obtained z --category pd:Name
expect_code 2 "a receipt without the provider's representative: exit 2"
run provision records --data "$DATA" --subject "$S2"
expect_json '(.records | length) == 0 and (.receipts | length) == 1' "the receipt is part of the subject's records"

# --- trustees --------------------------------------------------------------------
TO_TRUSTEE=(--recipient sakura-contact --purpose dpv:CustomerCare --category pd:Name --subject "$S1")
run trustee list --data "$DATA" --overdue
expect_code 0 "trustee list --overdue"
expect_json '[.trustees[].trustee] == ["sakura-contact", "nimbus-cloud"]' "never audited: both overdue"
run provide --data "$DATA" --actor emp:e2e "${TO_TRUSTEE[@]}"
expect_code 3 "provision to a trustee whose audit is overdue: exit 3"
expect_json '.decisions[0].decision.reason_code == "trustee_audit_overdue"' "trustee_audit_overdue"
run trustee audit record --data "$DATA" --trustee sakura-contact --date "$(date -u +%F)" --result "no findings"
expect_code 0 "trustee audit record"
expect_json '.trustee == "sakura-contact" and (.audit | startswith("aud_"))' "the audit"
run trustee audit record --data "$DATA" --trustee nobody --date 2026-01-01 --result x
expect_code 2 "an audit of an undeclared trustee: exit 2"
run trustee audit record --data "$DATA" --trustee sakura-contact --date soon --result x
expect_code 2 "an audit with an unreadable date: exit 2"
run provide --data "$DATA" --actor emp:e2e "${TO_TRUSTEE[@]}"
expect_code 0 "once audited, provision to the trustee"
expect_json '.decisions[0].decision.legal_basis == "entrusted" and .decisions[0].record == null' "entrusted, without an Art. 29 record"
run trustee approve-subcontractor --data "$DATA" --trustee sakura-contact \
  --subcontractor "株式会社きたコール" --scope "夜間の入電対応"
expect_code 0 "trustee approve-subcontractor"
run trustee list --data "$DATA"
expect_code 0 "trustee list"
expect_json '.trustees[0].overdue == false and .trustees[0].subcontractors[0].subcontractor == "株式会社きたコール" and .trustees[1].overdue' "the audit and the subcontractor"

# --- the same through a server ---------------------------------------------------------
"$MAMORI_BIN" actor add --data "$DATA" --id emp:officer --role privacy-officer >/dev/null 2>&1
AGENT=$("$MAMORI_BIN" token create --data "$DATA" --actor emp:e2e 2>/dev/null | jq -r .token)
OFFICER=$("$MAMORI_BIN" token create --data "$DATA" --actor emp:officer 2>/dev/null | jq -r .token)
start_server
AS_AGENT_REMOTE=(--server "$URL" --token "$AGENT")
AS_OFFICER=(--server "$URL" --token "$OFFICER")

run provide --data "$DATA" --actor emp:e2e "${TO_SERVICER[@]}" --subject "$S1"
expect_code 2 "a direct provide is refused while the server runs"
run provide "${AS_AGENT_REMOTE[@]}" "${TO_SERVICER[@]}" --subject "$S1" --subject "$S2"
expect_code 0 "provide --server"
expect_json ".payload.subjects == [{\"subject\": \"$S1\", \"values\": {\"pd:Name\": [\"$NAME1\"]}}] and (.decisions[0].record | startswith(\"prv_\")) and .decisions[1].decision.outcome == \"deny\"" "prints what the direct command prints"
run provide "${AS_AGENT_REMOTE[@]}" "${TO_SERVICER[@]}" --subject "$S2"
expect_code 3 "provide --server denied for every subject: exit 3"
expect_json '.payload == null and .decisions[0].decision.reason_code == "third_party_consent_required" and (has("error") | not)' "the decisions on stdout, as directly"
expect_err_contains "mamori: denied: third_party_consent_required" "one line on stderr"
run provide "${AS_AGENT_REMOTE[@]}" --actor emp:e2e "${TO_SERVICER[@]}" --subject "$S1"
expect_code 2 "--actor with --server is refused"
run provision records "${AS_OFFICER[@]}" --subject "$S1"
expect_code 0 "provision records --server"
expect_json '(.records | length) == 2 and (.receipts | length) == 0' "both provisions of the subject"
run provision records "${AS_AGENT_REMOTE[@]}" --recipient hikari-servicer
expect_code 2 "provision records --server needs the audit permission"
run provision receive "${AS_OFFICER[@]}" --provider-name x --provider-address y \
  --provider-representative r --how-obtained z --category pd:Name --received 2026-01-05
expect_code 0 "provision receive --server"
expect_json '.subject == null and .categories == ["pd:Name"]' "a receipt about no known subject"
run trustee list "${AS_OFFICER[@]}" --overdue
expect_code 0 "trustee list --server --overdue"
expect_json '[.trustees[].trustee] == ["nimbus-cloud"]' "only the trustee never audited"
run trustee audit record "${AS_OFFICER[@]}" --trustee nimbus-cloud --date "$(date -u +%F)" --result ok
expect_code 0 "trustee audit record --server"
run trustee list "${AS_OFFICER[@]}" --overdue
expect_json '.trustees == []' "no trustee is overdue any more"
run trustee approve-subcontractor "${AS_OFFICER[@]}" --trustee nobody --subcontractor x --scope y
expect_code 2 "approve-subcontractor --server of an undeclared trustee: exit 2"
run trustee approve-subcontractor "${AS_OFFICER[@]}" --trustee nimbus-cloud --subcontractor x --scope y
expect_code 0 "trustee approve-subcontractor --server"
stop_server

# --- the ledger ------------------------------------------------------------------------
run ledger verify --data "$DATA"
expect_code 0 "the ledger verifies"
ENTRIES=$(sqlite3 "$DATA/records.db" "SELECT entry FROM ledger_entries")
if grep -qF -e "$NAME1" -e "$NAME2" -e "$PROVIDER_REP" -e "きたコール" <<<"$ENTRIES"; then
  fail "the ledger holds no provided value, provider or subcontractor"
else
  pass "the ledger holds no provided value, provider or subcontractor"
fi
if [ "$(jq -s '[.[] | select(.action == "provide")] | length' <<<"$ENTRIES")" -eq 8 ]; then
  pass "every provision decision is in the ledger"
else
  fail "every provision decision is in the ledger"
fi

finish
