#!/usr/bin/env bash
# tier_bench.sh: the "data leaves memory" benchmark. Strata beside Prometheus, each on 127.0.0.1
# with a fresh temp data dir: remote-write days of the query_bench workload in time order (one
# server after the other, each alone), and measure ingest rate, RSS while loading (after the
# first hours, peak, at the end), bytes on disk per sample, restart time after SIGKILL, and the
# dashboard queries over the whole range (latency, same answers, peak RSS). Prints a Markdown
# table with ratios and the aims. Parameters are environment variables (defaults below); see
# README.md. Drivers: query_bench_driver load / query (tools/bench/query_bench.cc).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SERIES=${SERIES:-5000}          # Rounded to whole hosts of 100 series.
HOURS=${HOURS:-168}             # Span of the data; it ends when the script starts.
FIRST_HOURS=${FIRST_HOURS:-6}   # RSS is read once the loader has sent this much data.
INTERVAL_MS=${INTERVAL_MS:-15000}
SEED=${SEED:-1}
REBOOT_EVERY=${REBOOT_EVERY:-25}  # Host h reboots mid-range if h % N == 7 (0: never).
WINDOW_STEPS=${WINDOW_STEPS:-1}   # Scrapes per request window; 1 sends step by step.
BATCH=${BATCH:-2000}              # Samples per remote-write request (about).
STEP=${STEP:-300}                 # query_range step, seconds.
QUERY_HOURS=${QUERY_HOURS:-$HOURS}  # Query range: the last QUERY_HOURS of the data.
RUNS=${RUNS:-3}                   # Timed runs per query and server; the table shows the median.
WARMUP=${WARMUP:-1}
PAUSE_MS=${PAUSE_MS:-100}
QUERIES_FILE=${QUERIES_FILE:-}    # Default: the driver's built-in dashboard set.
REL_TOL=${REL_TOL:-1e-6}
RESTARTS=${RESTARTS:-3}           # SIGKILL + restart cycles; the table shows the median.
SETTLE_S=${SETTLE_S:-10}          # Idle wait after a load or restart, at least this long...
IDLE_CPU_PCT=${IDLE_CPU_PCT:-5}   # ...and until the server used < this % of a core for 5 s.
CHECK=${CHECK:-1}                 # 1: check series and sample counts before timing queries.
STRATA_BIN=${STRATA_BIN:-$root/build/strata}
PROMETHEUS_BIN=${PROMETHEUS_BIN:-/usr/bin/prometheus}
DRIVER_BIN=${DRIVER_BIN:-$root/build/query_bench_driver}
STRATA_FLAGS=${STRATA_FLAGS:-}
PROMETHEUS_FLAGS=${PROMETHEUS_FLAGS:-}
READY_TIMEOUT_S=${READY_TIMEOUT_S:-900}
LOAD_TIMEOUT_S=${LOAD_TIMEOUT_S:-14400}     # Per loader invocation.
SETTLE_TIMEOUT_S=${SETTLE_TIMEOUT_S:-900}
CHECK_TIMEOUT_S=${CHECK_TIMEOUT_S:-600}
QUERY_TIMEOUT_S=${QUERY_TIMEOUT_S:-10800}   # The whole timed query phase.
STOP_TIMEOUT_S=${STOP_TIMEOUT_S:-60}
KEEP_TMP=${KEEP_TMP:-0}           # 1: keep data dirs, logs and RSS traces (the path is printed).
RESULTS_MD=${RESULTS_MD:-}        # If set, the report is also written to this file.

invocation="SERIES=$SERIES HOURS=$HOURS FIRST_HOURS=$FIRST_HOURS INTERVAL_MS=$INTERVAL_MS SEED=$SEED"
invocation+=" REBOOT_EVERY=$REBOOT_EVERY WINDOW_STEPS=$WINDOW_STEPS BATCH=$BATCH STEP=$STEP"
invocation+=" QUERY_HOURS=$QUERY_HOURS RUNS=$RUNS WARMUP=$WARMUP RESTARTS=$RESTARTS"
[ -n "$QUERIES_FILE" ] && invocation+=" QUERIES_FILE=$QUERIES_FILE"
[ -n "$STRATA_FLAGS" ] && invocation+=" STRATA_FLAGS='$STRATA_FLAGS'"
[ -n "$PROMETHEUS_FLAGS" ] && invocation+=" PROMETHEUS_FLAGS='$PROMETHEUS_FLAGS'"
invocation+=" $0${*:+ $*}"

