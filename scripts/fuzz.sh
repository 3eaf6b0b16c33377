#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ (clang-19, -fsanitize=fuzzer,address,
# undefined) in their own build directory and runs each for SECONDS (default
# 60), starting from seed corpora made of the examples, the tests' models,
# the ONNX conformance suite's models, and small .npy and IDX files. The last
# line is `fuzz: T targets, N runs, C crashes`; each crash's input is kept in
# build-fuzz/fuzz-crashes/ (make it a regression test: tests/fuzz/).
#
#   scripts/fuzz.sh [SECONDS]
#
# ADJOINT_FUZZ_BUILD_DIR (default: build-fuzz) is the build directory;
# ADJOINT_FUZZ_JOBS (default 1) how many targets run at a time;
# ADJOINT_FUZZ_TARGETS (default: all) which targets, comma separated.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${ADJOINT_FUZZ_BUILD_DIR:-$root/build-fuzz}"
jobs="${ADJOINT_JOBS:-$(nproc)}"
seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || ((seconds == 0)); then
  echo "usage: fuzz.sh [SECONDS]" >&2
  exit 2
fi

"$root/scripts/setup.sh"
if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DADJOINT_FUZZ=ON -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19
fi
cmake --build "$build" -j "$jobs" --target adjoint_fuzzers adjoint

# Seed corpora, made once.
seeds="$build/fuzz-seeds"
if [[ ! -f "$seeds/.done" ]]; then
  rm -rf "$seeds"
  mkdir -p "$seeds"/{LoadBinary,LoadProtoText,LoadTextIr,LoadOnnx,ReadNpy,ReadIdx,Interpret}
  for f in "$root"/examples/*.pbtxt "$root"/tests/*/*.pbtxt; do
    [[ -f "$f" ]] || continue
    n="$(basename "$f" .pbtxt)"
    cp "$f" "$seeds/LoadProtoText/$n.pbtxt"
    "$build/bin/adjoint" convert "$f" -o "$seeds/LoadBinary/$n.pb" 2>/dev/null || true
    "$build/bin/adjoint" convert "$f" -o "$seeds/LoadTextIr/$n.adj" 2>/dev/null || true
  done
  cp "$root"/tests/passes/golden/*.adj "$seeds/LoadTextIr/"
  cp "$seeds"/LoadTextIr/*.adj "$seeds/Interpret/"
  i=0
  for f in /usr/share/libonnx-testdata/data/node/*/model.onnx; do
    [[ -f "$f" ]] || continue
    cp "$f" "$seeds/LoadOnnx/$((i++)).onnx"
  done
  /usr/bin/python3 - "$seeds" <<'PY'
import gzip, os, struct, sys
import numpy as np
seeds = sys.argv[1]
arrays = {"f32": np.arange(6, dtype="<f4").reshape(2, 3), "i64": np.arange(4, dtype="<i8"),
          "f64_scalar": np.float64(2.5), "bool": np.array([True, False]), "u8": np.arange(5, dtype="u1"),
          "fortran": np.asfortranarray(np.arange(6, dtype="<f4").reshape(2, 3)),
          "big_endian": np.arange(3, dtype=">i4"), "empty": np.zeros((0, 3), dtype="<f4")}
for name, a in arrays.items():
    np.save(os.path.join(seeds, "ReadNpy", name + ".npy"), a)
def idx(dims):
    data = bytes(range(int(np.prod(dims))) if dims else b"")
    return struct.pack(">I", 0x800 | len(dims)) + b"".join(struct.pack(">I", d) for d in dims) + bytes(
        (i % 256) for i in range(int(np.prod(dims))))
for name, dims in {"labels": [5], "images": [2, 3, 3]}.items():
    raw = idx(dims)
    open(os.path.join(seeds, "ReadIdx", name), "wb").write(raw)
    open(os.path.join(seeds, "ReadIdx", name + ".gz"), "wb").write(gzip.compress(raw))
PY
  labels=/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz
  [[ -f "$labels" ]] && cp "$labels" "$seeds/ReadIdx/"
  touch "$seeds/.done"
fi

targets=(LoadBinary LoadProtoText LoadTextIr LoadOnnx ReadNpy ReadIdx Interpret)
if [[ -n "${ADJOINT_FUZZ_TARGETS:-}" ]]; then
  read -r -a targets <<<"${ADJOINT_FUZZ_TARGETS//,/ }"
fi
crashdir="$build/fuzz-crashes"
mkdir -p "$crashdir"

# Runs target $1 for $seconds; writes "RUNS CRASHES" to fuzz-$1.result.
run_target() {
  local t="$1" corpus="$build/fuzz-corpus/$1" log="$build/fuzz-$1.log"
  mkdir -p "$corpus"
  local before after status runs crashes
  # Crashes, time-outs, leaks and out-of-memory; not libFuzzer's slow-unit
  # reports (an input that took over 10 s on a busy machine).
  findings() {
    find "$crashdir" \( -name "$t-crash-*" -o -name "$t-timeout-*" \
      -o -name "$t-leak-*" -o -name "$t-oom-*" \) | wc -l
  }
  before=$(findings)
  set +e
  "$build/fuzz/fuzz_$t" "$corpus" "$seeds/$t" -max_total_time="$seconds" \
    -rss_limit_mb=2048 -timeout=20 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$crashdir/$t-" >"$log" 2>&1
  status=$?
  set -e
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  after=$(findings)
  crashes=$((after - before))
  if ((status != 0 && crashes == 0)); then crashes=1; fi
  echo "${runs:-0} $crashes" >"$build/fuzz-$t.result"
}

# ADJOINT_FUZZ_JOBS targets at a time (default 1: the timings stay those of
# one core each).
parallel="${ADJOINT_FUZZ_JOBS:-1}"
for t in "${targets[@]}"; do
  run_target "$t" &
  while (($(jobs -rp | wc -l) >= parallel)); do wait -n || true; done
done
wait

total_runs=0
total_crashes=0
for t in "${targets[@]}"; do
  read -r runs crashes <"$build/fuzz-$t.result"
  echo "fuzz_$t: $runs runs, $crashes crash(es)$( ((crashes)) && echo "; see $build/fuzz-$t.log")"
  total_runs=$((total_runs + runs))
  total_crashes=$((total_crashes + crashes))
done
echo "fuzz: ${#targets[@]} targets, $total_runs runs, $total_crashes crashes"
