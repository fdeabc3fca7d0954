#!/usr/bin/env bash
# Decisions and the verifiable ledger end to end: actors, training and
# consents; decide / read / find recorded; `ledger verify` catches every kind
# of tampering; proofs check offline with the public key alone (with mamori
# and with the independent verifier in tools/); a writer killed mid-batch
# leaves a ledger that verifies.
source "$(dirname "$0")/lib.sh"
DATA="$WORK/data"
run init --data "$DATA" --policy "$POLICY"
expect_code 0 "init"

# --- actors and training --------------------------------------------------
run actor add --data "$DATA" --id emp:sato --role call-center-agent
expect_code 0 "actor add"
run actor add --data "$DATA" --id emp:sato --role call-center-agent
expect_code 2 "a duplicate actor is refused"
run actor add --data "$DATA" --id emp:kato --role astronaut
expect_code 2 "an unknown role is refused"
expect_err_contains '"astronaut" is not a role' "the message names the role"
run actor add --data "$DATA" --id emp:mori --role marketing-analyst
run subject add --data "$DATA" --phone 090-1234-5678 --name "山田 太郎"
SUBJECT=$(jq -r .subject <<<"$OUT")
printf '山田 太郎\n' | "$MAMORI_BIN" record add --data "$DATA" --subject "$SUBJECT" \
  --category pd:Name --service mobile --value - >/dev/null 2>&1

USE=(--data "$DATA" --actor emp:sato --purpose dpv:CustomerCare --subject "$SUBJECT" --category pd:Name)
run read "${USE[@]}"
expect_code 3 "no training yet: read is denied with exit 3"
expect_json '.outcome == "deny" and .reason_code == "training_missing" and .rule_id == "appi.24"' "the decision JSON is on stdout"
expect_err_contains "training_missing" "a one-line reason on stderr"
expect_err_lacks "山田" "a denial shows no value"

run training record --data "$DATA" --actor emp:sato --course privacy-annual --completed 2099-01-01
expect_code 2 "a completion date in the future is refused"
run training record --data "$DATA" --actor emp:sato --course no-such-course --completed 2026-01-01
expect_code 2 "an unknown course is refused"
run training record --data "$DATA" --actor emp:sato --course privacy-annual --completed "$(date -u +%F)"
expect_code 0 "training record"
expect_json '.valid_until > .completed_at' "validity comes from the course"

run decide "${USE[@]}"
expect_code 0 "decide allows a trained agent within the purpose"
expect_json '.outcome == "allow" and .legal_basis == "announced_purpose" and (.ledger_entry | type == "number")' "decide prints the decision"
run read "${USE[@]}"
expect_code 0 "read"
expect_json ".subject == \"$SUBJECT\" and .decision.outcome == \"allow\" and .values[\"pd:Name\"] == [\"山田 太郎\"]" "read returns the values when allowed"
run read --data "$DATA" --actor emp:nobody --purpose dpv:CustomerCare --subject "$SUBJECT" --category pd:Name
expect_code 3 "an unknown actor is denied"
expect_json '.reason_code == "actor_unknown"' "with reason actor_unknown"
run read --data "$DATA" --actor emp:sato --purpose dpv:CustomerCare --subject sub_AAAAAAAAAAAAAAAAAAAAAA --category pd:Name
expect_code 2 "an unknown subject is bad input"
run decide "${USE[@]}" --ground law
expect_code 3 "a ground without a written reason is denied"
expect_json '.reason_code == "ground_reason_missing"' "ground_reason_missing"
run decide "${USE[@]}" --ground telepathy --reason x
expect_code 2 "an unknown ground is a usage error"
run find --data "$DATA" --actor emp:sato --purpose dpv:CustomerCare --phone "+81 90 1234 5678"
expect_json ".subjects == [\"$SUBJECT\"] and .decision.outcome == \"allow\"" "find is decided and finds"

# --- consents ---------------------------------------------------------------
run training record --data "$DATA" --actor emp:mori --course privacy-annual --completed "$(date -u +%F)"
MKT=(--data "$DATA" --actor emp:mori --purpose dpv:Marketing --subject "$SUBJECT" --category pd:Name)
run decide "${MKT[@]}"
expect_json '.reason_code == "consent_required"' "marketing needs consent"
printf 'call 2026-11-27 10:02, customer said yes (recording 8812)\n' >"$WORK/evidence"
run consent grant --data "$DATA" --subject "$SUBJECT" --purpose dpv:Marketing --channel call_center --evidence "$(cat "$WORK/evidence")"
expect_code 0 "consent grant"
CONSENT=$(jq -r .consent <<<"$OUT")
expect_json '.channel == "call_center" and (.consent | startswith("con_")) and .withdrawn_at == null' "the consent record"
run decide "${MKT[@]}"
expect_json '.outcome == "allow" and .legal_basis == "consent"' "with consent, marketing is allowed"
run consent receipt --data "$DATA" --consent "$CONSENT"
expect_code 0 "consent receipt"
expect_json '.version == "KI-CR-v1.1.0" and .consentReceiptID == "'"$CONSENT"'" and .piiPrincipalId == "'"$SUBJECT"'" and (.services[0].purposes[0].purposeId == "dpv:Marketing") and .state == "given" and (.evidenceSha256 | length == 64)' "the receipt has the Kantara/ISO 27560 fields"
expect_err_lacks "recording 8812" "the receipt does not quote the evidence"
run consent withdraw --data "$DATA" --subject "$SUBJECT" --purpose dpv:Marketing --channel web
expect_code 0 "consent withdraw by subject and purpose"
run consent withdraw --data "$DATA" --consent "$CONSENT"
expect_code 2 "a consent cannot be withdrawn twice"
run decide "${MKT[@]}"
expect_json '.reason_code == "consent_required"' "after withdrawal, marketing is denied again"
run consent list --data "$DATA" --subject "$SUBJECT"
expect_json '.consents | length == 1 and .[0].withdrawn_at != null' "consent list shows the withdrawal"

