#!/usr/bin/env bash
# downsample_bench.sh: the downsampling benchmark (issue 9). Strata beside Prometheus, each on
# 127.0.0.1 with a fresh temp data dir: remote-write DAYS of the query_bench workload in time
# order (Strata, then Prometheus, each alone), let Strata's compactor move and downsample what
# is due (5m after 40 h, 1h after 10 d: its defaults), then time long-range dashboard queries
# (query_range over the whole span, step 1 h, windows 1 h to 1 d) against Strata with
# max_source_resolution=raw, Strata with =auto and Prometheus, then auto over only the newest
# hours it reads raw (the bound on raw / auto), and raw and auto over only the span downsampled
# blocks cover (what the downsampled reads themselves buy); report the speed-ups, the bound, the
# largest relative differences of the answers, and the bytes on disk per resolution. Parameters are
# environment variables (defaults below); see README.md. Drivers: query_bench_driver load/query.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SERIES=${SERIES:-1000}            # Rounded to whole hosts of 100 series.
DAYS=${DAYS:-30}                  # Span of the data; it ends when the script starts.
INTERVAL_MS=${INTERVAL_MS:-15000}
SEED=${SEED:-1}
REBOOT_EVERY=${REBOOT_EVERY:-25}  # Host h reboots mid-range if h % N == 7 (0: never).
WINDOW_STEPS=${WINDOW_STEPS:-20}  # Scrapes per request window (each series' samples together).
BATCH=${BATCH:-20000}             # Samples per remote-write request (about).
STEP=${STEP:-3600}                # query_range step, seconds.
QUERY_DAYS=${QUERY_DAYS:-$DAYS}   # Query range: the last QUERY_DAYS of the data.
RUNS=${RUNS:-3}                   # Timed runs per query and target; the table shows the median.
WARMUP=${WARMUP:-1}
PAUSE_MS=${PAUSE_MS:-100}
QUERIES_FILE=${QUERIES_FILE:-}    # Default: the dashboard set below.
REL_TOL=${REL_TOL:-1e-6}          # Strata raw against Prometheus.
DS_REL_TOL=${DS_REL_TOL:-0.05}    # Strata auto against Strata raw and Prometheus.
DS_ABS_TOL=${DS_ABS_TOL:-0}
AIM_SPEEDUP=${AIM_SPEEDUP:-10}    # Strata raw time / Strata auto time, at least.
AIM_PROMETHEUS_RATIO=${AIM_PROMETHEUS_RATIO:-0.1}  # Strata auto time / Prometheus', at most.
# Auto reads the newest data, which no downsampled block covers yet (Strata's
# --downsample.5m-after: 40 h, or the value in STRATA_FLAGS), raw as well; the bound phase
# times auto over that span alone. 0 skips it.
BOUND_HOURS=${BOUND_HOURS:-}
# 1: also time raw and auto over only the span that downsampled blocks cover (the range's start
# up to the cold tier's newest sample), where auto reads no raw tail. 0 skips it.
SPAN=${SPAN:-1}
CHECK=${CHECK:-1}                 # 1: check series and sample counts before timing queries.
STRATA_BIN=${STRATA_BIN:-$root/build/strata}
PROMETHEUS_BIN=${PROMETHEUS_BIN:-/usr/bin/prometheus}
DRIVER_BIN=${DRIVER_BIN:-$root/build/query_bench_driver}
STRATA_RETENTION=${STRATA_RETENTION:-$((DAYS + 5))d}  # Raw retention: all of the data.
PROMETHEUS_RETENTION=${PROMETHEUS_RETENTION:-$((DAYS * 2))d}
STRATA_FLAGS=${STRATA_FLAGS:-}
PROMETHEUS_FLAGS=${PROMETHEUS_FLAGS:-}
READY_TIMEOUT_S=${READY_TIMEOUT_S:-900}
LOAD_TIMEOUT_S=${LOAD_TIMEOUT_S:-7200}          # Per loader run.
DOWNSAMPLE_TIMEOUT_S=${DOWNSAMPLE_TIMEOUT_S:-7200}  # Wait for Strata's moves and downsampling.
DOWNSAMPLE_STABLE_S=${DOWNSAMPLE_STABLE_S:-60}  # ...done once its tier metrics stood still this long.
SETTLE_TIMEOUT_S=${SETTLE_TIMEOUT_S:-1800}      # Wait for Prometheus' compactions.
CHECK_TIMEOUT_S=${CHECK_TIMEOUT_S:-1200}
QUERY_TIMEOUT_S=${QUERY_TIMEOUT_S:-10800}       # The whole timed query phase.
INSPECT_TIMEOUT_S=${INSPECT_TIMEOUT_S:-1200}
STOP_TIMEOUT_S=${STOP_TIMEOUT_S:-120}
KEEP_TMP=${KEEP_TMP:-0}           # 1: keep data dirs and logs (the path is printed).
RESULTS_MD=${RESULTS_MD:-}        # If set, the report is also written to this file.

