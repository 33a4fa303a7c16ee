#!/usr/bin/env bash
# query_bench_driver_test.sh DRIVER: checks `query_bench_driver query` against a fake Prometheus
# API on 127.0.0.1 (Python's standard library): the plain Strata-vs-Prometheus report keeps its
# shape, a --variant's answers are compared within --variant-rel-tol with the largest relative
# difference, points on one side only and the resolutions of its `infos` reported, a variant's
# HTTP error is reported and fails the run, and malformed --param / --variant are refused with a
# message and exit status 2. Registered with ctest as bench.query_bench_driver. Bounded: every
# driver call and the fake server run under `timeout`.
set -euo pipefail

driver=${1:?usage: query_bench_driver_test.sh DRIVER}
[ -x "$driver" ] || { echo "FAIL: no driver at $driver" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/query_bench_driver_test.XXXXXX")
server=""
# shellcheck disable=SC2317  # Invoked by the trap.
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2> /dev/null || true; wait "$server" 2> /dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# The fake answers every query_range with one series {a="x"}: 1, 2, 4 at t = 100, 200, 300. With
# max_source_resolution=auto: 2.06 instead of 2 (3 % off), an extra point 5 at t = 400, and two
# infos; =bad: HTTP 400 with Prometheus' error JSON. It writes its port to a file.
cat > "$tmp/fake.py" << 'EOF'
import json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import urlparse, parse_qs

class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        q = parse_qs(urlparse(self.path).query)
        res = q.get("max_source_resolution", [""])[0]
        if res == "bad":
            body, status = {"status": "error", "errorType": "bad_data",
                            "error": "invalid max_source_resolution"}, 400
        else:
            values = [[100, "1"], [200, "2"], [300, "4"]]
            body, status = {"status": "success", "data": {"resultType": "matrix", "result": [
                {"metric": {"a": "x"}, "values": values}]}}, 200
            if res == "auto":
                values[1][1] = "2.06"
                values.append([400, "5"])
                body["infos"] = ["data at 5m resolution used for [t1, t2]",
                                 "data at 1h resolution used for [t2, t3]"]
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

server = HTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[1], "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
EOF
timeout 300 /usr/bin/python3 "$tmp/fake.py" "$tmp/port" &
server=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
[ -s "$tmp/port" ] || { echo "FAIL: the fake server did not start" >&2; exit 1; }
url=http://127.0.0.1:$(cat "$tmp/port")
echo q > "$tmp/queries.txt"
base=(--strata "$url" --prometheus "$url" --start 0 --end 400 --step 100 --runs 1 --warmup 0
      --pause-ms 0 --queries-file "$tmp/queries.txt")

failures=0
check() {  # $1 description, $2... a command that must succeed.
  local what=$1
  shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what" >&2; failures=$((failures + 1)); fi
}
run() {  # Runs the driver; output in $tmp/out, stderr in $tmp/err, status in rc.
  rc=0
  timeout 60 "$driver" query "$@" > "$tmp/out" 2> "$tmp/err" || rc=$?
}
has() { grep -qF -- "$1" "$tmp/$2"; }

# Plain run: the two-way table as before, same answers, exit 0.
run "${base[@]}"
check "plain run exits 0" [ "$rc" = 0 ]
check "plain run keeps its table" has "| query | Strata median ms | Prometheus median ms | ratio | same answer |" out
check "plain run: same answer" has '"same":true' out
check "plain run has no variants" bash -c "! grep -q variants '$tmp/out'"

# A variant 3 % off at one point with one extra point: reported, not a failure of the run.
run "${base[@]}" --strata-name "Strata raw" --param max_source_resolution=raw \
  --variant "Strata auto:max_source_resolution=auto" --variant-rel-tol 0.05
check "variant run exits 0" [ "$rc" = 0 ]
check "variant table header" has "| max rel. diff Strata auto vs Strata raw |" out
check "largest relative difference 0.06/2.06" has '"max_rel_vs_strata":0.0291262' out
check "one extra point: not within the tolerance" has '"within_tol_vs_strata":false' out
check "cell: points on one side and points off" has "**0.029 (+1/-0 points)**, 1 of 4 points off" out
check "resolutions from the infos" has '"resolutions":"5m,1h","infos":2' out
check "the infos are listed" has "info: data at 5m resolution used for [t1, t2]" out
check "the largest difference is located" has 't=200.000: Strata auto 2.0600000000000001, Strata raw 2' out

# A tighter tolerance: the 3 % point itself is now off too (2 of 4 points).
run "${base[@]}" --param max_source_resolution=raw --variant "auto:max_source_resolution=auto" \
  --variant-rel-tol 0.01
check "rel-tol 0.01: 2 of 4 points off" has "2 of 4 points off" out

# Aims: speed-up and ratio to Prometheus are judged and counted.
run "${base[@]}" --variant "auto:max_source_resolution=auto" --aim-speedup 1000000 \
  --aim-prometheus-ratio 0.000001
check "aims are reported as missed" has "aim Strata / auto >= 1e+06x met by 0 of 1 queries" out

# A variant's HTTP error: reported with the server's message; the run fails.
run "${base[@]}" --variant "bad:max_source_resolution=bad"
check "variant error exits 1" [ "$rc" = 1 ]
check "variant error is reported" has '"error":"HTTP 400: invalid max_source_resolution"' out

# Malformed arguments: a message and exit status 2, no request made.
run "${base[@]}" --param foo
check "--param without = exits 2" [ "$rc" = 2 ]
check "--param without = says why" has 'bad parameter "foo": want NAME=VALUE' err
run "${base[@]}" --param =x
check "--param with an empty name exits 2" [ "$rc" = 2 ]
run "${base[@]}" --variant "noparams"
check "--variant without : exits 2" [ "$rc" = 2 ]
check "--variant without : says why" has 'bad --variant "noparams": want NAME:k=v[&k=v...]' err
run "${base[@]}" --variant "x:a=1&b"
check "--variant with a malformed parameter exits 2" [ "$rc" = 2 ]
run "${base[@]}" --variant ":a=1"
check "--variant without a name exits 2" [ "$rc" = 2 ]

if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) failed; last driver output:" >&2
  cat "$tmp/out" "$tmp/err" >&2
  exit 1
fi
echo "all checks passed"
