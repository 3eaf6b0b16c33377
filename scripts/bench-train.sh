#!/usr/bin/env bash
# Times one training epoch of each example model with Adjoint and with
# PyTorch 1.13 on the same machine, batch, optimizer and thread count, one
# after the other, and prints both. scripts/setup.sh --bench installs
# PyTorch and OpenBLAS first.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${ADJOINT_BUILD_DIR:-$root/build}"
threads="${1:-2}"
"$root/scripts/setup.sh" --bench
"$root/scripts/build.sh" >/dev/null

for model in mlp mlp_wide cnn; do
  file="$root/examples/fashion_${model}.pbtxt"
  line=$("$build/bin/adjoint" train "$file" --epochs 1 --threads "$threads" 2>/dev/null |
    grep '^epoch 1/1')
  echo "adjoint $model threads=$threads ${line#epoch 1/1: }"
  # PyTorch at its best: OpenBLAS picks its own kernels, and malloc keeps
  # its memory instead of returning it to the system on every step.
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
    GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=17179869184 \
    /usr/bin/python3 "$root/bench/train_pytorch.py" "$model" "$threads"
done