invocation="SERIES=$SERIES DAYS=$DAYS INTERVAL_MS=$INTERVAL_MS SEED=$SEED REBOOT_EVERY=$REBOOT_EVERY"
invocation+=" WINDOW_STEPS=$WINDOW_STEPS BATCH=$BATCH STEP=$STEP QUERY_DAYS=$QUERY_DAYS RUNS=$RUNS"
invocation+=" WARMUP=$WARMUP DS_REL_TOL=$DS_REL_TOL"
[ "$DS_ABS_TOL" = 0 ] || invocation+=" DS_ABS_TOL=$DS_ABS_TOL"
[ -n "$QUERIES_FILE" ] && invocation+=" QUERIES_FILE=$QUERIES_FILE"
[ -n "$STRATA_FLAGS" ] && invocation+=" STRATA_FLAGS='$STRATA_FLAGS'"
[ -n "$PROMETHEUS_FLAGS" ] && invocation+=" PROMETHEUS_FLAGS='$PROMETHEUS_FLAGS'"
invocation+=" $0${*:+ $*}"

# shellcheck source=tools/bench/lib.sh
. "$root/tools/bench/lib.sh"

[ -x "$STRATA_BIN" ] || die "no Strata binary at $STRATA_BIN (cmake --build build --target strata)"
[ -x "$PROMETHEUS_BIN" ] || die "no Prometheus at $PROMETHEUS_BIN (apt-get install prometheus)"
[ -x "$DRIVER_BIN" ] ||
  die "no driver at $DRIVER_BIN (cmake --build build --target query_bench_driver)"
[ -x /usr/bin/python3 ] || die "missing /usr/bin/python3 (reads strata inspect's JSON)"
for bin in curl awk timeout du; do command -v "$bin" > /dev/null || die "missing $bin"; done
for v in SERIES DAYS STEP QUERY_DAYS RUNS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, not '${!v}'"
done
[ "$QUERY_DAYS" -le "$DAYS" ] || die "QUERY_DAYS ($QUERY_DAYS) must be <= DAYS ($DAYS)"
user_strata_flags=$STRATA_FLAGS  # As given, for the report.
if [ -z "$BOUND_HOURS" ]; then
  BOUND_HOURS=40  # Strata's default --downsample.5m-after.
  if [[ " $STRATA_FLAGS " =~ \ --downsample\.5m-after[=\ ]([0-9]+)([hd])\  ]]; then
    BOUND_HOURS=${BASH_REMATCH[1]}
    [ "${BASH_REMATCH[2]}" = h ] || BOUND_HOURS=$((BOUND_HOURS * 24))
  elif [[ " $STRATA_FLAGS " == *" --downsample.5m-after"* ]]; then
    die "cannot read --downsample.5m-after from STRATA_FLAGS (whole h or d only): set BOUND_HOURS"
  fi
fi
[[ $BOUND_HOURS =~ ^[0-9]+$ ]] || die "BOUND_HOURS must be a whole number of hours, not '$BOUND_HOURS'"
[[ $SPAN =~ ^[01]$ ]] || die "SPAN must be 0 or 1, not '$SPAN'"
# Raw retention must cover the data, so that max_source_resolution=raw answers all of it.
[[ " $STRATA_FLAGS " == *" --storage.retention"[=\ ]* ]] ||
  STRATA_FLAGS="--storage.retention=$STRATA_RETENTION${STRATA_FLAGS:+ $STRATA_FLAGS}"

bench_init downsample_bench  # $tmp, pid, port, R[server.key] = value
load_start=$(cut -d" " -f1-3 /proc/loadavg)
t_start=$(date +%s)

bench_binaries "$DRIVER_BIN"  # Private copies; sets driver, strata_version, prometheus_version.

# Long-range dashboard queries over the driver's workload: rate windows from 1 h (and 1h15s,
# Grafana's $__rate_interval at a 30-day zoom with a 15 s scrape) to 1 d, increase over 1 d,
# avg/min/max_over_time, a histogram quantile, topk and a plain gauge (an instant selector).
if [ -n "$QUERIES_FILE" ]; then
  grep -vE '^[[:space:]]*(#|$)' "$QUERIES_FILE" > "$tmp/queries.txt"
else
  cat > "$tmp/queries.txt" << 'EOF'