PROMETHEUS_RETENTION=${PROMETHEUS_RETENTION:-30d}
# shellcheck source=tools/bench/lib.sh
. "$root/tools/bench/lib.sh"

[ -x "$STRATA_BIN" ] || die "no Strata binary at $STRATA_BIN (cmake --build build --target strata)"
[ -x "$PROMETHEUS_BIN" ] || die "no Prometheus at $PROMETHEUS_BIN (apt-get install prometheus)"
[ -x "$DRIVER_BIN" ] ||
  die "no driver at $DRIVER_BIN (cmake --build build --target query_bench_driver)"
for bin in curl awk timeout du; do command -v "$bin" > /dev/null || die "missing $bin"; done
[ "$RESTARTS" -ge 1 ] || die "RESTARTS must be >= 1"

bench_init tier_bench  # $tmp, pid, port, sampler, R[server.key] = value
load_start=$(cut -d" " -f1-3 /proc/loadavg)

bench_binaries "$DRIVER_BIN"  # Private copies; sets driver, strata_version, prometheus_version.

# ---- The workload: identical for both servers. ----
end_ms=$(date +%s%3N)
total_steps=$(awk -v h="$HOURS" -v i="$INTERVAL_MS" 'BEGIN { printf "%.0f", h * 3600000 / i }')
first_steps=$(awk -v h="$FIRST_HOURS" -v i="$INTERVAL_MS" 'BEGIN { printf "%.0f", h * 3600000 / i }')
split=1
[ "$first_steps" -gt 0 ] && [ "$first_steps" -lt "$total_steps" ] || split=0
load_args=(--series "$SERIES" --hours "$HOURS" --interval-ms "$INTERVAL_MS" --end-ms "$end_ms"
           --seed "$SEED" --reboot-every "$REBOOT_EVERY" --window-steps "$WINDOW_STEPS"
           --batch-samples "$BATCH")

# Remote-writes steps [$3, $4) to server $1, output in file $2 ("" = no bound). Dies unless every
# request was acknowledged.
load_part() {
  local name=$1 out=$2 from=$3 to=$4 rc=0
  local -a cmd=("$driver" load --url "http://127.0.0.1:${port[$name]}/api/v1/write"
                "${load_args[@]}" --from-step "$from")
  [ -n "$to" ] && cmd+=(--to-step "$to")
  R[$name.load_cmd]+="${R[$name.load_cmd]:+; }${cmd[*]}"
  log "$name: loading steps [$from, ${to:-$total_steps}): ${cmd[*]}"
  timeout --kill-after=10 "$LOAD_TIMEOUT_S" "${cmd[@]}" > "$out" 2>&1 || rc=$?
  sed 's/^/    /' "$out" >&2
  alive "$name"
  grep -q '^{"tool":"query_bench"' "$out" || die "$name: load produced no result (exit $rc)"
  [ "$rc" = 0 ] || die "$name: load failed (exit $rc): not every request was acknowledged"
}

