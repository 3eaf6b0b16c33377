//===- GradCommandTest.cpp - `adjoint grad` end to end --------------------===//
#include "tests/cli/CliTestSupport.h"

#include "ir/Builder.h"
#include "ir/Interpreter.h"
#include "ir/ModelIO.h"
#include "ir/NpyFile.h"

#include <cmath>

using namespace adjoint;
using namespace adjoint::test;

namespace {

TensorType f32(Shape s) { return {DType::F32, std::move(s)}; }

/// A classifier x [8, 6] -> dense 5 tanh -> dense 3 with the outputs
/// `logits` and `loss` (softmax cross-entropy against the one-hot input t),
/// and, when `trained`, a training spec naming `loss`.
Model classifier(bool trained) {
  Model m{Graph("classifier"), std::nullopt};
  Builder b(m.graph);
  Value *x = b.input("x", f32({8, 6}));
  Value *t = b.input("t", f32({8, 3}));
  Value *w1 = b.param("w1", f32({6, 5}), glorotUniform(1));
  Value *b1 = b.param("b1", f32({5}), zerosInit());
  Value *w2 = b.param("w2", f32({5, 3}), glorotUniform(2));
  b.param("step", Tensor::scalar(DType::I64, 0));
  Value *logits = b.matmul(b.tanh(b.dense(x, w1, b1)), w2);
  Value *nll = b.neg(
      b.reduceSum(b.mul(t, b.logSoftmax(logits)), std::vector<int64_t>{1}));
  b.output("logits", logits);
  b.output("loss", b.reduceMean(nll, std::nullopt));
  if (trained)
    m.training = TrainingSpec{"loss"};
  return m;
}

std::vector<std::string> outputNames(const Model &m) {
  std::vector<std::string> names;
  for (const Output &o : m.graph.outputs())
    names.push_back(o.name);
  return names;
}

TEST(GradCommand, WritesTheLossAndAGradientPerFloatParameter) {
  TempDir dir;
  std::string model = dir / "m.pbtxt", grad = dir / "grad.pbtxt";
  saveModel(classifier(true), model);
  ProcessResult r = runCli({"grad", model, "-o", grad});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
  Model g = loadModel(grad);
  EXPECT_EQ(outputNames(g), (std::vector<std::string>{"loss", "grad.w1",
                                                      "grad.b1", "grad.w2"}));
  ASSERT_TRUE(g.training.has_value());
  EXPECT_EQ(g.training->loss, "loss");
  // The gradients have the parameters' types.
  for (const Output &o : g.graph.outputs())
    if (o.name != "loss")
      EXPECT_EQ(o.value->type(), g.graph.findValue(o.name.substr(5))->type())
          << o.name;
}

TEST(GradCommand, TheGradientModelRunsOnBothEngines) {
  TempDir dir;
  std::string model = dir / "m.pbtxt", grad = dir / "grad.pb";
  saveModel(classifier(true), model);
  ASSERT_EQ(runCli({"grad", model, "-o", grad}).status, 0);
  for (const char *engine : {"jit", "interp"}) {
    SCOPED_TRACE(engine);
    std::string out = dir / (std::string("out-") + engine);
    ProcessResult r = runCli({"run", grad, "--engine", engine, "-o", out});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("grad.w1: f32[6,5] -> "), std::string::npos) << r.out;
    EXPECT_EQ(readNpy(out + "/loss.npy").type(), f32({}));
    EXPECT_EQ(readNpy(out + "/grad.b1.npy").type(), f32({5}));
  }
  // Same inputs (the same seed), same loss and gradients on both engines.
  for (const char *name : {"loss", "grad.w1", "grad.b1", "grad.w2"}) {
    Tensor a = readNpy(dir / (std::string("out-jit/") + name + ".npy"));
    Tensor b = readNpy(dir / (std::string("out-interp/") + name + ".npy"));
    for (int64_t i = 0; i < a.numElements(); ++i)
      EXPECT_NEAR(a.elementAsDouble(i), b.elementAsDouble(i),
                  1e-5 * (1 + std::fabs(b.elementAsDouble(i))))
          << name << "[" << i << "]";
  }
}

