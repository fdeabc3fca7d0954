#!/usr/bin/env bash
# The command line through a running server (DESIGN.md, "One writer"):
# while `mamori serve` holds the data directory, a direct write is refused
# with a message naming --server; every data command runs with
# --server URL --token T instead, printing what the direct command prints
# with the same exit codes; a new policy version loads without a restart;
# after SIGTERM the ledger verifies. Then the same over HTTPS.
source "$(dirname "$0")/lib.sh"
DATA="$WORK/data"


# --- before the server: an administrator and an agent, with tokens ----------
run init --data "$DATA" --policy "$POLICY"
expect_code 0 "init"
add_agent "$DATA"
"$MAMORI_BIN" actor add --data "$DATA" --id emp:admin --role privacy-officer >/dev/null 2>&1
for course in privacy-annual secrecy-annual my-number; do
  "$MAMORI_BIN" training record --data "$DATA" --actor emp:admin --course "$course" \
    --completed "$(date -u +%F)" >/dev/null 2>&1
done
run token create --data "$DATA" --actor emp:admin
expect_code 0 "token create (direct, before the server starts)"
ADMIN=$(jq -r .token <<<"$OUT")
run token create --data "$DATA" --actor emp:e2e
AGENT=$(jq -r .token <<<"$OUT")

start_server # fails and exits without a port
pass "the server started"
AS_ADMIN=(--server "$URL" --token "$ADMIN")
AS_AGENT_REMOTE=(--server "$URL" --token "$AGENT")

# --- the lock: direct writes are refused and told to use --server ------------
run subject add --data "$DATA" --phone 090-1234-5678
expect_code 2 "a direct subject add is refused while the server runs"
expect_err_contains "--server $URL --token" "the refusal names --server and the server's URL"
run status --data "$DATA"
expect_code 0 "read-only commands still work beside the server"

# --- subjects, records, find, decide, read ----------------------------------
run subject add "${AS_AGENT_REMOTE[@]}" --phone 090-1234-5678 --name "山田 太郎"
expect_code 0 "subject add --server"
expect_json '(.subject | startswith("sub_")) and (keys == ["subject"])' "prints the subject id, as the direct command does"
SUBJECT=$(jq -r .subject <<<"$OUT")
run subject add "${AS_AGENT_REMOTE[@]}"
expect_code 2 "subject add without identifiers is still a usage error"

printf '山田 太郎\n' >"$WORK/name"
run record add "${AS_AGENT_REMOTE[@]}" --subject "$SUBJECT" --category pd:Name --service mobile --value - <"$WORK/name"
expect_code 0 "record add --server --value -"
expect_json ".subject == \"$SUBJECT\" and (.record | startswith(\"rec_\"))" "prints the record and subject"
RECORD1=$(jq -r .record <<<"$OUT")
run record add "${AS_AGENT_REMOTE[@]}" --subject sub_AAAAAAAAAAAAAAAAAAAAAA --category pd:Name --service mobile --value x
expect_code 2 "record add for an unknown subject: exit 2"
expect_err_contains "404 not_found" "the server's error code is shown"
run record add "${AS_AGENT_REMOTE[@]}" --subject "$SUBJECT" --category pd:Name --service nowhere --value x
expect_code 2 "a service announcing nothing: exit 2"

# import FILE --server: POST /v1/import, one decided collection.
printf '%s\n\n%s\n' \
  '{"phone":"090-5555-0001","contract":"MT-0005-0001","records":[{"category":"pd:Name","service":"mobile","value":"鈴木 一郎"}]}' \
  '{"email":"hanako.suzuki@example.jp","records":[{"category":"pd:Name","service":"fiber","value":"鈴木 花子"},{"category":"pd:EmailAddress","service":"fiber","value":"hanako.suzuki@example.jp"}]}' \
  >"$WORK/import.jsonl"
run import "${AS_AGENT_REMOTE[@]}" "$WORK/import.jsonl"
expect_code 0 "import --server"
expect_json '.lines == 3 and .subjects == 2 and .records == 3 and (.seconds | type == "number") and .decision.outcome == "allow"' "prints the counts, as the direct command does"
run import --data "$DATA" "$WORK/import.jsonl"
expect_code 2 "a direct import is refused while the server runs"
printf '%s\n%s\n' '{"phone":"090-5555-0002","records":[]}' '{"phone":"090-5555-0003","hobby":"go"}' >"$WORK/bad.jsonl"
run import "${AS_AGENT_REMOTE[@]}" "$WORK/bad.jsonl"
expect_code 2 "import --server of a file with a bad line: exit 2"
expect_err_contains "line 2:" "the error names the line"
run find "${AS_AGENT_REMOTE[@]}" --purpose dpv:CustomerCare --phone 090-5555-0002
expect_json '.subjects == []' "and nothing of the file was imported"

