#!/usr/bin/env bash
# HTTP load benchmark: mamori's audited read (POST /v1/read) against nginx
# serving a static 200-byte JSON file, with the same wrk settings, in one run.
# See docs/performance.md, "HTTP: audited reads vs nginx".
#
#   bash bench/http/run.sh
#
# 1. Installs wrk and nginx (apt-get) if missing; builds mamori if missing.
# 2. Builds (once, cached in build/bench-data/http-<N>/) a data directory of
#    N subjects from the example operator policy, each with one pd:Name
#    record collected through "support" or "mobile" (both announce
#    dpv:CustomerCare, which covers pd:Name), generated as JSONL and loaded
#    with `mamori import`; the subject ids go to subjects.txt.
# 3. Copies it to a scratch folder (each run starts from the same state),
#    adds actor emp:bench-agent (call-center-agent, privacy-annual training
#    completed today) and a token, starts `mamori serve` and nginx (its own
#    config: worker_processes auto, access_log off) on free ports.
# 4. wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, after a warm-up,
#    against nginx and then mamori (random subject per request, keep-alive);
#    then mamori again, paced to half of its measured rate (see read.lua,
#    "Pacing"), for the latency at that load, measured from each request's
#    slot in the schedule as well as wrk's own (from the send).
# 5. Prints a summary (with each server's CPU per request) and writes it to
#    build/bench-results/http.json.
#
# Environment: BENCH_SUBJECTS_N (default 1000000; smaller for a quick run),
# BENCH_THREADS (2), BENCH_CONNECTIONS (64), BENCH_DURATION (20s),
# BENCH_WARMUP (5s), BENCH_KEEP=1 keeps the scratch folder, BENCH_PERF=1
# records a profile of mamori (perf record -g) during its full-rate run into
# build/bench-results/perf-mamori.data, MAMORI (binary,
# default build/src/cli/mamori), MAMORI_SERVE_THREADS (mamori serve --threads).
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$(pwd)"
here="$root/bench/http"
unset MAMORI_SERVER MAMORI_DATA MAMORI_MASTER_KEY

n="${BENCH_SUBJECTS_N:-1000000}"
threads="${BENCH_THREADS:-2}"
connections="${BENCH_CONNECTIONS:-64}"
duration="${BENCH_DURATION:-20s}"
warmup="${BENCH_WARMUP:-5s}"
mamori="${MAMORI:-$root/build/src/cli/mamori}"
results_dir="$root/build/bench-results"
agent="emp:bench-agent"

log() { echo "[bench/http] $*" >&2; }

# --- Tools ---
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v sqlite3 >/dev/null || missing+=(sqlite3)
command -v jq >/dev/null || missing+=(jq)
command -v curl >/dev/null || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"
if [ ! -x "$mamori" ]; then
  log "building mamori"
  bash scripts/build.sh build
fi

# --- The data directory, built once per size ---
cache="$root/build/bench-data/http-$n"
if [ ! -f "$cache/complete" ]; then
  log "building a data directory of $n subjects in $cache (once)"
  rm -rf "$cache"
  mkdir -p "$cache"
  awk -v n="$n" 'BEGIN {
    srand(42)
    split("Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura Kobayashi Kato", family, " ")
    split("Haruto Yui Sota Himari Minato Mei Ren Rin Aoi Sakura", given, " ")
    for (i = 1; i <= n; i++) {
      name = sprintf("%s %s %07d", family[int(rand() * 10) + 1], given[int(rand() * 10) + 1], i)
      service = (i % 2) ? "mobile" : "support"
      printf "{\"records\":[{\"category\":\"pd:Name\",\"service\":\"%s\",\"value\":\"%s\",\"collected_at\":\"2025-04-01T10:00:00+09:00\"}]}\n", service, name
    }
  }' >"$cache/subjects.jsonl"
  "$mamori" init --data "$cache/data" --policy examples/telecom-operator.toml >/dev/null 2>&1
  start=$(date +%s.%N)
  "$mamori" import --data "$cache/data" "$cache/subjects.jsonl" >"$cache/import.json" 2>/dev/null
  log "imported: $(jq -c . "$cache/import.json") in $(awk -v s="$start" -v e="$(date +%s.%N)" "BEGIN { printf \"%.1f\", e - s }") s"
  sqlite3 -readonly "$cache/data/records.db" "SELECT id FROM subjects" >"$cache/subjects.txt"
  [ "$(wc -l <"$cache/subjects.txt")" -eq "$n" ] || { log "expected $n subject ids"; exit 1; }
  rm "$cache/subjects.jsonl"
  touch "$cache/complete"
