#!/usr/bin/env bash
# The command line end to end: init, policy, subjects, records, find, exit
# codes and messages.
source "$(dirname "$0")/lib.sh"
DATA="$WORK/data"

# --- usage -------------------------------------------------------------
run --help
expect_code 0 "--help exits 0"
run frobnicate
expect_code 2 "an unknown command is a usage error"
run subject add --data "$DATA" --bogus 1
expect_code 2 "an unknown flag is a usage error"

# --- policy check / show ---------------------------------------------
run policy check "$POLICY"
expect_code 0 "the example policy checks clean"
expect_json '.valid == true and .counts.purposes >= 7' "check reports counts"

cat >"$WORK/bad.toml" <<'TOML'
[policy]
name = "bad"
[[categories]]
id = "pd:Name"
name_ja = "氏名"
name_en = "Name"
legal_class = "secretish"
TOML
run policy check "$WORK/bad.toml"
expect_code 2 "a bad policy exits 2"
if grep -qE "^$WORK/bad.toml:[0-9]+:[0-9]+: " <<<"$ERR"; then pass "problems are FILE:LINE:COL: message"; else fail "problems are FILE:LINE:COL: message"; fi
expect_err_contains "secretish" "the unknown legal class is named"

run policy show "$POLICY"
expect_code 0 "policy show FILE"
expect_json '(.operator.name | type == "string") and ([.services, .categories, .purposes, .retention, .roles, .courses, .trustees, .recipients, .joint_uses] | all(type == "array" and all(has("id"))))' "policy show has the documented top-level lists"
expect_json '[.purposes[] | select(.id == "dpv:Marketing")][0].requires_consent == true' "marketing requires consent"
expect_json '[.categories[] | .legal_class] | index("communication_secrecy") != null' "categories carry legal classes"

# --- init ----------------------------------------------------------------
run init --data "$DATA" --policy "$POLICY"
expect_code 0 "init creates a data directory"
expect_json '.policy_version == 1 and (.signing_public_key | length == 64)' "init reports version 1 and the signing key"
if [ "$(stat -c %a "$DATA.master.key")" = "600" ]; then pass "master key is mode 0600 beside the directory"; else fail "master key mode"; fi
if [ ! -e "$DATA/master.key" ] && ! ls "$DATA" | grep -q key$; then pass "no master key inside the data directory"; else fail "no master key inside"; fi
run init --data "$DATA" --policy "$POLICY"
expect_code 2 "init refuses to overwrite"
expect_err_contains "refusing to overwrite" "the refusal says why"

run policy show --data "$DATA"
expect_code 0 "policy show --data"
expect_json '.version == 1 and (.loaded_by | startswith("admin:"))' "stored version and admin actor"

run status --data "$DATA"
expect_json '.subjects == 0 and .policy_version == 1 and .engine == "sqlite"' "status of an empty directory"
add_agent "$DATA"

# --- subjects, records, find --------------------------------------------
run subject add --data "$DATA" --phone 090-1234-5678 --name "山田 太郎" --contract MT-1
expect_code 0 "subject add"
SUBJECT=$(jq -r .subject <<<"$OUT")
[[ "$SUBJECT" == sub_* ]] && pass "subject id has the sub_ prefix" || fail "subject id prefix"

run subject add --data "$DATA"
expect_code 2 "subject add without identifiers is refused"
run subject add --data "$DATA" --phone "not a phone 12"
expect_code 2 "a bad phone is refused"
expect_err_contains "phone" "the message names the field"
expect_err_lacks "not a phone 12" "the message does not echo the value"

for form in "+81 90 1234 5678" "09012345678" "０９０－１２３４－５６７８"; do
  run find --data "$DATA" $AS_AGENT --phone "$form"
  expect_json ".subjects == [\"$SUBJECT\"]" "find by phone as '$form'"