run find "${AS_AGENT_REMOTE[@]}" --purpose dpv:CustomerCare --phone "+81 90 1234 5678"
expect_code 0 "find --server"
expect_json ".subjects == [\"$SUBJECT\"] and .decision.outcome == \"allow\" and (.decision.ledger_entry | type == \"number\")" "find prints the decision and subjects"
run find "${AS_AGENT_REMOTE[@]}" --actor emp:e2e --purpose dpv:CustomerCare --phone 090-1234-5678
expect_code 2 "--actor with --server is refused (the token's actor acts)"
expect_err_contains "token's actor" "the message says why"
run find --data "$DATA" --purpose dpv:CustomerCare --phone 090-1234-5678
expect_code 2 "without --server, --actor is still required"

USE=(--purpose dpv:CustomerCare --subject "$SUBJECT")
run decide "${AS_AGENT_REMOTE[@]}" "${USE[@]}" --category pd:Name
expect_code 0 "decide --server"
expect_json '.outcome == "allow" and .legal_basis == "announced_purpose" and (.ledger_entry | type == "number")' "decide prints the decision itself"
run read "${AS_AGENT_REMOTE[@]}" "${USE[@]}" --category pd:Name --category pd:EmailAddress
expect_code 0 "read --server"
expect_json ".subject == \"$SUBJECT\" and .decision.outcome == \"allow\" and .values[\"pd:Name\"] == [\"山田 太郎\"] and .values[\"pd:EmailAddress\"] == []" "read prints the values, every category asked for"
run read "${AS_AGENT_REMOTE[@]}" "${USE[@]}" --category pd:PaymentCardNumber
expect_code 3 "a denied read through the server: exit 3"
expect_json '.outcome == "deny" and .reason_code == "category_not_in_purpose" and (.ledger_entry | type == "number")' "the decision JSON on stdout"
expect_err_contains "mamori: denied: category_not_in_purpose" "one line on stderr"
expect_err_lacks "山田" "a denial shows no value"
run find "${AS_AGENT_REMOTE[@]}" --purpose dpv:Marketing --phone 090-1234-5678
expect_code 3 "a denied find through the server: exit 3"
expect_json '.decision.outcome == "deny" and (has("subjects") | not)' "find prints {decision} without subjects"
run decide "${AS_AGENT_REMOTE[@]}" "${USE[@]}" --category pd:Name --ground telepathy --reason x
expect_code 2 "an unknown ground is a usage error before anything is sent"

# --- authentication and connection errors ------------------------------------
run decide --server "$URL" --token mamori_notarealtoken "${USE[@]}" --category pd:Name
expect_code 2 "a bad token: exit 2"
expect_err_contains "unauthenticated" "the message says unauthenticated"
expect_err_lacks "mamori_notarealtoken" "the token is never printed"
run decide --server "$URL" "${USE[@]}" --category pd:Name
expect_code 2 "--server without a token: exit 2"
expect_err_contains "--token" "the message names --token"
run decide --server http://127.0.0.1:1 --token "$AGENT" "${USE[@]}" --category pd:Name
expect_code 1 "no server listening: exit 1"
expect_err_contains "cannot reach the mamori server at http://127.0.0.1:1" "a clear connection message"
expect_err_lacks "$AGENT" "the token is never printed"
run decide --server "ftp://127.0.0.1:$PORT" --token "$AGENT" "${USE[@]}" --category pd:Name
expect_code 2 "a URL that is not http(s): exit 2"
run decide --server "$URL" --data "$DATA" --token "$AGENT" "${USE[@]}" --category pd:Name
expect_code 2 "--server and --data together are refused"
run decide --data "$DATA" --token "$AGENT" --actor emp:e2e "${USE[@]}" --category pd:Name
expect_code 2 "--token without --server is refused"
run actor add "${AS_AGENT_REMOTE[@]}" --id emp:x --role auditor
expect_code 2 "an agent may not add actors: 403 forbidden is exit 2"
expect_err_contains "forbidden" "the message says forbidden"

