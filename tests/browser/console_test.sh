#!/usr/bin/env bash
# The staff console's audit dashboard in a real browser (docs/console.md): the
# real `mamori serve` on a free port and a fresh data directory, a
# privacy officer's token, a few uses through the API, then console.test.mjs
# drives Debian's chromium (playwright-core) through the pages: headers, the
# token prompt, a wrong token, the dashboard, a new date range; an alert
# opened as an incident, its reports, narrative and draft; no console errors
# and no request leaving localhost.
source "$MAMORI_SOURCE_DIR/tests/browser/lib.sh"

init_data
add_staff "a privacy officer and an agent with tokens"
start_server

# --- a few uses through the API, so that the report has decisions ------------------
# post PATH BODY: as the agent; sets CODE (the HTTP status) and OUT.
post() { call POST "$1" "$2" -H "Authorization: Bearer $AGENT"; }
post /v1/subjects '{"phone":"090-1234-5678","name":"試験 太郎",
  "records":[{"category":"pd:Name","service":"mobile","value":"試験 太郎"}]}'
S=$(jq -r .subject <<<"$OUT" 2>/dev/null || true)
expect_code 201 "a subject with a record, through the API"
post /v1/decide "{\"subject\":\"$S\",\"purpose\":\"dpv:CustomerCare\",\"categories\":[\"pd:Name\"]}"
expect_code 200 "an allowed decide"
post /v1/read "{\"subject\":\"$S\",\"purpose\":\"dpv:CustomerCare\",\"categories\":[\"pd:Name\"]}"
expect_code 200 "an allowed read"
post /v1/read "{\"subject\":\"$S\",\"purpose\":\"dpv:Marketing\",\"categories\":[\"pd:Name\"]}"
expect_code 403 "a denied read"
# Four more: five denials in a day raise a repeated_denials alert for the
# agent (docs/supervision.md), which the alerts page turns into an incident.
for _ in 1 2 3 4; do
  post /v1/read "{\"subject\":\"$S\",\"purpose\":\"dpv:Marketing\",\"categories\":[\"pd:Name\"]}"
  [ "$CODE" = 403 ] || break
done
expect_code 403 "five denied reads in a day (a repeated_denials alert)"

# --- the browser -------------------------------------------------------------------
run_browser console.test.mjs "the console in chromium (console.test.mjs)"
if grep -qF -- "$OFFICER" "$WORK/server.out" "$WORK/server.err"; then
  fail "the server's logs show the token"
else
  pass "the server's logs do not show the token"
fi
finish
