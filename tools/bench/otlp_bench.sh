#!/usr/bin/env bash
# otlp_bench.sh: the node_exporter-like load of rw_loadgen sent to Strata as Prometheus remote
# write, as OTLP/HTTP protobuf (gzip and uncompressed) and as OTLP/gRPC (gzip), the same series
# and samples each time: datapoints/s and server CPU per datapoint (utime+stime of the server
# process from /proc/<pid>/stat over the load). Each run gets a fresh server and data dir on
# 127.0.0.1; RUNS rounds go through the protocols in turn and the table shows medians. Prints a
# Markdown table; the aim is OTLP/HTTP at most 1.5x the CPU per datapoint of remote write.
# Parameters are environment variables (defaults below); e.g. SERIES=50000 tools/bench/otlp_bench.sh
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SERIES=${SERIES:-20000}
SAMPLES=${SAMPLES:-60}
BATCH=${BATCH:-2000}
SENDERS=${SENDERS:-2}
INTERVAL_MS=${INTERVAL_MS:-15000}
SEED=${SEED:-1}
RUNS=${RUNS:-3}
PROTOCOLS=${PROTOCOLS:-remote-write otlp-http otlp-http-nocompress otlp-grpc}
STRATA_BIN=${STRATA_BIN:-$root/build/strata}
LOADGEN_BIN=${LOADGEN_BIN:-$root/build/rw_loadgen}
STRATA_FLAGS=${STRATA_FLAGS:-}
READY_TIMEOUT_S=${READY_TIMEOUT_S:-120}
KEEP_TMP=${KEEP_TMP:-0}
RESULTS_MD=${RESULTS_MD:-}
read -r -a protocols <<< "$PROTOCOLS"