done
run find --data "$DATA" $AS_AGENT --name "ﾔﾏﾀﾞ ﾀﾛｳ"
expect_json '.subjects == []' "a different name does not match"
run find --data "$DATA" $AS_AGENT --name "山田　太郎"
expect_json ".subjects == [\"$SUBJECT\"]" "find by name with an ideographic space"
run find --data "$DATA" $AS_AGENT --contract "mt-1"
expect_json ".subjects == [\"$SUBJECT\"]" "find by contract, case-insensitive"
run find --data "$DATA" $AS_AGENT --phone 1 --email a@b
expect_code 2 "find takes exactly one identifier"

run record add --data "$DATA" --subject "$SUBJECT" --category pd:EmailAddress --service mobile --value taro@example.jp
expect_code 0 "record add"
expect_json '.policy_version == 1 and (.record | startswith("rec_"))' "record add reports id and policy version"
run find --data "$DATA" $AS_AGENT --email "TARO@EXAMPLE.JP"
expect_json ".subjects == [\"$SUBJECT\"]" "a record of an identifier category is indexed"

set +e
printf 'secret-from-stdin@example.jp\n' | "$MAMORI_BIN" record add --data "$DATA" --subject "$SUBJECT" \
  --category pd:EmailAddress --service fiber --value - >"$WORK/out" 2>"$WORK/err"
CODE=$?
set -e
OUT=$(cat "$WORK/out"); ERR=$(cat "$WORK/err")
expect_code 0 "record add --value - reads standard input"
run find --data "$DATA" $AS_AGENT --email secret-from-stdin@example.jp
expect_json ".subjects == [\"$SUBJECT\"]" "the value read from stdin was stored"

run record add --data "$DATA" --subject "$SUBJECT" --category pd:Nope --service mobile --value x
expect_code 2 "unknown category"
expect_err_contains 'category: unknown category "pd:Nope"' "unknown category message"
run record add --data "$DATA" --subject "$SUBJECT" --category mamori:MyNumber --service mobile --value 123456789012
expect_code 2 "a category the service does not announce"
expect_err_contains 'announces no purpose' "collection without an announced purpose is refused"
expect_err_lacks "123456789012" "the refused value is not echoed"
run record add --data "$DATA" --subject sub_AAAAAAAAAAAAAAAAAAAAAA --category pd:Name --service mobile --value x
expect_code 2 "record for an unknown subject"
run record add --data "$DATA" --subject "$SUBJECT" --category pd:Name --service mobile --value x --collected-at soon
expect_code 2 "a bad --collected-at"
expect_err_contains "--collected-at" "the message names the flag"

run subject show --data "$DATA" --subject "$SUBJECT"
expect_code 0 "subject show"
expect_json '(.records | length == 2) and (.records[0].purposes | index("dpv:ServiceProvision") != null) and (.records[0] | has("value") | not)' "subject show lists metadata, never values"

# --- policy versions -----------------------------------------------------
sed '0,/^name = "\(.*\)"$/s//name = "\1 (rev 2)"/' "$POLICY" >"$WORK/v2.toml"
run policy load --data "$DATA" "$POLICY"
expect_json '.unchanged == true and .version == 1' "loading the same policy adds no version"
run policy load --data "$DATA" "$WORK/v2.toml"
expect_code 0 "policy load"
expect_json '.version == 2 and .unchanged == false' "policy load adds version 2"
run record add --data "$DATA" --subject "$SUBJECT" --category pd:Name --service mobile --value "山田 太郎"
expect_json '.policy_version == 2' "new records carry the new version"
run subject show --data "$DATA" --subject "$SUBJECT"
expect_json '[.records[].policy_version] == [1, 1, 2]' "old records keep the version they were collected under"
run policy load --data "$DATA" "$WORK/bad.toml"
expect_code 2 "a bad policy is not loaded"
run status --data "$DATA"
expect_json '.policy_version == 2' "the bad load changed nothing"

