//===- GemmBench.cpp - GEMM throughput against the measured FMA peak ------===//
//
// First measures one core's floating-point peak with a kernel of independent
// vector FMA chains, then times adjoint_rt_gemm_f32 on square and MLP-shaped
// products. Every GEMM result is reported in GFLOP/s and as a fraction of
// that peak (counter `of_peak`), so the figures carry their own ceiling.
//
//===----------------------------------------------------------------------===//
#include "runtime/Runtime.h"

#include <benchmark/benchmark.h>
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <vector>

namespace {

/// Runs `iterations` steps of Chains independent FMA chains on whole
/// vectors; returns the number of floating-point operations (2 per lane).
#if defined(__AVX512F__)
constexpr int Lanes = 16;
constexpr int Chains = 16; // 2 FMA pipes x 4-cycle latency x 2 of margin
double fmaKernel(int64_t iterations) {
  __m512 acc[Chains];
  for (int i = 0; i < Chains; ++i)
    acc[i] = _mm512_set1_ps(static_cast<float>(i));
  // Multiplier and addend keep the values finite and normal for ever.
  __m512 mul = _mm512_set1_ps(0.999999f), add = _mm512_set1_ps(1e-6f);
  for (int64_t it = 0; it < iterations; ++it) {
    for (int i = 0; i < Chains; ++i)
      acc[i] = _mm512_fmadd_ps(acc[i], mul, add);
    // An empty asm per register keeps each chain opaque to the compiler
    // without moving it out of its register.
    for (int i = 0; i < Chains; ++i)
      asm volatile("" : "+v"(acc[i]));
  }
  for (int i = 0; i < Chains; ++i)
    benchmark::DoNotOptimize(acc[i]);
  return 2.0 * Lanes * Chains * static_cast<double>(iterations);
}
#elif defined(__AVX2__) && defined(__FMA__)
constexpr int Lanes = 8;
constexpr int Chains = 16;
double fmaKernel(int64_t iterations) {
  __m256 acc[Chains];
  for (int i = 0; i < Chains; ++i)
    acc[i] = _mm256_set1_ps(static_cast<float>(i));
  __m256 mul = _mm256_set1_ps(0.999999f), add = _mm256_set1_ps(1e-6f);
  for (int64_t it = 0; it < iterations; ++it) {
    for (int i = 0; i < Chains; ++i)
      acc[i] = _mm256_fmadd_ps(acc[i], mul, add);
    for (int i = 0; i < Chains; ++i)
      asm volatile("" : "+v"(acc[i]));
  }
  for (int i = 0; i < Chains; ++i)
    benchmark::DoNotOptimize(acc[i]);
  return 2.0 * Lanes * Chains * static_cast<double>(iterations);
}
#else
#error "GemmBench needs AVX2+FMA or AVX-512 (build with -march=native)"
#endif

using Clock = std::chrono::steady_clock;

/// The single-core f32 FMA peak in GFLOP/s: the best of several timed runs,
/// measured once per process.
double fmaPeak() {
  static const double peak = [] {
    double best = 0;
    for (int trial = 0; trial < 7; ++trial) {
      auto start = Clock::now();
      double flops = fmaKernel(4 << 20);
      std::chrono::duration<double> s = Clock::now() - start;
      best = std::max(best, flops / s.count() / 1e9);
    }
    return best;
  }();
  return peak;
}

/// Reports `flops` per iteration as GFLOP/s and as a fraction of the peak.
void reportFlops(benchmark::State &state, double flops) {
  double total = flops * static_cast<double>(state.iterations());
  state.counters["GFLOP/s"] =
      benchmark::Counter(total / 1e9, benchmark::Counter::kIsRate);
  state.counters["of_peak"] =
      benchmark::Counter(total / 1e9 / fmaPeak(), benchmark::Counter::kIsRate);
}

void BM_FmaPeak(benchmark::State &state) {
  fmaPeak();
  double flops = 0;
  for (auto _ : state)
    flops = fmaKernel(1 << 20);
  reportFlops(state, flops);
}
BENCHMARK(BM_FmaPeak)->UseRealTime();

/// adjoint_rt_gemm_f32 with C [m, n] = A [m, k] @ B [k, n] on the threads
/// given by the fourth argument.
void BM_GemmF32(benchmark::State &state) {
  int64_t m = state.range(0), k = state.range(1), n = state.range(2);
  adjoint_rt_set_num_threads(static_cast<int32_t>(state.range(3)));
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1, 1);
  std::vector<float> a(m * k), b(k * n), c(m * n);
  for (float &v : a)
    v = dist(rng);
  for (float &v : b)
    v = dist(rng);
  for (auto _ : state) {
    adjoint_rt_gemm_f32(m, n, k, a.data(), k, 0, b.data(), n, 0, c.data(), n);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  reportFlops(state, 2.0 * m * n * k);
  adjoint_rt_set_num_threads(0);
}
BENCHMARK(BM_GemmF32)
    ->ArgNames({"m", "k", "n", "threads"})
    ->Args({1024, 1024, 1024, 1})
    ->Args({1024, 1024, 1024, 2})
    ->Args({64, 784, 64, 1})
    ->Args({64, 784, 64, 2})
    ->Args({64, 3136, 1024, 1})
    ->Args({64, 3136, 1024, 2})
    ->MeasureProcessCPUTime()
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
