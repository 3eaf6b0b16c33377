//===- ExecutableTest.cpp - The JIT's C++ API and whole models ------------===//
#include "compiler/Executable.h"
#include "JitTestUtil.h"
#include "compiler/CodeDump.h"
#include "compiler/passes/Pipeline.h"
#include "ir/Builder.h"
#include "ir/Error.h"
#include "ir/Interpreter.h"
#include "ir/Losses.h"
#include "ir/ModelIO.h"
#include "ir/Specialize.h"
#include "tests/support/RandomGraph.h"
#include "tests/support/RandomTensor.h"
#include "tests/support/TempDir.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

using namespace adjoint;
using namespace adjoint::testing;

namespace {

/// y = relu(x @ w + b), probs = softmax(y).
Graph smallMlp() {
  Graph g("mlp");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {4, 8}});
  Value *w = b.param("w", {DType::F32, {8, 3}}, glorotUniform(1));
  Value *bias = b.param("b", {DType::F32, {3}}, glorotUniform(2));
  Value *y = b.relu(b.dense(x, w, bias));
  b.output("y", y);
  b.output("probs", b.softmax(y));
  return g;
}

std::string errorOf(const std::function<void()> &fn) {
  try {
    fn();
  } catch (const Error &e) {
    return e.what();
  }
  return "";
}

TEST(Executable, SharedMatrixMatmulIsOneGemmWithTheSameSums) {
  // a [3, 37, 33] @ w [33, 20]: one GEMM over the 111 rows, each element
  // the same sum as the entry's own 37-row product.
  Graph g("m"), one("one");
  Builder b(g), b1(one);
  Value *w = b.param("w", {DType::F32, {33, 20}}, glorotUniform(1));
  b.output("y", b.matmul(b.input("a", {DType::F32, {3, 37, 33}}), w));
  Value *w1 = b1.param("w", {DType::F32, {33, 20}}, glorotUniform(1));
  b1.output("y", b1.matmul(b1.input("a", {DType::F32, {37, 33}}), w1));
  auto in = uniformInputs(g, 9);
  Tensor y = compile(g)->run(in).at("y");
  auto entry = compile(one);
  for (int64_t e = 0; e < 3; ++e) {
    Tensor a({DType::F32, {37, 33}});
    std::memcpy(a.bytes(), in.at("a").bytes() + e * a.byteSize(), a.byteSize());
    Tensor want = entry->run({{"a", a}}).at("y");
    EXPECT_EQ(std::memcmp(y.bytes() + e * want.byteSize(), want.bytes(),
                          want.byteSize()),
              0)
        << "entry " << e;
  }
}

TEST(Executable, SmallBatchedProductsSplitByEntryWithTheSameSums) {
  // Attention-sized products, [3, 4] entries of 16 x 8 @ 8 x 16 with a
  // broadcast batch axis: each entry is one thread's GEMM, and the result
  // matches the interpreter and is the same bits on 1 and 2 threads.
  Graph g("heads");
  Builder b(g);
  b.output("y", b.matmul(b.input("q", {DType::F32, {3, 4, 16, 8}}),
                         b.input("k", {DType::F32, {1, 4, 8, 16}})));
  auto in = uniformInputs(g, 5);
  Tensor want = interpret(g, in).at("y");
  Tensor byThreads[2];
  for (int threads : {1, 2}) {
    CompileOptions options;
    options.threads = threads;
    byThreads[threads - 1] = compile(g, options)->run(in).at("y");
    EXPECT_EQ(compareTensors(byThreads[threads - 1], want, 1e-5, 1e-5), "")
        << threads << " threads";
  }
  EXPECT_TRUE(byThreads[0].identical(byThreads[1]));
}

TEST(Executable, RunsTwiceWithTheSameResult) {
  Graph g = smallMlp();
  auto exe = compile(g);
  auto inputs = uniformInputs(g, 3);
  auto first = exe->run(inputs);
  auto second = exe->run(inputs);
  for (const auto &[name, t] : first)
    EXPECT_TRUE(t.identical(second.at(name))) << name;
  auto want = interpret(g, inputs);
  for (const auto &[name, t] : want)
    EXPECT_EQ(compareTensors(first.at(name), t, 1e-5, 1e-6), "") << name;
}

