#!/usr/bin/env bash
# Clang thread-safety analysis over every translation unit of src/, tools/, tests/ and bench/:
# configures a Clang build dir (default build-tsa/), generates only the protobuf/gRPC headers,
# then runs `clang++ -fsyntax-only -Wthread-safety -Werror` on each entry of its
# compile_commands.json (JOBS in parallel, default 2). Exits non-zero on any diagnostic.
# Usage: tools/check_thread_safety.sh [build-dir]      (`make tsa`; self-test: --self-test)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cxx="${CLANGXX:-clang++}"

# --self-test: the check must reject an unguarded access and accept the locked one, so a
# silently disabled analysis (wrong compiler, macro defined away) cannot pass for a clean tree.
if [ "${1:-}" = "--self-test" ]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  cat > "$tmp/snippet.cc" <<'EOF'
#include "base/mutex.h"
class Counter {
 public:
  void Good() { strata::MutexLock l(&mu_); ++n_; }
#ifdef STRATA_TSA_BAD
  void Bad() { ++n_; }
#endif
 private:
  strata::Mutex mu_;
  int n_ STRATA_GUARDED_BY(mu_) = 0;
};
int main() { Counter c; c.Good(); }
EOF
  flags=(-std=c++20 -fsyntax-only -Wthread-safety -Werror -I "$root/src")
  "$cxx" "${flags[@]}" "$tmp/snippet.cc" || { echo "self-test: clean snippet rejected" >&2; exit 1; }
  if "$cxx" "${flags[@]}" -DSTRATA_TSA_BAD "$tmp/snippet.cc" 2> "$tmp/err"; then
    echo "self-test: unguarded access was not diagnosed" >&2; exit 1
  fi
  if ! grep -q "requires holding mutex 'mu_'" "$tmp/err"; then
    echo "self-test: unexpected diagnostic:" >&2; cat "$tmp/err" >&2; exit 1
  fi
  echo "self-test: ok (unguarded access diagnosed)"
  exit 0
fi

build="$(realpath -m "${1:-$root/build-tsa}")"  # Absolute: clang runs in each entry's directory.
jobs="${JOBS:-2}"
start=$(date +%s)
# Debug, so that debug-only code (AssertHeld's owner tracking, DCHECKs) is analysed too.
CC="${CLANG:-clang}" CXX="$cxx" cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DSTRATA_BUILD_TESTS=ON -DSTRATA_BUILD_BENCH=ON > /dev/null
cmake --build "$build" --target strata_generated -j "$jobs" > /dev/null

python3 - "$root" "$build" "$jobs" <<'EOF'
import collections, concurrent.futures, json, os, shlex, subprocess, sys, time
root, build, jobs = sys.argv[1], sys.argv[2], int(sys.argv[3])
dirs = tuple(os.path.join(root, d) + os.sep for d in ("src", "tools", "tests", "bench"))
entries = [e for e in json.load(open(os.path.join(build, "compile_commands.json")))
           if os.path.abspath(e["file"]).startswith(dirs)
           and os.environ.get("TSA_FILTER", "") in e["file"]]  # TSA_FILTER=warm: a subset

# Third-party and standard headers most units include, parsed once into a precompiled header
# per set of language flags: this halves the check's time. Our own headers stay out of it, so
# every unit still analyses them.
PCH_HEADERS = """algorithm atomic chrono filesystem fstream functional map memory mutex optional random
regex set sstream string thread unordered_map variant vector gmock/gmock.h gtest/gtest.h
boost/asio.hpp boost/beast/core.hpp boost/beast/http.hpp grpcpp/grpcpp.h
google/protobuf/message.h rocksdb/db.h prometheus/registry.h absl/container/flat_hash_map.h
""".split()

def args_of(e):
    """The entry's arguments without output, dependency-file and source arguments."""
    out, skip = [], False
    for a in shlex.split(e["command"]):
        if skip:
            skip = False
        elif a in ("-o", "-MF", "-MT", "-MQ"):
            skip = True
        elif a not in ("-c", "-MD", "-MMD") and os.path.abspath(
                os.path.join(e["directory"], a)) != os.path.abspath(e["file"]):
            out.append(a)
    return out

def pch_key(args):
    """The flags a precompiled header must share with the units that use it."""
    return tuple(a for a in args[1:] if a.startswith(("-D", "-std", "-f", "-pthread", "-g", "-O",
                                                     "-U")) and not a.startswith("-DSTRATA_"))

pch_dir = os.path.join(build, "tsa_pch")
os.makedirs(pch_dir, exist_ok=True)
header = os.path.join(pch_dir, "pch.h")
with open(header, "w") as f:
    f.writelines(f"#include <{h}>\n" for h in PCH_HEADERS)
include_dirs = sorted({a for e in entries for a in args_of(e) if a.startswith("-I")})
keys = sorted({pch_key(args_of(e)) for e in entries})
pchs = {k: os.path.join(pch_dir, f"{i}.pch") for i, k in enumerate(keys)}

def build_pch(k):
    cmd = [args_of(entries[0])[0], *k, *include_dirs, "-x", "c++-header", header, "-o", pchs[k]]
    return subprocess.run(cmd, capture_output=True, text=True)

def check(e):
    args = args_of(e)
    cmd = [*args, "-include-pch", pchs[pch_key(args)], "-fsyntax-only", "-Wthread-safety",
           "-Werror", e["file"]]
    t = time.monotonic()
    p = subprocess.run(cmd, cwd=e["directory"], capture_output=True, text=True)
    return e["file"], p.returncode, p.stderr, time.monotonic() - t

failed = 0
times = []
with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
    for p in pool.map(build_pch, keys):
        if p.returncode != 0:
            sys.exit("thread-safety: building the precompiled header failed:\n" + p.stderr)
    for f, rc, err, secs in pool.map(check, entries):
        times.append((secs, os.path.relpath(f, root)))
        if rc != 0 or err.strip():
            failed += 1
            sys.stderr.write(err)
if os.environ.get("TSA_TIMES"):  # the slowest units, to keep the check within CI's budget
    for secs, f in sorted(times, reverse=True)[:int(os.environ["TSA_TIMES"])]:
        print(f"{secs:6.1f} s  {f}")
print(f"thread-safety: {len(entries)} translation units, {failed} with diagnostics")
sys.exit(1 if failed else 0)
EOF
echo "thread-safety: $(( $(date +%s) - start )) s"
