//===- ConvBench.cpp - conv2d and its gradients against the FMA peak ------===//
//
// Times the runtime's conv2d, input gradient and weight gradient on the
// layers of the example CNNs (the TensorFlow tutorial's 5x5 convolutions at
// batch 64 and batch 1, a VGG-style 3x3 layer, a strided one) and of the
// residual CNN of more_workloads.py, each figure in GFLOP/s and as a
// fraction of the FMA peak of the cores it ran on.
//
//===----------------------------------------------------------------------===//
#include "bench/Ceilings.h"
#include "runtime/Runtime.h"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

namespace {

using namespace adjoint::bench;

/// One layer: batch, channels in, size, channels out, kernel, stride, pad.
struct Layer {
  int64_t n, c, h, o, k, s, p;
  int64_t out() const { return (h + 2 * p - k) / s + 1; }
};

const Layer Layers[] = {
    {64, 1, 28, 32, 5, 1, 2},   // 0: CNN conv1
    {64, 32, 14, 64, 5, 1, 2},  // 1: CNN conv2
    {1, 32, 14, 64, 5, 1, 2},   // 2: CNN conv2 at batch 1
    {32, 64, 32, 64, 3, 1, 1},  // 3: VGG-style 3x3
    {32, 64, 32, 128, 3, 2, 1}, // 4: 3x3 stride 2
    {32, 3, 32, 16, 3, 1, 1},   // 5: a residual CNN's RGB stem
    {32, 16, 32, 16, 3, 1, 1},  // 6: its residual blocks' 3x3
    {32, 16, 32, 32, 3, 2, 1},  // 7: its downsampling 3x3
    {32, 16, 32, 32, 1, 2, 0},  // 8: its 1x1 stride-2 projection
    {32, 32, 16, 32, 3, 1, 1}   // 9: 3x3 after the downsampling
};

enum Which { Forward, InputGrad, WeightGrad };

/// Arguments: layer, which kernel, threads.
void BM_Conv(benchmark::State &state) {
  const Layer &l = Layers[state.range(0)];
  auto which = static_cast<Which>(state.range(1));
  int threads = static_cast<int>(state.range(2));
  adjoint_rt_set_num_threads(threads);
  int64_t oh = l.out();
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1, 1);
  std::vector<float> x(l.n * l.c * l.h * l.h), w(l.o * l.c * l.k * l.k),
      y(l.n * l.o * oh * oh);
  for (float &v : x)
    v = dist(rng);
  for (float &v : w)
    v = dist(rng);
  for (float &v : y)
    v = dist(rng);
  for (auto _ : state) {
    if (which == Forward)
      adjoint_rt_conv2d_f32(x.data(), w.data(), y.data(), l.n, l.c, l.h, l.h,
                            l.o, l.k, l.k, l.s, l.s, l.p, l.p, l.p, l.p, 1, 1,
                            1, oh, oh);
    else if (which == InputGrad)
      adjoint_rt_conv2d_input_grad_f32(y.data(), w.data(), x.data(), l.n, l.c,
                                       l.h, l.h, l.o, l.k, l.k, l.s, l.s, l.p,
                                       l.p, l.p, l.p, 1, 1, 1, oh, oh);
    else
      adjoint_rt_conv2d_weight_grad_f32(x.data(), y.data(), w.data(), l.n, l.c,
                                        l.h, l.h, l.o, l.k, l.k, l.s, l.s, l.p,
                                        l.p, l.p, l.p, 1, 1, 1, oh, oh);
    benchmark::ClobberMemory();
  }
  reportFlops(state, 2.0 * l.n * l.o * oh * oh * l.c * l.k * l.k, threads);
  adjoint_rt_set_num_threads(0);
}
BENCHMARK(BM_Conv)
    ->ArgNames({"layer", "kernel", "threads"})
    ->ArgsProduct({{0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
                   {Forward, InputGrad, WeightGrad},
                   {1, 2}})
    ->MeasureProcessCPUTime()
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
