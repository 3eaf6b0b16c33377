//===- GemmBench.cpp - GEMM throughput against the measured FMA peak ------===//
//
// First measures one core's floating-point peak with a kernel of independent
// vector FMA chains, then times adjoint_rt_gemm_f32 on square and MLP-shaped
// products. Every GEMM result is reported in GFLOP/s and as a fraction of
// the peak of the cores it ran on (counter `of_peak`: threads x one core's
// peak), so the figures carry their own ceiling.
//
//===----------------------------------------------------------------------===//
#include "bench/Ceilings.h"
#include "runtime/Gemm.h"
#include "runtime/Runtime.h"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

namespace {

using namespace adjoint::bench;

void BM_FmaPeak(benchmark::State &state) {
  fmaPeakGflops();
  double flops = 0;
  for (auto _ : state)
    flops = fmaKernel(1 << 20);
  reportFlops(state, flops, 1);
}
BENCHMARK(BM_FmaPeak)->UseRealTime();

/// `count` values uniform in [-1, 1].
std::vector<float> uniform(int64_t count, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1, 1);
  std::vector<float> v(count);
  for (float &x : v)
    x = dist(rng);
  return v;
}

/// adjoint_rt_gemm_f32 with C [m, n] = op(A) [m, k] @ op(B) [k, n] on the
/// threads given by the fourth argument; the fifth and sixth say whether A
/// is stored transposed ([k, m]) and B ([n, k]), as in a backward pass.
void BM_GemmF32(benchmark::State &state) {
  int64_t m = state.range(0), k = state.range(1), n = state.range(2);
  int threads = static_cast<int>(state.range(3));
  int32_t ta = static_cast<int32_t>(state.range(4)),
          tb = static_cast<int32_t>(state.range(5));
  adjoint_rt_set_num_threads(threads);
  std::vector<float> a = uniform(m * k, 1), b = uniform(k * n, 2), c(m * n);
  for (auto _ : state) {
    adjoint_rt_gemm_f32(m, n, k, a.data(), ta ? m : k, ta, b.data(), tb ? k : n,
                        tb, c.data(), n);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  reportFlops(state, 2.0 * m * n * k, threads);
  adjoint_rt_set_num_threads(0);
}
BENCHMARK(BM_GemmF32)
    ->ArgNames({"m", "k", "n", "threads", "ta", "tb"})
    ->Args({1024, 1024, 1024, 1, 0, 0})
    ->Args({1024, 1024, 1024, 2, 0, 0})
    ->Args({64, 784, 64, 1, 0, 0})
    ->Args({64, 784, 64, 2, 0, 0})
    ->Args({64, 3136, 1024, 1, 0, 0})
    ->Args({64, 3136, 1024, 2, 0, 0})
    // The 784-512-512-10 MLP at batch 128: forward, input and weight
    // gradients of its first layer.
    ->Args({128, 784, 512, 1, 0, 0})
    ->Args({128, 784, 512, 2, 0, 0})
    ->Args({128, 512, 784, 1, 0, 1})
    ->Args({784, 128, 512, 1, 1, 0})
    ->Args({784, 128, 512, 2, 1, 0})
    // Its inference, with the weights stored [out, in] as ONNX exports them.
    ->Args({128, 784, 512, 1, 0, 1})
    ->Args({128, 784, 512, 2, 0, 1})
    ->Args({128, 512, 512, 1, 0, 1})
    ->Args({128, 512, 512, 2, 0, 1})
    // The CNN's first dense layer at batch 64 with its weights stored
    // [out, in] (as PyTorch's Linear): forward and input gradient.
    ->Args({64, 3136, 1024, 1, 0, 1})
    ->Args({64, 3136, 1024, 2, 0, 1})
    ->Args({64, 1024, 3136, 1, 0, 0})
    // The five products of the 100-64-10 MLP's training step at batch 32:
    // small enough that packing costs as much as multiplying.
    ->Args({32, 100, 64, 1, 0, 1})
    ->Args({32, 64, 10, 1, 0, 1})
    ->Args({32, 10, 64, 1, 0, 0})
    ->Args({10, 32, 64, 1, 1, 0})
    ->Args({64, 32, 100, 1, 1, 0})
    // The Transformer block's feed-forward layers (16 x 64 tokens, d 128,
    // 512 wide): forward, and the weight gradients, A stored transposed.
    ->Args({1024, 128, 512, 1, 0, 0})
    ->Args({1024, 512, 128, 1, 0, 0})
    ->Args({128, 1024, 512, 1, 1, 0})
    ->Args({512, 1024, 128, 1, 1, 0})
    ->Args({128, 1024, 384, 1, 1, 0})
    ->Args({384, 1792, 128, 1, 1, 0})
    ->Args({384, 1792, 28, 1, 1, 0})
    ->Args({1024, 512, 128, 1, 0, 1})
    // One head's products in the Transformer block's attention (sequence
    // 64, 32 wide): q @ k^T, p @ v, and p^T @ do of the backward pass.
    ->Args({64, 32, 64, 1, 0, 1})
    ->Args({64, 64, 32, 1, 0, 0})
    ->Args({64, 64, 32, 1, 1, 0})
    // A batch-1 dense layer with its weights stored [out, in].
    ->Args({1, 784, 512, 1, 0, 1})
    ->Args({1, 784, 512, 1, 0, 0})
    ->MeasureProcessCPUTime()
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

/// The same product with op(B) packed once before the timed runs, as a
/// layer's fixed weights are in inference: what packing B costs per run is
/// the difference from BM_GemmF32.
void BM_GemmF32PackedB(benchmark::State &state) {
  int64_t m = state.range(0), k = state.range(1), n = state.range(2);
  int threads = static_cast<int>(state.range(3));
  bool tb = state.range(4) != 0;
  adjoint_rt_set_num_threads(threads);
  std::vector<float> a = uniform(m * k, 1), b = uniform(k * n, 2), c(m * n);
  adjoint::rt::GemmProblem<float> p{m,  n,        k,        a.data(),
                                    k,  false,    b.data(), tb ? k : n,
                                    tb, c.data(), n,        false};
  std::vector<float> packed(adjoint::rt::packedBSize<float>(k, n));
  adjoint::rt::prepackB(p, packed.data());
  p.bPacked = packed.data();
  for (auto _ : state) {
    adjoint::rt::gemmParallel(p, nullptr, nullptr);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  reportFlops(state, 2.0 * m * n * k, threads);
  adjoint_rt_set_num_threads(0);
}
BENCHMARK(BM_GemmF32PackedB)
    ->ArgNames({"m", "k", "n", "threads", "tb"})
    ->Args({128, 784, 512, 1, 1})
    ->Args({128, 784, 512, 2, 1})
    ->Args({128, 512, 512, 1, 1})
    ->Args({128, 512, 512, 2, 1})
    ->Args({64, 3136, 1024, 1, 1})
    ->Args({64, 3136, 1024, 2, 1})
    ->Args({1024, 128, 512, 1, 0})
    ->Args({1024, 512, 128, 1, 0})
    ->MeasureProcessCPUTime()
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

} // namespace

BENCHMARK_MAIN();
