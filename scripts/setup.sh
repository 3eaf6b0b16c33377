#!/usr/bin/env bash
# Installs, with apt, every Debian package that Adjoint's build, tests and
# examples need; packages already installed are skipped. Idempotent.
#
#   scripts/setup.sh           the build, the tests and the examples
#   scripts/setup.sh --bench   also PyTorch, ONNX and ONNX Runtime (node.js's
#                              onnxruntime-node, in build/ort-node), for
#                              scripts/bench.sh's comparisons
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${ADJOINT_BUILD_DIR:-$root/build}"

bench=0
for arg in "$@"; do
  case "$arg" in
    --bench) bench=1 ;;
    *) echo "usage: setup.sh [--bench]" >&2; exit 2 ;;
  esac
done

packages=(
  # tool chain: clang-19 (the LLVM the JIT links, and a compiler for the
  # runtime's AVX2 and AVX-512 kernels); lld links libLLVM far faster than GNU
  # ld; llvm-19-tools has FileCheck, which checks the golden tests of the
  # passes
  cmake ninja-build clang-19 lld-19 llvm-19-dev llvm-19-tools
  # clang's sanitizer and libFuzzer run-times: the sanitized test suite
  # (test.sh --sanitize, which CI runs) and the fuzz targets (fuzz.sh)
  libclang-rt-19-dev
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
# bench/compare_frameworks.py also needs ONNX's Python package (it checks
# the models PyTorch exports and reads their inputs) and node.js with npm,
# which installs ONNX Runtime below: Debian packages no ONNX Runtime. A
# node.js installed otherwise (with its own npm) is kept.
if ((bench)); then
  packages+=(python3-torch libopenblas0-openmp python3-onnx)
  if ! command -v node >/dev/null; then packages+=(nodejs); fi
  if ! command -v npm >/dev/null; then packages+=(npm); fi
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

# ONNX Runtime 1.30 for bench/compare_frameworks.py: onnxruntime-node, whose
# npm package carries the CPU library. --onnxruntime-node-install=skip keeps
# its install script from downloading the CUDA libraries as well; the same
# setting in the environment, which the script reads first, still holds for
# an npm that no longer passes unknown options on.
if ((bench)); then
  ort="$build/ort-node"
  module="$ort/node_modules/onnxruntime-node/package.json"
  if [[ -f "$module" ]] &&
    [[ $(node -p "require('$module').version") == 1.30.0 ]]; then
    echo "setup: onnxruntime-node 1.30.0 present in $ort"
  else
    echo "setup: installing onnxruntime-node 1.30.0 in $ort"
    mkdir -p "$ort"
    if [[ ! -f "$ort/package.json" ]]; then
      (cd "$ort" && npm init -y >/dev/null)
    fi
    (cd "$ort" && ONNXRUNTIME_NODE_INSTALL=skip npm install \
      onnxruntime-node@1.30.0 --save-exact --no-audit --no-fund \
      --onnxruntime-node-install=skip)
  fi
fi
