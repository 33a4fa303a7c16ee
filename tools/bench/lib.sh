# lib.sh: helpers shared by the end-to-end benchmark scripts (rw_bench.sh, query_bench.sh,
# tier_bench.sh, downsample_bench.sh): a temp dir that is removed on exit, private copies of the
# binaries, Strata and Prometheus started on 127.0.0.1 with a free port and waited for, stopped
# with a bounded wait, checked alive, their RSS and CPU read from /proc, their /metrics read, a
# wait until they are idle, and the query driver's ingest check.
# Source it, then call bench_init NAME. It uses root (the repository), STRATA_BIN and these
# variables of the caller (defaults here): PROMETHEUS_BIN, STRATA_FLAGS, PROMETHEUS_FLAGS,
# PROMETHEUS_RETENTION (empty: Prometheus' default), READY_TIMEOUT_S, STOP_TIMEOUT_S, SETTLE_S,
# IDLE_CPU_PCT, SETTLE_TIMEOUT_S, CHECK_TIMEOUT_S, KEEP_TMP.
# Servers run from "$tmp/bin/strata" (bench_binaries copies it there) and keep their data dir,
# log and command line under "$tmp/<server>/".
# shellcheck shell=bash disable=SC2034  # Sets variables for the caller (R, settle_s...).

PROMETHEUS_BIN=${PROMETHEUS_BIN:-/usr/bin/prometheus}
STRATA_FLAGS=${STRATA_FLAGS:-}
PROMETHEUS_FLAGS=${PROMETHEUS_FLAGS:-}
PROMETHEUS_RETENTION=${PROMETHEUS_RETENTION:-}
READY_TIMEOUT_S=${READY_TIMEOUT_S:-900}
STOP_TIMEOUT_S=${STOP_TIMEOUT_S:-60}
SETTLE_S=${SETTLE_S:-10}          # Idle wait after a load or restart, at least this long...
IDLE_CPU_PCT=${IDLE_CPU_PCT:-5}   # ...and until the server used < this % of a core for 5 s.
SETTLE_TIMEOUT_S=${SETTLE_TIMEOUT_S:-900}
CHECK_TIMEOUT_S=${CHECK_TIMEOUT_S:-600}  # Ingest check deadline.
KEEP_TMP=${KEEP_TMP:-0}           # 1: keep data dirs and logs (the path is printed).

bench_name=${bench_name:-$(basename "$0" .sh)}  # Prefix of messages; bench_init sets it.
die() { echo "$bench_name: $*" >&2; exit 1; }
log() { echo "$bench_name: $(date +%T) $*" >&2; }

# Makes the temp dir $tmp (removed on exit unless KEEP_TMP=1) and the arrays pid, port, sampler
# (per server) and R (results, R[server.key]); on exit kills every process started here.
bench_init() {
  bench_name=$1
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  declare -gA pid=() port=() sampler=() R=()
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}
# shellcheck disable=SC2317  # Invoked by the trap.
bench_cleanup() {
  local p
  for p in "${sampler[@]}" "${pid[@]}"; do
    if [ -n "$p" ] && kill -0 "$p" 2> /dev/null; then
      kill -KILL "$p" 2> /dev/null || true
      wait "$p" 2> /dev/null || true
    fi
  done
  if [ "$KEEP_TMP" = 1 ]; then log "kept $tmp"; else rm -rf "$tmp"; fi
}

# Copies Strata, and the driver $1 if given, to "$tmp/bin", so that a concurrent rebuild cannot
# swap a binary mid-run; sets driver (the copy), strata_version and prometheus_version.
bench_binaries() {
  mkdir -p "$tmp/bin"
  cp "$STRATA_BIN" "$tmp/bin/strata"
  # The OTLP/gRPC listener is a plugin loaded from next to the binary (src/otlp_grpc/).
  local plugin
  plugin="$(dirname "$STRATA_BIN")/libstrata_otlp_grpc.so"
  [ ! -f "$plugin" ] || cp "$plugin" "$tmp/bin/"
  if [ -n "${1:-}" ]; then
    cp "$1" "$tmp/bin/query_bench_driver"
    driver=$tmp/bin/query_bench_driver
  fi
  strata_version="$("$tmp/bin/strata" --version 2> /dev/null | head -1 || true)"
  strata_version+=" (source tree $(git -C "${root:-.}" describe --always --dirty 2> /dev/null || echo unknown);"
  strata_version+=" binary built $(date -u -r "$STRATA_BIN" +%FT%TZ 2> /dev/null || echo '?'))"
  prometheus_version=$("$PROMETHEUS_BIN" --version 2>&1 | head -1 || true)
}

