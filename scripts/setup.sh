#!/usr/bin/env bash
# Installs, with apt, every Debian package that Adjoint's build, tests and
# examples need; packages already installed are skipped. Idempotent.
#
#   scripts/setup.sh           the build, the tests and the examples
#   scripts/setup.sh --bench   also PyTorch, for scripts/bench.sh's comparison
set -euo pipefail

bench=0
for arg in "$@"; do
  case "$arg" in
    --bench) bench=1 ;;
    *) echo "usage: setup.sh [--bench]" >&2; exit 2 ;;
  esac
done

packages=(
  # tool chain: clang-19 builds Eigen's GEMM ~30% faster than g++ 12; lld links
  # libLLVM far faster than GNU ld; llvm-19-tools has FileCheck, which checks
  # the golden tests of the passes
  cmake ninja-build clang-19 lld-19 llvm-19-dev llvm-19-tools
  # the install tests build the ahead-of-time example with make and pkg-config
  make pkgconf
  # libraries
  libprotobuf-dev protobuf-compiler libeigen3-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev zlib1g-dev
  # training data: Fashion-MNIST in /usr/share/datasets/fashion-mnist
  dataset-fashion-mnist
  # ONNX import: the generated protobuf classes and the backend
  # conformance suite (/usr/share/libonnx-testdata)
  libonnx-dev libonnx-testdata
  # pictures of graphs (`adjoint dump --format svg`)
  graphviz
  # cross-check scripts run by the tests (NumPy reference, protobuf reader)
  python3-numpy python3-protobuf
)

# Optional: PyTorch 1.13 (about 180 packages with its dependencies), which
# bench/compare_pytorch.py runs the same workloads with, and OpenBLAS for
# its matmul (without it libblas.so.3 is the slow reference BLAS). The OpenMP
# build of OpenBLAS follows torch.set_num_threads, as PyTorch's own OpenMP
# loops do; the pthread build would always use every core.
if ((bench)); then
  packages+=(python3-torch libopenblas0-openmp)
fi

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
