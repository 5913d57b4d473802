#!/usr/bin/env bash
# Benchmark (issue 4): SNMP polling by `netops serve` against Debian's prometheus-snmp-exporter
# 0.21, side by side, on the same simulated agents (`netops sim`, N copies of the 48-interface
# router recording), everything on 127.0.0.1.
#
# Per N (env NS, default "100 1000"):
#   1. `netops sim` with N agents on UDP ports BASE_PORT..BASE_PORT+N-1;
#   2. `netops serve` polling all N with the built-in if_mib module (INTERVAL s, concurrency
#      256): one interval of warm-up, then a window of 2 intervals. Its /metrics is scraped
#      once per interval (as Prometheus would), so the CPU of rendering it is counted too;
#   3. snmp_exporter (bench/snmp/snmp_exporter.yml: the same objects) scraped with
#      `xargs -P SCRAPE_PARALLEL curl` for all N targets once per interval: one warm-up
#      round, then 2 measured rounds (each round is a burst, not spread over the interval);
#   4. a Markdown table of both, and the ratios, into bench/results/snmp-poll-<date>.md, and
#      a summary of it (date, machine, command, one row per N) appended to BENCHMARKS.md.
#
# Figures, over the measured window: polls per minute (netops: delta of
# netops_scheduler_runs_total, which counts polls started; exporter: successful scrapes),
# varbinds/s (polls x varbinds per poll, from netops_poll_varbinds and
# snmp_scrape_pdus_returned), collector CPU (utime+stime, /proc/PID/stat) per varbind, peak
# RSS (VmHWM) and per interface, poll/scrape duration p50/p95/p99 (netops: the last
# netops_poll_duration_seconds of each target; exporter: curl time_total of every scrape).
#
# Usage: bash bench/snmp_poll_vs_snmp_exporter.sh
#   env: NS="100 1000" INTERVAL=30 SCRAPE_PARALLEL=64 BASE_PORT=20000 OUT=bench/results/…
#        NETOPS=path/to/netops (skips `cargo build --release`)
#        BENCHMARKS=BENCHMARKS.md (where the summary is appended)
#        bash bench/snmp_poll_vs_snmp_exporter.sh --append-only RESULTS.md  (summary of an earlier run)
set -euo pipefail
cd "$(dirname "$0")/.."

# Appends the summary of a results file (as written below to $OUT) to BENCHMARKS.md: one
# row per N with the headline figures of both tools and their ratio, the date, machine and
# exact command, and a link to the full file.
append_summary() {
  local results=$1 bench=${BENCHMARKS:-BENCHMARKS.md}
  awk -v results="$results" '
    /^# SNMP polling:/ { title = $0; sub(/^# /, "", title) }
    /^- run: / { run = $0; sub(/^- run: /, "", run) }
    /^- machine: / { machine = $0; sub(/^- machine: /, "", machine) }
    /^- load average/ { load = $0; sub(/^- /, "", load) }
    /^### N = / { n = $4; order[++count] = n }
    /^\| / {
      split($0, c, "|"); for (i in c) gsub(/^ +| +$/, "", c[i])
      f[n, c[2]] = c[3]; e[n, c[2]] = c[4]; r[n, c[2]] = c[5]
    }
    END {
      printf "\n## Run: %s\n\n", title
      printf "Appended by the script from `%s`. Run %s.\nMachine: %s. %s.\n\n", results, run, machine, load
      print "| N (48-port devices) | polls/min netops | polls/min snmp_exporter | CPU/varbind netops (µs) | CPU/varbind snmp_exporter (µs) | CPU ratio | peak RSS netops (MiB) | peak RSS snmp_exporter (MiB) | RSS/interface netops (KiB) | RSS/interface snmp_exporter (KiB) |"
      print "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
      for (i = 1; i <= count; i++) {
        k = order[i]
        printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", k,
          f[k, "polls (scrapes) completed per minute"], e[k, "polls (scrapes) completed per minute"],
          f[k, "collector CPU per varbind (µs)"], e[k, "collector CPU per varbind (µs)"], r[k, "collector CPU per varbind (µs)"],
          f[k, "peak RSS (MiB)"], e[k, "peak RSS (MiB)"],
          f[k, "peak RSS per interface (KiB)"], e[k, "peak RSS per interface (KiB)"]
      }
    }' "$results" >>"$bench"
  echo "appended the summary of $results to $bench" >&2
}
# `--append-only FILE`: append the summary of an earlier run's results file and stop.
if [ "${1:-}" = "--append-only" ]; then
  append_summary "${2:?--append-only needs the results file}"
  exit 0