now() { echo "$EPOCHREALTIME"; }
fsub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
proc_kib() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }  # VmRSS, VmHWM
mib() { awk -v k="$1" 'BEGIN { if (k == "") print "n/a"; else printf "%.0f", k / 1024 }'; }
proc_cpu_s() {  # utime + stime of process $1, seconds.
  local tck
  tck=$(getconf CLK_TCK)
  sed 's/.*) //' "/proc/$1/stat" | awk -v t="$tck" '{ printf "%.2f", ($12 + $13) / t }'
}
json_get() {  # $1 file, $2 key: from the first JSON line of tool $3 (query_bench) in it.
  grep "^{\"tool\":\"${3:-query_bench}\"" "$1" | head -1 | sed -E "s/.*\"$2\":(\"[^\"]*\"|[^,}]*).*/\1/" | tr -d '"'
}

# Value of the unlabelled metric $2 on server $1's /metrics ("" when absent).
metric() {
  local body
  body=$(curl -sf --max-time 30 "http://127.0.0.1:${port[$1]}/metrics") || return 0
  awk -v m="$2" '$1 == m && !done { print $2; done = 1 }' <<< "$body"
}
# Sum of every sample of metric $2, any labels, on server $1's /metrics ("" when absent).
metric_sum() {
  curl -sf --max-time 30 "http://127.0.0.1:${port[$1]}/metrics" |
    awk -v m="$2" '($1 == m || index($1, m "{") == 1) { s += $2; n++ } END { if (n) printf "%.0f", s }'
}

# Prometheus' persisted blocks: "bytes samples" summed over every block directory (a ULID with a
# meta.json), i.e. without its WAL and head chunks.
prometheus_blocks() {
  local d b=0 n=0 sz ns
  for d in "$1"/*/; do
    [ -f "$d/meta.json" ] || continue
    sz=$(du -sb "$d" | awk '{ print $1 }')
    ns=$(tr -d ' \n' < "$d/meta.json" | sed -E 's/.*"numSamples":([0-9]+).*/\1/')
    b=$((b + sz))
    n=$((n + ns))
  done
  echo "$b $n"
}

# A TCP port on 127.0.0.1 that no socket uses and no server of ours has, below the ephemeral
# range (where outgoing connections would take it from us); launch retries if we lose a race.
free_port() {
  local lo p used taken
  read -r lo _ < /proc/sys/net/ipv4/ip_local_port_range
  [ "$lo" -gt 11000 ] || lo=32768
  for _ in $(seq 200); do
    p=$((10000 + RANDOM % (lo - 10000)))
    taken=0
    for used in "${port[@]}"; do [ "$used" = "$p" ] && taken=1; done
    [ "$taken" = 1 ] && continue
    if command -v ss > /dev/null; then
      [ -z "$(ss -Htan "( sport = :$p )" 2> /dev/null)" ] && { echo "$p"; return; }
    elif ! (exec 3<> "/dev/tcp/127.0.0.1/$p") 2> /dev/null; then
      echo "$p"; return
    fi
  done
  die "no free port found"
}

# Starts server $1 (strata or prometheus) on its data dir "$tmp/$1/data" (fresh or not) on a
# free port and waits for /-/ready. Sets pid[$1], port[$1] and R[$1.ready_s] (process start to
# the first 200); the command line goes to "$tmp/$1/cmdline", the output to server.log.
launch() {
  local name=$1 dir="$tmp/$1" deadline p t0
  local -a cmd
  mkdir -p "$dir/data"
  [ "$name" != prometheus ] || [ -f "$dir/prometheus.yml" ] ||
    printf 'global:\n  scrape_interval: 15s\nscrape_configs: []\n' > "$dir/prometheus.yml"
  for _ in 1 2 3 4 5; do
    p=$(free_port)
    case $name in
      strata)
        # shellcheck disable=SC2206  # STRATA_FLAGS is a word list on purpose.
        cmd=("$tmp/bin/strata" serve --listen "127.0.0.1:$p" --data-dir "$dir/data" $STRATA_FLAGS) ;;
      prometheus)
        cmd=("$PROMETHEUS_BIN" --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data")
        [ -z "$PROMETHEUS_RETENTION" ] ||
          cmd+=(--storage.tsdb.retention.time="$PROMETHEUS_RETENTION")
        # shellcheck disable=SC2206
        cmd+=(--web.listen-address="127.0.0.1:$p" --web.enable-remote-write-receiver
              $PROMETHEUS_FLAGS) ;;
      *) die "launch: unknown server $name" ;;
    esac
    echo "${cmd[*]}" > "$dir/cmdline"
    t0=$(now)
    "${cmd[@]}" >> "$dir/server.log" 2>&1 &
    pid[$name]=$!
    port[$name]=$p
    deadline=$(($(date +%s) + READY_TIMEOUT_S))
    while :; do
      if curl -sf --max-time 2 -o /dev/null "http://127.0.0.1:$p/-/ready"; then
        R[$name.ready_s]=$(fsub "$(now)" "$t0")
        return 0
      fi
      kill -0 "${pid[$name]}" 2> /dev/null || break
      [ "$(date +%s)" -lt "$deadline" ] || die "$name not ready after ${READY_TIMEOUT_S}s"
      sleep 0.02
    done
    wait "${pid[$name]}" 2> /dev/null || true
    pid[$name]=""
    if tail -5 "$dir/server.log" | grep -qi 'address already in use'; then
      log "$name: port $p was taken; trying another"
      continue
    fi
    tail -20 "$dir/server.log" >&2
    die "$name exited before it was ready (log: $dir/server.log)"
  done
  die "$name: no usable port in 5 attempts"
}

