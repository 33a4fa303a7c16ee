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

die() { echo "rw_bench: $*" >&2; exit 1; }
log() { echo "rw_bench: $*" >&2; }

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

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rw_bench.XXXXXX")
server_pid="" port="" start_ts="" ready_s="" ready_cpu_s=""
load_start=$(cut -d" " -f1-3 /proc/loadavg)
git_rev=$(git -C "$root" describe --always --dirty 2> /dev/null || echo unknown)
strata_version="$("$STRATA_BIN" --version 2> /dev/null | head -1 || true) (source tree $git_rev;"
strata_version+=" binary built $(date -u -r "$STRATA_BIN" +%FT%TZ 2> /dev/null || echo '?'))"
prometheus_version=$("$PROMETHEUS_BIN" --version 2>&1 | head -1 || true)
# shellcheck disable=SC2317  # Invoked by the trap.
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2> /dev/null; then
    kill -KILL "$server_pid" 2> /dev/null || true
    wait "$server_pid" 2> /dev/null || true
  fi
  if [ "$KEEP_TMP" = 1 ]; then log "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { echo "$EPOCHREALTIME"; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
fsub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }

# A TCP port on 127.0.0.1 that no socket uses, below the ephemeral range (where outgoing
# connections would take it from us). launch() retries if we still lose a race for it.
free_port() {
  local lo p
  read -r lo _ < /proc/sys/net/ipv4/ip_local_port_range
  [ "$lo" -gt 11000 ] || lo=32768
  for _ in $(seq 200); do
    p=$((10000 + RANDOM % (lo - 10000)))
    if command -v ss > /dev/null; then
      [ -z "$(ss -Htan "( sport = :$p )" 2> /dev/null)" ] && { echo "$p"; return; }
    elif ! (exec 3<> "/dev/tcp/127.0.0.1/$p") 2> /dev/null; then
      echo "$p"; return
    fi
  done
  die "no free port found"
}

# Field of /proc/PID/status in bytes (VmRSS, VmHWM).
proc_kib_field() { awk -v f="$2:" '$1 == f { print $2 * 1024 }' "/proc/$1/status"; }
# utime + stime of a process, in seconds.
proc_cpu_s() {
  local tck
  tck=$(getconf CLK_TCK)
  sed 's/.*) //' "/proc/$1/stat" | awk -v t="$tck" '{ printf "%.2f", ($12 + $13) / t }'
}
# Value of an unlabelled sample in a /metrics exposition.
metric() { curl -sf --max-time 10 "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m && !seen { print $2; seen = 1 }'; }
# Samples the server holds for the workload, counted with PromQL: one instant query per metric
# name, sum(count_over_time(name{job="node"}[range])) (count_over_time drops __name__, so one
# query over all names would collide). Prints n/a on any failure.
count_samples() {
  local port=$1 t r names total=0 name v
  t=$(((start_ms + SAMPLES * INTERVAL_MS) / 1000 + 1))
  r=$((((SAMPLES + 1) * INTERVAL_MS + 999) / 1000 + 1))
  names=$(curl -sf --max-time 60 "http://127.0.0.1:$port/api/v1/label/__name__/values" |
            grep -o '"node_[A-Za-z0-9_]*"' | tr -d '"') || { echo n/a; return; }
  for name in $names; do
    v=$(curl -sf --max-time 300 "http://127.0.0.1:$port/api/v1/query" \
          --data-urlencode "query=sum(count_over_time($name{job=\"node\"}[${r}s]))" \
          --data-urlencode "time=$t" | grep -o '"value":\[[^]]*\]' |
          sed -E 's/.*,"([^"]*)"\]/\1/') || { echo n/a; return; }
    [ -n "$v" ] || { echo n/a; return; }
    total=$(awk -v a="$total" -v b="$v" 'BEGIN { printf "%.0f", a + b }')
  done
  echo "$total"
}
# Value of "key": in the loadgen's JSON line.
json_get() { grep '^{"tool":"rw_loadgen"' "$1" | sed -E "s/.*\"$2\":(\"[^\"]*\"|[^,}]*).*/\1/" | tr -d '"'; }

# Starts server $1 on data dir $2 and port $3, logging to $4; sets server_pid and start_ts.
start_server() {
  local name=$1 dir=$2 port=$3 logf=$4
  local -a cmd
  case $name in
    strata)
      # shellcheck disable=SC2206  # STRATA_FLAGS is a word list on purpose.
      cmd=("$STRATA_BIN" serve --listen "127.0.0.1:$port" --data-dir "$dir/data" $STRATA_FLAGS) ;;
    prometheus)
      # shellcheck disable=SC2206
      cmd=("$PROMETHEUS_BIN" --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data"
           --web.listen-address="127.0.0.1:$port" --web.enable-remote-write-receiver
           $PROMETHEUS_FLAGS) ;;
  esac
  echo "${cmd[*]}" > "$dir/cmdline"
  start_ts=$(now)
  "${cmd[@]}" >> "$logf" 2>&1 &
  server_pid=$!
}

# Polls /-/ready until 200 and sets ready_s = seconds since start_ts. Returns 1 if the server
# exits first; dies after READY_TIMEOUT_S.
wait_ready() {
  local port=$1 deadline
  deadline=$(($(date +%s) + READY_TIMEOUT_S))
  while :; do
    if curl -sf --max-time 2 -o /dev/null "http://127.0.0.1:$port/-/ready"; then
      ready_s=$(fsub "$(now)" "$start_ts")
      return 0
    fi
    kill -0 "$server_pid" 2> /dev/null || return 1
    [ "$(date +%s)" -lt "$deadline" ] || die "server not ready after ${READY_TIMEOUT_S}s"
    sleep 0.02
  done
}