fi

# --- Scratch copy, actor, token ---
work="$(mktemp -d /tmp/mamori-bench-http.XXXXXX)"
chmod 755 "$work"
mamori_pid=""
cleanup() {
  if [ -n "$mamori_pid" ] && kill -0 "$mamori_pid" 2>/dev/null; then
    kill -TERM "$mamori_pid"
    wait "$mamori_pid" 2>/dev/null || true
  fi
  if [ -f "$work/nginx/nginx.pid" ]; then
    kill -QUIT "$(cat "$work/nginx/nginx.pid")" 2>/dev/null || true
  fi
  if [ "${BENCH_KEEP:-0}" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

cp -a "$cache/data" "$work/data"
cp -a "$cache/data.master.key" "$work/data.master.key"
"$mamori" actor add --data "$work/data" --id "$agent" --role call-center-agent >/dev/null 2>&1
"$mamori" training record --data "$work/data" --actor "$agent" --course privacy-annual \
  --completed "$(date -u +%F)" >/dev/null 2>&1
token="$("$mamori" token create --data "$work/data" --actor "$agent" 2>/dev/null | jq -r .token)"

# A port nothing listens on (bash's /dev/tcp connect fails).
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
}

# --- mamori serve ---
serve_args=(serve --data "$work/data" --listen 127.0.0.1:0 --port-file "$work/mamori.port")
[ -n "${MAMORI_SERVE_THREADS:-}" ] && serve_args+=(--threads "$MAMORI_SERVE_THREADS")
"$mamori" "${serve_args[@]}" >"$work/mamori.out" 2>"$work/mamori.log" &
mamori_pid=$!
for _ in $(seq 100); do [ -s "$work/mamori.port" ] && break; sleep 0.1; done
[ -s "$work/mamori.port" ] || { log "mamori serve did not start"; cat "$work/mamori.log" >&2; exit 1; }
mamori_url="http://127.0.0.1:$(cat "$work/mamori.port")"

# --- nginx ---
mkdir -p "$work/nginx/www"
# A 200-byte JSON document, about the shape of a small read answer.
body='{"subject":"sub_AaIahC77mjxeF_Cy1I5hxw","values":{"pd:Name":["Tanaka Haruto"]},"decision":{"outcome":"allow","rule_id":"appi.18.1","ledger_entry":123456},"pad":"'
pad=$((200 - ${#body} - 2))
printf '%s%s"}' "$body" "$(printf '%*s' "$pad" '' | tr ' ' x)" >"$work/nginx/www/static.json"
[ "$(wc -c <"$work/nginx/www/static.json")" -eq 200 ] || { log "static file is not 200 bytes"; exit 1; }
nginx_port="$(free_port)"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 65;
  keepalive_requests 100000000;
  default_type application/json;
  client_body_temp_path $work/nginx/tmp-body;
  proxy_temp_path $work/nginx/tmp-proxy;
  fastcgi_temp_path $work/nginx/tmp-fastcgi;
  uwsgi_temp_path $work/nginx/tmp-uwsgi;
  scgi_temp_path $work/nginx/tmp-scgi;
  server {
    listen 127.0.0.1:$nginx_port;
    root $work/nginx/www;
  }
}
CONF
chmod -R a+rX "$work/nginx"
"$nginx_bin" -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log"
nginx_url="http://127.0.0.1:$nginx_port"
for _ in $(seq 50); do curl -fsS -o /dev/null "$nginx_url/static.json" && break; sleep 0.1; done

# --- A request of each, checked ---
first="$(head -n1 "$cache/subjects.txt")"
read_body="{\"subject\":\"$first\",\"purpose\":\"dpv:CustomerCare\",\"categories\":[\"pd:Name\"]}"
answer="$(curl -fsS -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d "$read_body" "$mamori_url/v1/read")" || { log "the read failed"; cat "$work/mamori.log" >&2; exit 1; }
jq -e '.decision.outcome == "allow" and (.values["pd:Name"] | length) == 1' <<<"$answer" >/dev/null ||
  { log "unexpected read answer: $answer"; exit 1; }
curl -fsS "$nginx_url/static.json" | jq -e . >/dev/null

# --- Load ---
mkdir -p "$results_dir"
export BENCH_SUBJECTS="$cache/subjects.txt" BENCH_TOKEN="$token" BENCH_THREADS="$threads"
# CPU time (clock ticks) used so far by processes PIDS..., and, for
# mamori, by its writer thread.
cpu_ticks() { cat $(printf '/proc/%s/stat ' "$@") 2>/dev/null | awk '{t += $14 + $15} END {print t + 0}'; }
writer_ticks() {
  local t
  for t in /proc/"$mamori_pid"/task/*; do
    if [ "$(cat "$t/comm")" = mamori-writer ]; then awk '{print $14 + $15}' "$t/stat"; return; fi
  done
  echo 0
}
server_pids() {  # nginx: the master and its workers
  if [ "$1" = static ]; then
    local master
    master="$(cat "$work/nginx/nginx.pid")"
    echo "$master" $(pgrep -P "$master")
  else
    echo "$mamori_pid"
  fi
}
# Runs wrk and adds to its summary the server's CPU per request (us) and
# the load average before the run (other work on the machine skews it).
run_wrk() {  # MODE URL DURATION RATE OUT
  local pids c0 c1 w0 w1 hz load
  pids="$(server_pids "$1")"
  load="$(cut -d' ' -f1 /proc/loadavg)"
  c0="$(cpu_ticks $pids)"
  w0="$(writer_ticks)"
  BENCH_MODE="$1" BENCH_RATE="$4" BENCH_OUT="$5" \
    wrk -t"$threads" -c"$connections" -d"$3" --latency -s "$here/read.lua" "$2" >"$5.txt"
  c1="$(cpu_ticks $pids)"
  w1="$(writer_ticks)"
  hz="$(getconf CLK_TCK)"
  jq --argjson cpu "$((c1 - c0))" --argjson writer "$((w1 - w0))" --argjson hz "$hz" \
    --argjson load "$load" '. + {
      server_cpu_us_per_request: ($cpu * 1e6 / $hz / .requests | round),
      load_average_before: $load}
    + (if .mode == "read" then {writer_cpu_us_per_request: ($writer * 1e6 / $hz / .requests | round)}
       else {} end)' "$5" >"$5.tmp" && mv "$5.tmp" "$5"
}
log "warm-up $warmup each; then $duration each: nginx, mamori, mamori at half rate"
run_wrk static "$nginx_url" "$warmup" 0 "$work/warm-nginx.json"
run_wrk static "$nginx_url" "$duration" 0 "$work/nginx.json"
run_wrk read "$mamori_url" "$warmup" 0 "$work/warm-mamori.json"
if [ "${BENCH_PERF:-0}" = 1 ]; then
  # Samples mamori's threads during the first 10 s of the measured run.
  perf record ${BENCH_PERF_ARGS:--g -F 999} -p "$mamori_pid" -o "$results_dir/perf-mamori.data" -- sleep 10 \
    >/dev/null 2>&1 &
  perf_pid=$!
fi
run_wrk read "$mamori_url" "$duration" 0 "$work/mamori.json"
[ -z "${perf_pid:-}" ] || wait "$perf_pid"
half="$(jq '.requests_per_s / 2 | floor' "$work/mamori.json")"
run_wrk read "$mamori_url" "$duration" "$half" "$work/mamori-half.json"

# --- Summary ---
mkdir -p "$results_dir"
jq -n \
  --slurpfile nginx "$work/nginx.json" \
  --slurpfile max "$work/mamori.json" \
  --slurpfile half "$work/mamori-half.json" \
  --arg cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')" \
  --arg nproc "$(nproc)" --arg kernel "$(uname -r)" \
  --arg wrk "$(wrk -v 2>&1 | head -n1 | awk '{print $2}')" \
  --arg nginx_version "$("$nginx_bin" -v 2>&1 | sed 's/.*nginx\///')" \
  --arg commit "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  --arg date "$(date -u +%FT%TZ)" \
  --arg n "$n" --arg threads "$threads" --arg connections "$connections" --arg duration "$duration" '
  ($nginx[0]) as $g | ($max[0]) as $m | ($half[0]) as $h |
  {
    date: $date, commit: $commit,
    machine: {cpu: $cpu, cores: ($nproc | tonumber), kernel: $kernel},
    tools: {wrk: $wrk, nginx: $nginx_version},
    settings: {subjects: ($n | tonumber), wrk_threads: ($threads | tonumber),
               connections: ($connections | tonumber), duration: $duration},
    nginx_static: $g, mamori_read_max: $m, mamori_read_half_rate: $h,
    ratio: ($m.requests_per_s / $g.requests_per_s),
    goals: {
      ratio_at_least_0_5: (($m.requests_per_s / $g.requests_per_s) >= 0.5),
      p99_at_half_rate_at_most_5ms: ($h.corrected_latency_ms.p99 <= 5),
      half_rate_held: ($h.requests_per_s >= 0.97 * $h.target_rate)
    }
  }' >"$results_dir/http.json"

jq -r '
  def f(x): (x * 10 | round) / 10;
  "subjects \(.settings.subjects), wrk -t\(.settings.wrk_threads) -c\(.settings.connections) -d\(.settings.duration), \(.machine.cores) cores",
  "nginx static 200 B   \(f(.nginx_static.requests_per_s)) req/s   p50 \(.nginx_static.latency_ms.p50) ms  p99 \(.nginx_static.latency_ms.p99) ms",
  "mamori POST /v1/read \(f(.mamori_read_max.requests_per_s)) req/s   p50 \(.mamori_read_max.latency_ms.p50) ms  p99 \(.mamori_read_max.latency_ms.p99) ms  (non-2xx: \(.mamori_read_max.errors.status))",
  "ratio mamori/nginx   \((.ratio * 1000 | round) / 10) %   (goal >= 50 %: \(.goals.ratio_at_least_0_5))",
  "mamori at \(.mamori_read_half_rate.target_rate) req/s (half): achieved \(f(.mamori_read_half_rate.requests_per_s)) req/s",
  "  from the schedule: p50 \(.mamori_read_half_rate.corrected_latency_ms.p50) ms  p99 \(.mamori_read_half_rate.corrected_latency_ms.p99) ms  p99.9 \(.mamori_read_half_rate.corrected_latency_ms.p99_9) ms  max \(.mamori_read_half_rate.corrected_latency_ms.max) ms  (goal p99 <= 5 ms: \(.goals.p99_at_half_rate_at_most_5ms))",
  "  from the send (wrk): p50 \(.mamori_read_half_rate.latency_ms.p50) ms  p99 \(.mamori_read_half_rate.latency_ms.p99) ms; sends over 1 ms late: \(.mamori_read_half_rate.pacing.late_over_1ms)/\(.mamori_read_half_rate.pacing.sends)",
  "server CPU per request: nginx \(.nginx_static.server_cpu_us_per_request) us, mamori \(.mamori_read_max.server_cpu_us_per_request) us (writer thread \(.mamori_read_max.writer_cpu_us_per_request) us) at full rate, \(.mamori_read_half_rate.server_cpu_us_per_request) us at half rate"
' "$results_dir/http.json"
log "written $results_dir/http.json"
