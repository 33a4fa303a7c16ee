#!/usr/bin/env bash
# Backfill benchmark: remote-writes 10 days of 1,000 series at 60 s (14.4M samples, in time order,
# 2 paced shards) into a fresh `strata serve`, then times how long the compactor takes to drain
# the head (its min time within 4 h of its max) after the load ends.
# usage: tools/bench/backfill_drain.sh STRATA_BINARY LABEL   (rw_loadgen from build/)
set -euo pipefail
bin=$1; label=$2
d=$(mktemp -d); port=$((20000 + RANDOM % 10000))
$bin serve --listen 127.0.0.1:$port --data-dir $d/data --storage.retention=30d > $d/log 2>&1 &
pid=$!
for i in $(seq 100); do curl -sf http://127.0.0.1:$port/-/ready >/dev/null && break; sleep 0.1; done
now=$(($(date +%s) * 1000))
t0=$(date +%s.%N)
"$(dirname "$0")/../../build/rw_loadgen" --url http://127.0.0.1:$port/api/v1/write --series 1000 --samples-per-series 14400 --interval-ms 60000 --start-ms $((now - 14400 * 60000)) > $d/lg 2>&1
t1=$(date +%s.%N)
# Drained: head min time within 4 h of its max.
while true; do
  m=$(curl -s http://127.0.0.1:$port/metrics)
  lo=$(echo "$m" | awk '/^strata_head_min_time_seconds /{print $2}')
  hi=$(echo "$m" | awk '/^strata_head_max_time_seconds /{print $2}')
  if awk -v lo="$lo" -v hi="$hi" 'BEGIN{exit !(hi - lo < 4*3600)}'; then break; fi
  sleep 0.5
done
t2=$(date +%s.%N)
moves=$(curl -s http://127.0.0.1:$port/metrics | awk '/^strata_compactions_total /{print $2}')
kill $pid; wait $pid || true
grep -h "^responses" $d/lg; echo "$label ingest_s=$(echo "$t1 - $t0" | bc) drain_after_ingest_s=$(echo "$t2 - $t1" | bc) total_s=$(echo "$t2 - $t0" | bc) moves=$moves"
rm -rf $d
