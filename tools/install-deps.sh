#!/usr/bin/env bash
# Installs the Debian 12 packages Strata builds with and the peers its tests and benchmarks
# start (prometheus). Idempotent: when everything is present it only runs dpkg-query.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake pkg-config ccache git curl
  # libraries
  libboost-dev librocksdb-dev libprotobuf-dev protobuf-compiler libsnappy-dev
  prometheus-cpp-dev libgtest-dev libgmock-dev libbenchmark-dev libre2-dev libroaring-dev
  libxxhash-dev libabsl-dev libyaml-cpp-dev libzstd-dev libcli11-dev
  # real peers used by integration tests and benchmarks
  prometheus
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

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
