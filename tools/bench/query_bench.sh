#!/usr/bin/env bash
# query_bench.sh: end-to-end PromQL benchmark of Strata beside Prometheus. Starts both on
# 127.0.0.1 with fresh temp data dirs, remote-writes the identical fixed workload into both
# (query_bench load), waits until Prometheus has finished compacting its head, checks that both
# hold the same number of series and samples, then times dashboard query_range queries against
# each (query_bench query) and compares the answers. Prints a Markdown table of ratios.
# Parameters are environment variables (defaults below); see QUERY_BENCH.md.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SERIES=${SERIES:-10000}        # Rounded to whole hosts of 100 series.
HOURS=${HOURS:-6}              # Span of the data and of every query range.
STEP=${STEP:-60}               # query_range step, seconds.
RUNS=${RUNS:-5}                # Timed runs per query and server; the table shows the median.
WARMUP=${WARMUP:-1}            # Untimed runs first.
PAUSE_MS=${PAUSE_MS:-100}      # Idle time after every request (not timed).
INTERVAL_MS=${INTERVAL_MS:-15000}
SEED=${SEED:-1}
REBOOT_EVERY=${REBOOT_EVERY:-25}  # Host h reboots mid-range if h % N == 7 (0: never).
QUERIES_FILE=${QUERIES_FILE:-}    # One PromQL expression per line; default: the built-in set.
REL_TOL=${REL_TOL:-1e-6}
STRATA_BIN=${STRATA_BIN:-$root/build/strata}
PROMETHEUS_BIN=${PROMETHEUS_BIN:-/usr/bin/prometheus}
QUERY_BENCH_BIN=${QUERY_BENCH_BIN:-$root/build/query_bench_driver}  # Built with cmake if missing.
STRATA_FLAGS=${STRATA_FLAGS:-}
PROMETHEUS_FLAGS=${PROMETHEUS_FLAGS:-}
READY_TIMEOUT_S=${READY_TIMEOUT_S:-120}
LOAD_TIMEOUT_S=${LOAD_TIMEOUT_S:-1800}
SETTLE_TIMEOUT_S=${SETTLE_TIMEOUT_S:-300}
CHECK_TIMEOUT_S=${CHECK_TIMEOUT_S:-120}
QUERY_TIMEOUT_S=${QUERY_TIMEOUT_S:-3600}  # The whole query phase.
STOP_TIMEOUT_S=${STOP_TIMEOUT_S:-60}
KEEP_TMP=${KEEP_TMP:-0}        # 1: keep data dirs and logs (the path is printed).
RESULTS_MD=${RESULTS_MD:-}     # If set, the report is also written to this file.

invocation="SERIES=$SERIES HOURS=$HOURS STEP=$STEP RUNS=$RUNS WARMUP=$WARMUP PAUSE_MS=$PAUSE_MS"
invocation+=" INTERVAL_MS=$INTERVAL_MS SEED=$SEED REBOOT_EVERY=$REBOOT_EVERY"
[ -n "$QUERIES_FILE" ] && invocation+=" QUERIES_FILE=$QUERIES_FILE"
[ -n "$STRATA_FLAGS" ] && invocation+=" STRATA_FLAGS='$STRATA_FLAGS'"
[ -n "$PROMETHEUS_FLAGS" ] && invocation+=" PROMETHEUS_FLAGS='$PROMETHEUS_FLAGS'"
invocation+=" $0${*:+ $*}"

# shellcheck source=tools/bench/lib.sh
. "$root/tools/bench/lib.sh"

[ -x "$STRATA_BIN" ] || die "no Strata binary at $STRATA_BIN (cmake --build build --target strata)"
[ -x "$PROMETHEUS_BIN" ] || die "no Prometheus at $PROMETHEUS_BIN (apt-get install prometheus)"
for bin in curl awk timeout; do command -v "$bin" > /dev/null || die "missing $bin"; done

bench_init query_bench  # $tmp, pid, port
load_start=$(cut -d" " -f1-3 /proc/loadavg)

# ---- The driver binary ----
if [ ! -x "$QUERY_BENCH_BIN" ]; then
  # Built by CMake only (target query_bench_driver, linking tools/bench/lib), in the build dir.
  build_dir=${BUILD_DIR:-$root/build}
  [ -f "$build_dir/CMakeCache.txt" ] ||
    die "no $QUERY_BENCH_BIN and no CMake build dir at $build_dir (cmake -S $root -B $build_dir -DCMAKE_BUILD_TYPE=Release)"
  log "building query_bench_driver: cmake --build $build_dir --target query_bench_driver"
  cmake --build "$build_dir" --target query_bench_driver >&2 || die "build failed"
  QUERY_BENCH_BIN=$build_dir/query_bench_driver
  [ -x "$QUERY_BENCH_BIN" ] || die "no $QUERY_BENCH_BIN after the build"
