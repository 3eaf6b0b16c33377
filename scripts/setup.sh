#!/usr/bin/env bash
# Installs, with apt, every Debian package that Adjoint's build, tests and
# examples need; packages already installed are skipped. Idempotent.
set -euo pipefail

packages=(
  # tool chain: clang-19 builds Eigen's GEMM ~30% faster than g++ 12; lld links
  # libLLVM far faster than GNU ld
  cmake ninja-build clang-19 lld-19 llvm-19-dev llvm-19-tools
  # libraries
  libprotobuf-dev protobuf-compiler libeigen3-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev zlib1g-dev
  # training data: Fashion-MNIST in /usr/share/datasets/fashion-mnist
  dataset-fashion-mnist
  # pictures of graphs (`adjoint dump --format svg`)
  graphviz
  # cross-check scripts run by the tests (NumPy reference, protobuf reader)
  python3-numpy python3-protobuf
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all packages present"
fi
