#!/usr/bin/env bash
# Benchmarks Adjoint's JIT against PyTorch on the same workloads and prints
# one table (docs/benchmarks.md explains it), then Adjoint against PyTorch
# and ONNX Runtime on the five reference models, training and inference
# (bench/compare_frameworks.py). Installs the benchmark dependencies
# (scripts/setup.sh --bench), builds adjoint_jit_bench, adjoint and
# adjoint_gemm_bench, runs adjoint_jit_bench with repetitions and
# bench/compare_pytorch.py, then bench/compare_frameworks.py, and leaves the
# raw results in $ADJOINT_BENCH_OUT (default: build/bench-results).
#
#   scripts/bench.sh              the whole comparison (several minutes)
#   scripts/bench.sh --markdown   the same, the tables in Markdown
#
# ADJOINT_BENCH_REPETITIONS (default 5) sets how many times each Adjoint
# benchmark is repeated, ADJOINT_BENCH_ROUNDS (default 3) the rounds of
# compare_frameworks.py; ADJOINT_JOBS the build's parallelism.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${ADJOINT_BUILD_DIR:-$root/build}"
out="${ADJOINT_BENCH_OUT:-$build/bench-results}"
reps="${ADJOINT_BENCH_REPETITIONS:-5}"
rounds="${ADJOINT_BENCH_ROUNDS:-3}"
format=()
for arg in "$@"; do
  case "$arg" in
    --markdown) format=(--markdown) ;;
    *) echo "usage: bench.sh [--markdown]" >&2; exit 2 ;;
  esac
done

"$root/scripts/setup.sh" --bench
"$root/scripts/build.sh" adjoint_jit_bench adjoint adjoint_gemm_bench
mkdir -p "$out"

echo "bench: Adjoint (adjoint_jit_bench, $reps repetitions)" >&2
"$build/bench/adjoint_jit_bench" \
  --benchmark_repetitions="$reps" \
  --benchmark_report_aggregates_only=true \
  --benchmark_min_time=0.2 \
  --benchmark_out="$out/adjoint.json" --benchmark_out_format=json \
  >"$out/adjoint.txt"

# PyTorch at its best: OpenBLAS picks its kernels and cache sizes for this
# CPU, glibc keeps freed tensors for reuse, and on an AVX-512 CPU ATen runs
# its AVX-512 kernels, which Debian's build does not pick by itself (see
# compare_pytorch.py).
capability=()
if grep -qw avx512f /proc/cpuinfo && grep -qw avx512bw /proc/cpuinfo &&
  grep -qw avx512vl /proc/cpuinfo && grep -qw avx512dq /proc/cpuinfo; then
  capability=(ATEN_CPU_CAPABILITY=avx512)
fi
echo "bench: PyTorch (bench/compare_pytorch.py)" >&2
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
  GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=17179869184 \
  "${capability[@]}" \
  /usr/bin/python3 "$root/bench/compare_pytorch.py" >"$out/pytorch.jsonl"

/usr/bin/python3 "$root/bench/report.py" "$out/adjoint.json" \
  "$out/pytorch.jsonl" "${format[@]}" | tee "$out/table.txt"

# The five reference models, exported from PyTorch to ONNX, in Adjoint,
# PyTorch and ONNX Runtime (which setup.sh installed in $build/ort-node). The
# script gives PyTorch's processes the environment above by itself.
echo "bench: Adjoint, PyTorch and ONNX Runtime" \
  "(bench/compare_frameworks.py, $rounds rounds)" >&2
echo
/usr/bin/python3 "$root/bench/compare_frameworks.py" --rounds "$rounds" \
  --adjoint "$build/bin/adjoint" \
  --gemm-bench "$build/bench/adjoint_gemm_bench" \
  --ort-node "$build/ort-node" --json "$out/frameworks.json" \
  "${format[@]}" | tee "$out/frameworks.txt"