die() { echo "otlp_bench: $*" >&2; exit 1; }
log() { echo "otlp_bench: $*" >&2; }
for bin in "$STRATA_BIN" "$LOADGEN_BIN"; do [ -x "$bin" ] || die "missing $bin (build it first)"; done
command -v curl > /dev/null || die "missing curl"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/otlp_bench.XXXXXX")
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2> /dev/null; then
    kill -KILL "$server_pid" 2> /dev/null || true
    wait "$server_pid" 2> /dev/null || true
  fi
  if [ "$KEEP_TMP" = 1 ]; then log "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  local lo p
  read -r lo _ < /proc/sys/net/ipv4/ip_local_port_range
  [ "$lo" -gt 11000 ] || lo=32768
  for _ in $(seq 200); do
    p=$((10000 + RANDOM % (lo - 10000)))
    if [ -z "$(ss -Htan "( sport = :$p )" 2> /dev/null)" ]; then echo "$p"; return; fi
  done
  die "no free port found"
}
# utime + stime of a process, in clock ticks.
proc_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
json_get() { grep '^{"tool":"rw_loadgen"' "$1" | sed -E "s/.*\"$2\":(\"[^\"]*\"|[^,}]*).*/\1/" | tr -d '"'; }
metric() { curl -sf --max-time 10 "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m { print $2 }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }

tck=$(getconf CLK_TCK)
start_ms=$(($(date +%s%3N) - SAMPLES * INTERVAL_MS))
declare -A rate cpu_us wire_b p99

run_one() {  # $1 protocol, $2 run number
  local proto=$1 run=$2 dir="$tmp/$1-$2" port gport url lg_proto compression
  mkdir -p "$dir"
  port=$(free_port)
  gport=$(free_port)
  # shellcheck disable=SC2206
  local cmd=("$STRATA_BIN" serve --listen "127.0.0.1:$port" --data-dir "$dir/data"
             --otlp.grpc-listen "127.0.0.1:$gport" $STRATA_FLAGS)
  "${cmd[@]}" > "$dir/server.log" 2>&1 &
  server_pid=$!
  local deadline=$(($(date +%s) + READY_TIMEOUT_S))
  until curl -sf -o /dev/null "http://127.0.0.1:$port/-/ready"; do
    kill -0 "$server_pid" 2> /dev/null || { tail "$dir/server.log" >&2; die "server died"; }
    [ "$(date +%s)" -lt "$deadline" ] || die "server not ready"
    sleep 0.05
  done
  compression=gzip
  case $proto in
    remote-write) lg_proto=remote-write; url="http://127.0.0.1:$port/api/v1/write" ;;
    otlp-http) lg_proto=otlp-http; url="http://127.0.0.1:$port/v1/metrics" ;;
    otlp-http-nocompress) lg_proto=otlp-http; compression=none; url="http://127.0.0.1:$port/v1/metrics" ;;
    otlp-grpc) lg_proto=otlp-grpc; url="http://127.0.0.1:$gport" ;;
    *) die "unknown protocol $proto" ;;
  esac
  local before after
  before=$(proc_ticks "$server_pid")
  "$LOADGEN_BIN" --protocol "$lg_proto" --otlp-compression "$compression" --url "$url" \
    --series "$SERIES" --samples-per-series "$SAMPLES" --batch-size "$BATCH" --senders "$SENDERS" \
    --interval-ms "$INTERVAL_MS" --start-ms "$start_ms" --seed "$SEED" > "$dir/loadgen.out" 2>&1 ||
    { cat "$dir/loadgen.out" >&2; die "$proto: not every datapoint was acknowledged"; }
  after=$(proc_ticks "$server_pid")
  local samples elapsed appended
  samples=$(json_get "$dir/loadgen.out" samples_ok)
  elapsed=$(json_get "$dir/loadgen.out" elapsed_s)
  appended=$(metric "$port" strata_head_samples_appended_total)
  [ "$(printf '%.0f' "$appended")" = "$samples" ] ||
    die "$proto: the head holds $appended samples, $samples were sent"
  rate[$proto.$run]=$(awk -v n="$samples" -v e="$elapsed" 'BEGIN { printf "%.0f", n / e }')
  cpu_us[$proto.$run]=$(awk -v a="$after" -v b="$before" -v t="$tck" -v n="$samples" \
    'BEGIN { printf "%.3f", (a - b) / t * 1e6 / n }')
  wire_b[$proto.$run]=$(awk -v b="$(json_get "$dir/loadgen.out" snappy_bytes_sent)" -v n="$samples" \
    'BEGIN { printf "%.1f", b / n }')
  p99[$proto.$run]=$(json_get "$dir/loadgen.out" latency_ms_p99)
  kill -TERM "$server_pid"; wait "$server_pid" 2> /dev/null || true
  server_pid=""
  log "$proto run $run: ${rate[$proto.$run]} datapoints/s, ${cpu_us[$proto.$run]} us CPU/datapoint"
}

for run in $(seq "$RUNS"); do
  for proto in "${protocols[@]}"; do run_one "$proto" "$run"; done
done

col() {  # median of array $1 for protocol $2
  local -n arr=$1
  local vals=()
  for run in $(seq "$RUNS"); do vals+=("${arr[$2.$run]}"); done
  median "${vals[@]}"
}
base_cpu=$(col cpu_us "${protocols[0]}")
{
  echo "| protocol | datapoints/s | server CPU us/datapoint | CPU vs ${protocols[0]} | bytes sent/datapoint | p99 request ms |"
  echo "|---|---:|---:|---:|---:|---:|"
  for proto in "${protocols[@]}"; do
    c=$(col cpu_us "$proto")
    printf '| %s | %s | %s | %s | %s | %s |\n' "$proto" "$(col rate "$proto")" "$c" \
      "$(awk -v a="$c" -v b="$base_cpu" 'BEGIN { printf "%.2f", a / b }')" \
      "$(col wire_b "$proto")" "$(col p99 "$proto")"
  done
  echo
  echo "SERIES=$SERIES SAMPLES=$SAMPLES BATCH=$BATCH SENDERS=$SENDERS RUNS=$RUNS (medians); load $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
} | tee "${RESULTS_MD:-/dev/null}"