# --- retention: holds, contract ends, sweeps ---------------------------------
run hold add --data "$DATA" --subject "$SUBJECT" --basis "e2e 訴訟 第1号" --until 2099-12-31
expect_code 0 "hold add"
expect_json '(.hold | startswith("hld_")) and .category == null and .until == "2099-12-31T15:00:00Z"' "prints the hold, kept through the end of the day in Tokyo"
HOLD=$(jq -r .hold <<<"$OUT")
run hold add --data "$DATA" --subject "$SUBJECT" --basis "x" --until 2001-01-01
expect_code 2 "a hold that ends in the past: exit 2"
run hold add --data "$DATA" --subject "$SUBJECT" --basis "x" --until someday
expect_code 2 "a hold with an unreadable date: exit 2"
expect_err_contains "--until" "the message names the flag"
run hold add --data "$DATA" --subject sub_nobody --basis "x" --until 2099-01-01
expect_code 2 "a hold on an unknown subject: exit 2"
run hold list --data "$DATA" --subject "$SUBJECT"
expect_json ".holds | length == 1 and .[0].hold == \"$HOLD\"" "hold list"
run contract end --data "$DATA" --subject "$SUBJECT" --at 2020-01-31
expect_code 0 "contract end"
expect_json '.service == null and .ended_at == "2020-01-30T15:00:00Z"' "a date is the start of that day in Tokyo"
run contract end --data "$DATA" --subject "$SUBJECT" --service nope --at 2020-01-31
expect_code 2 "a contract end of an unknown service: exit 2"
run retention sweep --data "$DATA" --dry-run --as-of 2099-06-01
expect_code 0 "retention sweep --dry-run --as-of"
expect_json '.dry_run and .held >= 1 and .erased == 0' "the hold keeps what would be due"
run retention sweep --data "$DATA" --as-of 2099-06-01
expect_code 2 "--as-of without --dry-run: exit 2"
run hold release --data "$DATA" --id "$HOLD"
expect_json '.released_at != null' "hold release"
run hold release --data "$DATA" --id "$HOLD"
expect_code 2 "releasing a hold twice: exit 2"
run retention sweep --data "$DATA" --dry-run --as-of 2099-06-01
expect_json '.held == 0 and .erased + .deidentified >= 1' "once released, it would be erased"
ENTRIES_BEFORE=$(sqlite3 "$DATA/records.db" "SELECT COUNT(*) FROM ledger_entries")
run retention sweep --data "$DATA"
expect_code 0 "retention sweep"
expect_json '.dry_run == false and .erased == 0' "nothing is due today"
ENTRIES_AFTER=$(sqlite3 "$DATA/records.db" "SELECT COUNT(*) FROM ledger_entries")
if [ "$ENTRIES_AFTER" -gt "$ENTRIES_BEFORE" ]; then pass "the sweep is in the ledger"; else fail "the sweep is in the ledger"; fi

# --- one writer ----------------------------------------------------------
exec 9>"$DATA/lock"
flock -n 9
run subject add --data "$DATA" --phone 080-1111-2222
expect_code 2 "a second writer is refused while the directory is locked"
expect_err_contains "in use by another mamori process" "the refusal says why"
run find --data "$DATA" $AS_AGENT --phone 090-1234-5678
expect_code 2 "a find is a recorded use, so it needs the writer too"
run ledger verify --data "$DATA"
expect_code 0 "read-only commands work beside the writer"
flock -u 9
exec 9>&-

# --- keys ------------------------------------------------------------------
chmod 644 "$DATA.master.key"
run status --data "$DATA"
expect_code 2 "a master key readable by others is refused"
expect_err_contains "chmod 600" "the message says how to fix it"
chmod 600 "$DATA.master.key"
run init --data "$WORK/other" --policy "$POLICY" --master-key "$WORK/other.key"
MAMORI_MASTER_KEY="$WORK/other.key" run status --data "$DATA"
expect_code 4 "the wrong master key is an integrity failure (exit 4)"
MAMORI_DATA="$DATA" run status
expect_json '.subjects == 1' "MAMORI_DATA names the data directory"
run status --data "$WORK/nowhere"
expect_code 2 "a missing data directory is reported"
expect_err_contains "mamori init" "and says how to create one"

finish