fi

NS=${NS:-"100 1000"}
INTERVAL=${INTERVAL:-30}
SCRAPE_PARALLEL=${SCRAPE_PARALLEL:-64}
BASE_PORT=${BASE_PORT:-20000}
CONCURRENCY=256
IFS_PER_AGENT=48
TARGET_DIR=${CARGO_TARGET_DIR:-target}
EXPORTER=/usr/bin/prometheus-snmp-exporter
DATE=$(date -u +%Y-%m-%d)
OUT=${OUT:-bench/results/snmp-poll-$DATE.md}
CMD="NS=\"$NS\" INTERVAL=$INTERVAL SCRAPE_PARALLEL=$SCRAPE_PARALLEL CARGO_TARGET_DIR=$TARGET_DIR bash bench/snmp_poll_vs_snmp_exporter.sh"

command -v curl >/dev/null || { echo "curl missing" >&2; exit 2; }
[ -x "$EXPORTER" ] || { echo "$EXPORTER missing: apt-get install prometheus-snmp-exporter" >&2; exit 2; }
# One UDP socket per agent; 10,000 agents need more than the usual 1024 descriptors.
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

# NETOPS=path skips the build (a binary built elsewhere from the same commit).
if [ -z "${NETOPS:-}" ]; then
  cargo build --release --quiet --bin netops
  NETOPS="$TARGET_DIR/release/netops"
fi

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
# Stops one process we started and forgets it.
stop() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  local keep=() p
  for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}

free_tcp_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
CLK_TCK=$(getconf CLK_TCK)
# CPU seconds (user+system) of PID so far. Fields after the ")" of comm: utime is the 12th.
cpu_seconds() {
  sed -E 's/^.*\) //' "/proc/$1/stat" | awk -v hz="$CLK_TCK" '{printf "%.3f", ($12 + $13) / hz}'
}
peak_rss_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
now() { date +%s.%N; }
# p50 p95 p99 (nearest rank) of the numbers on stdin, in milliseconds.
percentiles_ms() {
  sort -g | awk '{v[NR] = $1} END {
    if (NR == 0) { print "n/a n/a n/a"; exit }
    split("50 95 99", q, " ");
    for (i = 1; i <= 3; i++) { r = int((q[i] / 100) * NR + 0.999999); if (r < 1) r = 1; if (r > NR) r = NR; printf "%.1f ", v[r] * 1000 }
    print ""
  }'
}
wait_http() { # URL, seconds
  local i
  for ((i = 0; i < $2 * 10; i++)); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "no answer from $1 after $2 s" >&2
  return 1
}
load() { cut -d' ' -f1-3 /proc/loadavg; }
calc() { awk "BEGIN {printf \"$1\", $2}"; }

mkdir -p "$WORK/rec" "$(dirname "$OUT")"
cp collector/testdata/recordings/router-48.snmprec "$WORK/rec/"

LOAD_START=$(load)
START_UTC=$(date -u +%Y-%m-%dT%H:%M:%SZ)
ROWS=()

