#!/usr/bin/env bash
# Public notices from the command line: `mamori notice show` (JSON and HTML,
# both languages, stored versions and a policy file, without the master key)
# and `mamori notice diff` across a policy version that changes purposes and
# a retention period; bad input exits 2 with a message on stderr. The HTTP
# routes are tested in server_test.sh, which checks them against openapi.json.
source "$(dirname "$0")/lib.sh"

GOLDEN="$MAMORI_SOURCE_DIR/src/notice/testdata"
DATA="$WORK/data"
run init --data "$DATA" --policy "$POLICY"
expect_code 0 "init"

# --- notice show ---------------------------------------------------------------
run notice show --data "$DATA" --service mobile
expect_code 0 "notice show --data"
expect_json '.language == "ja" and .policy.version == 1 and .service.name == "みらいモバイル" and (.purposes | length) == 9 and (.joint_use.list | length) == 1 and .missing == []' \
  "prints the Japanese notice of the latest version"
run notice show --data "$DATA" --service site-leasing --lang en
expect_json '.operator.name == "Mirai Telecom Co., Ltd." and .purposes[0].retention.text == "7 years from the end of the contract" and .joint_use.list == [] and (.trustees.used | not)' \
  "in English, for another service"
for lang in ja en; do
  run notice show --data "$DATA" --service mobile --lang "$lang"
  if [ "$(jq -S . <<<"$OUT")" = "$(jq -S . "$GOLDEN/mobile.$lang.json")" ]; then
    pass "the $lang JSON is the snapshot golden's"
  else
    fail "the $lang JSON is the snapshot golden's"
  fi
  "$MAMORI_BIN" notice show --data "$DATA" --service site-leasing --lang "$lang" --format html \
    >"$WORK/notice.html"
  if cmp -s "$WORK/notice.html" "$GOLDEN/site-leasing.$lang.html"; then
    pass "the $lang HTML page is the snapshot golden's, byte for byte"
  else
    fail "the $lang HTML page is the snapshot golden's"
  fi
done
run notice show --data "$DATA" --service mobile --format html
if [[ "$OUT" == "<!DOCTYPE html>"* ]] && grep -qF '<html lang="ja">' <<<"$OUT"; then
  pass "--format html prints a page in Japanese by default"
else
  fail "--format html prints a page in Japanese by default"
fi
run notice show --policy "$POLICY" --service fiber --lang en
expect_code 0 "notice show --policy FILE"
expect_json '.policy.version == null and .service.name == "Mirai Hikari Fiber Broadband"' \
  "previews a file without a version"

# Notices are public: the store alone, without the master key.
mv "$DATA.master.key" "$WORK/master.key"
run notice show --data "$DATA" --service mobile
expect_code 0 "notice show needs no master key"
mv "$WORK/master.key" "$DATA.master.key"

# --- bad input: exit 2, a message on stderr ----------------------------------------
run notice show --data "$DATA" --service satellite
expect_code 2 "an unknown service"
expect_err_contains 'no service "satellite"' "names the service"
run notice show --data "$DATA" --service mobile --lang fr
expect_code 2 "a language other than ja and en"
run notice show --data "$DATA" --service mobile --format pdf
expect_code 2 "a format other than json and html"
run notice show --data "$DATA" --policy "$POLICY" --service mobile
expect_code 2 "both --data and --policy"
expect_err_contains "either --data DIR or --policy FILE" "says to give one"
run notice show --policy "$POLICY" --version 1 --service mobile
expect_code 2 "--version with --policy"
run notice show --data "$DATA" --version 9 --service mobile
expect_code 2 "a version that was never loaded"
expect_err_contains "no policy version 9" "names the version"
run notice show --data "$DATA"
expect_code 2 "notice show without --service"
run notice show --data "$WORK/nowhere" --service mobile
expect_code 2 "a data directory that does not exist"
run notice
expect_code 2 "notice without a subcommand"

# --- a new version, and the diff ------------------------------------------------------
# Customer care adds chat, declared reasonably related; marketing adds
# partners' offers, not declared; marketing keeps data 1 year, not 2.
sed -e 's/^announcement_en = "To answer your inquiries, requests and fault reports, and to keep records of them."$/announcement_en = "To answer your inquiries, requests and fault reports, by phone or chat, and to keep records of them."\nchange_reasonably_related = true/' \
  -e 's/of Mirai Telecom and its group companies\."$/of Mirai Telecom, its group companies and its partners."/' \
  -e '/^id = "marketing-2y"$/{n;s/P2Y/P1Y/}' \
  "$POLICY" >"$WORK/v2.toml"
run policy load --data "$DATA" "$WORK/v2.toml"
expect_code 0 "policy load version 2"
run notice diff --data "$DATA" --from 1 --to 2 --service mobile
expect_code 0 "notice diff"
expect_json '.changed and .from_version == 1 and .to_version == 2 and (.purposes.changed | length) == 2' \
  "two purposes changed"
expect_json '.purposes.changed[] | select(.id == "dpv:CustomerCare") | .changed_purpose and .reasonably_related and .consequence.code == "changed_purpose_applies_to_existing_records"' \
  "a change declared reasonably related: existing records may be used for it"
expect_json '.purposes.changed[] | select(.id == "dpv:Marketing") | .changed_purpose and (.reasonably_related | not) and .consequence.code == "existing_records_need_consent" and (.fields | index("retention") != null)' \
  "an undeclared change: existing records need consent"
expect_json '.retention == [{"purpose": "dpv:Marketing", "from": {"duration": "P2Y", "anchor": "last_use", "text_ja": "2年（最終利用から）", "text_en": "2 years from the last use"}, "to": {"duration": "P1Y", "anchor": "last_use", "text_ja": "1年（最終利用から）", "text_en": "1 year from the last use"}}]' \
  "the retention change, in words"
run notice diff --data "$DATA" --from 1 --to 2 --service site-leasing
expect_json '(.changed | not) and .purposes.changed == []' "site leasing's notice does not change"
run notice show --data "$DATA" --service mobile --lang en
expect_json '.policy.version == 2 and (.purposes[] | select(.id == "dpv:Marketing") | .retention.text == "1 year from the last use")' \
  "notice show follows the latest version"
run notice show --data "$DATA" --version 1 --service mobile --lang en
expect_json '.policy.version == 1 and (.purposes[] | select(.id == "dpv:Marketing") | .retention.text == "2 years from the last use")' \
  "and --version shows an earlier one"
run notice diff --data "$DATA" --from 1 --to 7 --service mobile
expect_code 2 "a diff to a version that was never loaded"
expect_err_contains "--to: no policy version 7" "names the option and the version"
run notice diff --data "$DATA" --from 1 --to 2 --service satellite
expect_code 2 "a diff of an unknown service"
run notice diff --data "$DATA" --from 1 --service mobile
expect_code 2 "a diff without --to"

finish
