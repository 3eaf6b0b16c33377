#!/usr/bin/env bash
# Configures (once) and builds Adjoint in ./build with clang-19, lld and Ninja.
# Extra arguments are passed to the build tool (for example a target name).
# ADJOINT_BUILD_DIR chooses another build directory, ADJOINT_CMAKE_ARGS adds
# options to its first configuration (scripts/test.sh --sanitize uses both).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${ADJOINT_BUILD_DIR:-$root/build}"
jobs="${ADJOINT_JOBS:-$(nproc)}"

if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE="${ADJOINT_BUILD_TYPE:-Release}" \
    -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
    ${ADJOINT_CMAKE_ARGS:-}
fi
cmake --build "$build" -j "$jobs" -- "$@"