TEST(Executable, PreallocatedOutputsAreWrittenInPlace) {
  Graph g = smallMlp();
  auto exe = compile(g);
  ASSERT_EQ(exe->inputs().size(), 1u);
  ASSERT_EQ(exe->outputs().size(), 2u);
  Tensor x = uniformInputs(g, 5).at("x");
  std::vector<Tensor> outs = {Tensor(exe->outputs()[0].type),
                              Tensor(exe->outputs()[1].type)};
  const std::byte *where = outs[1].bytes();
  exe->run(std::vector<Tensor>{x}, outs);
  EXPECT_EQ(outs[1].bytes(), where);
  auto want = interpret(g, {{"x", x}});
  EXPECT_EQ(compareTensors(outs[1], want.at("probs"), 1e-5, 1e-6), "");
}

TEST(Executable, RejectsWrongInputs) {
  Graph g = smallMlp();
  auto exe = compile(g);
  Tensor good(TensorType{DType::F32, {4, 8}});
  EXPECT_NE(errorOf([&] {
              exe->run({{"z", good}});
            }).find("input %x"),
            std::string::npos);
  EXPECT_NE(errorOf([&] {
              exe->run({{"x", good}, {"z", good}});
            }).find("'z' is not an input"),
            std::string::npos);
  std::string dtype = errorOf([&] {
    exe->run({{"x", Tensor(TensorType{DType::F64, {4, 8}})}});
  });
  EXPECT_NE(dtype.find("expects f32[4,8], got f64[4,8]"), std::string::npos)
      << dtype;
  std::string shape = errorOf([&] {
    exe->run({{"x", Tensor(TensorType{DType::F32, {8, 4}})}});
  });
  EXPECT_NE(shape.find("expects f32[4,8], got f32[8,4]"), std::string::npos)
      << shape;
  std::vector<Tensor> wrongOut = {Tensor(TensorType{DType::F32, {1}}),
                                  Tensor(exe->outputs()[1].type)};
  EXPECT_NE(errorOf([&] {
              exe->run(std::vector<Tensor>{good}, wrongOut);
            }).find("output 'y'"),
            std::string::npos);
}

TEST(Executable, GatherOutOfRangeIsAnErrorNamingTheNode) {
  Graph g("gather");
  Builder b(g);
  Value *data = b.input("data", {DType::F32, {5, 3}});
  Value *idx = b.input("idx", {DType::I64, {2}});
  b.output("y", b.gather(data, idx, 0));
  auto exe = compile(g);
  Tensor d(TensorType{DType::F32, {5, 3}});
  Tensor i = Tensor::fromDoubles(DType::I64, {2}, std::vector<double>{1, 7});
  try {
    exe->run({{"data", d}, {"idx", i}});
    FAIL() << "expected an error";
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::Failed);
    std::string msg = e.what();
    EXPECT_NE(msg.find("(gather)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("index 7"), std::string::npos) << msg;
    EXPECT_NE(msg.find("f32[5,3]"), std::string::npos) << msg;
  }
  // A later good run works.
  Tensor ok = Tensor::fromDoubles(DType::I64, {2}, std::vector<double>{4, -5});
  EXPECT_NO_THROW(exe->run({{"data", d}, {"idx", ok}}));
}

TEST(Executable, OneHotOutOfRangeIsAnErrorNamingTheNode) {
  // A label outside [0, depth), negative ones included (no wrapping as in
  // gather), fails the run and names the node; a later good run works.
  Graph g("labels");
  Builder b(g);
  Value *labels = b.input("labels", {DType::I64, {3}});
  b.output("y", b.oneHot(labels, 4));
  auto exe = compile(g);
  for (double bad : {4.0, -1.0}) {
    Tensor l =
        Tensor::fromDoubles(DType::I64, {3}, std::vector<double>{0, bad, 2});
    try {
      exe->run({{"labels", l}});
      FAIL() << "expected an error for " << bad;
    } catch (const Error &e) {
      EXPECT_EQ(e.kind(), ErrorKind::Failed);
      std::string msg = e.what();
      EXPECT_NE(msg.find("(one_hot)"), std::string::npos) << msg;
      EXPECT_NE(msg.find(strCat("index ", (int64_t)bad,
                                " is outside the 4 classes [0, 4)")),
                std::string::npos)
          << msg;
    }
    EXPECT_THROW(interpret(g, {{"labels", l}}), Error);
  }
  Tensor ok =
      Tensor::fromDoubles(DType::I64, {3}, std::vector<double>{3, 0, 1});
  std::map<std::string, Tensor> out = exe->run({{"labels", ok}});
  std::vector<double> want = {0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0};
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_EQ(out.at("y").elementAsDouble((int64_t)i), want[i]) << i;
}

TEST(Executable, SparseCrossEntropyRejectsALabelOutsideTheClasses) {
  // The loss of a training step with a label out of range is an error of
  // run(), not a loss that silently leaves the example out.
  Graph g("xent");
  Builder b(g);
  Value *logits = b.input("logits", {DType::F32, {2, 3}});
  Value *labels = b.input("labels", {DType::I32, {2}});
  b.output("loss", sparseSoftmaxCrossEntropy(b, logits, labels));
  auto exe = compile(g);
  Tensor x(TensorType{DType::F32, {2, 3}});
  Tensor bad = Tensor::fromDoubles(DType::I32, {2}, std::vector<double>{1, 3});
  try {
    exe->run({{"logits", x}, {"labels", bad}});
    FAIL() << "expected an error";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("index 3 is outside the 3 classes"),
              std::string::npos)
        << e.what();
  }
}

