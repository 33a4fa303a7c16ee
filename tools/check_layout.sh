#!/usr/bin/env bash
# Enforces the module rules of shared/STYLE.md: other modules include only a module's top-level
# headers ("storage/x.h", never "storage/wal/x.h"), and includes point down the dependency map.
set -uo pipefail
root="${1:-.}"
cd "$root" || exit 2
fail=0

# Allowed dependencies: module -> modules it may include (itself implied).
declare -A allowed=(
  [base]=""
  [model]="base"
  [storage]="model base"
  [compaction]="storage model base"
  [ingest]="storage model base"
  [query]="storage model base"
  [rules]="query ingest storage model base"
  [server]="otlp_grpc ingest query rules compaction storage model base"
  [otlp_grpc]=""  # A plugin (dlopen): it may use no other module.
)

for dir in src/*/; do
  mod=$(basename "$dir")
  while IFS= read -r line; do
    file=${line%%:*}
    inc=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"${line#*:}")
    target=${inc%%/*}
    [ "$target" = "$inc" ] && continue          # same-folder include without a module prefix
    [ -d "src/$target" ] || continue             # generated or third-party
    if [ "$target" != "$mod" ]; then
      rest=${inc#*/}
      if [[ "$rest" == */* ]]; then
        echo "layout: $file includes private header $inc of module $target"; fail=1
      fi
      if [[ " ${allowed[$mod]:-} " != *" $target "* ]]; then
        echo "layout: $file ($mod) may not include $inc ($target)"; fail=1
      fi
    fi
  done < <(grep -rn '#include "' "$dir" | sed -E 's/^([^:]+):[0-9]+:/\1:/')
done

# Tests and tools may include anything public, but never another module's private subfolder.
while IFS= read -r line; do
  file=${line%%:*}
  inc=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"${line#*:}")
  target=${inc%%/*}
  [ -d "src/$target" ] || continue
  rest=${inc#*/}
  test_mod=$(cut -d/ -f2 <<<"$file")
  # tests/objstore holds storage's object-store tests that start s3rver (their own binary).
  [ "$test_mod" = objstore ] && test_mod=storage
  # tests/fuzz feeds outside bytes straight to storage's private decoders (cold block format and
  # reader, WAL segment reader, head WAL records, warm keys and postings): only those folders.
  [[ "$test_mod" = fuzz && "$inc" =~ ^storage/(block|wal|head|warm)/ ]] && continue
  if [[ "$rest" == */* && "$file" == tools/* ]]; then
    echo "layout: $file includes private header $inc"; fail=1
  fi
  if [[ "$rest" == */* && "$file" == tests/* && "$test_mod" != "$target" ]]; then
    echo "layout: $file includes private header $inc of module $target"; fail=1
  fi
done < <(grep -rn '#include "' tests tools bench 2>/dev/null | sed -E 's/^([^:]+):[0-9]+:/\1:/')

if [ $fail -eq 0 ]; then echo "layout: ok"; fi
exit $fail
