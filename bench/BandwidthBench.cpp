//===- BandwidthBench.cpp - Copy bandwidth of 64 MiB buffers --------------===//
//
// The memory ceiling that elementwise kernels are compared with: copying a
// 64 MiB buffer (far beyond the caches) with memcpy, and with a plain loop
// that the compiler vectorizes as it would a generated kernel, the loop
// also split across the runtime's pool. Bandwidth counts the bytes read plus
// the bytes written (as STREAM's Copy does), in GB/s (10^9 bytes).
//
//===----------------------------------------------------------------------===//
#include "runtime/Runtime.h"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>

namespace {

constexpr int64_t Bytes = int64_t(64) << 20;
constexpr int64_t Floats = Bytes / int64_t(sizeof(float));

/// Two 64 MiB buffers, aligned and touched once so that page faults stay
/// out of the timing.
struct Buffers {
  float *src = static_cast<float *>(adjoint_rt_alloc(Bytes));
  float *dst = static_cast<float *>(adjoint_rt_alloc(Bytes));
  Buffers() {
    for (int64_t i = 0; i < Floats; ++i) {
      src[i] = static_cast<float>(i & 1023);
      dst[i] = 0;
    }
  }
  ~Buffers() {
    adjoint_rt_free(src);
    adjoint_rt_free(dst);
  }
};

void reportBandwidth(benchmark::State &state) {
  state.counters["GB/s"] = benchmark::Counter(
      2.0 * Bytes * static_cast<double>(state.iterations()) / 1e9,
      benchmark::Counter::kIsRate);
}

void BM_Memcpy(benchmark::State &state) {
  Buffers buf;
  for (auto _ : state) {
    std::memcpy(buf.dst, buf.src, Bytes);
    benchmark::ClobberMemory();
  }
  reportBandwidth(state);
}
BENCHMARK(BM_Memcpy)->UseRealTime()->Unit(benchmark::kMillisecond);

struct CopyArgs {
  const float *__restrict src;
  float *__restrict dst;
};

void copyRange(int64_t begin, int64_t end, void *ctx) {
  const CopyArgs &a = *static_cast<const CopyArgs *>(ctx);
  const float *__restrict src = a.src;
  float *__restrict dst = a.dst;
  for (int64_t i = begin; i < end; ++i)
    dst[i] = src[i];
}

/// The loop copy on the number of threads given by the argument.
void BM_LoopCopy(benchmark::State &state) {
  adjoint_rt_set_num_threads(static_cast<int32_t>(state.range(0)));
  Buffers buf;
  CopyArgs args{buf.src, buf.dst};
  for (auto _ : state) {
    adjoint_rt_parallel_for(Floats, 1 << 16, copyRange, &args);
    benchmark::ClobberMemory();
  }
  reportBandwidth(state);
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