fi
bench_binaries ""  # A private copy of Strata.

# ---- Start, load ----
log "starting Strata and Prometheus"
launch strata
launch prometheus
cpu0_strata=$(proc_cpu_s "${pid[strata]}")
cpu0_prom=$(proc_cpu_s "${pid[prometheus]}")

load_cmd=("$QUERY_BENCH_BIN" load --url "http://127.0.0.1:${port[strata]}/api/v1/write"
          --url "http://127.0.0.1:${port[prometheus]}/api/v1/write" --series "$SERIES"
          --hours "$HOURS" --interval-ms "$INTERVAL_MS" --seed "$SEED" --reboot-every "$REBOOT_EVERY")
log "loading both at once: ${load_cmd[*]}"
rc=0
timeout --kill-after=10 "$LOAD_TIMEOUT_S" "${load_cmd[@]}" > "$tmp/load.out" 2>&1 || rc=$?
sed 's/^/    /' "$tmp/load.out" >&2
alive strata prometheus
grep -q '^{"tool":"query_bench"' "$tmp/load.out" || die "load produced no result (exit $rc)"
[ "$rc" = 0 ] || die "load failed (exit $rc): not every request was acknowledged by both servers"
series=$(json_get "$tmp/load.out" series)
hosts=$(json_get "$tmp/load.out" hosts)
steps=$(json_get "$tmp/load.out" steps)
samples=$(json_get "$tmp/load.out" samples)
non_stale=$(json_get "$tmp/load.out" non_stale_samples)
first_ms=$(json_get "$tmp/load.out" first_ms)
last_ms=$(json_get "$tmp/load.out" last_ms)
rebooting=$(json_get "$tmp/load.out" rebooting_hosts)
load_s=$(json_get "$tmp/load.out" elapsed_s)

# ---- Let Prometheus finish compacting its head (it cuts 2 h blocks while the head spans more
# than 3 h), so that no compaction runs while queries are timed. ----
log "waiting for Prometheus' head compaction to settle"
deadline=$(($(date +%s) + SETTLE_TIMEOUT_S))
prev="" stable=0
while :; do
  alive strata prometheus
  span=$(awk -v a="$(metric_sum prometheus prometheus_tsdb_head_max_time)" \
             -v b="$(metric_sum prometheus prometheus_tsdb_head_min_time)" 'BEGIN { printf "%.0f", a - b }')
  cur="$(metric_sum prometheus prometheus_tsdb_compactions_total) $(metric_sum prometheus prometheus_tsdb_head_truncations_total) $(metric_sum prometheus prometheus_tsdb_blocks_loaded)"
  if [ "$cur" = "$prev" ] && [ "$span" -le 10800000 ]; then
    stable=$((stable + 1))
    [ "$stable" -ge 5 ] && break
  else
    stable=0
  fi
  prev=$cur
  if [ "$(date +%s)" -ge "$deadline" ]; then
    log "Prometheus still compacting after ${SETTLE_TIMEOUT_S}s (head span ${span} ms); going on"
    break
  fi
  sleep 1
done
prom_blocks=$(metric_sum prometheus prometheus_tsdb_blocks_loaded)
prom_head_series=$(metric_sum prometheus prometheus_tsdb_head_series)
prom_appended=$(metric_sum prometheus prometheus_tsdb_head_samples_appended_total)
strata_appended=$(metric_sum strata strata_head_samples_appended_total)
strata_series=$(metric_sum strata strata_head_series)
prom_head_h=$(awk -v s="$span" 'BEGIN { printf "%.1f", s / 3600000 }')
rss_strata=$(mib "$(proc_kib "${pid[strata]}" VmRSS)")
rss_prom=$(mib "$(proc_kib "${pid[prometheus]}" VmRSS)")
load_cpu_strata=$(awk -v a="$(proc_cpu_s "${pid[strata]}")" -v b="$cpu0_strata" 'BEGIN { printf "%.1f", a - b }')
load_cpu_prom=$(awk -v a="$(proc_cpu_s "${pid[prometheus]}")" -v b="$cpu0_prom" 'BEGIN { printf "%.1f", a - b }')