sum by (instance) (rate(node_cpu_seconds_total{mode!="idle"}[1h]))
sum by (job) (rate(node_network_receive_bytes_total[1h]))
sum by (instance) (rate(node_network_transmit_bytes_total{device!="lo"}[1h15s]))
topk(5, rate(node_network_transmit_bytes_total[2h]))
histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[2h])))
sum by (instance) (rate(node_disk_written_bytes_total[6h]))
sum by (instance) (increase(node_context_switches_total[1d]))
sum(increase(node_network_receive_packets_total{device!="lo"}[1d]))
avg_over_time(node_memory_MemAvailable_bytes[6h])
min_over_time(node_filesystem_avail_bytes{mountpoint="/"}[6h])
max_over_time(node_load1[6h])
avg by (instance) (max_over_time(node_hwmon_temp_celsius[1d]))
sum by (instance) (node_memory_MemAvailable_bytes)
EOF
fi

# ---- Load: identical for both servers, one after the other. ----
end_ms=$(date +%s%3N)
# The rebooting hosts' counters restart after a gap (as the generator places it: 5/8 into the
# steps, steps/24 steps long, at most 60). Where a query's range starts inside that gap, at a
# whole hour or 15 s before one (the query grid is whole hours), Prometheus 2.42 and Strata
# (Prometheus 2.53's order of rate extrapolation limits) may differ at one point, which fails
# the Strata raw = Prometheus check (QUERY_BENCH.md, "Known difference from Prometheus 2.42").
# Since the gap lies a whole number of hours before the end (with the default flags), that
# happened whenever the script started in the last quarter of an hour. The data then ends
# earlier (at most an hour) so that the gap starts 5 minutes past an hour.
reboot_shift_s=0
if [ "$REBOOT_EVERY" -gt 0 ] && [ $(((SERIES + 50) / 100)) -ge 8 ]; then  # A host reboots.
  steps=$(((DAYS * 86400000 + INTERVAL_MS / 2) / INTERVAL_MS))
  gap_steps=$((steps / 24 < 1 ? 1 : (steps / 24 > 60 ? 60 : steps / 24)))
  gap_start_ms=$((end_ms - (steps - steps * 5 / 8) * INTERVAL_MS))
  gap_off_ms=$(((gap_start_ms % 3600000 + 3600000) % 3600000))
  if [ "$gap_off_ms" -lt 60000 ] ||
     [ $((gap_off_ms + gap_steps * INTERVAL_MS)) -gt $((3600000 - 75000)) ]; then
    shift_ms=$(((gap_off_ms - 300000 + 3600000) % 3600000))
    end_ms=$((end_ms - shift_ms))
    reboot_shift_s=$((shift_ms / 1000))
    log "the data ends ${reboot_shift_s} s before now, so the reboot gap misses whole hours"
  fi
fi
load_args=(--series "$SERIES" --hours "$((DAYS * 24))" --interval-ms "$INTERVAL_MS"
           --end-ms "$end_ms" --seed "$SEED" --reboot-every "$REBOOT_EVERY"
           --window-steps "$WINDOW_STEPS" --batch-samples "$BATCH")

load() {  # $1 server: start it on an empty dir and remote-write the whole workload.
  local name=$1 out="$tmp/$1/load.out" rc=0 cpu0
  log "$name: starting on an empty data dir"
  launch "$name"
  R[$name.cmdline]=$(cat "$tmp/$name/cmdline")
  cpu0=$(proc_cpu_s "${pid[$name]}")
  local -a cmd=("$driver" load --url "http://127.0.0.1:${port[$name]}/api/v1/write" "${load_args[@]}")
  R[$name.load_cmd]="${cmd[*]}"
  log "$name: loading: ${cmd[*]}"
  timeout --kill-after=10 "$LOAD_TIMEOUT_S" "${cmd[@]}" > "$out" 2>&1 || rc=$?
  sed 's/^/    /' "$out" >&2
  alive "$name"
  grep -q '^{"tool":"query_bench"' "$out" || die "$name: load produced no result (exit $rc)"
  [ "$rc" = 0 ] || die "$name: load failed (exit $rc): not every request was acknowledged"
  for k in samples non_stale_samples elapsed_s first_ms last_ms series hosts rebooting_hosts; do
    R[$name.$k]=$(json_get "$out" "$k")
  done
  log "$name: loaded ${R[$name.samples]} samples in ${R[$name.elapsed_s]} s"
  R[$name.cpu_load]=$(fsub "$(proc_cpu_s "${pid[$name]}")" "$cpu0")
}

