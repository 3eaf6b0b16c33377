//===- Ceilings.cpp - The machine's FMA peak and copy bandwidth -----------===//
//
// Compiled with -march=native: the FMA kernel uses the widest vectors the
// build machine has (AVX-512 on the reference machine, else AVX2).
//
//===----------------------------------------------------------------------===//
#include "bench/Ceilings.h"

#include "runtime/Runtime.h"

#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <mutex>

namespace adjoint::bench {

namespace {

using Clock = std::chrono::steady_clock;

#if defined(__AVX512F__)
using Vec = __m512;
constexpr int Lanes = 16;
Vec splat(float v) { return _mm512_set1_ps(v); }
Vec fma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
#elif defined(__AVX2__) && defined(__FMA__)
using Vec = __m256;
constexpr int Lanes = 8;
Vec splat(float v) { return _mm256_set1_ps(v); }
Vec fma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
#else
#error "the benchmarks need AVX2+FMA or AVX-512 (build with -march=native)"
#endif

constexpr int Chains = 16; // 2 FMA pipes x 4-cycle latency x 2 of margin

constexpr int64_t CopyFloats = kCopyBytes / int64_t(sizeof(float));

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

} // namespace

double fmaKernel(int64_t iterations) {
  Vec acc[Chains];
  for (int i = 0; i < Chains; ++i)
    acc[i] = splat(static_cast<float>(i));
  // Multiplier and addend keep the values finite and normal for ever.
  Vec mul = splat(0.999999f), add = splat(1e-6f);
  for (int64_t it = 0; it < iterations; ++it) {
    for (int i = 0; i < Chains; ++i)
      acc[i] = fma(acc[i], mul, add);
    // An empty asm per register keeps each chain opaque to the compiler
    // without moving it out of its register.
    for (int i = 0; i < Chains; ++i)
      asm volatile("" : "+v"(acc[i]));
  }
  for (int i = 0; i < Chains; ++i)
    benchmark::DoNotOptimize(acc[i]);
  return 2.0 * Lanes * Chains * static_cast<double>(iterations);
}

double fmaPeakGflops() {
  // Many short trials (about 0.25 ms each at 4 GHz): on a machine shared
  // with other work, the best of them is a stretch that the scheduler left
  // alone, as the peak should be.
  static const double peak = [] {
    double best = 0;
    for (int trial = 0; trial < 400; ++trial) {
      auto start = Clock::now();
      double flops = fmaKernel(1 << 17);
      std::chrono::duration<double> s = Clock::now() - start;
      best = std::max(best, flops / s.count() / 1e9);
    }
    return best;
  }();
  return peak;
}

CopyBuffers::CopyBuffers()
    : src(static_cast<float *>(adjoint_rt_alloc(kCopyBytes))),
      dst(static_cast<float *>(adjoint_rt_alloc(kCopyBytes))) {
  for (int64_t i = 0; i < CopyFloats; ++i) {
    src[i] = static_cast<float>(i & 1023);
    dst[i] = 0;
  }
}

CopyBuffers::~CopyBuffers() {
  adjoint_rt_free(src);
  adjoint_rt_free(dst);
}

void copyLoop(CopyBuffers &buf) {
  CopyArgs args{buf.src, buf.dst};
  adjoint_rt_parallel_for(CopyFloats, 1 << 16, copyRange, &args);
  benchmark::ClobberMemory();
}

double copyBandwidthGBs(int threads) {
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  static CopyBuffers buf; // allocated and touched once, kept for the process
  adjoint_rt_set_num_threads(threads);
  copyLoop(buf); // wakes the pool
  double best = 0;
  for (int trial = 0; trial < 12; ++trial) {
    auto start = Clock::now();
    copyLoop(buf);
    std::chrono::duration<double> s = Clock::now() - start;
    best = std::max(best, 2.0 * kCopyBytes / s.count() / 1e9);
  }
  return best;
}

void reportFlops(benchmark::State &state, double flops, int threads) {
  double gflop = flops * static_cast<double>(state.iterations()) / 1e9;
  state.counters["GFLOP/s"] =
      benchmark::Counter(gflop, benchmark::Counter::kIsRate);
  state.counters["of_peak"] = benchmark::Counter(
      gflop / (threads * fmaPeakGflops()), benchmark::Counter::kIsRate);
}

void reportBytes(benchmark::State &state, double bytes, int threads) {
  double gb = bytes * static_cast<double>(state.iterations()) / 1e9;
  state.counters["GB/s"] = benchmark::Counter(gb, benchmark::Counter::kIsRate);
  state.counters["of_copy"] = benchmark::Counter(gb / copyBandwidthGBs(threads),
                                                 benchmark::Counter::kIsRate);
}

} // namespace adjoint::bench
