#!/usr/bin/env bash
# `mamori import`: the demo customers load; a bad line is rejected with its
# line number and nothing of the batch is kept.
source "$(dirname "$0")/lib.sh"
DATA="$WORK/data"
run init --data "$DATA" --policy "$POLICY"
expect_code 0 "init"
add_agent "$DATA"

run import --data "$DATA" "$MAMORI_SOURCE_DIR/examples/demo-customers.jsonl"
expect_code 0 "the demo customers import"
expect_json '.subjects == 5 and .records >= 20' "import summary counts subjects and records"
run find --data "$DATA" $AS_AGENT --name "ﾀﾅｶ ｹﾝｼﾞ"
expect_json '.subjects | length == 1' "a half-width kana identifier is found by the same kana"
run find --data "$DATA" $AS_AGENT --name "田中健二"
expect_json '.subjects | length == 1' "a kanji name record is found without spaces"
run find --data "$DATA" $AS_AGENT --email miki.ito@example.jp
expect_json '.subjects | length == 1' "an upper-case email identifier is found in lower case"
run status --data "$DATA"
BEFORE=$(jq -c '[.subjects, .records]' <<<"$OUT")

cat >"$WORK/bad.jsonl" <<'JSONL'
{"phone":"090-5555-0001","records":[{"category":"pd:Name","service":"mobile","value":"Good One"}]}
{"phone":"090-5555-0002","records":[{"category":"pd:Name","service":"mobile","value":"Good Two"}]}
{"phone":"090-5555-0003","records":[{"category":"pd:Name","service":"mobile","valeu":"Typo Three"}]}
JSONL
run import --data "$DATA" "$WORK/bad.jsonl"
expect_code 2 "a bad line fails the import"
expect_err_contains "line 3: records[0].valeu: unknown field" "the error names the line and field"
expect_err_contains "nothing was imported" "the error says nothing was kept"
expect_err_lacks "Typo Three" "the error does not echo values"
run status --data "$DATA"
AFTER=$(jq -c '[.subjects, .records]' <<<"$OUT")
[ "$BEFORE" = "$AFTER" ] && pass "no half-loaded batch is kept" || fail "no half-loaded batch ($BEFORE vs $AFTER)"
run find --data "$DATA" $AS_AGENT --phone 090-5555-0001
expect_json '.subjects == []' "not even the good lines before the bad one"

printf '{"phone":"090-5555-0009"}\nnot json\n' >"$WORK/garbage.jsonl"
run import --data "$DATA" "$WORK/garbage.jsonl"
expect_code 2 "malformed JSON is rejected"
expect_err_contains "line 2: not valid JSON" "with its line number"

run import --data "$DATA" "$WORK/missing.jsonl"
expect_code 2 "a missing file is reported"

set +e
printf '{"email":"stdin@example.jp"}\n' | "$MAMORI_BIN" import --data "$DATA" - >"$WORK/out" 2>"$WORK/err"
CODE=$?
set -e
OUT=$(cat "$WORK/out"); ERR=$(cat "$WORK/err")
expect_code 0 "import reads standard input with -"
expect_json '.subjects == 1' "one subject from stdin"

finish