# Start fresh, load (in two parts), settle, measure, SIGKILL + restart RESTARTS times. The
# server stays up for the query phase.
run_server() {
  local name=$1 dir="$tmp/$1" cpu0 out1="$tmp/$1/load1.out" out2="$tmp/$1/load2.out" i
  log "$name: starting on an empty data dir"
  launch "$name"
  R[$name.cmdline]=$(cat "$dir/cmdline")
  R[$name.cold_start_s]=${R[$name.ready_s]}
  cpu0=$(proc_cpu_s "${pid[$name]}")
  start_sampler "$name" "$dir/rss_load.tsv"
  if [ "$split" = 1 ]; then
    load_part "$name" "$out1" 0 "$first_steps"
    R[$name.rss_first]=$(proc_kib "${pid[$name]}" VmRSS)
    log "$name: RSS after the first $FIRST_HOURS h: $(mib "${R[$name.rss_first]}") MiB"
    load_part "$name" "$out2" "$first_steps" ""
  else
    load_part "$name" "$out2" 0 ""
    cp "$out2" "$out1"
  fi
  R[$name.samples]=$(($(json_get "$out1" samples) * split + $(json_get "$out2" samples)))
  R[$name.non_stale]=$(($(json_get "$out1" non_stale_samples) * split + $(json_get "$out2" non_stale_samples)))
  R[$name.load_s]=$(awk -v a="$(json_get "$out1" elapsed_s)" -v b="$(json_get "$out2" elapsed_s)" \
                        -v s="$split" 'BEGIN { printf "%.3f", a * s + b }')
  R[$name.first_ms]=$(json_get "$out1" first_ms)
  R[$name.last_ms]=$(json_get "$out2" last_ms)
  R[$name.series]=$(json_get "$out2" series)
  R[$name.hosts]=$(json_get "$out2" hosts)
  R[$name.rebooting]=$(json_get "$out2" rebooting_hosts)
  log "$name: loaded ${R[$name.samples]} samples in ${R[$name.load_s]} s; settling"
  settle "$name"
  stop_sampler "$name"
  R[$name.settle_s]=$settle_s
  R[$name.settle_idle]=$settle_idle
  R[$name.cpu_load]=$(fsub "$(proc_cpu_s "${pid[$name]}")" "$cpu0")
  R[$name.rss_end]=$(proc_kib "${pid[$name]}" VmRSS)
  local hwm sampled
  hwm=$(proc_kib "${pid[$name]}" VmHWM)
  sampled=$(file_max "$dir/rss_load.tsv")
  R[$name.peak_load]=$((hwm > sampled ? hwm : sampled))
  R[$name.disk]=$(du -sb "$dir/data" | awk '{ print $1 }')
  if [ "$name" = strata ]; then
    R[strata.cold_bytes]=$(metric strata strata_cold_bytes)
    R[strata.cold_samples]=$(metric strata strata_cold_samples)
    R[strata.cold_blocks]=$(metric strata strata_cold_blocks)
    # Raw blocks hold the samples; 5m and 1h blocks (downsampling, on by default) hold windows
    # over the same samples and are reported apart.
    R[strata.cold_raw_bytes]=$(metric strata 'strata_cold_resolution_bytes{resolution="raw"}')
    R[strata.cold_raw_samples]=$(metric strata 'strata_cold_resolution_samples{resolution="raw"}')
    R[strata.cold_raw_blocks]=$(metric strata 'strata_cold_resolution_blocks{resolution="raw"}')
    R[strata.cold_ds_bytes]=$(awk -v a="$(metric strata 'strata_cold_resolution_bytes{resolution="5m"}')" \
      -v b="$(metric strata 'strata_cold_resolution_bytes{resolution="1h"}')" 'BEGIN { printf "%.0f", a + b }')
    R[strata.warm_bytes]=$(metric strata strata_warm_bytes)
    log "strata: cold tier ${R[strata.cold_blocks]} blocks, ${R[strata.cold_samples]} samples, ${R[strata.cold_bytes]} bytes"
  else
    read -r b n <<< "$(prometheus_blocks "$dir/data")"
    R[prometheus.cold_bytes]=$b
    R[prometheus.cold_samples]=$n
    log "prometheus: blocks hold $n samples in $b bytes"
  fi
  log "$name: RSS at end $(mib "${R[$name.rss_end]}") MiB, peak $(mib "${R[$name.peak_load]}") MiB, disk ${R[$name.disk]} bytes"

  local times=()
  for ((i = 1; i <= RESTARTS; i++)); do
    log "$name: SIGKILL and restart on the same data dir ($i/$RESTARTS)"
    stop "$name" KILL 2> /dev/null  # Hides bash's "Killed" job notice.
    echo "---- restart $i after SIGKILL ----" >> "$dir/server.log"
    launch "$name"
    times+=("${R[$name.ready_s]}")
    log "$name: ready after ${R[$name.ready_s]} s"
  done
  R[$name.restart_all]="${times[*]}"
  R[$name.restart_s]=$(median "${times[@]}")
}