# Starts server $1 (bench dir $2, log $3) on a free port and waits until it is ready. Sets
# server_pid, port, start_ts, ready_s and ready_cpu_s (CPU time the process used until then). Tries another port if the chosen one was taken.
launch() {
  local name=$1 dir=$2 logf=$3
  for _ in 1 2 3 4 5; do
    port=$(free_port)
    start_server "$name" "$dir" "$port" "$logf"
    if wait_ready "$port"; then
      ready_cpu_s=$(proc_cpu_s "$server_pid")
      return 0
    fi
    wait "$server_pid" 2> /dev/null || true
    server_pid=""
    if tail -5 "$logf" | grep -qi 'address already in use'; then
      log "$name: port $port was taken; trying another"
      continue
    fi
    tail -20 "$logf" >&2
    die "$name exited before it was ready (log: $logf)"
  done
  die "$name: no usable port in 5 attempts"
}

stop_server() {  # $1: signal
  local deadline=$(($(date +%s) + STOP_TIMEOUT_S))
  kill "-$1" "$server_pid" 2> /dev/null || true
  while kill -0 "$server_pid" 2> /dev/null; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "pid $server_pid still alive ${STOP_TIMEOUT_S}s after SIG$1; SIGKILL"
      kill -KILL "$server_pid" 2> /dev/null || true
    fi
    sleep 0.05
  done
  wait "$server_pid" 2> /dev/null || true
  server_pid=""
}

start_ms=$(($(date +%s%3N) - SAMPLES * INTERVAL_MS))
loadgen_args=(--series "$SERIES" --samples-per-series "$SAMPLES" --batch-size "$BATCH"
              --senders "$SENDERS" --interval-ms "$INTERVAL_MS" --start-ms "$start_ms"
              --seed "$SEED")
declare -A R  # R[server.key] = value

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
  launch "$name" "$dir" "$logf"
  R[$name.cmdline]=$(cat "$dir/cmdline")
  R[$name.start_s]=$ready_s
  R[$name.baseline_rss]=$(proc_kib_field "$server_pid" VmRSS)
  local cpu0
  cpu0=$(proc_cpu_s "$server_pid")

  local url="http://127.0.0.1:$port/api/v1/write" out="$dir/loadgen.out" rc=0
  R[$name.loadgen_cmd]="$LOADGEN_BIN --url $url ${loadgen_args[*]}"
  log "$name: loading: ${R[$name.loadgen_cmd]}"
  "$LOADGEN_BIN" --url "$url" "${loadgen_args[@]}" > "$out" 2>&1 || rc=$?
  sed 's/^/    /' "$out" >&2
  R[$name.loadgen_rc]=$rc
  grep -q '^{"tool":"rw_loadgen"' "$out" || die "$name: loadgen produced no result (rc=$rc)"
  for k in samples_per_s elapsed_s samples_ok samples latency_ms_p50 latency_ms_p99 \
           non_2xx_responses retries failed_requests connection_errors first_error; do
    R[$name.$k]=$(json_get "$out" "$k")
  done
  if ! kill -0 "$server_pid" 2> /dev/null; then
    tail -20 "$logf" >&2
    die "$name died during the load (log: $logf)"
  fi
  R[$name.cpu_s]=$(fsub "$(proc_cpu_s "$server_pid")" "$cpu0")
  R[$name.peak_rss]=$(proc_kib_field "$server_pid" VmHWM)
  R[$name.rss_after]=$(proc_kib_field "$server_pid" VmRSS)
  R[$name.series]=$(metric "$port" "$series_metric")
  R[$name.disk]=$(du -sb "$dir/data" | awk '{ print $1 }')
  if [ "$VERIFY" = 1 ]; then R[$name.stored]=$(count_samples "$port"); fi

  local i times=() metrics=() cpus=()
  for ((i = 1; i <= REPLAY_RUNS; i++)); do
    log "$name: SIGKILL and restart on the same data dir ($i/$REPLAY_RUNS)"
    stop_server KILL 2> /dev/null  # Hides bash's "Killed" job notice.
    echo "---- restart $i after SIGKILL ----" >> "$logf"
    launch "$name" "$dir" "$logf"
    times+=("$ready_s")
    cpus+=("$ready_cpu_s")
    metrics+=("$(metric "$port" "$replay_metric")")
  done
  R[$name.replay_all]="${times[*]}"
  R[$name.replay_metric_all]="${metrics[*]}"
  R[$name.replay_s]=$(median "${times[@]}")
  R[$name.replay_metric]=$(median "${metrics[@]}")
  R[$name.replay_cpu_all]="${cpus[*]}"
  R[$name.replay_cpu]=$(median "${cpus[@]}")
  R[$name.restart_rss]=$(proc_kib_field "$server_pid" VmRSS)
  R[$name.restart_hwm]=$(proc_kib_field "$server_pid" VmHWM)
  R[$name.series_after]=$(metric "$port" "$series_metric")
  if [ "$VERIFY" = 1 ]; then R[$name.stored_after]=$(count_samples "$port"); fi
  stop_server TERM
  log "$name: done"
}

for s in "${servers[@]}"; do run_one "$s"; done

# ---- Report ----
mib() { awk -v b="$1" 'BEGIN { if (b == "") print "n/a"; else printf "%.1f", b / 1048576 }'; }
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