# The lines of server $1's /metrics that change while it moves data between tiers, downsamples
# or compacts: Strata's head start, warm partitions, cold blocks, bytes and samples (also per
# resolution) and strata_downsample_*; Prometheus' compactions, head truncations and blocks.
tier_state() {
  curl -sf --max-time 30 "http://127.0.0.1:${port[$1]}/metrics" |
    grep -E '^(strata_(head_min_time_seconds|cold_(blocks|own_blocks|bytes|samples|resolution_[a-z]+)|warm_partitions|downsample_[a-z_]+)|prometheus_tsdb_(compactions_total|head_truncations_total|blocks_loaded|head_min_time))[{ ]' |
    grep -v '^strata_downsample_[a-z_]*seconds' || true
}

# Waits until server $1's tier_state has stood still and the server has used less than
# IDLE_CPU_PCT % of a core for $2 s (at most $3 s): then everything due is moved, downsampled or
# compacted (Strata's compactor checks every second, Prometheus' every minute). Sets
# R[$1.still_s] (the wait) and R[$1.still_done] (1, or 0 on timeout); the state goes to
# "$tmp/$1/tier_metrics.txt".
wait_still() {
  local name=$1 stable_for=$2 timeout_s=$3 t0 prev="" cur c0 c1 since polls=0
  t0=$(date +%s)
  since=$t0
  R[$name.still_done]=0
  while :; do
    polls=$((polls + 1))
    alive "$name"
    c0=$(proc_cpu_s "${pid[$name]}")
    sleep 5
    c1=$(proc_cpu_s "${pid[$name]}")
    cur=$(tier_state "$name")
    [ $((polls % 12)) != 0 ] || log "$name: $(tr '\n' ' ' <<< "$cur")"  # Progress, once a minute.
    if [ "$cur" != "$prev" ] ||
       awk -v a="$c1" -v b="$c0" -v p="$IDLE_CPU_PCT" 'BEGIN { exit !((a - b) / 5 * 100 >= p) }'; then
      since=$(date +%s)
    elif [ $(($(date +%s) - since)) -ge "$stable_for" ]; then
      R[$name.still_done]=1
      break
    fi
    prev=$cur
    if [ $(($(date +%s) - t0)) -ge "$timeout_s" ]; then
      log "$name: still busy after ${timeout_s}s; going on"
      break
    fi
  done
  R[$name.still_s]=$(($(date +%s) - t0))
  tier_state "$name" > "$tmp/$name/tier_metrics.txt"
  sed 's/^/    /' "$tmp/$name/tier_metrics.txt" >&2
}

load strata
log "strata: waiting until the compactor has moved and downsampled what is due"
wait_still strata "$DOWNSAMPLE_STABLE_S" "$DOWNSAMPLE_TIMEOUT_S"
load prometheus
[ "${R[strata.samples]}" = "${R[prometheus.samples]}" ] ||
  die "the servers got different loads: ${R[strata.samples]} vs ${R[prometheus.samples]} samples"
log "prometheus: waiting until its block compactions are done"
wait_still prometheus 75 "$SETTLE_TIMEOUT_S"

# ---- Queries ----
last_ms=${R[strata.last_ms]}
end_s=$((last_ms / 1000 / STEP * STEP))
start_s=$((end_s - QUERY_DAYS * 86400))
query_base=("$driver" query --strata "http://127.0.0.1:${port[strata]}"
            --prometheus "http://127.0.0.1:${port[prometheus]}" --start "$start_s" --end "$end_s"
            --step "$STEP" --rel-tol "$REL_TOL" --timeout-s 1800
            --strata-name "Strata raw" --param max_source_resolution=raw)
check_ok=skipped
if [ "$CHECK" = 1 ]; then  # Every sample in both (Strata: counted from raw data).
  ingest_check "${R[strata.series]}" "${R[strata.non_stale_samples]}" "${R[strata.first_ms]}" \
    "$last_ms" "${query_base[@]}"
fi

query_cmd=("${query_base[@]}" --variant "Strata auto:max_source_resolution=auto"
           --variant-rel-tol "$DS_REL_TOL" --variant-abs-tol "$DS_ABS_TOL"
           --aim-speedup "$AIM_SPEEDUP" --aim-prometheus-ratio "$AIM_PROMETHEUS_RATIO"
           --runs "$RUNS" --warmup "$WARMUP" --pause-ms "$PAUSE_MS" --queries-file "$tmp/queries.txt"
           --strata-pid "${pid[strata]}" --prometheus-pid "${pid[prometheus]}")
