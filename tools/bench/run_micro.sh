#!/usr/bin/env bash
# run_micro.sh BUILD_DIR: runs every Google Benchmark binary BUILD_DIR/*_bench with
# --benchmark_min_time=0.2, then the end-to-end comparisons with Prometheus (rw_bench.sh,
# query_bench.sh, tier_bench.sh, downsample_bench.sh) and of OTLP with remote write
# (otlp_bench.sh), with the binaries
# of BUILD_DIR. `make bench` calls it with `build`. Exit status: non-zero if any step failed
# (every step still runs).
# Environment: BENCH_ARGS (extra Google Benchmark flags, e.g. --benchmark_filter=Encode),
# SKIP_E2E=1 (micro-benchmarks only), SKIP_TIER=1 (no 7-day tier benchmark), SKIP_DOWNSAMPLE=1
# (no 30-day downsampling benchmark), and everything rw_bench.sh reads (SERIES, SAMPLES, ...).
set -euo pipefail

build_dir=${1:?usage: run_micro.sh BUILD_DIR}
build_dir=$(cd "$build_dir" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
read -r -a extra <<< "${BENCH_ARGS:-}"
failed=()

mapfile -t benches < <(find "$build_dir" -maxdepth 1 -type f -name '*_bench' -perm -u+x | sort)
if [ "${#benches[@]}" -eq 0 ]; then
  echo "run_micro: no *_bench binaries in $build_dir" >&2
fi
# Only Google Benchmark binaries: other *_bench tools (end-to-end drivers) take other flags.
is_gbench() {
  grep -qa 'benchmark_min_time' "$1" || ldd "$1" 2> /dev/null | grep -q 'libbenchmark'
}
for b in "${benches[@]}"; do
  if ! is_gbench "$b"; then
    echo "run_micro: skipping $(basename "$b"): not a Google Benchmark binary" >&2
    continue
  fi
  echo "==== $(basename "$b") ===="
  "$b" --benchmark_min_time=0.2 "${extra[@]}" || failed+=("$(basename "$b")")
done

if [ "${SKIP_E2E:-0}" != 1 ]; then
  echo "==== rw_bench.sh (Strata vs Prometheus, remote write) ===="
  STRATA_BIN=${STRATA_BIN:-$build_dir/strata} LOADGEN_BIN=${LOADGEN_BIN:-$build_dir/rw_loadgen} \
    "$here/rw_bench.sh" || failed+=(rw_bench.sh)
  echo "==== otlp_bench.sh (remote write vs OTLP/HTTP vs OTLP/gRPC, server CPU per datapoint) ===="
  STRATA_BIN=${STRATA_BIN:-$build_dir/strata} LOADGEN_BIN=${LOADGEN_BIN:-$build_dir/rw_loadgen} \
    SERIES=${OTLP_SERIES:-20000} SAMPLES=${OTLP_SAMPLES:-60} "$here/otlp_bench.sh" ||
    failed+=(otlp_bench.sh)
  echo "==== query_bench.sh (Strata vs Prometheus, PromQL query_range) ===="
  # REBOOT_EVERY=0: no counter resets after gaps, where Prometheus 2.42's rate() extrapolation
  # order differs from 2.53's (which Strata follows); see tools/bench/QUERY_BENCH.md.
  REBOOT_EVERY=${REBOOT_EVERY:-0} STRATA_BIN=${STRATA_BIN:-$build_dir/strata} \
    QUERY_BENCH_BIN=${QUERY_BENCH_BIN:-$build_dir/query_bench_driver} \
    "$here/query_bench.sh" || failed+=(query_bench.sh)
  if [ "${SKIP_TIER:-0}" != 1 ]; then
    echo "==== tier_bench.sh (Strata vs Prometheus, 7 days through the head, warm and cold tiers) ===="
    # About 15 minutes on 2 cores. TIER_SERIES / TIER_HOURS override the workload.
    SERIES=${TIER_SERIES:-5000} HOURS=${TIER_HOURS:-168} REBOOT_EVERY=${REBOOT_EVERY:-0} \
      STRATA_BIN=${STRATA_BIN:-$build_dir/strata} \
      DRIVER_BIN=${QUERY_BENCH_BIN:-$build_dir/query_bench_driver} \
      "$here/tier_bench.sh" || failed+=(tier_bench.sh)
  fi
  if [ "${SKIP_DOWNSAMPLE:-0}" != 1 ]; then
    echo "==== downsample_bench.sh (30 days: max_source_resolution=raw vs auto vs Prometheus) ===="
    # DS_SERIES / DS_DAYS override the workload (1,000 series x 30 days).
    SERIES=${DS_SERIES:-1000} DAYS=${DS_DAYS:-30} STRATA_BIN=${STRATA_BIN:-$build_dir/strata} \
      DRIVER_BIN=${QUERY_BENCH_BIN:-$build_dir/query_bench_driver} \
      "$here/downsample_bench.sh" || failed+=(downsample_bench.sh)
  fi
fi

if [ "${#failed[@]}" -gt 0 ]; then
  echo "run_micro: failed: ${failed[*]}" >&2
  exit 1
fi