TEST(GradCommand, TakesTheLossAndWrtNames) {
  TempDir dir;
  std::string model = dir / "m.pbtxt", grad = dir / "saliency.adj";
  saveModel(classifier(false), model);
  for (std::vector<std::string> wrt :
       {std::vector<std::string>{"--wrt", "x,w2"},
        std::vector<std::string>{"--wrt", "x", "--wrt", "w2"}}) {
    std::vector<std::string> args = {"grad", model, "--loss", "loss"};
    args.insert(args.end(), wrt.begin(), wrt.end());
    args.insert(args.end(), {"-o", grad});
    ProcessResult r = runCli(args);
    ASSERT_EQ(r.status, 0) << r.err;
    Model g = loadModel(grad);
    EXPECT_EQ(outputNames(g),
              (std::vector<std::string>{"loss", "grad.x", "grad.w2"}));
    EXPECT_FALSE(g.training.has_value());
    EXPECT_EQ(g.graph.outputs()[1].value->type(), f32({8, 6}));
  }
}

TEST(GradCommand, DifferentiatesAGradientModelAgain) {
  TempDir dir;
  std::string model = dir / "m.pbtxt", grad = dir / "g.pbtxt",
              again = dir / "gg.pbtxt";
  saveModel(classifier(true), model);
  ASSERT_EQ(runCli({"grad", model, "--wrt", "w1", "-o", grad}).status, 0);
  // The gradient model keeps its training spec, so --loss can be left out.
  ProcessResult r = runCli({"grad", grad, "--wrt", "x", "-o", again});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(outputNames(loadModel(again)),
            (std::vector<std::string>{"loss", "grad.x"}));
}

TEST(GradCommand, DifferentiatesTheExamples) {
  // Their specs name the predictions, which the gradient model has not.
  TempDir dir;
  for (const std::string &example : exampleNames()) {
    SCOPED_TRACE(example);
    std::string grad = dir / ("g-" + example);
    ProcessResult r =
        runCli({"grad", sourcePath("examples/" + example), "-o", grad});
    ASSERT_EQ(r.status, 0) << r.err;
    Model g = loadModel(grad);
    ASSERT_TRUE(g.training.has_value());
    EXPECT_EQ(g.training->loss, "loss");
    EXPECT_EQ(g.training->predictions, "");
    EXPECT_EQ(g.training->features, "x");
  }
}

TEST(GradCommand, NeedsALossWithoutATrainingSpec) {
  TempDir dir;
  std::string model = dir / "m.pbtxt";
  saveModel(classifier(false), model);
  ProcessResult r = runCli({"grad", model, "-o", dir / "g.pbtxt"});
  expectError(r, 2, {"m.pbtxt", "no training spec", "--loss"});
  EXPECT_FALSE(std::filesystem::exists(dir / "g.pbtxt"));
}

TEST(GradCommand, ReportsBadLossAndWrtNames) {
  TempDir dir;
  std::string model = dir / "m.pbtxt", out = dir / "g.pbtxt";
  saveModel(classifier(true), model);
  expectError(runCli({"grad", model, "--loss", "logits", "-o", out}), 2,
              {"m.pbtxt", "the loss 'logits' (f32[8,3]) must be a scalar"});
  expectError(runCli({"grad", model, "--loss", "nope", "-o", out}), 2,
              {"the loss 'nope' is not an output", "logits, loss"});
  expectError(runCli({"grad", model, "--wrt", "w1,w9", "-o", out}), 2,
              {"'w9'", "no input or parameter of that name"});
  expectError(runCli({"grad", model, "--wrt", "step", "-o", out}), 2,
              {"'step' (i64[])", "only float values have gradients"});
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(GradCommand, ChecksTheOutputExtensionFirst) {
  TempDir dir;
  std::string model = dir / "m.pbtxt";
  saveModel(classifier(true), model);
  expectError(runCli({"grad", model, "-o", dir / "g.onnx"}), 2, {"g.onnx"});
  expectError(runCli({"grad", model}), 2, {"--output"});
}

} // namespace
