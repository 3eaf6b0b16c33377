//===- BandwidthBench.cpp - Copy bandwidth of 64 MiB buffers --------------===//
//
// The memory ceiling that elementwise kernels are compared with: copying a
// 64 MiB buffer (far beyond the caches) with memcpy, and with a plain loop
// that the compiler vectorizes as it would a generated kernel, the loop
// also split across the runtime's pool (bench/Ceilings.h). Bandwidth counts
// the bytes read plus the bytes written (as STREAM's Copy does), in GB/s
// (10^9 bytes); `of_copy` compares it with the best of 12 loop copies on
// the same threads right after.
//
//===----------------------------------------------------------------------===//
#include "bench/Ceilings.h"
#include "runtime/Runtime.h"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>

namespace {

using namespace adjoint::bench;

void BM_Memcpy(benchmark::State &state) {
  CopyBuffers buf;
  for (auto _ : state) {
    std::memcpy(buf.dst, buf.src, kCopyBytes);
    benchmark::ClobberMemory();
  }
  reportBytes(state, 2.0 * kCopyBytes, 1);
}
BENCHMARK(BM_Memcpy)->UseRealTime()->Unit(benchmark::kMillisecond);

/// The loop copy on the number of threads given by the argument.
void BM_LoopCopy(benchmark::State &state) {
  int threads = static_cast<int>(state.range(0));
  adjoint_rt_set_num_threads(threads);
  CopyBuffers buf;
  for (auto _ : state)
    copyLoop(buf);
  reportBytes(state, 2.0 * kCopyBytes, threads);
  adjoint_rt_set_num_threads(0);
}
BENCHMARK(BM_LoopCopy)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->MeasureProcessCPUTime()
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
