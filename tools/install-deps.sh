#!/usr/bin/env bash
# Installs the Debian 12 packages Strata builds with and the peers its tests and benchmarks
# start (prometheus; s3rver, pinned in tools/s3rver/, behind a botocore-verifying proxy).
# Idempotent: when everything is present it only runs dpkg-query and a few file checks.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake pkg-config ccache git curl
  # libraries
  libboost-dev librocksdb-dev libprotobuf-dev protobuf-compiler libsnappy-dev
  prometheus-cpp-dev libgtest-dev libgmock-dev libbenchmark-dev libre2-dev libroaring-dev
  libxxhash-dev libabsl-dev libyaml-cpp-dev libzstd-dev libcli11-dev
  libcurl4-openssl-dev libssl-dev
  # TLS and basic auth (server/): bcrypt through libcrypt's crypt_rn; the TLS test's certificates
  libcrypt-dev openssl
  # OTLP: gRPC server and code generator, gzip
  libgrpc++-dev protobuf-compiler-grpc zlib1g-dev
  # `make fuzz`: Clang 14 with its sanitizer and libFuzzer runtimes (libclang_rt.fuzzer)
  clang libclang-rt-14-dev
  # `make format-check` (run by CI): clang-format 14
  clang-format
  # real peers used by integration tests and benchmarks (Alertmanager: the rules e2e test)
  prometheus prometheus-alertmanager
  # the object-store tests' signature-verifying S3 proxy (tests/objstore/), run by /usr/bin/python3
  python3-botocore
  # the web UI's charts (embedded into the binary at build time) and its headless-browser test
  libjs-dygraphs chromium chromium-driver python3-selenium
)
# s3rver needs Node.js >= 17 (started with --openssl-legacy-provider) and npm. A newer Node
# already installed (e.g. from NodeSource, which bundles npm) is kept.
node_major=$(node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/' || true)
if [ -z "$node_major" ] || [ "$node_major" -lt 17 ]; then packages+=(nodejs); fi
if ! command -v npm >/dev/null 2>&1; then packages+=(npm); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
  # The prometheus package starts a system service where systemd runs; tests start their own
  # instances on ephemeral ports, so the packaged one is not needed.
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
    $SUDO systemctl stop prometheus || true
  fi
fi

# s3rver at the version package-lock.json pins, in tools/s3rver/node_modules (gitignored).
s3rver_dir="$(cd "$(dirname "$0")" && pwd)/s3rver"
if ! grep -q '"version": "3.7.1"' "$s3rver_dir/node_modules/s3rver/package.json" 2>/dev/null; then
  echo "install-deps: installing s3rver 3.7.1 into $s3rver_dir/node_modules" >&2
  (cd "$s3rver_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi

# The OpenTelemetry JS SDK and OTLP exporters the OTLP integration tests run (issue 10), at the
# versions tools/otel-client/package-lock.json pins, in tools/otel-client/node_modules
# (gitignored). Re-installed only when the lock file changed since the last install.
otel_dir="$(cd "$(dirname "$0")" && pwd)/otel-client"
otel_stamp="$otel_dir/node_modules/.strata-lock.sha256"
otel_sha=$(sha256sum "$otel_dir/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$otel_stamp" 2>/dev/null)" != "$otel_sha" ]; then
  echo "install-deps: installing the OpenTelemetry JS client into $otel_dir/node_modules" >&2
  (cd "$otel_dir" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$otel_sha" > "$otel_stamp"
fi