# The environment and a token from stdin.
run decide --server "$URL" --token - "${USE[@]}" --category pd:Name <<<"$AGENT"
expect_code 0 "--token - reads the token from stdin"
run record add --server "$URL" --token - --subject "$SUBJECT" --category pd:Name --service mobile --value - <<<"$AGENT"
expect_code 2 "only one option can read stdin"
export MAMORI_SERVER="$URL" MAMORI_TOKEN="$AGENT"
run decide "${USE[@]}" --category pd:Name
expect_code 0 "MAMORI_SERVER and MAMORI_TOKEN"
run status --data "$DATA"
expect_code 0 "commands that are not data commands ignore MAMORI_SERVER"
unset MAMORI_SERVER MAMORI_TOKEN

# --- consents -----------------------------------------------------------------
run consent grant "${AS_ADMIN[@]}" --subject "$SUBJECT" --purpose dpv:Marketing --channel web --evidence "form 12"
expect_code 0 "consent grant --server"
expect_json ".subject == \"$SUBJECT\" and .purpose == \"dpv:Marketing\" and .channel == \"web\" and .recorded_by == \"emp:admin\" and .withdrawn_at == null and .policy_version == 1" "the consent record, recorded by the token's actor"
CONSENT=$(jq -r .consent <<<"$OUT")
run consent list "${AS_ADMIN[@]}" --subject "$SUBJECT"
expect_code 0 "consent list --server"
expect_json ".subject == \"$SUBJECT\" and (.consents | map(.consent)) == [\"$CONSENT\"]" "lists the consent"
run consent withdraw "${AS_ADMIN[@]}" --subject "$SUBJECT" --purpose dpv:Marketing --channel web
expect_code 0 "consent withdraw by subject and purpose --server"
expect_json ".withdrawn[0].consent == \"$CONSENT\" and .withdrawn[0].withdrawal_channel == \"web\" and .withdrawn[0].withdrawn_at != null" "prints the withdrawn consents"
run consent withdraw "${AS_ADMIN[@]}" --subject "$SUBJECT" --purpose dpv:Marketing
expect_code 2 "nothing left in force: exit 2"
run consent grant "${AS_ADMIN[@]}" --subject "$SUBJECT" --purpose dpv:Marketing
CONSENT2=$(jq -r .consent <<<"$OUT")
run consent withdraw "${AS_ADMIN[@]}" --consent "$CONSENT2"
expect_code 0 "consent withdraw --consent ID --server"
run consent withdraw "${AS_ADMIN[@]}" --consent "$CONSENT2"
expect_code 2 "a consent cannot be withdrawn twice"

# --- stop orders --------------------------------------------------------------------
run stop-order add "${AS_ADMIN[@]}" --subject "$SUBJECT" --kind provision --request req_remote
expect_code 0 "stop-order add --server"
expect_json '.subject == "'"$SUBJECT"'" and .kind == "provision" and .purpose == null and .request == "req_remote" and (.stop_order | startswith("stp_"))' "prints the order"
run stop-order add "${AS_AGENT_REMOTE[@]}" --subject "$SUBJECT"
expect_code 2 "stop-order add needs the requests permission: exit 2"
run stop-order add "${AS_ADMIN[@]}" --subject "$SUBJECT" --kind pause
expect_code 2 "a stop order of an unknown kind: exit 2"
run stop-order add --data "$DATA" --subject "$SUBJECT"
expect_code 2 "a direct stop-order add is refused while the server runs"