for N in $NS; do
  echo "== N=$N: simulator" >&2
  "$NETOPS" sim --recordings "$WORK/rec" --listen "127.0.0.1:$BASE_PORT" --agents "$N" >"$WORK/sim.log" 2>&1 &
  SIM=$!
  PIDS+=("$SIM")
  # Ready when the last agent answers.
  last=$((BASE_PORT + N - 1))
  for ((i = 0; i < 600; i++)); do
    snmpget -v2c -c public -On -r0 -t1 "127.0.0.1:$last" 1.3.6.1.2.1.1.3.0 >/dev/null 2>&1 && break
    kill -0 "$SIM" 2>/dev/null || { echo "simulator died:" >&2; cat "$WORK/sim.log" >&2; exit 1; }
    sleep 0.5
  done

  # ---------------------------------------------------------------- netops serve
  echo "== N=$N: netops serve (warm-up ${INTERVAL}s + 2 x ${INTERVAL}s)" >&2
  PORT=$(free_tcp_port)
  CONF="$WORK/netops-$N.toml"
  {
    printf '[server]\nlisten = "127.0.0.1:%s"\n\n' "$PORT"
    printf '[snmp]\ninterval_seconds = %s\ntimeout_seconds = 5\nretries = 2\nmax_repetitions = 25\nconcurrency = %s\n\n' "$INTERVAL" "$CONCURRENCY"
    for ((i = 0; i < N; i++)); do
      printf '[[targets]]\nname = "r%s"\naddress = "127.0.0.1:%s"\nmodules = ["if_mib"]\n' "$i" "$((BASE_PORT + i))"
    done
  } >"$CONF"
  "$NETOPS" serve --config "$CONF" >"$WORK/netops.log" 2>&1 &
  NP=$!
  PIDS+=("$NP")
  wait_http "http://127.0.0.1:$PORT/-/healthy" 60
  # Keeps only our own series of a /metrics scrape (the rendering itself is counted).
  scrape() { curl -sf "http://127.0.0.1:$PORT/metrics" | grep -E '^netops_(scheduler_runs_total|poll_duration_seconds|poll_varbinds|target_up)[ {]' >"$1"; }
  runs_of() { awk '/^netops_scheduler_runs_total/ {print $2}' "$1"; }
  sleep "$INTERVAL"
  scrape "$WORK/m0"
  T0=$(now); C0=$(cpu_seconds "$NP"); S0=$(cpu_seconds "$SIM")
  sleep "$INTERVAL"
  scrape "$WORK/m1"
  sleep "$INTERVAL"
  CB=$(cpu_seconds "$NP"); RSS_NOW=$(awk '/^VmRSS:/ {print $2}' "/proc/$NP/status")
  LINES=$(curl -sf "http://127.0.0.1:$PORT/metrics" | wc -l) # size of what it serves (outside the window)
  C_LINES=$(cpu_seconds "$NP")
  scrape "$WORK/m2"
  T1=$(now); C1=$(cpu_seconds "$NP"); S1=$(cpu_seconds "$SIM")
  RSS=$(peak_rss_kib "$NP")
  stop "$NP"
  WIN=$(calc %.3f "$T1 - $T0")
  RUNS=$(calc %d "$(runs_of "$WORK/m2") - $(runs_of "$WORK/m0")")
  UP=$(awk '/^netops_target_up/ {s += $2} END {print s + 0}' "$WORK/m2")
  VB_SUM=$(awk '/^netops_poll_varbinds/ {s += $2} END {print s + 0}' "$WORK/m2")
  VB_MEAN=$(calc %.1f "$VB_SUM / $N")
  read -r P50 P95 P99 < <(awk '/^netops_poll_duration_seconds/ {print $2}' "$WORK/m2" | percentiles_ms)
  CPU=$(calc %.3f "$C1 - $C0 - ($C_LINES - $CB)")
  SCRAPE_CPU=$(calc %.3f "$C1 - $C_LINES")
  VB_WIN=$(calc %.0f "$RUNS * $VB_MEAN")
  N_POLLS_MIN=$(calc %.1f "$RUNS / ($WIN / 60)")
  N_VBS=$(calc %.0f "$VB_WIN / $WIN")
  N_CPU_VB=$(calc %.3f "$CPU / $VB_WIN * 1e6")
  N_RSS_MIB=$(calc %.1f "$RSS / 1024")
  N_RSS_IF=$(calc %.2f "$RSS / ($N * $IFS_PER_AGENT)")
  N_SIM_CPU=$(calc %.1f "$S1 - $S0")
  N_EXTRA="targets up $UP/$N; varbinds/poll $VB_MEAN; polls started in window $RUNS in ${WIN}s; CPU ${CPU}s in window, of which the last /metrics scrape (${LINES} lines) ${SCRAPE_CPU}s; RSS just before that scrape $(calc %.1f "$RSS_NOW / 1024") MiB; simulator CPU ${N_SIM_CPU}s"
  echo "   netops: $N_EXTRA" >&2

  # ---------------------------------------------------------------- snmp_exporter
  echo "== N=$N: snmp_exporter (warm-up round + 2 x ${INTERVAL}s)" >&2
  EPORT=$(free_tcp_port)
  "$EXPORTER" --config.file=bench/snmp/snmp_exporter.yml --web.listen-address="127.0.0.1:$EPORT" >"$WORK/exporter.log" 2>&1 &
  EP=$!
  PIDS+=("$EP")
  wait_http "http://127.0.0.1:$EPORT/" 30
  # One scrape first: it must succeed and tells the varbinds per scrape.
  curl -sf "http://127.0.0.1:$EPORT/snmp?target=127.0.0.1:$BASE_PORT&module=if_mib" >"$WORK/one.prom" ||
    { echo "snmp_exporter test scrape failed:" >&2; tail "$WORK/exporter.log" >&2; exit 1; }
  E_PDUS=$(awk '/^snmp_scrape_pdus_returned/ {print $2}' "$WORK/one.prom")
  E_SAMPLES=$(grep -cv '^#' "$WORK/one.prom")
  for ((i = 0; i < N; i++)); do echo "http://127.0.0.1:$EPORT/snmp?target=127.0.0.1:$((BASE_PORT + i))&module=if_mib"; done >"$WORK/urls"
  round() { xargs -P "$SCRAPE_PARALLEL" -n 1 curl -s -o /dev/null -w '%{http_code} %{time_total}\n' <"$WORK/urls"; }
  round >/dev/null # warm-up
  : >"$WORK/times"
  OVERRUN=0
  T0=$(now); C0=$(cpu_seconds "$EP"); S0=$(cpu_seconds "$SIM")
  for r in 1 2; do
    RS=$(now)
    round >>"$WORK/times"
    left=$(calc %.3f "$RS + $INTERVAL - $(now)")
    if awk "BEGIN {exit !($left > 0)}"; then sleep "$left"; else OVERRUN=$((OVERRUN + 1)); fi
  done
  T1=$(now); C1=$(cpu_seconds "$EP"); S1=$(cpu_seconds "$SIM")
  ERSS=$(peak_rss_kib "$EP")
  # Outside the window: durations of scrapes one at a time (no queueing behind a burst).
  head -n 20 "$WORK/urls" | xargs -P 1 -n 1 curl -s -o /dev/null -w '%{http_code} %{time_total}\n' >"$WORK/seq"
  read -r SP50 SP95 _ < <(awk '$1 == 200 {print $2}' "$WORK/seq" | percentiles_ms)
  stop "$EP"
  stop "$SIM"
  WIN=$(calc %.3f "$T1 - $T0")
  OK=$(awk '$1 == 200' "$WORK/times" | wc -l)
  FAILED=$(awk '$1 != 200' "$WORK/times" | wc -l)
  read -r EP50 EP95 EP99 < <(awk '$1 == 200 {print $2}' "$WORK/times" | percentiles_ms)
  ECPU=$(calc %.3f "$C1 - $C0")
  E_VB_WIN=$((OK * E_PDUS))
  E_POLLS_MIN=$(calc %.1f "$OK / ($WIN / 60)")
  E_VBS=$(calc %.0f "$E_VB_WIN / $WIN")
  E_CPU_VB=$(calc %.3f "$ECPU / $E_VB_WIN * 1e6")
  E_RSS_MIB=$(calc %.1f "$ERSS / 1024")
  E_RSS_IF=$(calc %.2f "$ERSS / ($N * $IFS_PER_AGENT)")
  E_SIM_CPU=$(calc %.1f "$S1 - $S0")
  E_EXTRA="scrapes ok $OK, failed $FAILED; varbinds (snmp_scrape_pdus_returned)/scrape $E_PDUS, samples/scrape $E_SAMPLES; rounds over their interval $OVERRUN/2; scrapes one at a time (20, outside the window): p50 ${SP50} ms, p95 ${SP95} ms; window ${WIN}s; CPU ${ECPU}s; simulator CPU ${E_SIM_CPU}s"
  echo "   snmp_exporter: $E_EXTRA" >&2

  ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b + 0 == 0 || a == "n/a" || b == "n/a") print "n/a"; else printf "%.3g", a / b}'; }
  ROWS+=("
### N = $N agents ($((N * IFS_PER_AGENT)) interfaces)

| figure | netops serve | snmp_exporter 0.21 | netops / snmp_exporter |
|---|---:|---:|---:|
| polls (scrapes) completed per minute | $N_POLLS_MIN | $E_POLLS_MIN | $(ratio "$N_POLLS_MIN" "$E_POLLS_MIN") |
| varbinds per second | $N_VBS | $E_VBS | $(ratio "$N_VBS" "$E_VBS") |
| collector CPU per varbind (µs) | $N_CPU_VB | $E_CPU_VB | $(ratio "$N_CPU_VB" "$E_CPU_VB") |
| peak RSS (MiB) | $N_RSS_MIB | $E_RSS_MIB | $(ratio "$N_RSS_MIB" "$E_RSS_MIB") |
| peak RSS per interface (KiB) | $N_RSS_IF | $E_RSS_IF | $(ratio "$N_RSS_IF" "$E_RSS_IF") |
| poll / scrape duration p50 (ms) | $P50 | $EP50 | $(ratio "$P50" "$EP50") |
| poll / scrape duration p95 (ms) | $P95 | $EP95 | $(ratio "$P95" "$EP95") |
| poll / scrape duration p99 (ms) | $P99 | $EP99 | $(ratio "$P99" "$EP99") |
| snmp_exporter scrape one at a time p50 / p95 (ms) | | $SP50 / $SP95 | $(ratio "$P50" "$SP50") (p50) |

- netops: $N_EXTRA.
- snmp_exporter: $E_EXTRA.
")
done

LOAD_END=$(load)
{
  echo "# SNMP polling: netops serve vs prometheus-snmp-exporter 0.21 ($DATE)"
  echo
  echo "- run: $START_UTC to $(date -u +%Y-%m-%dT%H:%M:%SZ), command: \`$CMD\` (from the repository root)"
  echo "- machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), memory: $(free -h | awk '/^Mem:/ {print $2 " total, " $7 " available"}') at the end"
  echo "- load average (1/5/15 min) at start: $LOAD_START, at end: $LOAD_END — the machine is shared with other builds, so CPU and durations carry noise"
  echo "- agents: \`netops sim\` on the same machine, N copies of collector/testdata/recordings/router-48.snmprec (48 interfaces), SNMPv2c, one UDP port each"
  echo "- netops: \`netops serve\`, built-in \`if_mib\` module, interval $INTERVAL s, timeout 5 s, retries 2, max_repetitions 25, concurrency $CONCURRENCY; polls spread over the interval by its scheduler; its /metrics scraped once per interval (CPU of rendering included)"
  echo "- snmp_exporter: Debian 0.21, bench/snmp/snmp_exporter.yml (same objects, max_repetitions 25, timeout 5 s, retries 2), scraped with \`xargs -P $SCRAPE_PARALLEL curl\` once per interval: a burst of $SCRAPE_PARALLEL concurrent scrapes, so its durations include queueing behind the others of the burst"
  echo "- window: one interval of warm-up (netops) / one warm-up round (snmp_exporter), then 2 intervals of $INTERVAL s measured: a short run"
  echo "- CPU = utime+stime of the collector process over the window (/proc/PID/stat); peak RSS = VmHWM over the whole life of the process; per interface = peak RSS / (N x 48)"
  echo "- netops durations: last \`netops_poll_duration_seconds\` of each target (one value per target); snmp_exporter durations: curl time_total of every measured scrape"
  printf '%s\n' "${ROWS[@]}"
} >"$OUT"
cat "$OUT"
append_summary "$OUT"
