//===- EveryBatchTest.cpp - One compiled model for every batch ------------===//
//
// A graph with a symbolic batch compiles once (compiler/BatchLowering.h);
// at every batch it must give exactly what the static compile of the graph
// bound at that batch gives, bit for bit.
//
//===----------------------------------------------------------------------===//
#include "JitTestUtil.h"
#include "compiler/CodeDump.h"
#include "compiler/Executable.h"
#include "compiler/StageDump.h"
#include "ir/Builder.h"
#include "ir/Error.h"
#include "ir/Layers.h"
#include "ir/Losses.h"
#include "ir/ModelIO.h"
#include "ir/Specialize.h"
#include "ir/TextFormat.h"

#include "tests/support/TempDir.h"

#include <gtest/gtest.h>

using namespace adjoint;
using namespace adjoint::testing;

namespace {

/// The Fashion-MNIST MLP's forward pass, loss and accuracy with batch N.
const char *kMlp = R"(
graph mlp(%x: f32[N,784], %y: i64[N]) params(%w1: f32[784,64] = glorot_uniform(seed=11), %b1: f32[64] = normal(stddev=0.1, seed=3), %w2: f32[64,10] = glorot_uniform(seed=12), %b2: f32[10] = normal(stddev=0.1, seed=4)) {
  %0 = matmul(%x, %w1) : f32[N,64]
  %1 = add(%0, %b1) : f32[N,64]
  %2 = relu(%1) : f32[N,64]
  %3 = matmul(%2, %w2) : f32[N,10]
  %4 = add(%3, %b2) : f32[N,10]
  %5 = reduce_max(%4) {axes = [-1], keepdims = true} : f32[N,1]
  %6 = sub(%4, %5) : f32[N,10]
  %7 = exp(%6) : f32[N,10]
  %8 = reduce_sum(%7) {axes = [-1], keepdims = true} : f32[N,1]
  %9 = div(%7, %8) : f32[N,10]
  %10 = one_hot(%y) {depth = 10} : f32[N,10]
  %11 = log(%8) : f32[N,1]
  %12 = sub(%6, %11) : f32[N,10]
  %13 = mul(%10, %12) : f32[N,10]
  %14 = reduce_sum(%13) {axes = [1]} : f32[N]
  %15 = neg(%14) : f32[N]
  %16 = reduce_mean(%15) : f32[]
  %17 = argmax(%4) {axis = 1} : i64[N]
  %18 = equal(%17, %y) : bool[N]
  %19 = cast(%18) {to = f32} : f32[N]
  %20 = reduce_mean(%19) : f32[]
  %21 = reduce_sum(%2) {axes = [0]} : f32[64]
  return probs = %9, loss = %16, accuracy = %20, column_sums = %21
}
)";

Graph parse(const char *text) { return parseModel(text).graph; }

CompileOptions oneThread() {
  CompileOptions options;
  options.threads = 1;
  return options;
}

/// Inputs of `g` at batch n: features in [-2, 2], labels in [0, 10).
std::map<std::string, Tensor> inputsAt(const Graph &g, int64_t n,
                                       uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::map<std::string, Tensor> in;
  for (const Value *v : g.inputs()) {
    TensorType t = v->type();
    t.shape = bindShape(t.shape, {{graphSymbols(g)[0], n}});
    in[v->name()] = t.dtype == DType::I64 ? uniformTensor(t, rng, 0, 9)
                                          : uniformTensor(t, rng);
  }
  return in;
}

/// One compile of `g` for every batch against a static compile per batch.
void expectSameAsStatic(const Graph &g, std::vector<int64_t> batches,
                        int threads) {
  CompileOptions options;
  options.threads = threads;
  const char *debugDir = std::getenv("EVERY_BATCH_DUMP");
  if (debugDir)
    options.dumpDir = std::string(debugDir) + "/every";
  auto every = compile(g, options);
  for (int64_t n : batches) {
    SCOPED_TRACE("batch " + std::to_string(n));
    auto in = inputsAt(g, n, (uint64_t)n);
    auto got = every->run(in);
    Graph bound = specialize(g, bindSymbols(g, in));
    if (debugDir)
      options.dumpDir = std::string(debugDir) + "/static" + std::to_string(n);
    auto want = compile(bound, options)->run(in);
    ASSERT_EQ(got.size(), want.size());
    for (const auto &[name, t] : want) {
      ASSERT_EQ(got.at(name).type(), t.type()) << name;
      EXPECT_TRUE(got.at(name).identical(t))
          << name << ": " << compareTensors(got.at(name), t, 0, 0);
    }
  }
}

