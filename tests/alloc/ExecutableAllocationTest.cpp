//===- ExecutableAllocationTest.cpp - Repeated runs allocate nothing ------===//
#include "compiler/Executable.h"
#include "ir/Builder.h"
#include "ir/ModelIO.h"
#include "tests/support/AllocationCounter.h"
#include "tests/support/Examples.h"

#include <gtest/gtest.h>

using namespace adjoint;

namespace {

/// Runs `g` with preallocated outputs: after the first run, further runs
/// allocate nothing.
void expectNoAllocations(const Graph &g, int threads) {
#if !ADJOINT_COUNT_ALLOCATIONS
  GTEST_SKIP() << "counting allocations needs glibc and no sanitizer";
#else
  CompileOptions options;
  options.threads = threads;
  auto exe = compile(g, options);
  std::vector<Tensor> inputs, outputs;
  for (const TensorInfo &info : exe->inputs())
    inputs.emplace_back(info.type);
  for (const TensorInfo &info : exe->outputs())
    outputs.emplace_back(info.type);
  exe->run(inputs, outputs);
  long before = gAllocations.load();
  for (int i = 0; i < 3; ++i)
    exe->run(inputs, outputs);
  EXPECT_EQ(gAllocations.load() - before, 0) << "threads " << threads;
#endif
}

TEST(ExecutableAllocation, ExampleCnnRunsAllocateNothing) {
  Model m = adjoint::testing::loadExampleAtSpecBatch(
      ADJOINT_SOURCE_DIR "/examples/fashion_cnn.pbtxt");
  // One thread: with more, which worker first runs which block of a GEMM or
  // conv varies, so per-thread scratch may still grow in the first runs.
  expectNoAllocations(m.graph, 1);
}

TEST(ExecutableAllocation, ExampleMlpRunsAllocateNothing) {
  Model m = adjoint::testing::loadExampleAtSpecBatch(
      ADJOINT_SOURCE_DIR "/examples/fashion_mlp.pbtxt");
  expectNoAllocations(m.graph, 1);
}

TEST(ExecutableAllocation, EveryBatchRunsAllocateNothing) {
#if !ADJOINT_COUNT_ALLOCATIONS
  GTEST_SKIP() << "counting allocations needs glibc and no sanitizer";
#else
  // Compiled once for every batch: after the first run at the largest
  // batch, runs at it and at smaller ones allocate nothing.
  Model m = loadModel(ADJOINT_SOURCE_DIR "/examples/fashion_mlp.pbtxt");
  CompileOptions options;
  options.threads = 1;
  auto exe = compile(m.graph, options);
  auto at = [](int64_t n) {
    return std::pair<std::vector<Tensor>, std::vector<Tensor>>{
        {Tensor(TensorType{DType::F32, {n, 784}}),
         Tensor(TensorType{DType::I64, {n}})},
        {Tensor(TensorType{DType::F32, {n, 10}}),
         Tensor(TensorType{DType::F32, {n, 10}}), Tensor(TensorType{})}};
  };
  auto big = at(64), small = at(7);
  exe->run(big.first, big.second);
  long before = gAllocations.load();
  for (int i = 0; i < 3; ++i) {
    exe->run(small.first, small.second);
    exe->run(big.first, big.second);
  }
  EXPECT_EQ(gAllocations.load() - before, 0);
#endif
}

} // namespace