# --- retention ---------------------------------------------------------------------
run hold add "${AS_ADMIN[@]}" --subject "$SUBJECT" --category pd:Name --basis "remote case" --until 2099-01-01
expect_code 0 "hold add --server"
expect_json '(.hold | startswith("hld_")) and .category == "pd:Name"' "prints the hold"
REMOTE_HOLD=$(jq -r .hold <<<"$OUT")
run hold add "${AS_AGENT_REMOTE[@]}" --subject "$SUBJECT" --basis "x" --until 2099-01-01
expect_code 2 "hold add needs the retention permission: exit 2"
run hold list "${AS_ADMIN[@]}" --subject "$SUBJECT"
expect_json ".holds | map(.hold) | index(\"$REMOTE_HOLD\") != null" "hold list --server"
run hold release "${AS_ADMIN[@]}" --id "$REMOTE_HOLD"
expect_json '.released_at != null' "hold release --server"
run contract end "${AS_ADMIN[@]}" --subject "$SUBJECT" --service mobile --at 2021-03-31
expect_json '.service == "mobile" and .ended_at == "2021-03-30T15:00:00Z"' "contract end --server"
run retention sweep "${AS_ADMIN[@]}" --dry-run --as-of 2099-01-01
expect_code 0 "retention sweep --server --dry-run"
expect_json '.dry_run and .as_of == "2098-12-31T15:00:00Z"' "prints the summary"
run retention sweep "${AS_ADMIN[@]}" --as-of 2099-01-01
expect_code 2 "--as-of without --dry-run: exit 2"
run retention sweep --data "$DATA"
expect_code 2 "a direct sweep is refused while the server runs"

# --- actors, training, tokens ---------------------------------------------------
run actor add "${AS_ADMIN[@]}" --id emp:mori --role marketing-analyst
expect_code 0 "actor add --server"
expect_json '.actor == "emp:mori" and .roles == ["marketing-analyst"]' "prints the actor"
run actor add "${AS_ADMIN[@]}" --id emp:mori --role marketing-analyst
expect_code 2 "a duplicate actor: exit 2"
run training record "${AS_ADMIN[@]}" --actor emp:mori --course privacy-annual --completed "$(date -u +%F)"
expect_code 0 "training record --server"
expect_json '.actor == "emp:mori" and .course == "privacy-annual" and (.completed_at | type == "string")' "prints the training"
run training record "${AS_ADMIN[@]}" --actor emp:mori --course privacy-annual --completed 2099-01-01
expect_code 2 "a future completion date: exit 2"
run token create "${AS_ADMIN[@]}" --actor emp:mori --expires 30
expect_code 0 "token create --server"
expect_json '(.token | startswith("mamori_")) and (.id | startswith("tok_")) and .actor == "emp:mori" and .expires_at != null' "prints the new token once"
MORI=$(jq -r .token <<<"$OUT")
MORI_ID=$(jq -r .id <<<"$OUT")
run decide --server "$URL" --token "$MORI" --purpose dpv:Marketing --subject "$SUBJECT" --category pd:Name
expect_code 3 "the new token works at once (marketing without consent is denied)"
run token revoke "${AS_ADMIN[@]}" --id "$MORI_ID"
expect_code 0 "token revoke --server"
expect_json ".id == \"$MORI_ID\" and .actor == \"emp:mori\" and .revoked_at != null" "prints the revoked token"
run decide --server "$URL" --token "$MORI" --purpose dpv:Marketing --subject "$SUBJECT" --category pd:Name
expect_code 2 "a revoked token: exit 2"
expect_err_contains "unauthenticated" "unauthenticated"
run token revoke "${AS_ADMIN[@]}" --secret "$MORI"
expect_code 2 "a server revokes by id only"
expect_err_lacks "$MORI" "the token is never printed"

# --- a new policy version without a restart -------------------------------------
sed 's/^bulk_access_threshold = 60$/bulk_access_threshold = 61/' "$POLICY" >"$WORK/policy-v2.toml"
run policy load "${AS_AGENT_REMOTE[@]}" "$WORK/policy-v2.toml"
expect_code 2 "an agent may not load a policy"
run policy load "${AS_ADMIN[@]}" "$WORK/policy-v2.toml"
expect_code 0 "policy load --server"
expect_json '.version == 2 and .unchanged == false and (.summary | length > 0) and (.changes | type == "object")' "prints version 2 and the diff"
expect_err_contains "Loaded policy version 2" "a line for people"
run policy load "${AS_ADMIN[@]}" "$WORK/policy-v2.toml"
expect_json '.version == 2 and .unchanged == true' "the same text again adds nothing"
printf 'bad = [\n' >"$WORK/bad.toml"
run policy load "${AS_ADMIN[@]}" "$WORK/bad.toml"
expect_code 2 "an invalid policy: exit 2"
expect_err_contains "bad.toml:1" "the message names FILE:LINE"
run record add "${AS_AGENT_REMOTE[@]}" --subject "$SUBJECT" --category pd:EmailAddress --service mobile --value taro@example.jp
expect_code 0 "a record after the new policy"
RECORD2=$(jq -r .record <<<"$OUT")
run subject show --data "$DATA" --subject "$SUBJECT"
expect_json "(.records[] | select(.record == \"$RECORD1\") | .policy_version) == 1 and (.records[] | select(.record == \"$RECORD2\") | .policy_version) == 2" "the new record carries version 2, the old keeps 1: no restart"
run consent grant "${AS_ADMIN[@]}" --subject "$SUBJECT" --purpose dpv:Marketing
expect_json '.policy_version == 2' "a consent now records version 2"
run status --data "$DATA"
expect_json '.policy_version == 2' "status beside the server sees version 2"