# --- stop orders ------------------------------------------------------------
run stop-order add --data "$DATA" --subject "$SUBJECT" --purpose dpv:CustomerCare
expect_code 0 "stop-order add"
run read "${USE[@]}"
expect_code 3 "a stop-use order denies"
expect_json '.reason_code == "stop_use_order" and .rule_id == "appi.35.1"' "stop_use_order (APPI Art. 35)"
run find --data "$DATA" --actor emp:sato --purpose dpv:CustomerCare --phone 090-1234-5678
expect_json '.subjects == []' "find withholds a subject who stopped that use"

# --- the ledger ---------------------------------------------------------------
run ledger verify --data "$DATA"
expect_code 0 "ledger verify"
expect_json '.ok and .entries > 20 and .unsigned_entries == 0 and .latest_head.tree_size == .entries' "every entry is under a signed head after each command"
ENTRIES=$(jq -r .entries <<<"$OUT")
if sqlite3 "$DATA/records.db" "SELECT entry FROM ledger_entries" | grep -qE "山田|1234-5678|812345678|recording 8812"; then
  fail "the ledger holds no personal values"
else
  pass "the ledger holds no personal values"
fi
KINDS=$(sqlite3 "$DATA/records.db" "SELECT entry FROM ledger_entries" | jq -r '.change // .action' | sort -u | tr '\n' ' ')
for k in policy.load actor.add training.record subject.add record.add consent.grant consent.withdraw stop_order.add decide read find; do
  if grep -qw -- "$k" <<<"$KINDS"; then pass "entries record $k"; else fail "entries record $k (have: $KINDS)"; fi
done
DENIED=$(sqlite3 "$DATA/records.db" "SELECT entry FROM ledger_entries" | jq -r 'select(.outcome == "deny") | .reason_code' | sort -u | tr '\n' ' ')
if grep -q "training_missing" <<<"$DENIED"; then pass "denied decisions are recorded too"; else fail "denied decisions recorded ($DENIED)"; fi

run ledger head --data "$DATA"
expect_json ".tree_size == $ENTRIES and (.root_hash | length == 64)" "ledger head"
"$MAMORI_BIN" ledger public-key --data "$DATA" >"$WORK/pub.pem"
if grep -q "BEGIN PUBLIC KEY" "$WORK/pub.pem"; then pass "ledger public-key prints PEM"; else fail "public key PEM"; fi
if openssl pkey -pubin -in "$WORK/pub.pem" -noout 2>/dev/null; then pass "openssl reads the public key"; else fail "openssl reads the public key"; fi

proofs_ok=1
for ((i = 0; i < ENTRIES; i += 3)); do
  "$MAMORI_BIN" ledger proof --data "$DATA" --entry "$i" >"$WORK/proof.json" 2>/dev/null || proofs_ok=0
  "$MAMORI_BIN" ledger check-proof --public-key "$WORK/pub.pem" "$WORK/proof.json" >/dev/null 2>&1 || proofs_ok=0
  if [ -x "$MAMORI_SOURCE_DIR/tools/verify-proof.py" ] || [ -f "$MAMORI_SOURCE_DIR/tools/verify-proof.py" ]; then
    python3 "$MAMORI_SOURCE_DIR/tools/verify-proof.py" --public-key "$WORK/pub.pem" "$WORK/proof.json" >/dev/null 2>&1 || proofs_ok=0
  fi
done
if [ "$proofs_ok" = 1 ]; then pass "every proof checks (mamori and the independent verifier)"; else fail "proofs check"; fi
run ledger proof --data "$DATA" --entry 1 --against-size 5
expect_json '.tree_size == 5 and (.consistency | length > 0)' "a proof against an earlier size carries a consistency proof"
"$MAMORI_BIN" ledger proof --data "$DATA" --entry 1 --against-size 5 >"$WORK/proof5.json"
run ledger check-proof --public-key "$WORK/pub.pem" "$WORK/proof5.json"
expect_code 0 "and it checks"
run ledger proof --data "$DATA" --entry "$ENTRIES"
expect_code 2 "a proof of an entry beyond the signed head is refused"

