#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main job: checks the example
# CNN for Fashion-MNIST and runs it on a batch of random images.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${ADJOINT_BUILD_DIR:-$root/build}"

"$root/scripts/setup.sh"
"$root/scripts/build.sh"
adjoint="$build/bin/adjoint"
model="$root/examples/fashion_cnn.pbtxt"
out="$build/example-out"

"$adjoint" check "$model"
"$adjoint" run "$model" --seed 1 -o "$out"
echo "outputs written to $out"
