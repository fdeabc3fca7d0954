#!/usr/bin/env bash
# Loads every value through the real binary, then greps every file the data
# directory holds (and the master key file) for each plaintext value, in the
# forms it was given and normalized. None may appear.
source "$(dirname "$0")/lib.sh"
DATA="$WORK/data"
run init --data "$DATA" --policy "$POLICY"
run import --data "$DATA" "$MAMORI_SOURCE_DIR/examples/demo-customers.jsonl"
expect_code 0 "import the demo customers"
run subject add --data "$DATA" --phone 080-9999-1234 --email only.indexed@example.jp --name "索引 のみ"
expect_code 0 "a subject with identifiers only"

# Every string value of the demo file, plus the identifiers above and their
# normalized forms.
mapfile -t VALUES < <(jq -r '.. | objects | (.value?, .phone?, .email?, .contract?, .name?) | strings' \
  "$MAMORI_SOURCE_DIR/examples/demo-customers.jsonl" | sort -u)
VALUES+=("080-9999-1234" "+818099991234" "only.indexed@example.jp" "索引 のみ" "索引のみ"
         "+819012345678" "taro.yamada@example.jp" "mt00010001" "山田太郎")

files=0
for f in "$DATA"/* "$DATA.master.key"; do
  [ -f "$f" ] || continue
  files=$((files + 1))
  for v in "${VALUES[@]}"; do
    [ ${#v} -ge 4 ] || continue
    if grep -qaF -- "$v" "$f"; then
      CODE=1; OUT=""; ERR="$v found in $f"
      fail "plaintext in $(basename "$f")"
    fi
  done
done
[ "$files" -ge 3 ] && pass "checked $files files for ${#VALUES[@]} values" || fail "too few files"
finish