stop() {  # $1 server, $2 signal (TERM, KILL); SIGKILL after STOP_TIMEOUT_S.
  local name=$1 p=${pid[$1]:-} deadline
  [ -n "$p" ] || return 0
  deadline=$(($(date +%s) + STOP_TIMEOUT_S))
  kill "-$2" "$p" 2> /dev/null || true
  while kill -0 "$p" 2> /dev/null; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "$name (pid $p) still alive ${STOP_TIMEOUT_S}s after SIG$2; SIGKILL"
      kill -KILL "$p" 2> /dev/null || true
    fi
    sleep 0.05
  done
  wait "$p" 2> /dev/null || true
  pid[$name]=""
}

alive() {  # Dies, with the log's tail, unless every server in $@ runs.
  local s
  for s in "$@"; do
    if [ -z "${pid[$s]:-}" ] || ! kill -0 "${pid[$s]}" 2> /dev/null; then
      tail -20 "$tmp/$s/server.log" >&2
      die "$s died (log: $tmp/$s/server.log)"
    fi
  done
}

# Samples server $1's VmRSS (KiB) once a second into file $2 ("unix_s kib" lines) until
# stop_sampler or until the server exits.
start_sampler() {
  local target=${pid[$1]} out=$2
  (
    for _ in $(seq 400000); do  # Bounded: about 4.6 days.
      v=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$target/status" 2> /dev/null) || break
      [ -n "$v" ] || break
      echo "$(date +%s) $v" >> "$out"
      sleep 1
    done
  ) &
  sampler[$1]=$!
}
stop_sampler() {
  local p=${sampler[$1]:-}
  [ -n "$p" ] || return 0
  kill "$p" 2> /dev/null || true
  wait "$p" 2> /dev/null || true
  sampler[$1]=""
}
file_max() { awk 'BEGIN { m = 0 } $2 > m { m = $2 } END { print m }' "$1" 2> /dev/null || echo 0; }

# Waits at least SETTLE_S and until every server in $@ used less than IDLE_CPU_PCT % of a core
# over the last 5 s (at most SETTLE_TIMEOUT_S). Sets settle_s and settle_idle (1 or 0).
settle() {
  local t0 deadline s c1 busy
  local -A c0=()
  t0=$(date +%s)
  deadline=$((t0 + SETTLE_TIMEOUT_S))
  while :; do
    alive "$@"
    for s in "$@"; do c0[$s]=$(proc_cpu_s "${pid[$s]}"); done
    sleep 5
    alive "$@"
    busy=0
    for s in "$@"; do
      c1=$(proc_cpu_s "${pid[$s]}")
      awk -v a="$c1" -v b="${c0[$s]}" -v p="$IDLE_CPU_PCT" 'BEGIN { exit !((a - b) / 5 * 100 >= p) }' &&
        busy=1
    done
    if [ "$busy" = 0 ] && [ $(($(date +%s) - t0)) -ge "$SETTLE_S" ]; then
      settle_idle=1
      break
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "$* still busy after ${SETTLE_TIMEOUT_S}s; going on"
      settle_idle=0
      break
    fi
  done
  settle_s=$(($(date +%s) - t0))
}

# The driver's ingest check, run apart from the timed queries: both servers must hold $1 series
# and $2 non-stale samples (first at $3, last at $4 ms), counted with PromQL; $5...: the driver's
# query command (URLs, range, step, tolerance, Strata's parameters). Waits for both servers to
# settle afterwards. Sets check_ok (yes or no) and crc (the driver's exit status); the report is
# in "$tmp/check.err". Uses CHECK_TIMEOUT_S.
ingest_check() {
  local series=$1 samples=$2 first_ms=$3 last_ms=$4
  shift 4
  echo 'count by (job) (up)' > "$tmp/check_query.txt"
  local -a cmd=("$@" --runs 1 --warmup 0 --pause-ms 0 --queries-file "$tmp/check_query.txt"
                --expect-series "$series" --expect-samples "$samples" --data-first-ms "$first_ms"
                --data-last-ms "$last_ms" --check-timeout-s "$CHECK_TIMEOUT_S")
  log "ingest check: ${cmd[*]}"
  crc=0
  timeout --kill-after=10 $((CHECK_TIMEOUT_S + 1800)) "${cmd[@]}" > "$tmp/check.out" 2> "$tmp/check.err" || crc=$?
  sed 's/^/    /' "$tmp/check.err" >&2
  alive strata prometheus
  check_ok=yes
  [ "$crc" = 0 ] || check_ok=no
  settle strata prometheus
}