# Runs a timed driver phase: $1 names it (its output goes to $tmp/$1.out and .err), the rest is
# the command. Returns the driver's exit status; both servers must still be alive after it.
run_phase() {
  local name=$1 rc=0
  shift
  log "$name: $*"
  timeout --kill-after=10 "$QUERY_TIMEOUT_S" "$@" > "$tmp/$name.out" 2> "$tmp/$name.err" || rc=$?
  sed 's/^/    /' "$tmp/$name.err" >&2
  alive strata prometheus
  return "$rc"
}

qrc=0
run_phase query "${query_cmd[@]}" || qrc=$?

# ---- Bound: auto over the newest BOUND_HOURS alone ----
# Whatever the downsampled days cost, auto over the whole range does at least the work of auto
# over its newest BOUND_HOURS, which no downsampled block covers yet (read raw), plus one
# request's fixed cost. So Strata raw's time over the whole range / auto's over the newest
# BOUND_HOURS alone bounds raw / auto from above. Timed the same way (rounds, pauses), with
# Prometheus over the same span beside it, answers compared within DS_REL_TOL.
bound_s=$((BOUND_HOURS * 3600 / STEP * STEP))
brc=skipped
if [ "$bound_s" -gt 0 ] && [ "$bound_s" -lt $((end_s - start_s)) ]; then
  bound_cmd=("$driver" query --strata "http://127.0.0.1:${port[strata]}"
             --prometheus "http://127.0.0.1:${port[prometheus]}" --start "$((end_s - bound_s))"
             --end "$end_s" --step "$STEP" --rel-tol "$DS_REL_TOL" --abs-tol "$DS_ABS_TOL"
             --timeout-s 1800 --strata-name "Strata auto, newest ${BOUND_HOURS} h"
             --param max_source_resolution=auto --runs "$RUNS" --warmup "$WARMUP"
             --pause-ms "$PAUSE_MS" --queries-file "$tmp/queries.txt")
  brc=0
  run_phase bound "${bound_cmd[@]}" || brc=$?
fi