TEST(EveryBatch, MlpMatchesStaticCompilesBitForBit) {
  expectSameAsStatic(parse(kMlp), {1, 2, 7, 64, 1000}, 1);
}

TEST(EveryBatch, WeightsArePackedOnceAtEveryBatch) {
  // The code for every batch reads the weights packed once, as a static
  // compile does (the bit-for-bit tests above compare the two, at batches
  // of a few rows too, for which the runtime computes the plain product).
  TempDir dir;
  CompileOptions options = oneThread();
  options.dumpDir = dir.path().string();
  compile(parse(kMlp), options);
  std::string ir = slurp(dir / "llvm-after.ll");
  EXPECT_NE(ir.find("@adjoint_rt_gemm_fixed_b_f32("), std::string::npos)
      << ir.substr(0, 2000);
}

TEST(EveryBatch, MlpMatchesStaticCompilesOnTwoThreads) {
  expectSameAsStatic(parse(kMlp), {1, 7, 64, 1000}, 2);
}

TEST(EveryBatch, ChannelsLastCnnMatchesStaticCompilesBitForBit) {
  Model m = loadModel(ADJOINT_SOURCE_DIR "/examples/tf_cnn.pbtxt");
  expectSameAsStatic(m.graph, {1, 2, 7, 64}, 2);
}

TEST(EveryBatch, TransformerEncoderMatchesStaticCompilesBitForBit) {
  // Attention over [N, heads] and products of a sequence with weights.
  Graph g("encoder");
  Builder b(g);
  int64_t n = symbolicDim(internSymbol("N"));
  Value *x = b.input("x", {DType::F32, {n, 6, 8}});
  Value *y = b.input("y", {DType::I64, {n}});
  TransformerOptions o;
  o.heads = 2;
  o.feedForward = 16;
  Value *h =
      transformerEncoderLayer(b, addLearnedPositions(b, x, "pos", 1), "enc", o);
  Value *w = b.param("w", {DType::F32, {8, 10}}, glorotUniform(3));
  Value *logits = b.matmul(b.reduceMean(h, std::vector<int64_t>{1}), w);
  b.output("logits", logits);
  b.output("loss", sparseSoftmaxCrossEntropy(b, logits, y));
  expectSameAsStatic(g, {1, 2, 7, 64}, 2);
}

TEST(EveryBatch, AttentionHeadsReadInPlaceMatchStaticCompiles) {
  // PyTorch's layout: [seq, N, 3 d] projections whose heads the products
  // read in place, entries over (batch, head): the batch is a mode inside
  // the products' batch axis (FusionPlan.h, readThroughViews).
  Graph g("heads");
  Builder b(g);
  int64_t n = symbolicDim(internSymbol("N")),
          twoN = symbolicDim(internSymbol("N"), 2);
  Value *qkv = b.tanh(b.input("x", {DType::F32, {5, n, 24}}));
  auto part = [&](int64_t i, std::vector<int64_t> perm) {
    Value *cols = b.slice(qkv, {i * 8}, {(i + 1) * 8}, {2});
    return b.transpose(b.reshape(cols, {5, twoN, 4}), perm);
  };
  Value *scores = b.matmul(part(0, {1, 0, 2}), part(1, {1, 2, 0}));
  b.output("context", b.matmul(b.softmax(scores, -1), part(2, {1, 0, 2})));
  expectSameAsStatic(g, {1, 2, 7, 64}, 2);
}

TEST(EveryBatch, RowKernelOverTheBatchIsRefusedUntilBound) {
  // One row kernel whose row is the whole tensor, batch included: the row
  // emitter's choices follow the row's length (a masked vector for a short
  // row, a vector loop for a long one), so its code differs between
  // batches. It is refused, naming the kernel, and runs once bound.
  Graph g = parse(R"(
graph rown(%x: f32[N,3]) {
  %0 = exp(%x) : f32[N,3]
  %1 = reduce_sum(%0) {axes = [0, 1]} : f32[]
  %2 = div(%0, %1) : f32[N,3]
  %3 = reduce_mean(%2) {axes = [0, 1]} : f32[]
  return y = %2, m = %3
}
)");
  try {
    compile(g, oneThread());
    FAIL() << "compiled a row over the batch for every batch";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("kernel g0.reduce_mean"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("--batch"), std::string::npos)
        << e.what();
  }
  auto bound = compile(specialize(g, {{graphSymbols(g)[0], 7}}), oneThread());
  EXPECT_EQ(bound->outputs().size(), 2u);
}

