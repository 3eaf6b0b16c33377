#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite.
#
#   scripts/test.sh [CTEST ARGS...]              in ./build
#   scripts/test.sh --sanitize [CTEST ARGS...]   the same suite built with
#       AddressSanitizer and UndefinedBehaviorSanitizer in ./build-sanitize
#       (any report fails its test)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
args=()
sanitize=0
for arg in "$@"; do
  case "$arg" in
    --sanitize) sanitize=1 ;;
    *) args+=("$arg") ;;
  esac
done
if ((sanitize)); then
  export ADJOINT_BUILD_DIR="${ADJOINT_SANITIZE_BUILD_DIR:-$root/build-sanitize}"
  export ADJOINT_CMAKE_ARGS="-DADJOINT_SANITIZE=ON"
  # Stop at the first report, with a stack trace; the JIT's code and
  # libLLVM are not instrumented.
  # allocator_may_return_null: an impossible request gives null, as the
  # runtime's tests of it expect, rather than a report.
  export ASAN_OPTIONS="${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1:allocator_may_return_null=1}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
fi
build="${ADJOINT_BUILD_DIR:-$root/build}"

"$root/scripts/setup.sh"
"$root/scripts/build.sh"
cd "$build"
ctest --output-on-failure -j "$(nproc)" "${args[@]}"
