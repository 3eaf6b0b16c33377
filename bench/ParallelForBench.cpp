//===- ParallelForBench.cpp - The cost of one adjoint_rt_parallel_for -----===//
//
// A parallel loop over 64Ki floats (256 KiB, in L2; about a microsecond of
// work on one thread): the time per call on two threads, against half the
// time on one, shows what dispatching to the pool and waiting for it costs.
// Compiled models issue such loops back to back, one per kernel.
//
//===----------------------------------------------------------------------===//
#include "runtime/Runtime.h"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

namespace {

void scale(int64_t begin, int64_t end, void *ctx) {
  float *v = static_cast<float *>(ctx);
  for (int64_t i = begin; i < end; ++i)
    v[i] = v[i] * 0.5f + 1.0f;
}

void BM_ParallelFor(benchmark::State &state) {
  adjoint_rt_set_num_threads(static_cast<int32_t>(state.range(0)));
  std::vector<float> v(65536, 1.0f);
  for (auto _ : state) {
    adjoint_rt_parallel_for(static_cast<int64_t>(v.size()), 4096, scale,
                            v.data());
    benchmark::ClobberMemory();
  }
  adjoint_rt_set_num_threads(0);
}
BENCHMARK(BM_ParallelFor)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->MeasureProcessCPUTime()
    ->UseRealTime();

} // namespace

BENCHMARK_MAIN();