for s in strata prometheus; do run_server "$s"; done
[ "${R[strata.samples]}" = "${R[prometheus.samples]}" ] ||
  die "the servers got different loads: ${R[strata.samples]} vs ${R[prometheus.samples]} samples"
samples=${R[strata.samples]}

# ---- Queries ----
log "waiting until both servers are idle after their restarts"
settle strata prometheus
for s in strata prometheus; do R[$s.rss_restart]=$(proc_kib "${pid[$s]}" VmRSS); done
last_ms=${R[strata.last_ms]}
end_s=$((last_ms / 1000 / STEP * STEP))
start_s=$((end_s - $(awk -v h="$QUERY_HOURS" 'BEGIN { printf "%.0f", h * 3600 }')))
set_query_base() {  # Again after a restart: the port changes.
  query_base=("$driver" query --strata "http://127.0.0.1:${port[strata]}"
              --prometheus "http://127.0.0.1:${port[prometheus]}" --start "$start_s" --end "$end_s"
              --step "$STEP" --rel-tol "$REL_TOL" --timeout-s 600)
}
set_query_base
check_ok=skipped
if [ "$CHECK" = 1 ]; then
  # The ingest check (heavy count_over_time over all data) runs apart from the timed queries,
  # so that it does not count toward their peak RSS.
  ingest_check "${R[strata.series]}" "${R[strata.non_stale]}" "${R[strata.first_ms]}" "$last_ms" \
    "${query_base[@]}"
fi

# ---- Cold tier: each dashboard query once with the cold cache disabled ----
# Strata restarts with --storage.cold.cache-bytes=0, so every index header, postings list,
# series entry and chunk group a query needs is read from the object store (here the local
# <data-dir>/cold; the OS page cache is warm for both servers). Bytes and requests per query come
# from strata_cold_fetched_bytes_total / strata_cold_fetch_requests_total. The warm-cache figures
# are the timed phase below (after WARMUP runs), with the default cache.
if [ -n "$QUERIES_FILE" ]; then
  grep -vE '^[[:space:]]*(#|$)' "$QUERIES_FILE" > "$tmp/queries.txt"
else
  "$driver" queries > "$tmp/queries.txt"
fi
cold_pass=0
if [ "${R[strata.cold_blocks]:-0}" != 0 ] && [ "${COLD_PASS:-1}" = 1 ]; then
  cold_pass=1
  log "strata: restarting with --storage.cold.cache-bytes=0 for the empty-cache pass"
  stop strata TERM
  saved_flags=$STRATA_FLAGS
  # shellcheck disable=SC2001  # A word list: drop any cache flag of the caller's, then ours.
  STRATA_FLAGS="$(sed -E 's/--storage\.cold\.cache-bytes[= ][^ ]*//g' <<< "$STRATA_FLAGS") --storage.cold.cache-bytes=0"
  launch strata
  R[strata.cmdline_nocache]=$(cat "$tmp/strata/cmdline")
  STRATA_FLAGS=$saved_flags
  set_query_base
  settle strata
  : > "$tmp/cold_pass.tsv"
  while IFS= read -r q; do
    echo "$q" > "$tmp/q1.txt"
    b0=$(metric strata strata_cold_fetched_bytes_total)
    r0=$(metric strata strata_cold_fetch_requests_total)
    "${query_base[@]}" --runs 1 --warmup 0 --pause-ms 0 --queries-file "$tmp/q1.txt" > "$tmp/q1.out" 2>&1 || true
    b1=$(metric strata strata_cold_fetched_bytes_total)
    r1=$(metric strata strata_cold_fetch_requests_total)
    line=$(grep -o '"strata_ms":[-0-9.]*,"prometheus_ms":[-0-9.]*,"same":[a-z]*' "$tmp/q1.out" | head -1)
    IFS=',' read -r sm pm same <<< "$line"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "${sm#*:}" "${pm#*:}" "${same#*:}" \
      "$(awk -v a="$b1" -v b="$b0" 'BEGIN { printf "%.0f", a - b }')" \
      "$(awk -v a="$r1" -v b="$r0" 'BEGIN { printf "%.0f", a - b }')" "$q" >> "$tmp/cold_pass.tsv"
    alive strata prometheus
  done < "$tmp/queries.txt"
  log "strata: restarting with the default cold cache for the timed queries"
  stop strata TERM
  launch strata
  set_query_base
  settle strata prometheus
