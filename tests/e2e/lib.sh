# Helpers for end-to-end tests that drive the real `mamori` binary.
# Source it; it sets up a scratch directory that is removed on exit.
set -euo pipefail

: "${MAMORI_BIN:?set MAMORI_BIN to the mamori binary}"
: "${MAMORI_SOURCE_DIR:?set MAMORI_SOURCE_DIR to the repository root}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mamori-e2e.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
POLICY="$MAMORI_SOURCE_DIR/examples/telecom-operator.toml"
PASSED=0
FAILED=0

# run CMD...: runs mamori, capturing stdout in $OUT, stderr in $ERR and the
# exit code in $CODE, without failing the script.
run() {
  set +e
  "$MAMORI_BIN" "$@" >"$WORK/out" 2>"$WORK/err"
  CODE=$?
  set -e
  OUT=$(cat "$WORK/out")
  ERR=$(cat "$WORK/err")
}

pass() { PASSED=$((PASSED + 1)); echo "ok - $1"; }
fail() {
  FAILED=$((FAILED + 1))
  echo "not ok - $1"
  echo "  exit: $CODE"
  echo "  stdout: ${OUT:0:2000}"
  echo "  stderr: ${ERR:0:2000}"
}

# expect_code N DESCRIPTION: the last run exited with N.
expect_code() { if [ "$CODE" -eq "$1" ]; then pass "$2"; else fail "$2 (wanted exit $1)"; fi; }

# expect_json JQ_FILTER DESCRIPTION: the filter is true on $OUT.
expect_json() {
  if jq -e "$1" >/dev/null 2>&1 <<<"$OUT"; then pass "$2"; else fail "$2 (jq: $1)"; fi
}

# expect_err_contains TEXT DESCRIPTION
expect_err_contains() {
  if grep -qF -- "$1" <<<"$ERR"; then pass "$2"; else fail "$2 (stderr lacks: $1)"; fi
}

# expect_err_lacks TEXT DESCRIPTION
expect_err_lacks() {
  if grep -qF -- "$1" <<<"$ERR$OUT"; then fail "$2 (output shows: $1)"; else pass "$2"; fi
}

# add_agent DATA: a call-center agent "emp:e2e" with current training, for
# the commands that decide a use (find, read, decide).
add_agent() {
  "$MAMORI_BIN" actor add --data "$1" --id emp:e2e --role call-center-agent >/dev/null 2>&1
  "$MAMORI_BIN" training record --data "$1" --actor emp:e2e --course privacy-annual \
    --completed "$(date -u +%F)" >/dev/null 2>&1
}
# A find as that agent: `run find --data D $AS_AGENT --phone ...`.
AS_AGENT="--actor emp:e2e --purpose dpv:CustomerCare"

finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}
