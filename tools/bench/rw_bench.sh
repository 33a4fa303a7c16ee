#!/usr/bin/env bash
# rw_bench.sh: end-to-end remote-write benchmark of Strata beside Prometheus. For each server,
# on 127.0.0.1 with a fresh temp data dir: start, wait ready, ingest a fixed workload with
# rw_loadgen, read peak RSS and active series, SIGKILL, restart on the same dir and time the WAL
# replay, stop. Prints a Markdown table of ratios (Strata / Prometheus). See README.md.
# Parameters are environment variables (defaults below); e.g. SERIES=50000 tools/bench/rw_bench.sh
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SERIES=${SERIES:-10000}
SAMPLES=${SAMPLES:-120}
BATCH=${BATCH:-2000}
SENDERS=${SENDERS:-2}
INTERVAL_MS=${INTERVAL_MS:-15000}
SEED=${SEED:-1}
STRATA_BIN=${STRATA_BIN:-$root/build/strata}
PROMETHEUS_BIN=${PROMETHEUS_BIN:-/usr/bin/prometheus}
LOADGEN_BIN=${LOADGEN_BIN:-$root/build/rw_loadgen}
STRATA_FLAGS=${STRATA_FLAGS:-}          # Extra `strata serve` flags, e.g. --wal-fsync=always.
PROMETHEUS_FLAGS=${PROMETHEUS_FLAGS:-}  # Extra prometheus flags.
SERVERS=${SERVERS:-strata prometheus}   # Which servers to run, in order.
read -r -a servers <<< "$SERVERS"
REPLAY_RUNS=${REPLAY_RUNS:-3}           # SIGKILL + restart cycles; the table shows the median.
READY_TIMEOUT_S=${READY_TIMEOUT_S:-300}
STOP_TIMEOUT_S=${STOP_TIMEOUT_S:-60}
VERIFY=${VERIFY:-1}                     # 1: count stored samples with PromQL after load/restart.
KEEP_TMP=${KEEP_TMP:-0}                 # 1: keep data dirs and logs.
RESULTS_MD=${RESULTS_MD:-}              # If set, the table is also written to this file.

invocation="SERIES=$SERIES SAMPLES=$SAMPLES BATCH=$BATCH SENDERS=$SENDERS INTERVAL_MS=$INTERVAL_MS"
invocation+=" SEED=$SEED STRATA_BIN=$STRATA_BIN PROMETHEUS_BIN=$PROMETHEUS_BIN"
invocation+=" LOADGEN_BIN=$LOADGEN_BIN"
[ -n "$STRATA_FLAGS" ] && invocation+=" STRATA_FLAGS='$STRATA_FLAGS'"
[ -n "$PROMETHEUS_FLAGS" ] && invocation+=" PROMETHEUS_FLAGS='$PROMETHEUS_FLAGS'"
invocation+=" $0${*:+ $*}"

# shellcheck source=tools/bench/lib.sh
. "$root/tools/bench/lib.sh"

for bin in "$LOADGEN_BIN" curl awk; do
  command -v "$bin" > /dev/null || [ -x "$bin" ] || die "missing $bin"
done
for s in "${servers[@]}"; do
  case $s in
    strata) [ -x "$STRATA_BIN" ] || die "no Strata binary at $STRATA_BIN (cmake --build build --target strata)" ;;
    prometheus) [ -x "$PROMETHEUS_BIN" ] || die "no Prometheus at $PROMETHEUS_BIN (apt-get install prometheus)" ;;
    *) die "unknown server $s in SERVERS" ;;
  esac
done

bench_init rw_bench  # $tmp, pid, port, R[server.key] = value
bench_binaries ""  # A private copy of Strata; sets strata_version, prometheus_version.
load_start=$(cut -d" " -f1-3 /proc/loadavg)

