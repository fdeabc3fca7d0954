#!/usr/bin/env bash
# The main job: installs what is needed, builds mamori, and initializes a
# demo data directory from the example operator policy with a few demo
# customers, then prints what to try next.
#   bash scripts/run.sh
# Data goes to ./demo-data (master key: ./demo-data.master.key); set
# MAMORI_DEMO_DIR to put it elsewhere. An existing demo directory is reused.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

bash scripts/install-deps.sh
bash scripts/build.sh build

mamori="$root/build/src/cli/mamori"
demo="${MAMORI_DEMO_DIR:-$root/demo-data}"

if [ ! -d "$demo" ]; then
  "$mamori" init --data "$demo" --policy examples/telecom-operator.toml >/dev/null
  "$mamori" import --data "$demo" examples/demo-customers.jsonl >/dev/null
  echo "Initialized $demo from examples/telecom-operator.toml with the demo customers." >&2
else
  echo "Reusing the existing demo data directory $demo." >&2
fi

status=$("$mamori" status --data "$demo")
subjects=$(jq -r .subjects <<<"$status")
records=$(jq -r .records <<<"$status")
cat <<TRY

mamori is built: $mamori
Demo data: $demo ($subjects customers, $records encrypted records)
Master key: $demo.master.key (mode 0600, kept outside the data directory)

Try next:
  export MAMORI_DATA=$demo
  $mamori find --phone "+81 90 1234 5678"          # any phone format finds the customer
  $mamori find --name "タナカ ケンジ"              # full-width kana finds the customer registered as ﾀﾅｶ ｹﾝｼﾞ
  $mamori subject show --subject <id from find>     # records, purposes, policy version
  $mamori subject add --phone 080-2222-3333 --name "鈴木 一郎"
  $mamori record add --subject <id> --category pd:EmailAddress --service mobile --value -
  $mamori policy show --data $demo | jq '.purposes[].id'
  $mamori policy check examples/telecom-operator.toml
  $mamori status
  $mamori --help
TRY