# ---- Span: raw and auto over only what downsampled blocks cover ----
# The cold tier's newest sample (/api/v1/status/storage) ends the span when every raw cold block
# has its 5m block (the compactor stood still above), so over [start, that hour] auto reads no
# raw tail, and raw / auto there is what the downsampled reads themselves buy. Timed the same
# way, with Prometheus over the same span beside it, answers compared within DS_REL_TOL.
src=skipped
span_end_s=0
if [ "$SPAN" = 1 ]; then
  span_end_s=$(curl -sf --max-time 60 "http://127.0.0.1:${port[strata]}/api/v1/status/storage" |
    /usr/bin/python3 -c '
import json, sys
cold = json.load(sys.stdin)["data"]["cold"]
blocks = {r["resolutionMs"]: r["blocks"] for r in cold.get("byResolution", [])}
print(cold["maxTime"] // 1000 if 0 < blocks.get(0, 0) == blocks.get(300000, 0) else 0)' ||
    echo 0)
  span_end_s=$((span_end_s / STEP * STEP))
  if [ "$span_end_s" -gt $((start_s + STEP)) ] && [ "$span_end_s" -lt "$end_s" ]; then
    span_cmd=("$driver" query --strata "http://127.0.0.1:${port[strata]}"
              --prometheus "http://127.0.0.1:${port[prometheus]}" --start "$start_s"
              --end "$span_end_s" --step "$STEP" --rel-tol "$REL_TOL" --timeout-s 1800
              --strata-name "Strata raw, downsampled span" --param max_source_resolution=raw
              --variant "Strata auto, downsampled span:max_source_resolution=auto"
              --variant-rel-tol "$DS_REL_TOL" --variant-abs-tol "$DS_ABS_TOL" --runs "$RUNS"
              --warmup "$WARMUP" --pause-ms "$PAUSE_MS" --queries-file "$tmp/queries.txt")
    src=0
    run_phase span "${span_cmd[@]}" || src=$?
  else
    log "span: nothing to time (the cold tier's newest downsampled hour: $span_end_s)"
  fi
fi

# Rows of the span table from its phase's JSON line: per query raw, auto and Prometheus over the
# span, raw / auto, auto / Prometheus, auto's largest relative difference to raw; then a summary.
span_table() {
  /usr/bin/python3 - "$tmp/span.out" "$AIM_SPEEDUP" << 'EOF'
import json, sys
rows = None
try:
    for line in open(sys.argv[1]):
        if line.startswith('{"tool":"query_bench","phase":"query"'):
            rows = json.loads(line)["queries"]
except OSError:
    pass
aim = float(sys.argv[2])
if not rows:
    print("| (no result: the phase failed) | | | | | | |")
    sys.exit(0)
def ms(v): return "-" if v is None or v < 0 else ("%.3g" % v if v < 100 else "%.0f" % v)
def ratio(a, b): return a / b if a is not None and b is not None and a > 0 and b > 0 else None
def x(v, f="%.2fx"): return "-" if v is None else f % v
speedups = []
for q in rows:
    v = next((v for v in q.get("variants", []) if v["name"].startswith("Strata auto")), {})
    raw, auto, prom = q["strata_ms"], v.get("ms"), q["prometheus_ms"]
    s = ratio(raw, auto)
    if s is not None: speedups.append(s)
    rel = v.get("max_rel_vs_strata")
    print("| `%s` | %s | %s | %s | %s | %s | %s |" % (
        q["query"].replace("|", "\\|"), ms(raw), ms(auto), ms(prom), x(s),
        x(ratio(auto, prom), "%.2f"), "-" if rel is None else "%.2g" % rel))
if speedups:
    print()
    print("Over the downsampled span alone raw / auto was %.1f-%.1fx, %d of %d at or above %gx." % (
        min(speedups), max(speedups), sum(s >= aim for s in speedups), len(speedups), aim))
EOF
}

# Rows of the bound table from the two phases' JSON lines: per query raw and auto over the
# whole range, auto and Prometheus over the newest BOUND_HOURS, raw / auto and raw / that; then
# a summary line.
bound_table() {
  /usr/bin/python3 - "$tmp/query.out" "$tmp/bound.out" "$AIM_SPEEDUP" << 'EOF'
import json, sys
def report(path):
    try:
        for line in open(path):
            if line.startswith('{"tool":"query_bench","phase":"query"'):
                return json.loads(line)["queries"]
    except OSError:
        pass
    return None
main, bound, aim = report(sys.argv[1]), report(sys.argv[2]), float(sys.argv[3])
if not main or not bound or len(main) != len(bound):
    print("| (no bound: a phase gave no result) | | | | | | |")
    sys.exit(0)
def ms(v): return "-" if v is None or v < 0 else ("%.3g" % v if v < 100 else "%.0f" % v)
def ratio(a, b): return a / b if a is not None and b is not None and a > 0 and b > 0 else None
def x(v): return "-" if v is None else "%.2fx" % v
reach, speedups, bounds = 0, [], []
for m, b in zip(main, bound):
    raw = m["strata_ms"]
    auto = next((v["ms"] for v in m.get("variants", []) if v["name"] == "Strata auto"), None)
    newest = b["strata_ms"]
    s, bd = ratio(raw, auto), ratio(raw, newest)
    if s is not None: speedups.append(s)
    if bd is not None:
        bounds.append(bd)
        reach += bd >= aim
    print("| `%s` | %s | %s | %s | %s | %s | %s |" % (
        m["query"].replace("|", "\\|"), ms(raw), ms(auto), ms(newest), ms(b["prometheus_ms"]),
        x(s), x(bd)))
if bounds and speedups:
    print()
    print("Bound on raw / auto: %.1f-%.1fx, %d of %d at or above the aim's %gx (raw / auto measured:"
          " %.1f-%.1fx)." % (min(bounds), max(bounds), reach, len(bounds), aim, min(speedups),
                             max(speedups)))
EOF
}
for s in strata prometheus; do R[$s.peak_rss]=$(proc_kib "${pid[$s]}" VmHWM); done
stop strata TERM
stop prometheus TERM
grep -q '^{"tool":"query_bench","phase":"query"' "$tmp/query.out" ||
  die "query phase produced no result (exit $qrc)"

# ---- Bytes on disk ----
# Strata's tiers from `strata inspect` of the stopped server: cold blocks per resolution, warm,
# WAL. Prometheus: its blocks and its whole data dir.
irc=0
timeout --kill-after=10 "$INSPECT_TIMEOUT_S" "$tmp/bin/strata" inspect --data-dir "$tmp/strata/data" \
  --output json --top 0 > "$tmp/inspect.json" 2> "$tmp/inspect.err" || irc=$?
[ "$irc" = 0 ] || { cat "$tmp/inspect.err" >&2; log "strata inspect failed (exit $irc)"; }
for s in strata prometheus; do R[$s.disk]=$(du -sb "$tmp/$s/data" | awk '{ print $1 }'); done
read -r b n <<< "$(prometheus_blocks "$tmp/prometheus/data")"
R[prometheus.block_bytes]=$b
R[prometheus.block_samples]=$n
R[prometheus.blocks]=$(find "$tmp/prometheus/data" -mindepth 2 -maxdepth 2 -name meta.json | wc -l)

# Rows "label|blocks|samples|bytes" from the inspect JSON: cold blocks by resolution, warm, WAL.
disk_rows() {
  /usr/bin/python3 - "$tmp/inspect.json" << 'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
by_res = {}
for b in d["cold"]["blocks"]:
    r = by_res.setdefault(b["resolution_ms"], [0, 0, 0])
    r[0] += 1; r[1] += b["samples"]; r[2] += b["bytes"]
def name(ms):
    if ms == 0: return "raw"
    for unit, size in (("d", 86400000), ("h", 3600000), ("m", 60000), ("s", 1000)):
        if ms % size == 0: return "%d%s" % (ms // size, unit)
    return "%dms" % ms
for ms in sorted(by_res):
    c, s, b = by_res[ms]
    what = "raw" if ms == 0 else name(ms) + " (samples = windows)"
    print("Strata cold blocks, %s|%d|%d|%d" % (what, c, s, b))
w = d["warm"]
print("Strata warm tier (RocksDB, raw)|%d partitions|%d|%d" % (len(w["partitions"]), w["samples"], w["bytes"]))
h = d["head"]
print("Strata head (WAL)|-|%d|%d" % (h["samples"], h["wal_bytes"]))
EOF
}

# ---- Report ----
mib_b() { awk -v b="$1" 'BEGIN { if (b == "") print "n/a"; else printf "%.1f", b / 1048576 }'; }
per_sample() { awk -v b="$1" -v n="$2" 'BEGIN { if (n > 0) printf "%.3f", b / n; else print "-" }'; }
samples=${R[strata.samples]}
runtime_s=$(($(date +%s) - t_start))
{
  echo
  echo "## Downsampling benchmark: Strata raw vs Strata auto vs Prometheus"
  echo
  echo "Workload (query_bench_driver load): ${R[strata.series]} series (${R[strata.hosts]} hosts, node_exporter"
  echo "metrics, node_uname_info, up, a classic histogram; ${R[strata.rebooting_hosts]} hosts reboot mid-range: staleness, a"
  echo "gap, counter resets), one sample every ${INTERVAL_MS} ms for ${DAYS} days ending"
  echo "$(date -u -d "@$((last_ms / 1000))" '+%F %T') UTC$([ "$reboot_shift_s" = 0 ] || echo " (${reboot_shift_s} s before the start, so the reboot gap misses whole hours)"): $samples samples, remote-written in time order in windows"
  echo "of $WINDOW_STEPS scrapes, about $BATCH samples per request, to each server alone (Strata: ${R[strata.elapsed_s]} s,"
  if [ -z "$user_strata_flags" ]; then
    echo "Prometheus: ${R[prometheus.elapsed_s]} s). Strata then moved and downsampled with its default flags (warm span,"
    echo "--downsample.*); the wait until its tier metrics and CPU stood still for ${DOWNSAMPLE_STABLE_S} s took ${R[strata.still_s]} s$([ "${R[strata.still_done]}" = 1 ] || echo " and **timed out**"); Prometheus'"
  else
    echo "Prometheus: ${R[prometheus.elapsed_s]} s). Strata then moved and downsampled with the"
    echo "flags \`$user_strata_flags\`; the wait until its tier metrics and CPU stood still for ${DOWNSAMPLE_STABLE_S} s took ${R[strata.still_s]} s$([ "${R[strata.still_done]}" = 1 ] || echo " and **timed out**"); Prometheus'"
  fi
  echo "compactions ${R[prometheus.still_s]} s after its load$([ "${R[prometheus.still_done]}" = 1 ] || echo " (**timed out**)")."
  echo "Strata raw = \`max_source_resolution=raw\`, Strata auto = \`max_source_resolution=auto\`, on the same server."
  echo "Queries: query_range over the last ${QUERY_DAYS} days, step ${STEP} s."
  echo "Host: $(nproc) cores, $(uname -sr); load average at start $load_start, at end"
  echo "$(cut -d" " -f1-3 /proc/loadavg). Other work on the host skews wall-clock timings."
  echo "Versions: $strata_version; $prometheus_version."
  echo
  if [ "$CHECK" = 1 ]; then
    grep -E '^(Ingest check|- |\*\*)' "$tmp/check.err" || true
    echo
  fi
  grep -v '^{"tool":"query_bench"' "$tmp/query.out"
  echo
  if [ "$brc" != skipped ]; then
    echo "### Bound: auto over the newest ${BOUND_HOURS} h alone"
    echo
    echo "No downsampled block covers the newest ${BOUND_HOURS} h yet (\`--downsample.5m-after\`), so auto reads"
    echo "them raw too. Auto over the whole range does at least what auto over those ${BOUND_HOURS} h alone does"
    echo "(the same steps, the same reads, one request), so Strata raw (whole range) / Strata auto"
    echo "(newest ${BOUND_HOURS} h) bounds raw / auto from above, whatever the downsampled days cost. Timed after"
    echo "the phase above, the same way (runs ${RUNS}, warm-up ${WARMUP}, ${PAUSE_MS} ms pauses, medians), with"
    echo "Prometheus over the same ${BOUND_HOURS} h beside it; ms:"
    echo
    echo "| query | Strata raw, whole range | Strata auto, whole range | Strata auto, newest ${BOUND_HOURS} h | Prometheus, newest ${BOUND_HOURS} h | raw / auto | bound: raw / auto newest ${BOUND_HOURS} h |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    bound_table
    [ "$brc" = 0 ] || { echo; echo "**Bound phase: driver exit $brc (an error, or answers outside DS_REL_TOL of Prometheus'; see the log).**"; }
    echo
  fi
  if [ "$src" != skipped ]; then
    echo "### Span: raw and auto over only the downsampled days"
    echo
    echo "From the range's start to the cold tier's newest sample, $(date -u -d "@$span_end_s" '+%F %H:%M') UTC ($(((end_s - span_end_s) / 3600)) h"
    echo "before the range's end): every raw cold block there has its downsampled blocks, so auto reads"
    echo "no raw tail, and raw / auto is what the downsampled reads themselves buy. Timed after the"
    echo "phases above, the same way, with Prometheus over the same span beside them; ms:"
    echo
    echo "| query | Strata raw | Strata auto | Prometheus | raw / auto | auto / Prometheus | max rel. diff auto vs raw |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    span_table
    [ "$src" = 0 ] || { echo; echo "**Span phase: driver exit $src (an error, or answers outside the tolerances; see the log).**"; }
    echo
  fi
  echo "### Bytes on disk per resolution"
  echo
  echo "| data | blocks | samples | MiB | bytes per sample |"
  echo "|---|---:|---:|---:|---:|"
  if [ "$irc" = 0 ]; then
    while IFS='|' read -r what blocks n b; do
      echo "| $what | $blocks | $n | $(mib_b "$b") | $(per_sample "$b" "$n") |"
    done < <(disk_rows)
  else
    echo "| Strata: \`strata inspect\` failed (exit $irc) | | | | |"
  fi
  echo "| Strata data directory (du -sb) | | $samples | $(mib_b "${R[strata.disk]}") | $(per_sample "${R[strata.disk]}" "$samples") |"
  echo "| Prometheus blocks | ${R[prometheus.blocks]} | ${R[prometheus.block_samples]} | $(mib_b "${R[prometheus.block_bytes]}") | $(per_sample "${R[prometheus.block_bytes]}" "${R[prometheus.block_samples]}") |"
  echo "| Prometheus data directory (du -sb) | | $samples | $(mib_b "${R[prometheus.disk]}") | $(per_sample "${R[prometheus.disk]}" "$samples") |"
  echo
  echo "A downsampled block counts windows (one per series and 5 m or 1 h bucket with samples) as its"
  echo "samples (docs/format/block.md). Strata's tier metrics after the wait:"
  echo
  sed 's/^/    /' "$tmp/strata/tier_metrics.txt"
  echo
  echo "Peak RSS (VmHWM, whole run): Strata $(mib "${R[strata.peak_rss]}") MiB, Prometheus $(mib "${R[prometheus.peak_rss]}") MiB."
  echo "Server CPU during the load: Strata ${R[strata.cpu_load]} s, Prometheus ${R[prometheus.cpu_load]} s. Whole run: ${runtime_s} s."
  echo
  echo "Command line:"
  echo
  echo "    $invocation"
  echo "    Strata: ${R[strata.cmdline]}"
  echo "    Prometheus: ${R[prometheus.cmdline]}"
  echo "    load: ${R[strata.load_cmd]}"
  echo "    query: ${query_cmd[*]}"
  [ "$brc" = skipped ] || echo "    bound: ${bound_cmd[*]}"
  [ "$src" = skipped ] || echo "    span: ${span_cmd[*]}"
  [ "$check_ok" = no ] && { echo; echo "**Ingest check failed: the servers do not hold the expected data (exit $crc).**"; }
  [ "$qrc" = 0 ] || { echo; echo "**Query driver exit $qrc: a query failed or Strata raw's answer differs from Prometheus' (see above).**"; }
} | tee ${RESULTS_MD:+"$RESULTS_MD"}
[ "$check_ok" != no ] || exit 1
[ "$qrc" != 0 ] || [ "$brc" = skipped ] || qrc=$brc
[ "$qrc" != 0 ] || [ "$src" = skipped ] || qrc=$src
exit "$qrc"
