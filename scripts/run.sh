#!/usr/bin/env bash
# The main job: installs what is needed, builds mamori, and initializes a
# demo data directory from the example operator policy with a few demo
# customers and one trained call-center agent, then prints what to try next.
#   bash scripts/run.sh
# Data goes to ./demo-data (master key: ./demo-data.master.key); set
# MAMORI_DEMO_DIR to put it elsewhere. An existing demo directory is reused.
# There is no server yet; once there is, this script will start it.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

bash scripts/install-deps.sh
bash scripts/build.sh build

mamori="$root/build/src/cli/mamori"
demo="${MAMORI_DEMO_DIR:-$root/demo-data}"
agent="emp:demo-agent"

if [ ! -d "$demo" ]; then
  "$mamori" init --data "$demo" --policy examples/telecom-operator.toml >/dev/null
  "$mamori" import --data "$demo" examples/demo-customers.jsonl >/dev/null
  echo "Initialized $demo from examples/telecom-operator.toml with the demo customers." >&2
else
  echo "Reusing the existing demo data directory $demo." >&2
fi
# The agent the "Try next" lines act as: without an actor with a role and
# valid training, every find and read is denied. Added once.
if ! "$mamori" actor list --data "$demo" | jq -e --arg a "$agent" '.actors[] | select(.actor == $a)' >/dev/null; then
  "$mamori" actor add --data "$demo" --id "$agent" --role call-center-agent >/dev/null
  "$mamori" training record --data "$demo" --actor "$agent" --course privacy-annual \
    --completed "$(date -u +%F)" >/dev/null
  echo "Added the call-center agent $agent, trained today (privacy-annual)." >&2
fi

status=$("$mamori" status --data "$demo")
subjects=$(jq -r .subjects <<<"$status")
records=$(jq -r .records <<<"$status")
entries=$(jq -r .ledger_entries <<<"$status")
as_agent="--actor $agent --purpose dpv:CustomerCare"
cat <<TRY

mamori is built: $mamori
Demo data: $demo ($subjects customers, $records encrypted records, $entries ledger entries)
Master key: $demo.master.key (mode 0600, kept outside the data directory)
Agent: $agent (role call-center-agent, privacy-annual training)

Try next (each find, read and decide is decided and recorded in the ledger):
  export MAMORI_DATA=$demo PATH=$(dirname "$mamori"):\$PATH
  mamori find $as_agent --phone "+81 90 1234 5678"   # any phone format finds the customer
  mamori find $as_agent --name "タナカ ケンジ"   # full-width kana finds ﾀﾅｶ ｹﾝｼﾞ
  S=\$(mamori find $as_agent --phone 090-1234-5678 | jq -r '.subjects[0]')
  mamori subject show --subject "\$S"   # records, purposes, policy version; no values
  mamori read $as_agent --subject "\$S" --category pd:Name --category pd:EmailAddress
  mamori read $as_agent --subject "\$S" --category pd:PaymentCardNumber; echo "exit \$?"   # denied: exit 3
  mamori decide $as_agent --subject "\$S" --category pd:PhysicalAddress   # decided without reading the value
  mamori consent grant --subject "\$S" --purpose dpv:Marketing --channel web
  mamori consent list --subject "\$S"
  mamori ledger verify   # recomputes every hash, checks every signed head
  mamori ledger public-key > key.pem
  mamori ledger proof --entry "\$(mamori ledger head | jq '.tree_size - 1')" > proof.json   # the latest entry
  mamori ledger check-proof --public-key key.pem proof.json
  python3 $root/tools/verify-proof.py --public-key key.pem proof.json   # no mamori code: Python and OpenSSL
  mamori subject add --phone 080-2222-3333 --name "鈴木 一郎"
  printf '%s\n' 'taro@example.jp' | mamori record add --subject "\$S" --category pd:EmailAddress --service mobile --value -
  mamori policy show | jq '.purposes[].id'
  mamori policy check $root/examples/telecom-operator.toml
  mamori status
  mamori --help
TRY
