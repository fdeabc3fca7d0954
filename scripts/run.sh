#!/usr/bin/env bash
# The main job: installs what is needed, builds mamori, prepares a demo data
# directory from the example operator policy with a few demo customers and
# one trained call-center agent with an API token, prints how to try it, and
# then runs the server in the foreground (Ctrl-C stops it).
#   bash scripts/run.sh
# Data goes to ./demo-data (master key: ./demo-data.master.key, the agent's
# token: ./demo-data.token, both mode 0600); set MAMORI_DEMO_DIR to put it
# elsewhere, MAMORI_DEMO_LISTEN to listen elsewhere than 127.0.0.1:8080. An
# existing demo directory and token are reused.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

bash scripts/install-deps.sh
bash scripts/build.sh build

mamori="$root/build/src/cli/mamori"
demo="${MAMORI_DEMO_DIR:-$root/demo-data}"
listen="${MAMORI_DEMO_LISTEN:-127.0.0.1:8080}"
agent="emp:demo-agent"
token_file="$demo.token"

# A server already running on the demo data holds its lock.
if [ -e "$demo/lock" ] && ! flock -n "$demo/lock" true; then
  echo "A mamori server already serves $demo$([ -f "$demo/server.url" ] && echo " at $(cat "$demo/server.url")");" \
    "stop it first (Ctrl-C in its terminal)." >&2
  exit 1
fi

if [ ! -d "$demo" ]; then
  rm -f "$token_file"  # a token of an earlier demo directory means nothing here
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

# The agent's API token, created once and kept beside the master key.
if [ ! -s "$token_file" ]; then
  created=$("$mamori" token create --data "$demo" --actor "$agent" 2> >(grep -v '^Store this token' >&2))
  (umask 077 && jq -r .token <<<"$created" >"$token_file")
  echo "Created an API token for $agent in $token_file (mode 0600)." >&2
else
  echo "Reusing the API token in $token_file." >&2
fi
chmod 600 "$token_file"

# A privacy officer for the staff console (requests, complaints, audit) and
# its token, created once beside the agent's.
officer=emp:demo-officer
officer_token_file="$demo.officer.token"
if ! "$mamori" actor list --data "$demo" | jq -e --arg a "$officer" '.actors[] | select(.actor == $a)' >/dev/null; then
  "$mamori" actor add --data "$demo" --id "$officer" --role privacy-officer >/dev/null
  for course in privacy-annual secrecy-annual my-number; do
    "$mamori" training record --data "$demo" --actor "$officer" --course "$course" \
      --completed "$(date -u +%F)" >/dev/null
  done
  echo "Added the privacy officer $officer, trained today." >&2
fi
if [ ! -s "$officer_token_file" ]; then
  created=$("$mamori" token create --data "$demo" --actor "$officer" 2> >(grep -v '^Store this token' >&2))
  (umask 077 && jq -r .token <<<"$created" >"$officer_token_file")
  echo "Created an API token for $officer in $officer_token_file (mode 0600)." >&2
fi
chmod 600 "$officer_token_file"

status=$("$mamori" status --data "$demo")
subjects=$(jq -r .subjects <<<"$status")
records=$(jq -r .records <<<"$status")
entries=$(jq -r .ledger_entries <<<"$status")
url="http://$listen"
auth='-H "Authorization: Bearer $MAMORI_TOKEN"'
use='"purpose":"dpv:CustomerCare"'
cat <<TRY

mamori is built: $mamori
Demo data: $demo ($subjects customers, $records encrypted records, $entries ledger entries)
Master key: $demo.master.key (mode 0600, kept outside the data directory)
Agent: $agent (role call-center-agent, privacy-annual training); its token: $token_file
Privacy officer: $officer (role privacy-officer); its token: $officer_token_file
Server: $url (starting now; Ctrl-C stops it)

In a browser: the customers' privacy center at $url/privacy (notices, the seven
requests, complaints, a request's status), and the staff console at
$url/console/requests (sign in with the officer's token: requests, complaints,
a customer lookup, the audit dashboard).

Try it from another terminal. Each find, read, decide and collection is decided
for the token's actor and recorded in the ledger. The token stays in its file:
  export MAMORI_SERVER=$url MAMORI_TOKEN=\$(cat $token_file) MAMORI_DATA=$demo PATH=$(dirname "$mamori"):\$PATH
  curl -s $url/healthz
  curl -s $auth -d '{$use,"phone":"+81 90 1234 5678"}' $url/v1/find
  S=\$(curl -s $auth -d '{$use,"phone":"090-1234-5678"}' $url/v1/find | jq -r '.subjects[0]')
  curl -s $auth -d '{"subject":"'\$S'",$use,"categories":["pd:Name","pd:EmailAddress"]}' $url/v1/read
  curl -s $auth -d '{"subject":"'\$S'",$use,"categories":["pd:PaymentCardNumber"]}' $url/v1/read   # 403 denied, with the decision
  curl -s $url/metrics | grep mamori_decisions
A customer's disclosure request, verified and executed by the officer:
  R=\$(curl -s -d '{"kind":"disclosure","identifiers":{"contract":"MT-0001-0001","phone":"090-1234-5678","birth_date":"1985-04-12"}}' $url/v1/public/requests)
  OFFICER="Authorization: Bearer \$(cat $officer_token_file)"; ID=\$(jq -r .request <<<"\$R")
  curl -s -H "\$OFFICER" -d '{}' $url/v1/requests/\$ID/verify | jq .request.verification
  curl -s -H "\$OFFICER" -d '{}' $url/v1/requests/\$ID/approve | jq '.status, .result.records[].value'
  curl -s -H "X-Request-Secret: \$(jq -r .secret <<<"\$R")" $url/v1/public/requests/\$ID | jq .status
The command line goes through the same server (--server URL --token T, here from
MAMORI_SERVER and MAMORI_TOKEN), with the exit codes of the direct commands:
  mamori find --purpose dpv:CustomerCare --name "タナカ ケンジ"   # full-width kana finds ﾀﾅｶ ｹﾝｼﾞ
  mamori read --purpose dpv:CustomerCare --subject "\$S" --category pd:Name --category pd:EmailAddress
  mamori read --purpose dpv:CustomerCare --subject "\$S" --category pd:PaymentCardNumber; echo "exit \$?"   # denied: exit 3
  mamori decide --purpose dpv:CustomerCare --subject "\$S" --category pd:PhysicalAddress   # decided without reading the value
  mamori subject add --phone 080-2222-3333 --name "鈴木 一郎"
  printf '%s\n' 'taro@example.jp' | mamori record add --subject "\$S" --category pd:EmailAddress --service mobile --value -
  mamori consent grant --subject "\$S" --purpose dpv:Marketing --channel web
  mamori consent list --subject "\$S"
  mamori ledger proof --entry "\$(mamori ledger head | jq '.tree_size - 1')" > proof.json   # the latest signed entry
Read-only commands work on the data directory beside the server; --data picks it over MAMORI_SERVER:
  mamori subject show --subject "\$S"   # records, purposes, policy version; no values
  mamori ledger verify --data "\$MAMORI_DATA"   # recomputes every hash, checks every signed head
  mamori ledger public-key > key.pem && mamori ledger check-proof --public-key key.pem proof.json
  python3 $root/tools/verify-proof.py --public-key key.pem proof.json   # no mamori code: Python and OpenSSL
  mamori subject add --data "\$MAMORI_DATA" --phone 080-0000-0000; echo "exit \$?"   # refused: the server holds the data
  mamori status
  mamori --help

TRY
exec "$mamori" serve --data "$demo" --listen "$listen"