TEST(Executable, ScatterAddOutOfRangeIsAnErrorNamingTheNode) {
  Graph g("scatter");
  Builder b(g);
  Value *idx = b.input("idx", {DType::I32, {3}});
  Value *u = b.input("u", {DType::F32, {2, 3}});
  b.output("y", b.scatterAdd(idx, u, {2, 4}, 1));
  auto exe = compile(g);
  Tensor ones = Tensor::fromDoubles(DType::F32, {2, 3},
                                    std::vector<double>{1, 1, 1, 1, 1, 1});
  Tensor bad =
      Tensor::fromDoubles(DType::I32, {3}, std::vector<double>{0, -5, 1});
  try {
    exe->run({{"idx", bad}, {"u", ones}});
    FAIL() << "expected an error";
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::Failed);
    std::string msg = e.what();
    EXPECT_NE(msg.find("(scatter_add)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("index -5"), std::string::npos) << msg;
    EXPECT_NE(msg.find("f32[2,4]"), std::string::npos) << msg;
  }
  // A later good run works, and repeated indices add.
  Tensor ok =
      Tensor::fromDoubles(DType::I32, {3}, std::vector<double>{3, -1, 0});
  auto out = exe->run({{"idx", ok}, {"u", ones}});
  EXPECT_EQ(out.at("y").elementAsDouble(3), 2);
  EXPECT_EQ(out.at("y").elementAsDouble(0), 1);
  EXPECT_EQ(out.at("y").elementAsDouble(1), 0);
}

/// x -> exp -> neg -> relu -> + x: neg and relu overwrite their operand.
Graph elementwiseChain() {
  Graph g("chain");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {1000}});
  b.output("y", b.add(b.relu(b.neg(b.exp(x))), x));
  return g;
}

/// The line that defines kernel body `name` in LLVM IR.
std::string definitionOf(const std::string &ir, const std::string &name) {
  size_t at = ir.find("define internal void @" + name + "(");
  return at == std::string::npos ? "" : ir.substr(at, ir.find('\n', at) - at);
}

/// One kernel per node, as the memory plan sees an unfused graph.
CompileOptions unfused() {
  CompileOptions options;
  options.simplify = options.fuse = false;
  return options;
}