fi
cold_fetch0=$(metric strata strata_cold_fetched_bytes_total)

# Peak RSS of the query phase: VmHWM after resetting it (clear_refs 5), else the 1 s samples.
hwm_reset=1
for s in strata prometheus; do
  echo 5 2> /dev/null > "/proc/${pid[$s]}/clear_refs" || hwm_reset=0
  rm -f "$tmp/$s/rss_query.tsv"
  start_sampler "$s" "$tmp/$s/rss_query.tsv"
done
query_cmd=("${query_base[@]}" --runs "$RUNS" --warmup "$WARMUP" --pause-ms "$PAUSE_MS"
           --strata-pid "${pid[strata]}" --prometheus-pid "${pid[prometheus]}")
[ -n "$QUERIES_FILE" ] && query_cmd+=(--queries-file "$QUERIES_FILE")
log "querying: ${query_cmd[*]}"
qrc=0
timeout --kill-after=10 "$QUERY_TIMEOUT_S" "${query_cmd[@]}" > "$tmp/query.out" 2> "$tmp/query.err" || qrc=$?
sed 's/^/    /' "$tmp/query.err" >&2
alive strata prometheus
for s in strata prometheus; do
  stop_sampler "$s"
  sampled=$(file_max "$tmp/$s/rss_query.tsv")
  hwm=$(proc_kib "${pid[$s]}" VmHWM)
  if [ "$hwm_reset" = 1 ] && [ "$hwm" -gt "$sampled" ]; then sampled=$hwm; fi
  R[$s.peak_query]=$sampled
done
cold_fetch1=$(metric strata strata_cold_fetched_bytes_total)
stop strata TERM
stop prometheus TERM
grep -q '^{"tool":"query_bench","phase":"query"' "$tmp/query.out" ||
  die "query phase produced no result (exit $qrc)"

