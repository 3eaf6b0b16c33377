#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main job: trains the example
# CNN for one epoch on Fashion-MNIST and prints its test accuracy.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${ADJOINT_BUILD_DIR:-$root/build}"

"$root/scripts/setup.sh"
"$root/scripts/build.sh"
adjoint="$build/bin/adjoint"
model="$root/examples/fashion_cnn.pbtxt"

"$adjoint" check "$model"
"$adjoint" train "$model" --data fashion-mnist --epochs 1 \
  -o "$build/fashion_cnn_trained.pb" --plot "$build/fashion_cnn_training.svg"