# --- the ledger through the server ------------------------------------------------
run ledger head "${AS_AGENT_REMOTE[@]}"
expect_code 0 "ledger head --server"
expect_json '(.tree_size | type == "number") and (.root_hash | length == 64) and (.signature | length > 0)' "prints the signed tree head"
run ledger proof "${AS_AGENT_REMOTE[@]}" --entry 1
expect_code 0 "ledger proof --server"
expect_json '.index == 1 and (.inclusion | type == "array") and (.tree_head.tree_size | type == "number")' "prints the proof"
"$MAMORI_BIN" ledger public-key --data "$DATA" >"$WORK/key.pem" 2>/dev/null
printf '%s\n' "$OUT" >"$WORK/proof.json"
run ledger check-proof --public-key "$WORK/key.pem" "$WORK/proof.json"
expect_code 0 "a proof from the server checks offline"
run ledger proof "${AS_AGENT_REMOTE[@]}" --entry 1 --against-size 2
expect_json '.tree_size == 2' "--against-size becomes ?size="
run ledger proof "${AS_AGENT_REMOTE[@]}" --entry 100000
expect_code 2 "an entry beyond the signed tree: exit 2"
run ledger verify "${AS_AGENT_REMOTE[@]}"
expect_code 2 "ledger verify needs the audit permission"
run ledger verify "${AS_ADMIN[@]}"
expect_code 0 "ledger verify --server"
expect_json '.ok == true and .entries > 0 and .first_bad_entry == null and (.seconds | type == "number")' "prints the report"
expect_err_contains "Ledger verified" "a line for people"
run ledger verify "${AS_ADMIN[@]}" --public-key "$WORK/key.pem"
expect_code 2 "--public-key is for a local check"

# --- stop with SIGTERM: the ledger is sealed and verifies --------------------------
kill -TERM "$SERVER_PID"
set +e
wait "$SERVER_PID"
CODE=$?
set -e
SERVER_PID=""
OUT=$(cat "$WORK/server.out")
ERR=$(cat "$WORK/server.err")
expect_code 0 "the server stops on SIGTERM with exit 0"
expect_json '.stopped == true' "and says so"
run ledger verify --data "$DATA"
expect_code 0 "ledger verify after the server stopped"
expect_json '.ok == true and .unsigned_entries == 0' "every entry is under a signed tree head"
run subject add --data "$DATA" --phone 080-2222-3333
expect_code 0 "the lock is released: direct writes work again"

# --- HTTPS: the certificate is checked; --insecure for a self-signed one -----------
if command -v openssl >/dev/null; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -keyout "$WORK/tls.key" -out "$WORK/tls.crt" -subj /CN=localhost \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" >/dev/null 2>&1
  start_server --tls-cert "$WORK/tls.crt" --tls-key "$WORK/tls.key"
  TLS_URL="https://127.0.0.1:$PORT"
  run ledger head --server "$TLS_URL" --token "$AGENT"
  expect_code 1 "an unknown self-signed certificate is refused: exit 1"
  expect_err_contains "--insecure" "the message points to --insecure"
  run ledger head --server "$TLS_URL" --token "$AGENT" --insecure
  expect_code 0 "--insecure accepts it"
  SSL_CERT_FILE="$WORK/tls.crt" run ledger head --server "https://localhost:$PORT" --token "$AGENT"
  expect_code 0 "a trusted certificate is verified by host name"
  run decide --server "http://127.0.0.1:$PORT" --token "$AGENT" "${USE[@]}" --category pd:Name
  expect_code 1 "plain http to an https server: exit 1"
  expect_err_contains "https" "the message suggests https"
  stop_server
  run ledger verify --data "$DATA"
  expect_code 0 "the ledger verifies after the HTTPS server stopped"
fi

finish