TEST(Executable, IntermediatesShareTheArena) {
  Graph g = elementwiseChain();
  auto exe = compile(g, unfused());
  // exp, neg and relu share one buffer; the output is the caller's.
  EXPECT_EQ(exe->arenaBytes(), 4032);
  // Fused, the chain is one loop with nothing in between.
  auto fused = compile(g);
  EXPECT_EQ(fused->kernelCount(), 1);
  EXPECT_EQ(fused->arenaBytes(), 0);
  auto inputs = uniformInputs(g, 7);
  auto got = exe->run(inputs);
  auto want = interpret(g, inputs);
  EXPECT_EQ(compareTensors(got.at("y"), want.at("y"), 1e-5, 1e-6), "");
}

TEST(Executable, KernelsOverwritingTheirOperandAreNotNoalias) {
  std::string ir = dumpCode(elementwiseChain(), unfused()).llvmBefore;
  std::string exp = definitionOf(ir, "k0.exp.body");
  std::string neg = definitionOf(ir, "k1.neg.body");
  std::string relu = definitionOf(ir, "k2.relu.body");
  ASSERT_FALSE(exp.empty() || neg.empty() || relu.empty()) << ir;
  EXPECT_NE(exp.find("noalias"), std::string::npos) << exp;
  EXPECT_EQ(neg.find("noalias"), std::string::npos) << neg;
  EXPECT_EQ(relu.find("noalias"), std::string::npos) << relu;
}

TEST(Executable, DeadResultsShareOneScratchBuffer) {
  // Two results nothing reads: their kernels still run, into one buffer.
  Graph g("dead");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {1000}});
  b.exp(x);
  b.neg(x);
  b.output("y", b.relu(x));
  CompileOptions asGiven;
  asGiven.simplify = asGiven.fuse = false; // else dce would remove them
  auto exe = compile(g, asGiven);
  EXPECT_EQ(exe->arenaBytes(), 4032);
  EXPECT_EQ(compile(g)->arenaBytes(), 0);
  auto inputs = uniformInputs(g, 4);
  EXPECT_EQ(compareTensors(exe->run(inputs).at("y"),
                           interpret(g, inputs).at("y"), 0, 0),
            "");
}

/// Outputs read by later kernels, named twice, and intermediates that die
/// around them: every output keeps its value to the end of the run.
TEST(Executable, OutputsSurviveLaterKernels) {
  Graph g("outputs");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {16, 16}});
  Value *a = b.exp(x);
  b.output("a", a);
  b.output("a again", a);
  Value *t = b.transpose(b.neg(a));
  Value *u = b.sigmoid(b.add(t, a));
  b.output("u", u);
  b.output("v", b.matmul(b.relu(u), b.tanh(t)));
  auto exe = compile(g);
  auto inputs = uniformInputs(g, 9);
  auto want = interpret(g, inputs);
  for (int run = 0; run < 2; ++run) {
    auto got = exe->run(inputs);
    for (const auto &[name, tensor] : want)
      EXPECT_EQ(compareTensors(got.at(name), tensor, 1e-5, 1e-6), "") << name;
  }
}

TEST(Executable, DumpsLlvmAndAssembly) {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / "adjoint-dump-test";
  std::filesystem::remove_all(dir);
  Graph g = smallMlp();
  CompileOptions options;
  options.dumpDir = dir.string();
  compile(g, options);
  for (const char *file :
       {"00-input.txt", "llvm-before.ll", "llvm-after.ll", "mlp.s",
        "memory-plan.txt", "kernels/adjoint_entry.before.ll"})
    EXPECT_TRUE(std::filesystem::exists(dir / file)) << file;
  // One text file per stage of the pipeline, in order.
  const std::vector<std::string> &passes = pipelinePassNames();
  for (size_t i = 0; i < passes.size(); ++i) {
    std::string name =
        (i < 10 ? "0" : "") + std::to_string(i) + "-" + passes[i] + ".txt";
    EXPECT_TRUE(std::filesystem::exists(dir / name)) << name;
  }
  std::filesystem::remove_all(dir);
}