TEST(EveryBatch, BatchesMayComeInAnyOrder) {
  Graph g = parse(kMlp);
  auto every = compile(g, oneThread());
  auto big = inputsAt(g, 300, 1), small = inputsAt(g, 3, 2);
  auto bigFirst = every->run(big);
  auto smallAfter = every->run(small);
  auto bigAgain = every->run(big);
  for (const auto &[name, t] : bigFirst)
    EXPECT_TRUE(bigAgain.at(name).identical(t)) << name;
  auto want = compile(specialize(g, bindSymbols(g, small)))->run(small);
  for (const auto &[name, t] : want)
    EXPECT_TRUE(smallAfter.at(name).identical(t)) << name;
}

TEST(EveryBatch, ArenaGrowsWithTheBatch) {
  Graph g = parse(kMlp);
  auto every = compile(g, oneThread());
  every->run(inputsAt(g, 10, 1));
  int64_t at10 = every->arenaBytes();
  every->run(inputsAt(g, 20, 1));
  int64_t at20 = every->arenaBytes();
  every->run(inputsAt(g, 30, 1));
  EXPECT_GT(at20, at10);
  EXPECT_EQ(every->arenaBytes() - at20, at20 - at10); // a + b*N
}

TEST(EveryBatch, InputsThatDisagreeOnTheBatchAreRejected) {
  Graph g = parse(kMlp);
  auto every = compile(g, oneThread());
  auto in = inputsAt(g, 8, 1);
  in["y"] = inputsAt(g, 9, 1).at("y");
  try {
    every->run(in);
    FAIL() << "ran with x of 8 examples and y of 9";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("N = 9"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("f32[8,784]"), std::string::npos)
        << e.what();
  }
  in = inputsAt(g, 8, 1);
  in["x"] = Tensor(TensorType{DType::F32, {8, 783}});
  EXPECT_THROW(every->run(in), Error);
}

TEST(EveryBatch, TwoSymbolsAreRejectedWithTheirNames) {
  Graph g = parse(R"(
graph two(%a: f32[N,4], %b: f32[M,4]) {
  %0 = reduce_sum(%a) {axes = [0]} : f32[4]
  %1 = reduce_sum(%b) {axes = [0]} : f32[4]
  %2 = add(%0, %1) : f32[4]
  return out = %2
}
)");
  try {
    compile(g);
    FAIL() << "compiled two symbols";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("N, M"), std::string::npos)
        << e.what();
  }
}

TEST(EveryBatch, SizesThatAreNotLinearInTheBatchAreRejected) {
  // x times its transpose is N x N: no arena of a + b*N bytes holds it.
  Graph g = parse(R"(
graph gram(%x: f32[N,4]) {
  %0 = transpose(%x) {perm = [1, 0]} : f32[4,N]
  %1 = matmul(%x, %0) : f32[N,N]
  %2 = reduce_sum(%1) {axes = [0, 1]} : f32[]
  return out = %2
}
)");
  try {
    compile(g);
    FAIL() << "compiled an N x N intermediate for every batch";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("does not grow linearly"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("--batch"), std::string::npos)
        << e.what();
  }
  // Bound, it compiles.
  auto exe = compile(specialize(g, {{graphSymbols(g)[0], 3}}));
  EXPECT_EQ(exe->outputs().size(), 1u);
}

TEST(EveryBatch, MemoryPlanIsFixedPlusPerExample) {
  CompileDump dump = dumpCompilation(parse(kMlp), oneThread());
  EXPECT_NE(dump.memoryPlan.find("buffers that do not grow with the batch"),
            std::string::npos)
      << dump.memoryPlan;
  EXPECT_NE(dump.memoryPlan.find("buffers per example of the batch N"),
            std::string::npos)
      << dump.memoryPlan;
}

TEST(EveryBatch, KernelsReadTheBatchAtRunTime) {
  Graph g = parse(kMlp);
  CodeDump code = dumpCode(g, {});
  // The GEMM's m comes from the batch, not a constant.
  EXPECT_NE(code.llvmBefore.find("%batch = load i64"), std::string::npos);
  EXPECT_EQ(code.llvmBefore.find("adjoint_rt_gemm_ex_f32(i64 5,"),
            std::string::npos);
}

} // namespace