jq 'del(.leaf_hash) | .entry |= (. + " ")' "$WORK/proof5.json" >"$WORK/forged.json"
run ledger check-proof --public-key "$WORK/pub.pem" "$WORK/forged.json"
expect_code 4 "an edited entry fails the inclusion check (exit 4)"
openssl genpkey -algorithm ed25519 2>/dev/null | openssl pkey -pubout >"$WORK/other.pem" 2>/dev/null
run ledger check-proof --public-key "$WORK/other.pem" "$WORK/proof5.json"
expect_code 4 "another key does not verify the tree head"
run ledger verify --data "$DATA" --public-key "$WORK/other.pem"
expect_code 4 "ledger verify against another public key fails"

# --- tampering ----------------------------------------------------------------
# tamper NAME SQL: a copy of the data directory with SQL applied to records.db.
tamper() {
  rm -rf "$WORK/t" && cp -a "$DATA" "$WORK/t" && cp "$DATA.master.key" "$WORK/t.master.key"
  sqlite3 "$WORK/t/records.db" "$2"
  run ledger verify --data "$WORK/t"
}
LAST=$((ENTRIES - 1))

DENIAL=$(sqlite3 "$DATA/records.db" "SELECT MIN(seq) FROM ledger_entries WHERE CAST(entry AS TEXT) LIKE '%\"outcome\":\"deny\"%'")
tamper edit "UPDATE ledger_entries SET entry = replace(entry, '\"deny\"', '\"allow\"') WHERE seq = $DENIAL"
expect_code 4 "a denial edited into an allow is detected"
expect_json ".first_bad_entry == $DENIAL" "and the entry is named"
expect_err_contains "entry $DENIAL" "the message names the entry"
tamper edit-rehashed "UPDATE ledger_entries SET entry = replace(entry, '\"deny\"', '\"allow\"'), leaf_hash = zeroblob(32) WHERE seq = $DENIAL"
expect_code 4 "an entry with a rewritten leaf hash is detected"
tamper delete "DELETE FROM ledger_entries WHERE seq = 10"
expect_code 4 "a deleted entry is detected"
expect_json '.first_bad_entry == 10' "the deleted entry is named"
tamper insert "UPDATE ledger_entries SET seq = seq + 1000000 WHERE seq >= 12; UPDATE ledger_entries SET seq = seq - 999999 WHERE seq >= 1000000; INSERT INTO ledger_entries SELECT 12, entry, leaf_hash, nodes FROM ledger_entries WHERE seq = 11"
expect_code 4 "an inserted entry is detected"
tamper reorder "UPDATE ledger_entries SET seq = -1 WHERE seq = 14; UPDATE ledger_entries SET seq = 14 WHERE seq = 15; UPDATE ledger_entries SET seq = 15 WHERE seq = -1"
expect_code 4 "reordered entries are detected"
expect_json '.first_bad_entry <= 14' "at the first moved entry or before"
tamper truncate "DELETE FROM ledger_entries WHERE seq >= $((LAST - 2))"
expect_code 4 "a truncated ledger is detected"
expect_err_contains "missing" "the message says entries are missing"
tamper forge "UPDATE tree_heads SET signature = randomblob(64) WHERE tree_size = (SELECT MAX(tree_size) FROM tree_heads)"
expect_code 4 "a forged tree-head signature is detected"
expect_json ".bad_tree_head == $ENTRIES" "the bad head is named"

# --- a writer killed mid-batch ---------------------------------------------
python3 - "$WORK/big.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(40000):
        f.write(json.dumps({"phone": f"090-{i // 10000:04d}-{i % 10000:04d}", "records": [
            {"category": "pd:Name", "service": "mobile", "value": f"Customer {i}"},
            {"category": "pd:CallLog", "service": "mobile", "value": f"call {i}"}]}) + "\n")
PY
"$MAMORI_BIN" import --data "$DATA" "$WORK/big.jsonl" >/dev/null 2>&1 &
WRITER=$!
sleep 0.7
if kill -9 "$WRITER" 2>/dev/null; then
  pass "the writer was killed while importing"
else
  fail "the writer was killed while importing (it had already finished)"
fi
wait "$WRITER" 2>/dev/null || true
run ledger verify --data "$DATA"
expect_code 0 "after a writer is killed mid-batch the ledger verifies"
expect_json ".entries == $ENTRIES" "and holds exactly the committed entries"
run status --data "$DATA"
expect_json '.subjects == 1' "the killed import left nothing behind"
run subject add --data "$DATA" --phone 080-0000-0001
expect_code 0 "the directory is usable after the crash"
run ledger verify --data "$DATA"
expect_json ".ok and .unsigned_entries == 0 and .entries == $((ENTRIES + 1))" "and the ledger goes on"

finish