# ---- Report ----
num_re='^[0-9]+([.][0-9]*)?([eE][-+]?[0-9]+)?$'
ratio() {
  awk -v a="$1" -v b="$2" -v re="$num_re" 'BEGIN { if (a !~ re || b !~ re || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'
}
met() {  # $1 value, $2 limit: yes if value <= limit.
  awk -v v="$1" -v l="$2" -v re="$num_re" 'BEGIN { if (v !~ re) print "-"; else if (v + 0 <= l + 0) print "yes"; else print "**no**" }'
}
val() {  # $1 server, $2 row key
  local s=$1
  case $2 in
    rate) awk -v n="${R[$s.samples]}" -v t="${R[$s.load_s]}" 'BEGIN { printf "%.0f", n / t }' ;;
    load_s) printf '%.1f' "${R[$s.load_s]}" ;;
    settle) echo "${R[$s.settle_s]}$([ "${R[$s.settle_idle]}" = 1 ] || echo ' (not idle)')" ;;
    cpu) echo "${R[$s.cpu_load]}" ;;
    first) if [ "$split" = 1 ]; then mib "${R[$s.rss_first]}"; else echo "-"; fi ;;
    peak) mib "${R[$s.peak_load]}" ;;
    end) mib "${R[$s.rss_end]}" ;;
    growth) if [ "$split" = 1 ]; then ratio "${R[$s.rss_end]}" "${R[$s.rss_first]}"; else echo "-"; fi ;;
    bps) awk -v d="${R[$s.disk]}" -v n="$samples" 'BEGIN { printf "%.3f", d / n }' ;;
    bps_raw) awk -v d="${R[$s.disk]}" -v x="${R[$s.cold_ds_bytes]:-0}" -v n="$samples" 'BEGIN { printf "%.3f", (d - x) / n }' ;;
    disk) awk -v d="${R[$s.disk]}" 'BEGIN { printf "%.1f", d / 1048576 }' ;;
    restart) echo "${R[$s.restart_s]}" ;;
    rss_restart) mib "${R[$s.rss_restart]}" ;;
    peak_query) mib "${R[$s.peak_query]}" ;;
  esac
}
# key|text|aim on the ratio (empty: none)
rows=(
  "rate|ingest, samples/s (all samples / load wall-clock; higher is better)|"
  "load_s|load wall-clock, s|"
  "cpu|server CPU time, load + settle, s|"
  "settle|settle after the load until idle, s|"
  "first|RSS after the first $FIRST_HOURS h of data, MiB|"
  "peak|peak RSS during load + settle (VmHWM), MiB|"
  "end|RSS at end of load (after settle), MiB|0.35"
  "growth|RSS at end / RSS after the first $FIRST_HOURS h|"
  "bps|disk bytes per sample (du -sb of the data dir / samples)|0.6"
  "bps_raw|disk bytes per sample without Strata's 5m and 1h blocks|"
  "disk|data dir size after load, MiB|"
  "restart|restart after SIGKILL: process start to /-/ready 200, s (median of $RESTARTS)|0.3"
  "rss_restart|RSS after the last restart, idle, MiB|"
  "peak_query|peak RSS during the timed queries, MiB|1.0"
)
# Per-query ratios from the driver's JSON: "strata_ms":A,"prometheus_ms":B,"same":true|false
qstats=$(grep '^{"tool":"query_bench","phase":"query"' "$tmp/query.out" |
  grep -o '"strata_ms":[-0-9.]*,"prometheus_ms":[-0-9.]*,"same":[a-z]*' |
  awk -F'[:,]' '{ n++; if ($6 == "true") same++; if ($2 > 0 && $4 > 0) { r = $2 / $4; t++; lg += log(r); if (r <= 0.5 && $6 == "true") ok++ } }
    END { printf "%d %d %d %d %s", n, same + 0, ok + 0, t + 0, t ? sprintf("%.2f", exp(lg / t)) : "n/a" }')
read -r q_n q_same q_ok _ q_geo <<< "$qstats"
growth_strata=$(val strata growth)
{
  echo
  echo "## Tier benchmark: Strata vs Prometheus"
  echo
  echo "Workload (query_bench_driver load): ${R[strata.series]} series (${R[strata.hosts]} hosts, node_exporter"
  echo "metrics, node_uname_info, up, a classic histogram; ${R[strata.rebooting]} hosts reboot mid-range), one"
  echo "sample every ${INTERVAL_MS} ms for ${HOURS} h ending $(date -u -d "@$((last_ms / 1000))" '+%F %T') UTC: $samples samples."
  if [ "$WINDOW_STEPS" = 1 ]; then
    order="step by step (every series at one scrape, then the next; one sample per TimeSeries)"
  else
    order="in windows of $WINDOW_STEPS scrapes (each series' samples of a window in one TimeSeries)"
  fi
  echo "Remote-written in time order, $order, about $BATCH samples per request over one connection,"
  if [ "$split" = 1 ]; then
    echo "to each server alone, in two loader runs: the first $FIRST_HOURS h, then the rest."
  else
    echo "to each server alone, in one loader run."
  fi
  echo "Prometheus: --storage.tsdb.retention.time=$PROMETHEUS_RETENTION, no scrape jobs. Ratio = Strata / Prometheus."
  echo "Host: $(nproc) cores, $(uname -sr); load average at start $load_start, at end"
  echo "$(cut -d" " -f1-3 /proc/loadavg). Other work on the host skews wall-clock timings."
  echo "Versions: $strata_version; $prometheus_version."
  echo
  echo "| metric | Strata | Prometheus | ratio | aim | met |"
  echo "|---|---:|---:|---:|---|---|"
  for row in "${rows[@]}"; do
    IFS='|' read -r key text aim <<< "$row"
    va=$(val strata "$key") vb=$(val prometheus "$key")
    r=$(ratio "${va%% *}" "${vb%% *}")
    case $key in
      settle) r="-"; aim_text="-"; m="-" ;;
      growth) r="-"; aim_text="Strata <= 1.2"; m=$(met "$growth_strata" 1.2) ;;
      *) if [ -n "$aim" ]; then aim_text="ratio <= $aim"; m=$(met "$r" "$aim"); else aim_text="-"; m="-"; fi ;;
    esac
    echo "| $text | $va | $vb | $r | $aim_text | $m |"
  done
  q_met=$([ "$q_ok" = "$q_n" ] && [ "$q_n" -gt 0 ] && echo yes || echo "**no**")
  echo "| dashboard queries at <= 0.5x with the same answer (table below) | $q_ok of $q_n | | geo. mean $q_geo | all, ratio <= 0.5 and same answer | $q_met |"
  echo "| queries with the same answer | $q_same of $q_n | | | | |"
  echo
  echo "Aims (Strata vs Prometheus): RSS at end of load <= 0.35x Prometheus and <= 1.2x Strata's own RSS"
  echo "after the first $FIRST_HOURS h; restart to ready <= 0.3x; disk bytes/sample <= 0.6x; every query"
  echo "<= 0.5x with the same answer; peak RSS during queries <= 1x."
  echo
  if [ "$split" = 1 ]; then
    echo "Notes: RSS after the first $FIRST_HOURS h is VmRSS read the moment the first loader run (steps"
    echo "[0, $first_steps)) has been acknowledged, before the second run starts. \"Settle\" waits at least"
  else
    echo "Notes: RSS after the first $FIRST_HOURS h is not measured (HOURS <= FIRST_HOURS). \"Settle\" waits at least"
  fi
  echo "${SETTLE_S} s and until the server used < ${IDLE_CPU_PCT}% of a core for 5 s (at most ${SETTLE_TIMEOUT_S} s); the"
  echo "end-of-load RSS and the disk size are read after it. Ingest samples/s does not include the"
  echo "settle time. Restart times (s), all runs: Strata ${R[strata.restart_all]}; Prometheus ${R[prometheus.restart_all]}."
  echo "Cold start on an empty dir: Strata ${R[strata.cold_start_s]} s, Prometheus ${R[prometheus.cold_start_s]} s."
  if [ "$hwm_reset" = 1 ]; then
    echo "Peak RSS during queries: VmHWM, reset (clear_refs) right before the timed queries."
  else
    echo "Peak RSS during queries: max of VmRSS sampled every second (VmHWM could not be reset)."
  fi
  echo
  echo "### Cold tier"
  echo
  cold_bps=$(awk -v b="${R[strata.cold_raw_bytes]:-0}" -v n="${R[strata.cold_raw_samples]:-0}" 'BEGIN { if (n > 0) printf "%.3f", b / n; else print "n/a" }')
  prom_bps=$(awk -v b="${R[prometheus.cold_bytes]:-0}" -v n="${R[prometheus.cold_samples]:-0}" 'BEGIN { if (n > 0) printf "%.3f", b / n; else print "n/a" }')
  cold_ratio=$(ratio "$cold_bps" "$prom_bps")
  echo "Strata moved ${R[strata.cold_raw_blocks]:-0} warm partitions (UTC days older than the 40 h warm span) to raw cold"
  echo "blocks in <data-dir>/cold: ${R[strata.cold_raw_samples]:-0} samples. Its downsampling added"
  echo "$(( ${R[strata.cold_blocks]:-0} - ${R[strata.cold_raw_blocks]:-0} )) blocks of 5m and 1h windows over them, $(awk -v b="${R[strata.cold_ds_bytes]:-0}" 'BEGIN { printf "%.1f", b / 1048576 }') MiB (counted in the data"
  echo "directory above, not in the bytes per sample here). Prometheus' persisted blocks (every"
  echo "block directory, without its WAL and head chunks) hold ${R[prometheus.cold_samples]:-0} samples."
  echo
  echo "| metric | Strata | Prometheus | ratio | aim | met |"
  echo "|---|---:|---:|---:|---|---|"
  echo "| bytes per sample in blocks (raw cold blocks / Prometheus blocks) | $cold_bps | $prom_bps | $cold_ratio | ratio <= 0.5 | $(met "$cold_ratio" 0.5) |"
  echo "| block bytes, MiB (raw) | $(awk -v b="${R[strata.cold_raw_bytes]:-0}" 'BEGIN { printf "%.1f", b / 1048576 }') | $(awk -v b="${R[prometheus.cold_bytes]:-0}" 'BEGIN { printf "%.1f", b / 1048576 }') | | | |"
  echo "| 5m and 1h block bytes, MiB | $(awk -v b="${R[strata.cold_ds_bytes]:-0}" 'BEGIN { printf "%.1f", b / 1048576 }') | - | | | |"
  echo
  if [ "$cold_pass" = 1 ]; then
    echo "Dashboard queries over the last ${QUERY_HOURS} h (step ${STEP} s), each run once right after a restart with"
    echo "\`--storage.cold.cache-bytes=0\` (every cold read goes to the object store), and the warm-cache"
    echo "medians of the timed phase below. Downloaded: bytes and ranged GETs of the cold tier for that one run,"
    echo "against $(awk -v b="${R[strata.cold_bytes]:-0}" 'BEGIN { printf "%.1f", b / 1048576 }') MiB of cold blocks."
    echo
    echo "| query | empty cache: Strata ms | Prometheus ms | ratio | downloaded KiB | GETs | warm cache: Strata ms | Prometheus ms | ratio (aim <= 0.5) |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    warm_json=$(grep '^{"tool":"query_bench","phase":"query"' "$tmp/query.out" |
      grep -o '"strata_ms":[-0-9.]*,"prometheus_ms":[-0-9.]*' | sed -E 's/"strata_ms":([-0-9.]*),"prometheus_ms":([-0-9.]*)/\1 \2/')
    i=0
    while IFS=$'\t' read -r sm pm same bytes gets q; do
      i=$((i + 1))
      read -r wsm wpm <<< "$(sed -n "${i}p" <<< "$warm_json")"
      wr=$(ratio "$wsm" "$wpm")
      echo "| \`$q\` | $sm | $pm | $(ratio "$sm" "$pm") | $(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1024 }') | $gets | $wsm | $wpm | $wr $(met "$wr" 0.5) |"
    done < "$tmp/cold_pass.tsv"
    echo
    echo "Cold-tier bytes downloaded during the whole timed (warm-cache) phase: $(awk -v a="$cold_fetch1" -v b="$cold_fetch0" 'BEGIN { printf "%.0f", a - b }')."
    echo
  fi
  echo "### Dashboard queries over the last ${QUERY_HOURS} h, step ${STEP} s"
  echo
  if [ "$CHECK" = 1 ]; then
    sed 's/^/    /' "$tmp/check.err" | grep -E '^    (Ingest check|- |\*\*)' | sed 's/^    //' || true
    echo
  fi
  grep -v '^{"tool":"query_bench"' "$tmp/query.out"
  echo
  echo "Command line:"
  echo
  echo "    $invocation"
  echo "    Strata: ${R[strata.cmdline]}"
  [ "$cold_pass" = 1 ] && echo "    Strata, empty-cache pass: ${R[strata.cmdline_nocache]}"
  echo "    Prometheus: ${R[prometheus.cmdline]}"
  echo "    load (Strata): ${R[strata.load_cmd]}"
  echo "    query: ${query_cmd[*]}"
  [ "$check_ok" = no ] && { echo; echo "**Ingest check failed: the servers do not hold the expected data (exit $crc).**"; }
  [ "$qrc" = 0 ] || { echo; echo "**Query driver exit $qrc: an answer differs or a query failed (see above).**"; }
} | tee ${RESULTS_MD:+"$RESULTS_MD"}
[ "$check_ok" != no ] || exit 1
exit "$qrc"