# Field of /proc/PID/status in bytes (VmRSS, VmHWM).
proc_kib_field() { awk -v f="$2:" '$1 == f { print $2 * 1024 }' "/proc/$1/status"; }
# Samples server $1 holds for the workload, counted with PromQL: one instant query per metric
# name, sum(count_over_time(name{job="node"}[range])) (count_over_time drops __name__, so one
# query over all names would collide). Prints n/a on any failure.
count_samples() {
  local p=${port[$1]} t r names total=0 name v
  t=$(((start_ms + SAMPLES * INTERVAL_MS) / 1000 + 1))
  r=$((((SAMPLES + 1) * INTERVAL_MS + 999) / 1000 + 1))
  names=$(curl -sf --max-time 60 "http://127.0.0.1:$p/api/v1/label/__name__/values" |
            grep -o '"node_[A-Za-z0-9_]*"' | tr -d '"') || { echo n/a; return; }
  for name in $names; do
    v=$(curl -sf --max-time 300 "http://127.0.0.1:$p/api/v1/query" \
          --data-urlencode "query=sum(count_over_time($name{job=\"node\"}[${r}s]))" \
          --data-urlencode "time=$t" | grep -o '"value":\[[^]]*\]' |
          sed -E 's/.*,"([^"]*)"\]/\1/') || { echo n/a; return; }
    [ -n "$v" ] || { echo n/a; return; }
    total=$(awk -v a="$total" -v b="$v" 'BEGIN { printf "%.0f", a + b }')
  done
  echo "$total"
}

start_ms=$(($(date +%s%3N) - SAMPLES * INTERVAL_MS))
loadgen_args=(--series "$SERIES" --samples-per-series "$SAMPLES" --batch-size "$BATCH"
              --senders "$SENDERS" --interval-ms "$INTERVAL_MS" --start-ms "$start_ms"
              --seed "$SEED")

run_one() {
  local name=$1 dir="$tmp/$1" logf series_metric replay_metric
  mkdir -p "$dir/data"
  logf="$dir/server.log"
  case $name in
    strata)
      series_metric=strata_head_series; replay_metric=strata_wal_replay_duration_seconds ;;
    prometheus)
      series_metric=prometheus_tsdb_head_series
      replay_metric=prometheus_tsdb_data_replay_duration_seconds
      printf 'global:\n  scrape_interval: 15s\nscrape_configs: []\n' > "$dir/prometheus.yml" ;;
  esac

  log "$name: starting"
  launch "$name"
  R[$name.cmdline]=$(cat "$dir/cmdline")
  R[$name.start_s]=${R[$name.ready_s]}
  R[$name.baseline_rss]=$(proc_kib_field "${pid[$name]}" VmRSS)
  local cpu0
  cpu0=$(proc_cpu_s "${pid[$name]}")

  local url="http://127.0.0.1:${port[$name]}/api/v1/write" out="$dir/loadgen.out" rc=0
  R[$name.loadgen_cmd]="$LOADGEN_BIN --url $url ${loadgen_args[*]}"
  log "$name: loading: ${R[$name.loadgen_cmd]}"
  "$LOADGEN_BIN" --url "$url" "${loadgen_args[@]}" > "$out" 2>&1 || rc=$?
  sed 's/^/    /' "$out" >&2
  R[$name.loadgen_rc]=$rc
  grep -q '^{"tool":"rw_loadgen"' "$out" || die "$name: loadgen produced no result (rc=$rc)"
  for k in samples_per_s elapsed_s samples_ok samples latency_ms_p50 latency_ms_p99 \
           non_2xx_responses retries failed_requests connection_errors first_error; do
    R[$name.$k]=$(json_get "$out" "$k" rw_loadgen)
  done
  alive "$name"
  R[$name.cpu_s]=$(fsub "$(proc_cpu_s "${pid[$name]}")" "$cpu0")
  R[$name.peak_rss]=$(proc_kib_field "${pid[$name]}" VmHWM)
  R[$name.rss_after]=$(proc_kib_field "${pid[$name]}" VmRSS)
  R[$name.series]=$(metric "$name" "$series_metric")
  R[$name.disk]=$(du -sb "$dir/data" | awk '{ print $1 }')
  if [ "$VERIFY" = 1 ]; then R[$name.stored]=$(count_samples "$name"); fi

  local i times=() metrics=() cpus=()
  for ((i = 1; i <= REPLAY_RUNS; i++)); do
    log "$name: SIGKILL and restart on the same data dir ($i/$REPLAY_RUNS)"
    stop "$name" KILL 2> /dev/null  # Hides bash's "Killed" job notice.
    echo "---- restart $i after SIGKILL ----" >> "$logf"
    launch "$name"
    times+=("${R[$name.ready_s]}")
    cpus+=("$(proc_cpu_s "${pid[$name]}")")  # CPU time used until ready.
    metrics+=("$(metric "$name" "$replay_metric")")
  done
  R[$name.replay_all]="${times[*]}"
  R[$name.replay_metric_all]="${metrics[*]}"
  R[$name.replay_s]=$(median "${times[@]}")
  R[$name.replay_metric]=$(median "${metrics[@]}")
  R[$name.replay_cpu_all]="${cpus[*]}"
  R[$name.replay_cpu]=$(median "${cpus[@]}")
  R[$name.restart_rss]=$(proc_kib_field "${pid[$name]}" VmRSS)
  R[$name.restart_hwm]=$(proc_kib_field "${pid[$name]}" VmHWM)
  R[$name.series_after]=$(metric "$name" "$series_metric")
  if [ "$VERIFY" = 1 ]; then R[$name.stored_after]=$(count_samples "$name"); fi
  stop "$name" TERM
  log "$name: done"
}

