#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer targets of tests/fuzz/ with Clang under ASan+UBSan in
# build-fuzz/ (STRATA_FUZZ=ON) and runs each for FUZZ_SECONDS (default 60) on a scratch copy of
# its checked-in corpus (tests/fuzz/corpus/<target>/ is never written). Crashes, leaks and
# timeouts go to build-fuzz/crashes/<target>/, logs to build-fuzz/fuzz-logs/<target>.log.
# Exits 1 if any target found anything, 2 if the build failed.
# Environment: FUZZ_SECONDS, FUZZ_TARGETS (space-separated subset), FUZZ_BUILD_DIR, JOBS,
# FUZZ_ARGS (extra libFuzzer flags, e.g. "-jobs=2" or "-dict=...").
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
seconds=${FUZZ_SECONDS:-60}
jobs=${JOBS:-2}
all_targets="remote_write promql wal chunk api_params otlp cold_block warm rule_file template"
targets=${FUZZ_TARGETS:-$all_targets}
# Largest input per target: a little above what its decoder meets in practice.
declare -A max_len=(
  [remote_write]=65536 [promql]=2048 [wal]=131072 [chunk]=8192
  [api_params]=4096 [otlp]=65536 [cold_block]=65536 [warm]=4096 [rule_file]=16384
  [template]=4096
)

CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DSTRATA_FUZZ=ON -DSTRATA_BUILD_TESTS=OFF \
  -DSTRATA_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" \
  -DCMAKE_C_FLAGS_DEBUG="-g -O1" > /dev/null || exit 2
build_targets=()
for t in $targets; do build_targets+=("${t}_fuzz"); done
cmake --build "$build" -j "$jobs" --target "${build_targets[@]}" || exit 2

mkdir -p "$build/fuzz-logs"
found=0
summary=()
for t in $targets; do
  bin="$build/tests/fuzz/${t}_fuzz"
  work="$build/fuzz-work/$t"
  crashes="$build/crashes/$t"
  log="$build/fuzz-logs/$t.log"
  rm -rf "$work" "$crashes"
  mkdir -p "$work" "$crashes"
  cp "$root/tests/fuzz/corpus/$t/"* "$work/"
  echo "fuzz: $t for ${seconds}s (log: $log)"
  ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:allocator_may_return_null=1 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    nice -n 10 "$bin" -max_total_time="$seconds" -max_len="${max_len[$t]:-65536}" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$crashes/" ${FUZZ_ARGS:-} \
    "$work" > "$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  found_files=$(find "$crashes" -type f | wc -l)
  if [ $rc -ne 0 ] || [ "$found_files" -gt 0 ]; then
    found=1
    summary+=("$t: FOUND (exit $rc, $found_files file(s) in $crashes), ${execs:-?} executions")
    grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|fuzz property' \
      "$log" | sed 's/^/    /'
  else
    summary+=("$t: ok, ${execs:-?} executions in ${seconds}s")
  fi
done
echo "fuzz summary:"
printf '  %s\n' "${summary[@]}"
exit $found