# ---- Queries ----
end_s=$((last_ms / 1000 / STEP * STEP))
start_s=$((end_s - $(awk -v h="$HOURS" 'BEGIN { printf "%.0f", h * 3600 }')))
query_cmd=("$QUERY_BENCH_BIN" query --strata "http://127.0.0.1:${port[strata]}"
           --prometheus "http://127.0.0.1:${port[prometheus]}" --start "$start_s" --end "$end_s"
           --step "$STEP" --runs "$RUNS" --warmup "$WARMUP" --pause-ms "$PAUSE_MS" --rel-tol "$REL_TOL"
           --strata-pid "${pid[strata]}" --prometheus-pid "${pid[prometheus]}"
           --expect-series "$series" --expect-samples "$non_stale" --data-first-ms "$first_ms"
           --data-last-ms "$last_ms" --check-timeout-s "$CHECK_TIMEOUT_S")
[ -n "$QUERIES_FILE" ] && query_cmd+=(--queries-file "$QUERIES_FILE")
log "querying: ${query_cmd[*]}"
qrc=0
timeout --kill-after=10 "$QUERY_TIMEOUT_S" "${query_cmd[@]}" > "$tmp/query.out" 2> "$tmp/query.err" || qrc=$?
sed 's/^/    /' "$tmp/query.err" >&2
alive strata prometheus
cpu_strata=$(proc_cpu_s "${pid[strata]}")
cpu_prom=$(proc_cpu_s "${pid[prometheus]}")
hwm_strata=$(mib "$(proc_kib "${pid[strata]}" VmHWM)")
hwm_prom=$(mib "$(proc_kib "${pid[prometheus]}" VmHWM)")
strata_cmdline=$(cat "$tmp/strata/cmdline")
prom_cmdline=$(cat "$tmp/prometheus/cmdline")
stop strata TERM
stop prometheus TERM
grep -q '^{"tool":"query_bench","phase":"query"' "$tmp/query.out" ||
  die "query phase produced no result (exit $qrc)"

# ---- Report ----
commit=$(git -C "$root" rev-parse --short HEAD 2> /dev/null || echo unknown)
git -C "$root" diff --quiet HEAD -- src 2> /dev/null || commit+=" (src/ has uncommitted changes)"
{
  echo
  echo "## Query benchmark: Strata vs Prometheus"
  echo
  echo "Workload: $series series ($hosts hosts: node_exporter metrics, node_uname_info, up, a classic"
  echo "http_request_duration_seconds histogram) x $steps scrapes every ${INTERVAL_MS} ms = $samples samples"
  echo "over ${HOURS} h ending at $(date -u -d "@$((last_ms / 1000))" '+%F %T') UTC; $rebooting hosts reboot mid-range"
  echo "(staleness markers, a gap, counter resets). Identical remote-write requests to both, loaded at"
  echo "once in ${load_s} s (server CPU for load and compaction wait: Strata ${load_cpu_strata} s,"
  echo "Prometheus ${load_cpu_prom} s)."
  echo "After load: Strata $strata_series head series, ${strata_appended:-?} samples appended, RSS ${rss_strata} MiB;"
  echo "Prometheus ${prom_blocks:-?} persisted 2 h blocks + head (${prom_head_h} h, $prom_head_series series),"
  echo "${prom_appended:-?} samples appended, RSS ${rss_prom} MiB. Strata $commit."
  echo "Host: $(nproc) cores, $(uname -sr); load average at start $load_start, at end"
  echo "$(cut -d" " -f1-3 /proc/loadavg). Other work on the host skews wall-clock timings."
  echo
  grep -v '^{"tool":"query_bench"' "$tmp/query.out"
  echo
  echo "Server CPU during the ingest check and query phase: Strata $(awk -v a="$cpu_strata" -v b="$cpu0_strata" -v l="$load_cpu_strata" 'BEGIN { printf "%.1f", a - b - l }') s,"
  echo "Prometheus $(awk -v a="$cpu_prom" -v b="$cpu0_prom" -v l="$load_cpu_prom" 'BEGIN { printf "%.1f", a - b - l }') s. Peak RSS: Strata $hwm_strata MiB, Prometheus $hwm_prom MiB."
  echo
  echo "Command line:"
  echo
  echo "    $invocation"
  echo "    Strata: $strata_cmdline"
  echo "    Prometheus: $prom_cmdline"
  echo "    load: ${load_cmd[*]}"
  echo "    query: ${query_cmd[*]}"
} | tee ${RESULTS_MD:+"$RESULTS_MD"}
exit "$qrc"
