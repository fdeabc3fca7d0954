# What the browser tests (console_test.sh, staff_test.sh, privacy_test.sh)
# share: the helpers of tests/e2e/lib.sh, the tools they need, a fresh data
# directory with the example policy, a privacy officer and a call-center
# agent with their tokens, the real `mamori serve` on a free port, and the
# run of a *.test.mjs in Node.js. Source it.
source "$MAMORI_SOURCE_DIR/tests/e2e/lib.sh"

HERE="$MAMORI_SOURCE_DIR/tests/browser"
CHROMIUM=${MAMORI_CHROMIUM:-/usr/bin/chromium}
NODE=$(command -v node || command -v nodejs || true)
if [ -z "$NODE" ] || [ ! -x "$CHROMIUM" ] || [ ! -d "$HERE/node_modules/playwright-core" ] ||
  ! command -v curl >/dev/null; then
  echo "needs node, chromium ($CHROMIUM), curl and tests/browser/node_modules" \
    "(run scripts/install-deps.sh)" >&2
  exit 1
fi

# --- the server (start_server and stop_server: tests/e2e/lib.sh) --------------------
DATA="$WORK/data"
TODAY=$(date -u +%F)

# init_data: a data directory with the example policy.
init_data() {
  run init --data "$DATA" --policy "$POLICY"
  expect_code 0 "init with the example policy"
}

# add_actor ID ROLE COURSE...: an actor with current training in each course.
add_actor() {
  local id=$1 role=$2
  shift 2
  "$MAMORI_BIN" actor add --data "$DATA" --id "$id" --role "$role" >/dev/null
  for course in "$@"; do
    "$MAMORI_BIN" training record --data "$DATA" --actor "$id" --course "$course" \
      --completed "$TODAY" >/dev/null
  done
}

# add_staff DESCRIPTION: a privacy officer (emp:officer) and a call-center
# agent (emp:agent), with their tokens in OFFICER and AGENT.
add_staff() {
  add_actor emp:officer privacy-officer privacy-annual secrecy-annual my-number
  add_actor emp:agent call-center-agent privacy-annual
  OFFICER=$("$MAMORI_BIN" token create --data "$DATA" --actor emp:officer 2>/dev/null |
    jq -r .token)
  AGENT=$("$MAMORI_BIN" token create --data "$DATA" --actor emp:agent 2>/dev/null | jq -r .token)
  if [[ "$OFFICER" == mamori_* && "$AGENT" == mamori_* ]]; then
    pass "$1"
  else
    fail "tokens"
  fi
}

# call METHOD PATH [BODY [CURL_ARG...]]: an HTTP request to the server (BODY,
# when not empty, as JSON); sets CODE (the HTTP status) and OUT.
call() {
  local method=$1 path=$2 body=${3-}
  shift 2
  [ $# -eq 0 ] || shift
  local args=(-s -o "$WORK/answer" -w '%{http_code}' -X "$method")
  if [ -n "$body" ]; then
    args+=(-H 'Content-Type: application/json' --data-binary "$body")
  fi
  CODE=$(curl "${args[@]}" "$@" --max-time 60 "$URL$path")
  OUT=$(cat "$WORK/answer")
  ERR=""
}

# run_browser SCRIPT DESCRIPTION [NAME=VALUE...]: tests/browser/SCRIPT in
# Node.js with the server's URL, both tokens, the browser and the variables
# given.
run_browser() {
  local script=$1 description=$2
  shift 2
  set +e
  env MAMORI_URL="$URL" MAMORI_TOKEN="$OFFICER" MAMORI_AGENT_TOKEN="$AGENT" \
    MAMORI_CHROMIUM="$CHROMIUM" "$@" "$NODE" "$HERE/$script"
  CODE=$?
  set -e
  OUT="" ERR=""
  expect_code 0 "$description"
}