TEST(Executable, FixedWeightsArePackedOnceWithTheSameBits) {
  // A product whose B is a weight reads it packed once
  // (adjoint_rt_gemm_fixed_b_f32, CompileOptions::packWeights): a dense
  // layer with its epilogue, a bare product, one over a batch of rows
  // sharing the weight, and one of the weight stored [out, in], whether
  // the compile transposes it once (fixedParameters) or reads it
  // transposed. A product of two rows reads B as it is. The bits are those
  // of code that packs B on every run, on every run.
  Graph g("fixed");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {64, 40}});
  Value *w = b.param("w", {DType::F32, {40, 70}}, glorotUniform(1));
  Value *bias = b.param("b", {DType::F32, {70}}, glorotUniform(2));
  Value *v = b.param("v", {DType::F32, {70, 40}}, glorotUniform(3));
  b.output("dense", b.relu(b.dense(x, w, bias)));
  b.output("bare", b.matmul(b.input("u", {DType::F32, {30, 40}}), w));
  b.output("batch", b.matmul(b.input("s", {DType::F32, {3, 20, 40}}), w));
  b.output("stored", b.matmul(x, b.transpose(v, {1, 0})));
  b.output("two", b.matmul(b.input("t", {DType::F32, {2, 40}}), w));
  auto in = uniformInputs(g, 5);
  std::map<std::string, Tensor> want;
  struct Case {
    bool pack, fixed;
  };
  for (Case c : {Case{false, true}, Case{true, true}, Case{true, false}}) {
    TempDir dir;
    CompileOptions options;
    options.packWeights = c.pack;
    options.fixedParameters = c.fixed;
    options.dumpDir = dir.path().string();
    auto exe = compile(g, options);
    std::string ir = slurp(dir / "llvm-before.ll");
    size_t calls = 0;
    for (size_t at = ir.find("call void @adjoint_rt_gemm_fixed_b_f32(");
         at != std::string::npos;
         at = ir.find("call void @adjoint_rt_gemm_fixed_b_f32(", at + 1))
      ++calls;
    EXPECT_EQ(calls, c.pack ? 4u : 0u) << ir;
    for (int run = 0; run < 2; ++run) {
      auto got = exe->run(in);
      if (!c.pack) {
        want = got;
        continue;
      }
      for (const auto &[name, t] : want)
        EXPECT_EQ(std::memcmp(got.at(name).bytes(), t.bytes(), t.byteSize()), 0)
            << name << ", run " << run << ", fixed " << c.fixed;
    }
  }
}

/// Every shipped example: JIT against the interpreter, and 1 thread
/// against 2 threads bit for bit.
TEST(Executable, ExamplesMatchInterpreterAndThreadCounts) {
  int count = 0;
  for (const auto &entry :
       std::filesystem::directory_iterator(ADJOINT_SOURCE_DIR "/examples")) {
    if (entry.path().extension() != ".pbtxt")
      continue;
    SCOPED_TRACE(entry.path().string());
    Model m = loadModel(entry.path().string());
    // A symbolic batch (tf_cnn) bound to 7.
    if (hasSymbols(m.graph))
      m.graph = specialize(m.graph, {{graphSymbols(m.graph)[0], 7}});
    auto inputs = uniformInputs(m.graph, 11, -1, 1);
    auto want = interpret(m.graph, inputs);
    std::map<std::string, Tensor> byThreads[2];
    for (int threads : {1, 2}) {
      CompileOptions options;
      options.threads = threads;
      byThreads[threads - 1] = compile(m.graph, options)->run(inputs);
      for (const auto &[name, t] : want)
        EXPECT_EQ(
            compareTensors(byThreads[threads - 1].at(name), t, 1e-4, 1e-5), "")
            << name << " with " << threads << " threads";
    }
    for (const auto &[name, t] : byThreads[0])
      EXPECT_TRUE(t.identical(byThreads[1].at(name))) << name;
    ++count;
  }
  EXPECT_GE(count, 3);
}

/// Random models from the whole op table, JIT against the interpreter.
TEST(Executable, RandomModelsMatchInterpreter) {
  for (uint64_t seed = 0; seed < 200; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Model m = randomModel(seed);
    auto inputs = randomInputs(m.graph, seed, /*specials=*/false);
    auto want = interpret(m.graph, inputs);
    auto got = compile(m.graph)->run(inputs);
    for (const auto &[name, t] : want) {
      // Random chains can cancel catastrophically; compare against the
      // tensor's own scale.
      double scale = 0;
      if (isFloat(t.dtype()))
        for (int64_t i = 0; i < t.numElements(); ++i)
          if (std::isfinite(t.elementAsDouble(i)))
            scale = std::max(scale, std::fabs(t.elementAsDouble(i)));
      double rtol = relTolerance(t.dtype()) * 10;
      EXPECT_EQ(
          compareTensors(got.at(name), t, rtol, rtol * std::max(1.0, scale)),
          "")
          << name;
    }
  }
}

} // namespace

