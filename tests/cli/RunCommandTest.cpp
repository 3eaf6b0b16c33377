//===- RunCommandTest.cpp - `adjoint run` end to end ----------------------===//
#include "compiler/training/Rebatch.h"
#include "tests/cli/CliTestSupport.h"
#include "tests/support/Examples.h"

#include "ir/Builder.h"
#include "ir/Interpreter.h"
#include "ir/ModelIO.h"
#include "ir/NpyFile.h"
#include "ir/Specialize.h"

#include <cmath>
#include <cstring>

using namespace adjoint;
using namespace adjoint::test;

namespace {

std::string example(const std::string &name) {
  return sourcePath("examples/" + name);
}

/// A tensor of `type` with values v_i = f(i).
Tensor ramp(TensorType type) {
  Tensor t(std::move(type));
  for (int64_t i = 0; i < t.numElements(); ++i)
    t.setElementFromDouble(i, std::sin(0.37 * (double)i));
  return t;
}

TEST(RunCommand, RunsEveryExampleIntoADirectory) {
  for (const std::string &name : exampleNames()) {
    SCOPED_TRACE(name);
    TempDir dir;
    std::string out = dir / "out/nested";
    ProcessResult r = runCli({"run", example(name), "-o", out});
    ASSERT_EQ(r.status, 0) << r.err;
    Model m = loadModel(example(name));
    // A symbolic batch no input gives is the training spec's batch size.
    SymbolValues ones;
    for (SymbolId s : graphSymbols(m.graph))
      ones[s] = m.training ? m.training->batchSize : 1;
    for (const Output &o : m.graph.outputs()) {
      std::string path = out + "/" + o.name + ".npy";
      Tensor t = readNpy(path);
      TensorType want{o.value->type().dtype,
                      bindShape(o.value->type().shape, ones)};
      EXPECT_EQ(t.type(), want);
      EXPECT_NE(
          r.out.find(o.name + ": " + typeStr(want) + " -> " + path + "\n"),
          std::string::npos)
          << r.out;
    }
    // The note about the random input is the only thing on stderr.
    EXPECT_NE(r.err.find("input %x"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("error"), std::string::npos) << r.err;
  }
}

TEST(RunCommand, ProbabilitiesSumToOne) {
  TempDir dir;
  ProcessResult r =
      runCli({"run", example("fashion_mlp.pbtxt"), "-o", dir / "out"});
  ASSERT_EQ(r.status, 0) << r.err;
  Tensor probs = readNpy(dir / "out/probs.npy");
  ASSERT_EQ(probs.shape(), (Shape{32, 10}));
  for (int64_t row = 0; row < 32; ++row) {
    double sum = 0;
    for (int64_t c = 0; c < 10; ++c)
      sum += probs.elementAsDouble(row * 10 + c);
    EXPECT_NEAR(sum, 1.0, 1e-5);
  }
}

TEST(RunCommand, BindsInputsFromNpyFiles) {
  TempDir dir;
  Model m = loadModel(example("keras_mlp.pbtxt"));
  Tensor x = ramp({DType::F32, {32, 100}});
  // One-hot targets: example i belongs to class i % 10.
  Tensor y({DType::F32, {32, 10}});
  for (int64_t i = 0; i < 32; ++i)
    y.data<float>()[i * 10 + i % 10] = 1;
  writeNpy(dir / "x.npy", x);
  writeNpy(dir / "y.npy", y);
  ProcessResult r = runCli({"run", example("keras_mlp.pbtxt"), "--engine",
                            "interp", "-i", "x=" + (dir / "x.npy"), "-i",
                            "y=" + (dir / "y.npy"), "-o", dir / "out"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  std::map<std::string, Tensor> want = interpret(m.graph, {{"x", x}, {"y", y}});
  for (const char *name : {"probs", "loss"})
    EXPECT_TRUE(readNpy(dir / ("out/" + std::string(name) + ".npy"))
                    .identical(want.at(name)))
        << name;
  // The text IR's spelling %x names the same input.
  ProcessResult again = runCli({"run", example("keras_mlp.pbtxt"), "--engine",
                                "interp", "-i", "%x=" + (dir / "x.npy"), "-i",
                                "%y=" + (dir / "y.npy"), "-o", dir / "out2"});
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_TRUE(readNpy(dir / "out2/probs.npy").identical(want.at("probs")));
  // The default engine, the JIT, agrees to rounding.
  ProcessResult jit =
      runCli({"run", example("keras_mlp.pbtxt"), "-i", "x=" + (dir / "x.npy"),
              "-i", "y=" + (dir / "y.npy"), "-o", dir / "out3"});
  ASSERT_EQ(jit.status, 0) << jit.err;
  for (const char *name : {"probs", "loss"}) {
    Tensor got = readNpy(dir / ("out3/" + std::string(name) + ".npy"));
    const Tensor &expected = want.at(name);
    ASSERT_EQ(got.type(), expected.type());
    for (int64_t i = 0; i < got.numElements(); ++i)
      EXPECT_NEAR(got.elementAsDouble(i), expected.elementAsDouble(i), 1e-6)
          << name;
  }
}

TEST(RunCommand, RandomInputsAreDeterministicPerSeed) {
  TempDir dir;
  std::string model = example("keras_mlp.pbtxt");
  for (auto [seed, out] : {std::pair{"7", "a"}, {"7", "b"}, {"8", "c"}})
    ASSERT_EQ(runCli({"run", model, "--seed", seed, "-o", dir / out}).status,
              0);
  Tensor a = readNpy(dir / "a/probs.npy"), b = readNpy(dir / "b/probs.npy"),
         c = readNpy(dir / "c/probs.npy");
  EXPECT_TRUE(a.identical(b));
  EXPECT_FALSE(a.identical(c));
}

TEST(RunCommand, RandomFillFollowsTheDocumentedRanges) {
  TempDir dir;
  Model m{Graph("ranges"), std::nullopt};
  Builder b(m.graph);
  b.output("f", b.input("f", {DType::F32, {1000}}));
  b.output("i", b.input("i", {DType::I32, {1000}}));
  b.output("flag", b.input("flag", {DType::Bool, {1000}}));
  saveModel(m, dir / "ranges.pbtxt");
  ProcessResult r = runCli({"run", dir / "ranges.pbtxt", "-o", dir / "out"});
  ASSERT_EQ(r.status, 0) << r.err;
  Tensor f = readNpy(dir / "out/f.npy"), i = readNpy(dir / "out/i.npy"),
         flag = readNpy(dir / "out/flag.npy");
  double lo = 1, hi = -1, ilo = 10, ihi = -1, trues = 0;
  for (int64_t k = 0; k < 1000; ++k) {
    lo = std::min(lo, f.elementAsDouble(k));
    hi = std::max(hi, f.elementAsDouble(k));
    ilo = std::min(ilo, i.elementAsDouble(k));
    ihi = std::max(ihi, i.elementAsDouble(k));
    trues += flag.elementAsDouble(k);
  }
  EXPECT_GE(lo, -1.0);
  EXPECT_LT(lo, -0.9);
  EXPECT_LE(hi, 1.0);
  EXPECT_GT(hi, 0.9);
  EXPECT_EQ(ilo, 0);
  EXPECT_EQ(ihi, 9);
  EXPECT_GT(trues, 400);
  EXPECT_LT(trues, 600);
}

TEST(RunCommand, SummarizesOutputsWithoutADirectory) {
  ProcessResult r = runCli({"run", example("fashion_mlp.pbtxt")});
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char *part :
       {"probs: f32[32,10]\n  values: [", ", ...]\n  min ", "  max ",
        "  mean 0.1\n", "logits: f32[32,10]\n", "loss: f32[]\n  values: ["})
    EXPECT_NE(r.out.find(part), std::string::npos) << part << "\n" << r.out;
}

TEST(RunCommand, SanitizesOutputFileNames) {
  TempDir dir;
  Model m{Graph("names"), std::nullopt};
  Builder b(m.graph);
  Value *x = b.input("x", {DType::F32, {2}});
  b.output("a/b c:d", b.neg(x));
  b.output("ok.name-1", b.relu(x));
  saveModel(m, dir / "names.pbtxt");
  ProcessResult r = runCli({"run", dir / "names.pbtxt", "-o", dir / "out"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir / "out/a_b_c_d.npy")) << r.out;
  EXPECT_TRUE(std::filesystem::exists(dir / "out/ok.name-1.npy")) << r.out;
}

TEST(RunCommand, RejectsOutputsThatShareAFile) {
  TempDir dir;
  Model m{Graph("clash"), std::nullopt};
  Builder b(m.graph);
  Value *x = b.input("x", {DType::F32, {2}});
  b.output("a/b", b.neg(x));
  b.output("a:b", b.relu(x));
  saveModel(m, dir / "clash.pbtxt");
  ProcessResult r = runCli({"run", dir / "clash.pbtxt", "-o", dir / "out"});
  expectError(r, 2, {"'a/b'", "'a:b'", "a_b.npy"});
}

TEST(RunCommand, RejectsAnUnknownInputName) {
  TempDir dir;
  writeNpy(dir / "x.npy", ramp({DType::F32, {32, 784}}));
  ProcessResult r = runCli(
      {"run", example("fashion_mlp.pbtxt"), "-i", "image=" + (dir / "x.npy")});
  expectError(r, 2, {"image", "has no input %image", "%x"});
}

TEST(RunCommand, RejectsABindingWithoutEquals) {
  ProcessResult r =
      runCli({"run", example("fashion_mlp.pbtxt"), "-i", "x.npy"});
  expectError(r, 2, {"x.npy", "NAME=FILE.npy"});
}

TEST(RunCommand, RejectsAnNpyOfAnotherDType) {
  TempDir dir;
  std::string file = dir / "x.npy";
  writeNpy(file, ramp({DType::F64, {32, 784}}));
  ProcessResult r =
      runCli({"run", example("fashion_mlp.pbtxt"), "-i", "x=" + file});
  expectError(
      r, 2, {"input %x expects f32[N,784] but " + file + " holds f64[32,784]"});
}

TEST(RunCommand, RejectsAnNpyOfAnotherShape) {
  TempDir dir;
  std::string file = dir / "x.npy";
  writeNpy(file, ramp({DType::F32, {32, 783}}));
  ProcessResult r =
      runCli({"run", example("fashion_mlp.pbtxt"), "-i", "x=" + file});
  expectError(
      r, 2, {"input %x (" + file + ") expects a shape [N,784], got [32,783]"});
}

TEST(RunCommand, RunsAnotherNumberOfExamplesRebatched) {
  // A batch-32 model given 7 examples runs re-batched to 7, with a note.
  // Its rows are independent: the 7 rows are the first 7 of the model run
  // at 32 with rows of zeros after them.
  TempDir dir;
  std::string model = adjoint::testing::writeStaticExample(
      example("fashion_mlp.pbtxt"), dir / "static.pbtxt");
  Model m = loadModel(model);
  Tensor x = ramp({DType::F32, {7, 784}});
  Tensor y({DType::I64, {7}});
  for (int64_t i = 0; i < 7; ++i)
    y.data<int64_t>()[i] = i;
  writeNpy(dir / "x.npy", x);
  writeNpy(dir / "y.npy", y);
  ProcessResult r = runCli({"run", model, "-i", "x=" + (dir / "x.npy"), "-i",
                            "y=" + (dir / "y.npy"), "-o", dir / "out"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("%x holds 7 examples; the model runs re-batched from "
                       "32 to 7"),
            std::string::npos)
      << r.err;
  Tensor x32({DType::F32, {32, 784}}), y32({DType::I64, {32}});
  std::memcpy(x32.bytes(), x.bytes(), x.byteSize());
  std::memcpy(y32.bytes(), y.bytes(), y.byteSize());
  Tensor want = interpret(m.graph, {{"x", x32}, {"y", y32}}).at("probs");
  Tensor probs = readNpy(dir / "out/probs.npy");
  ASSERT_EQ(probs.type(), (TensorType{DType::F32, {7, 10}}));
  for (int64_t i = 0; i < probs.numElements(); ++i)
    EXPECT_NEAR(probs.elementAsDouble(i), want.elementAsDouble(i), 1e-6);
}

TEST(RunCommand, RejectsAMissingNpyFile) {
  TempDir dir;
  std::string file = dir / "absent.npy";
  ProcessResult r =
      runCli({"run", example("fashion_mlp.pbtxt"), "-i", "x=" + file});
  expectError(r, 2, {file});
}

TEST(RunCommand, RejectsAnInputGivenTwice) {
  TempDir dir;
  std::string file = dir / "x.npy";
  writeNpy(file, ramp({DType::F32, {32, 784}}));
  ProcessResult r = runCli({"run", example("fashion_mlp.pbtxt"), "-i",
                            "x=" + file, "-i", "x=" + file});
  expectError(r, 2, {"%x", "twice"});
}

TEST(RunCommand, RejectsAnUnknownEngineListingTheAcceptedOnes) {
  ProcessResult r =
      runCli({"run", example("fashion_mlp.pbtxt"), "--engine", "gpu"});
  expectError(r, 2, {"unknown engine 'gpu'", "jit", "interp"});
}

TEST(RunCommand, RejectsABadSeed) {
  ProcessResult r =
      runCli({"run", example("fashion_mlp.pbtxt"), "--seed", "many"});
  expectError(r, 2, {"--seed"});
}

} // namespace

namespace {

/// A small classifier whose batch is the symbol N.
const char *kSymbolicMlp =
    "graph sym(%x: f32[N,2,3], %y: i64[N]) params(%w: f32[6,10] = "
    "glorot_uniform(seed=5)) {\n"
    "  %0 = reshape(%x) {shape = [-1, 6]} : f32[N,6]\n"
    "  %1 = matmul(%0, %w) : f32[N,10]\n"
    "  %2 = one_hot(%y) {depth = 10} : f32[N,10]\n"
    "  %3 = mul(%1, %2) : f32[N,10]\n"
    "  %4 = reduce_mean(%3) : f32[]\n"
    "  return logits = %1, loss = %4\n}\n";

TEST(RunCommand, ASymbolicBatchTakesTheInputsSize) {
  TempDir dir;
  std::string model = dir.write("sym.adj", kSymbolicMlp);
  Model m = loadModel(model);
  for (int64_t batch : {1, 5, 64}) {
    SCOPED_TRACE("batch " + std::to_string(batch));
    Tensor x = ramp({DType::F32, {batch, 2, 3}});
    Tensor y({DType::I64, {batch}});
    for (int64_t i = 0; i < batch; ++i)
      y.data<int64_t>()[i] = i % 10;
    std::string xs = dir / ("x" + std::to_string(batch) + ".npy"),
                ys = dir / ("y" + std::to_string(batch) + ".npy");
    writeNpy(xs, x);
    writeNpy(ys, y);
    auto want = interpret(m.graph, {{"x", x}, {"y", y}});
    for (const char *engine : {"interp", "jit"}) {
      std::string out = dir / (std::string(engine) + std::to_string(batch));
      ProcessResult r = runCli({"run", model, "--engine", engine, "-i",
                                "x=" + xs, "-i", "y=" + ys, "-o", out});
      ASSERT_EQ(r.status, 0) << r.err;
      EXPECT_EQ(r.err, "");
      Tensor logits = readNpy(out + "/logits.npy");
      ASSERT_EQ(logits.type(), (TensorType{DType::F32, {batch, 10}}));
      for (int64_t i = 0; i < logits.numElements(); ++i)
        EXPECT_NEAR(logits.elementAsDouble(i),
                    want.at("logits").elementAsDouble(i), 1e-6);
    }
  }
  // Inputs that disagree on N, and a static extent that differs.
  writeNpy(dir / "y4.npy", Tensor({DType::I64, {4}}));
  writeNpy(dir / "x33.npy", Tensor({DType::F32, {5, 3, 3}}));
  expectError(runCli({"run", model, "-i", "x=" + (dir / "x5.npy"), "-i",
                      "y=" + (dir / "y4.npy")}),
              2, {"input %y", "N = 4", "N = 5"});
  expectError(runCli({"run", model, "-i", "x=" + (dir / "x33.npy")}), 2,
              {"input %x", "[N,2,3]", "[5,3,3]"});
  // Without inputs, N is 1 and a note says so.
  ProcessResult alone = runCli({"run", model});
  ASSERT_EQ(alone.status, 0) << alone.err;
  EXPECT_NE(alone.err.find("N = 1"), std::string::npos) << alone.err;
  EXPECT_NE(alone.out.find("logits: f32[1,10]"), std::string::npos)
      << alone.out;
}

TEST(CheckCommand, PrintsSymbolicShapesAndFlopsPerSymbol) {
  TempDir dir;
  ProcessResult r = runCli({"check", dir.write("sym.adj", kSymbolicMlp)});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("x: f32[N,2,3]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("logits: f32[N,10]"), std::string::npos) << r.out;
  // 2*6*10 for the matmul, 10 for the mul, 10 for the mean, per example;
  // the mean's one division.
  EXPECT_NE(r.out.find("FLOPs: 1 + 140 per N"), std::string::npos) << r.out;
}

TEST(RunCommand, ASymbolicBatchIsBoundBeforeCompiling) {
  TempDir dir;
  std::string model = dir.write("sym.adj", kSymbolicMlp);
  // dump runs the pipeline, which needs static shapes: the error says how.
  expectError(runCli({"dump", model, "--after", "fusion"}), 2,
              {"symbolic dimensions", "f32[N,2,3]", "--batch"});
  ProcessResult bench =
      runCli({"bench", model, "--batch", "3", "--iters", "2", "--warmup", "1"});
  ASSERT_EQ(bench.status, 0) << bench.err;
  EXPECT_NE(bench.out.find("batch: 3 (N = 3)"), std::string::npos) << bench.out;
  EXPECT_NE(bench.out.find("compiled once for every batch N"),
            std::string::npos)
      << bench.out;
  ProcessResult once = runCli({"bench", model, "--batch", "3", "--static",
                               "--iters", "2", "--warmup", "1"});
  ASSERT_EQ(once.status, 0) << once.err;
  EXPECT_EQ(once.out.find("every batch"), std::string::npos) << once.out;
}

} // namespace