for s in "${servers[@]}"; do run_one "$s"; done

# ---- Report ----
mib() { awk -v b="$1" 'BEGIN { if (b == "") print "n/a"; else printf "%.1f", b / 1048576 }'; }  # Bytes, not lib.sh's KiB.
per_series() {
  awk -v p="$1" -v b="$2" -v n="$3" 'BEGIN { if (n > 0) printf "%.0f", (p - b) / n; else print "n/a" }'
}
num() { awk -v v="$1" -v f="$2" 'BEGIN { if (v == "") print "n/a"; else printf f, v }'; }
ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a == "n/a" || b == "n/a" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'
}
val() {  # $1 server, $2 row key
  local s=$1
  case $2 in
    rate) num "${R[$s.samples_per_s]:-}" "%.0f" ;;
    elapsed) num "${R[$s.elapsed_s]:-}" "%.2f" ;;
    p99) num "${R[$s.latency_ms_p99]:-}" "%.1f" ;;
    cpu) echo "${R[$s.cpu_s]:-n/a}" ;;
    cpu_per_m) awk -v c="${R[$s.cpu_s]:-}" -v n="${R[$s.samples_ok]:-0}" \
                 'BEGIN { if (n > 0 && c != "") printf "%.2f", c / n * 1e6; else print "n/a" }' ;;
    baseline) mib "${R[$s.baseline_rss]:-}" ;;
    peak) mib "${R[$s.peak_rss]:-}" ;;
    after) mib "${R[$s.rss_after]:-}" ;;
    series) echo "${R[$s.series]:-n/a}" ;;
    per_series) per_series "${R[$s.peak_rss]:-0}" "${R[$s.baseline_rss]:-0}" "${R[$s.series]:-0}" ;;
    disk) mib "${R[$s.disk]:-}" ;;
    start) echo "${R[$s.start_s]:-n/a}" ;;
    replay) echo "${R[$s.replay_s]:-n/a}" ;;
    replay_cpu) echo "${R[$s.replay_cpu]:-n/a}" ;;
    replay_metric) num "${R[$s.replay_metric]:-}" "%.3f" ;;
    restart_rss) mib "${R[$s.restart_rss]:-}" ;;
    restart_hwm) mib "${R[$s.restart_hwm]:-}" ;;
    series_after) echo "${R[$s.series_after]:-n/a}" ;;
    stored) echo "${R[$s.stored]:-n/a}" ;;
    stored_after) echo "${R[$s.stored_after]:-n/a}" ;;
    errors) echo "${R[$s.non_2xx_responses]:-n/a} / ${R[$s.retries]:-n/a} / ${R[$s.failed_requests]:-n/a}" ;;
  esac
}
rows=(
  "rate|ingest throughput, samples/s (higher is better)"
  "elapsed|load time, s"
  "p99|request latency p99, ms"
  "cpu|server CPU time during load, s"
  "cpu_per_m|server CPU s per million samples"
  "baseline|baseline RSS, idle after start, MiB"
  "peak|peak RSS (VmHWM) after load, MiB"
  "after|RSS (VmRSS) after load, MiB"
  "series|active series after load"
  "per_series|RSS bytes per active series, (peak - baseline) / series"
  "disk|data dir size after load, MiB"
  "start|cold start, empty dir: process start to ready, s"
  "replay|WAL replay time: process start to ready after SIGKILL, s (median)"
  "replay_metric|replay duration metric, s (median)"
  "replay_cpu|CPU time (user + sys) from start to ready after SIGKILL, s (median)"
  "restart_rss|RSS after last restart (VmRSS), MiB"
  "restart_hwm|peak RSS during last restart (VmHWM), MiB"
  "series_after|active series after last restart"
  "stored|samples stored after load (PromQL count_over_time)"
  "stored_after|samples stored after last restart (PromQL count_over_time)"
  "errors|non-2xx responses / retries / failed requests"
)
a=${servers[0]:-strata} b=${servers[1]:-prometheus}
label() { case $1 in strata) echo Strata ;; prometheus) echo Prometheus ;; esac; }
{
  echo
  echo "## Remote-write benchmark: $(label "$a") vs $(label "$b")"
  echo
  echo "Workload: $SERIES node_exporter-like series x $SAMPLES samples ($((SERIES * SAMPLES)) samples),"
  echo "$BATCH samples per request, $SENDERS keep-alive senders, ${INTERVAL_MS} ms interval, seed $SEED,"
  echo "start_ms $start_ms. Host: $(nproc) cores, $(uname -sr); load average at start"
  echo "$load_start, at end $(cut -d" " -f1-3 /proc/loadavg) (other work on the host skews timings)."
  echo "Ratio = $(label "$a") / $(label "$b")."
  echo
  echo "Versions: $strata_version; $prometheus_version."
  echo
  echo "| metric | $(label "$a") | $(label "$b") | ratio |"
  echo "|---|---:|---:|---:|"
  for row in "${rows[@]}"; do
    key=${row%%|*} text=${row#*|}
    va=$(val "$a" "$key") vb=$(val "$b" "$key")
    if [ "$key" = errors ]; then r="-"; else r=$(ratio "$va" "$vb"); fi
    echo "| $text | $va | $vb | $r |"
  done
  echo
  echo "Replay: $REPLAY_RUNS SIGKILL + restart cycles on the same data dir, median shown. Duration"
  echo "metrics: strata_wal_replay_duration_seconds (Strata), prometheus_tsdb_data_replay_duration_seconds"
  echo "(Prometheus: m-mapped head chunks + WAL). All runs:"
  echo
  for s in "${servers[@]}"; do
    echo "- $(label "$s"): start to ready ${R[$s.replay_all]:-}s; metric ${R[$s.replay_metric_all]:-}s;"
    echo "  CPU ${R[$s.replay_cpu_all]:-}s"
  done
  echo
  echo "Command line:"
  echo
  echo "    $invocation"
  for s in "${servers[@]}"; do
    echo "    $(label "$s"): ${R[$s.cmdline]}"
    echo "    loadgen: ${R[$s.loadgen_cmd]}"
  done
  for s in "${servers[@]}"; do
    if [ "${R[$s.loadgen_rc]}" != 0 ]; then
      echo
      echo "**$(label "$s"): load generator failed (exit ${R[$s.loadgen_rc]}): sent ${R[$s.samples_ok]}/${R[$s.samples]} samples; first error: ${R[$s.first_error]}**"
    fi
    if [ "$VERIFY" = 1 ]; then
      for k in stored stored_after; do
        if [ "${R[$s.$k]:-n/a}" != "${R[$s.samples_ok]:-}" ]; then
          echo
          echo "**$(label "$s"): $k = ${R[$s.$k]:-n/a}, but ${R[$s.samples_ok]:-?} samples were acknowledged**"
        fi
      done
    fi
    if [ "${R[$s.series]:-}" != "${R[$s.series_after]:-}" ]; then
      echo
      echo "**$(label "$s"): active series changed across the restart: ${R[$s.series]:-?} -> ${R[$s.series_after]:-?}**"
    fi
  done
} | tee ${RESULTS_MD:+"$RESULTS_MD"}

status=0
for s in "${servers[@]}"; do [ "${R[$s.loadgen_rc]}" = 0 ] || status=1; done
exit $status
