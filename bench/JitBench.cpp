//===- JitBench.cpp - Compiled graphs against the machine's ceilings ------===//
//
// Graphs built with the Builder, compiled once by the JIT and run with
// preallocated outputs (as a serving loop runs them), each judged against a
// ceiling measured in the same process (bench/Ceilings.h):
//
//  - elementwise kernels over 16M floats (64 MiB per buffer), in GB/s of
//    bytes read plus written and as a fraction of the copy bandwidth on the
//    same threads (`of_copy`);
//  - matmul and conv2d, in GFLOP/s and as a fraction of the FMA peak of the
//    cores used (`of_peak`);
//  - the JIT compile time of each example model (examples/*.pbtxt);
//  - the example CNN's inference at batch 1 and 64.
//
// Every benchmark takes the thread count as its argument `threads`, except
// compile times. scripts/bench.sh runs this program with repetitions and
// puts its medians next to PyTorch's.
//
//===----------------------------------------------------------------------===//
#include "bench/Ceilings.h"
#include "compiler/Executable.h"
#include "compiler/training/Rebatch.h"
#include "ir/Builder.h"
#include "ir/Error.h"
#include "ir/Flops.h"
#include "ir/ModelIO.h"
#include "ir/Specialize.h"
#include "runtime/Runtime.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <vector>

using namespace adjoint;
using namespace adjoint::bench;

namespace {

constexpr int64_t Elements = int64_t(16) << 20; // 16M floats, 64 MiB

TensorType f32(Shape shape) { return {DType::F32, std::move(shape)}; }

/// A graph compiled for a thread count, with random inputs (uniform in
/// [-1, 1]) and preallocated outputs.
struct Compiled {
  Graph graph;
  std::unique_ptr<Executable> exe;
  std::vector<Tensor> inputs, outputs;

  Compiled(Graph g, int threads) : graph(std::move(g)) {
    CompileOptions options;
    options.threads = threads;
    exe = compile(graph, options);
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> dist(-1, 1);
    for (const TensorInfo &info : exe->inputs()) {
      Tensor t(info.type);
      for (float &v : t.span<float>())
        v = dist(rng);
      inputs.push_back(std::move(t));
    }
    for (const TensorInfo &info : exe->outputs())
      outputs.emplace_back(info.type);
    run(); // first-run costs (page faults, the pool's start) stay untimed
  }