namespace {

/// w_new = w - 0.5 * (x @ w) summed: the update runs in w's own buffer.
TEST(Executable, InPlaceOutputsUpdateTheirInput) {
  Graph g("step");
  Builder b(g);
  Value *w = b.input("w", {DType::F32, {3}});
  Value *x = b.input("x", {DType::F32, {2, 3}});
  Value *loss = b.reduceSum(b.mul(x, w), std::nullopt);
  Value *grad = b.reduceSum(x, std::vector<int64_t>{0});
  b.output("loss", loss);
  b.output("w_new", b.sub(w, b.mul(grad, b.scalar(DType::F32, 0.5))));
  CompileOptions options;
  options.inPlace = {{"w_new", "w"}};
  auto exe = compile(g, options);

  Tensor wt =
      Tensor::fromDoubles(DType::F32, {3}, std::vector<double>{1, 2, 3});
  Tensor xt = Tensor::fromDoubles(DType::F32, {2, 3},
                                  std::vector<double>{1, 0, 2, 3, 1, -1});
  std::vector<Tensor> outs = {Tensor(TensorType{DType::F32, {}}), wt};
  exe->run(std::vector<Tensor>{wt, xt}, outs);
  EXPECT_EQ(outs[0].data<float>()[0], 1 + 6 + 3 + 2 - 3); // with the old w
  // grad = [4, 1, 1]; w - 0.5 * grad, written into wt itself.
  EXPECT_EQ(wt.data<float>()[0], -1.0f);
  EXPECT_EQ(wt.data<float>()[1], 1.5f);
  EXPECT_EQ(wt.data<float>()[2], 2.5f);
  // A second step continues from the updated weights.
  exe->run(std::vector<Tensor>{wt, xt}, outs);
  EXPECT_EQ(wt.data<float>()[0], -3.0f);
}

TEST(Executable, RejectsUnsafeInPlaceOutputs) {
  Graph g("bad");
  Builder b(g);
  Value *w = b.input("w", {DType::F32, {3}});
  Value *w2 = b.add(w, b.scalar(DType::F32, 1));
  Value *late = b.mul(w, w); // reads w after w2 would overwrite it
  b.output("w2", w2);
  b.output("late", late);
  b.output("mm", b.reduceSum(w, std::nullopt));
  CompileOptions options;
  options.inPlace = {{"w2", "w"}};
  EXPECT_NE(errorOf([&] { compile(g, options); }).find("reads the input after"),
            std::string::npos);
  options.inPlace = {{"nope", "w"}};
  EXPECT_NE(errorOf([&] { compile(g, options); }).find("no output"),
            std::string::npos);
  options.inPlace = {{"mm", "w"}};
  EXPECT_NE(errorOf([&] { compile(g, options); }).find("types differ"),
            std::string::npos);
}

} // namespace

/// A fully unrolled broadcasting kernel that LLVM 19's SLP vectorizer
/// miscompiled (two lanes of poison): the products must be exact.
TEST(Executable, SmallBroadcastProductIsExact) {
  Graph g("product");
  Builder b(g);
  Value *x = b.input("x", {DType::F64, {4, 1, 5}});
  Value *y = b.input("y", {DType::F64, {1, 3, 1}});
  b.output("z", b.mul(x, y));
  for (uint64_t seed : {1, 2, 3}) {
    auto inputs = uniformInputs(g, seed);
    auto want = interpret(g, inputs);
    EXPECT_EQ(
        compareTensors(compile(g)->run(inputs).at("z"), want.at("z"), 0, 0), "")
        << seed;
    EXPECT_EQ(compareTensors(compile(g, unfused())->run(inputs).at("z"),
                             want.at("z"), 0, 0),
              "")
        << seed;
  }
}