  void run() { exe->run(inputs, outputs); }
};

/// Google Benchmark calls a benchmark function several times (to size its
/// loop, and once per repetition); the last graph compiled is kept so
/// that each workload is compiled once per thread count.
Compiled &compiled(const std::string &key, int threads,
                   const std::function<Graph()> &build) {
  static std::string cachedKey;
  static std::unique_ptr<Compiled> cached;
  std::string fullKey = key + "/" + std::to_string(threads);
  if (!cached || cachedKey != fullKey) {
    cached.reset(); // free the old buffers before allocating the new ones
    cached = std::make_unique<Compiled>(build(), threads);
    cachedKey = fullKey;
  }
  return *cached;
}

/// Runs `c` in the timed loop.
void runLoop(benchmark::State &state, Compiled &c) {
  for (auto _ : state) {
    c.run();
    benchmark::ClobberMemory();
  }
}

int threadsOf(const benchmark::State &state) {
  return static_cast<int>(state.range(0));
}

//===----------------------------------------------------------------------===//
// Ceilings
//===----------------------------------------------------------------------===//

void fmaPeakBench(benchmark::State &state) {
  fmaPeakGflops();
  double flops = 0;
  for (auto _ : state)
    flops = fmaKernel(1 << 20);
  reportFlops(state, flops, 1);
}

void copyBench(benchmark::State &state) {
  int threads = threadsOf(state);
  adjoint_rt_set_num_threads(threads);
  CopyBuffers buf;
  copyLoop(buf);
  for (auto _ : state)
    copyLoop(buf);
  reportBytes(state, 2.0 * kCopyBytes, threads);
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

/// A graph of one unary op on x [16M].
Graph unaryGraph(const std::string &name, OpKind op) {
  Graph g(name);
  Builder b(g);
  b.output("y", b.op(op, {b.input("x", f32({Elements}))}));
  return g;
}

/// Reports an elementwise run over `elements` outputs that moved `bytes`.
void reportElementwise(benchmark::State &state, double elements, double bytes) {
  reportBytes(state, bytes, threadsOf(state));
  state.counters["Gelem/s"] = benchmark::Counter(
      elements * static_cast<double>(state.iterations()) / 1e9,
      benchmark::Counter::kIsRate);
}

void addBench(benchmark::State &state) {
  Compiled &c = compiled("add", threadsOf(state), [] {
    Graph g("add_16M");
    Builder b(g);
    b.output("z", b.add(b.input("x", f32({Elements})),
                        b.input("y", f32({Elements}))));
    return g;
  });
  runLoop(state, c);
  reportElementwise(state, Elements, 3.0 * 4 * Elements);
}

void reluBench(benchmark::State &state) {
  Compiled &c = compiled("relu", threadsOf(state),
                         [] { return unaryGraph("relu_16M", OpKind::Relu); });
  runLoop(state, c);
  reportElementwise(state, Elements, 2.0 * 4 * Elements);
}

void expBench(benchmark::State &state) {
  Compiled &c = compiled("exp", threadsOf(state),
                         [] { return unaryGraph("exp_16M", OpKind::Exp); });
  runLoop(state, c);
  reportElementwise(state, Elements, 2.0 * 4 * Elements);
}

/// [4096, 4096] + [4096]: the row vector broadcast down the rows.
void broadcastAddBench(benchmark::State &state) {
  Compiled &c = compiled("broadcast_add", threadsOf(state), [] {
    Graph g("broadcast_add");
    Builder b(g);
    b.output("z",
             b.add(b.input("x", f32({4096, 4096})), b.input("b", f32({4096}))));
    return g;
  });
  runLoop(state, c);
  reportElementwise(state, Elements, 4.0 * (2 * Elements + 4096));
}

//===----------------------------------------------------------------------===//
// matmul and conv2d
//===----------------------------------------------------------------------===//

/// a [m, k] @ b [k, n].
void matmulBench(benchmark::State &state, int64_t m, int64_t k, int64_t n) {
  std::string key = "matmul" + std::to_string(m) + "x" + std::to_string(k) +
                    "x" + std::to_string(n);
  Compiled &c = compiled(key, threadsOf(state), [&] {
    Graph g(key);
    Builder b(g);
    b.output("c",
             b.matmul(b.input("a", f32({m, k})), b.input("b", f32({k, n}))));
    return g;
  });
  runLoop(state, c);
  reportFlops(state, 2.0 * m * n * k, threadsOf(state));
}

/// x [n, c, h, h] conv w [o, c, 5, 5] with pads 2 (SAME).
void conv2dBench(benchmark::State &state, int64_t n, int64_t ch, int64_t h,
                 int64_t o) {
  std::string key = "conv" + std::to_string(n) + "x" + std::to_string(ch) +
                    "x" + std::to_string(h) + "o" + std::to_string(o);
  Compiled &c = compiled(key, threadsOf(state), [&] {
    Graph g(key);
    Builder b(g);
    Conv2DOptions same;
    same.pads = {2, 2, 2, 2};
    b.output("y", b.conv2d(b.input("x", f32({n, ch, h, h})),
                           b.input("w", f32({o, ch, 5, 5})), same));
    return g;
  });
  runLoop(state, c);
  reportFlops(state, static_cast<double>(graphFlops(c.graph)),
              threadsOf(state));
}

//===----------------------------------------------------------------------===//
// Models
//===----------------------------------------------------------------------===//

/// The example CNN (examples/fashion_cnn.pbtxt, written by
/// examples/make_examples.cpp: same layers, same initializer seeds) for
/// images [batch, 1, 28, 28].
Graph cnnGraph(int64_t batch) {
  Graph g("fashion_cnn");
  Builder b(g);
  auto convRelu = [&](Value *x, const std::string &prefix, int64_t out,
                      uint64_t seed) {
    int64_t in = x->type().shape[1];
    Value *w = b.param(prefix + "_w", f32({out, in, 5, 5}), heNormal(seed));
    Value *bias = b.param(prefix + "_b", f32({out, 1, 1}), zerosInit());
    Conv2DOptions same;
    same.pads = {2, 2, 2, 2};
    Pool2DOptions pool;
    pool.kernel = {2, 2};
    pool.strides = {2, 2};
    return b.maxPool2d(b.relu(b.add(b.conv2d(x, w, same), bias)), pool);
  };
  auto dense = [&](Value *x, const std::string &prefix, int64_t out,
                   uint64_t seed) {
    int64_t in = x->type().shape.back();
    Value *w = b.param(prefix + "_w", f32({in, out}), glorotUniform(seed));
    Value *bias = b.param(prefix + "_b", f32({out}), zerosInit());
    return b.dense(x, w, bias);
  };
  Value *h = convRelu(b.input("x", f32({batch, 1, 28, 28})), "conv1", 32, 21);
  h = convRelu(h, "conv2", 64, 22);
  h = b.relu(dense(b.flatten(h), "fc1", 1024, 23));
  Value *logits = dense(h, "fc2", 10, 24);
  b.output("probs", b.softmax(logits));
  b.output("logits", logits);
  return g;
}

/// One inference of the CNN on a batch of `batch` images.
void cnnBench(benchmark::State &state, int64_t batch) {
  Compiled &c = compiled("cnn" + std::to_string(batch), threadsOf(state),
                         [&] { return cnnGraph(batch); });
  runLoop(state, c);
  reportFlops(state, static_cast<double>(graphFlops(c.graph)),
              threadsOf(state));
  state.counters["images/s"] =
      benchmark::Counter(static_cast<double>(batch * state.iterations()),
                         benchmark::Counter::kIsRate);
}

/// compile() of a model file, from the loaded graph to runnable code; a
/// symbolic batch at the training spec's batch size.
void compileBench(benchmark::State &state, const std::string &path) {
  Model model = loadModel(path);
  if (hasSymbols(model.graph) && model.training &&
      model.training->batchSize > 0)
    model = rebatch(model, model.training->batchSize);
  for (auto _ : state) {
    std::unique_ptr<Executable> exe = compile(model.graph);
    benchmark::DoNotOptimize(exe.get());
  }
}

//===----------------------------------------------------------------------===//
// Registration
//===----------------------------------------------------------------------===//

/// Registers `fn` as `name` on 1 and 2 threads (the argument `threads`).
template <typename Fn> void registerThreaded(const std::string &name, Fn fn) {
  for (int64_t threads : {1, 2})
    benchmark::RegisterBenchmark(name.c_str(), fn)
        ->ArgName("threads")
        ->Arg(threads)
        ->UseRealTime()
        ->MeasureProcessCPUTime()
        ->Unit(benchmark::kMillisecond);
}

void registerAll() {
  benchmark::RegisterBenchmark("ceiling/fma_peak", fmaPeakBench)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  registerThreaded("ceiling/copy_64MiB", copyBench);
  registerThreaded("jit/add_16M", addBench);
  registerThreaded("jit/relu_16M", reluBench);
  registerThreaded("jit/broadcast_add_4096x4096+4096", broadcastAddBench);
  registerThreaded("jit/exp_16M", expBench);
  for (auto [m, k, n] :
       {std::tuple<int64_t, int64_t, int64_t>{1024, 1024, 1024},
        {64, 784, 64},
        {64, 3136, 1024}})
    registerThreaded(
        "jit/matmul_" + std::to_string(m) + "x" + std::to_string(k) + "x" +
            std::to_string(n),
        [m, k, n](benchmark::State &state) { matmulBench(state, m, k, n); });
  // The example CNN's layers: x [64,1,28,28] w [32,1,5,5] and
  // x [64,32,14,14] w [64,32,5,5].
  for (auto [n, c, h, o] :
       {std::array<int64_t, 4>{64, 1, 28, 32}, {64, 32, 14, 64}}) {
    std::string name = "jit/conv2d_" + std::to_string(n) + "x" +
                       std::to_string(c) + "x" + std::to_string(h) + "x" +
                       std::to_string(h) + "_w" + std::to_string(o) + "x" +
                       std::to_string(c) + "x5x5";
    registerThreaded(name, [n, c, h, o](benchmark::State &state) {
      conv2dBench(state, n, c, h, o);
    });
  }
  for (int64_t batch : {1, 64})
    registerThreaded(
        "jit/cnn_batch" + std::to_string(batch),
        [batch](benchmark::State &state) { cnnBench(state, batch); });

  std::vector<std::filesystem::path> models;
  for (const auto &entry :
       std::filesystem::directory_iterator(ADJOINT_EXAMPLES_DIR))
    if (entry.path().extension() == ".pbtxt")
      models.push_back(entry.path());
  std::sort(models.begin(), models.end());
  for (const std::filesystem::path &path : models)
    benchmark::RegisterBenchmark(
        ("compile/" + path.stem().string()).c_str(),
        [path](benchmark::State &state) { compileBench(state, path); })
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
}

} // namespace

int main(int argc, char **argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 2;
  try {
    registerAll();
    benchmark::RunSpecifiedBenchmarks();
  } catch (const Error &e) {
    std::cerr << "adjoint_jit_bench: error: " << e.what() << "\n";
    return 1;
  }
  benchmark::Shutdown();
  return 0;
}
