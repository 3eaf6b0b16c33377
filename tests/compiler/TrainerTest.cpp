//===- TrainerTest.cpp - The compiled training step -----------------------===//
#include "compiler/training/Trainer.h"
#include "ir/Builder.h"
#include "ir/Error.h"
#include "ir/Losses.h"
#include "ir/ModelIO.h"
#include "ir/SymbolicDim.h"
#include "ir/Verifier.h"
#include "tests/support/TempDir.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

using namespace adjoint;

namespace {

/// A 4-8-3 MLP classifier with a training spec: batches of 16, its batch
/// static or the symbol N.
Model tinyClassifier(OptimizerKind kind, bool symbolic = false) {
  Model m;
  m.graph.setName("tiny");
  Builder b(m.graph);
  int64_t n = symbolic ? symbolicDim(internSymbol("N")) : 16;
  Value *x = b.input("x", {DType::F32, {n, 4}});
  Value *y = b.input("y", {DType::I64, {n}});
  Value *w1 = b.param("w1", {DType::F32, {4, 8}}, glorotUniform(1));
  Value *b1 = b.param("b1", {DType::F32, {8}}, zerosInit());
  Value *w2 = b.param("w2", {DType::F32, {8, 3}}, glorotUniform(2));
  Value *b2 = b.param("b2", {DType::F32, {3}}, zerosInit());
  Value *logits = b.dense(b.relu(b.dense(x, w1, b1)), w2, b2);
  b.output("logits", logits);
  b.output("loss", sparseSoftmaxCrossEntropy(b, logits, y));
  TrainingSpec spec("loss");
  OptimizerConfig opt;
  opt.kind = kind;
  opt.lr = kind == OptimizerKind::Sgd || kind == OptimizerKind::Momentum ? 0.1
                                                                         : 0.01;
  spec.optimizer = opt;
  spec.features = "x";
  spec.labels = "y";
  spec.predictions = "logits";
  spec.batchSize = 16;
  m.training = spec;
  return m;
}

/// A separable batch: the class is the index of the largest feature (of 3).
std::map<std::string, Tensor> batch(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-1, 1);
  Tensor x(TensorType{DType::F32, {16, 4}}), y(TensorType{DType::I64, {16}});
  for (int i = 0; i < 16; ++i) {
    int best = 0;
    for (int j = 0; j < 4; ++j) {
      x.data<float>()[i * 4 + j] = u(rng);
      if (j < 3 && x.data<float>()[i * 4 + j] > x.data<float>()[i * 4 + best])
        best = j;
    }
    y.data<int64_t>()[i] = best;
  }
  return {{"x", x}, {"y", y}};
}

TEST(Trainer, EveryOptimizerLearnsASeparableProblem) {
  for (OptimizerKind kind : kAllOptimizerKinds) {
    SCOPED_TRACE(std::string(optimizerKindName(kind)));
    TrainerOptions options;
    options.threads = 1;
    Trainer trainer(tinyClassifier(kind), options);
    double first = trainer.evaluate(batch(1000)).loss;
    for (int s = 0; s < 300; ++s)
      trainer.step(batch(s));
    StepResult after = trainer.evaluate(batch(1000));
    EXPECT_LT(after.loss, first * 0.6);
    ASSERT_TRUE(after.accuracy);
    EXPECT_GE(*after.accuracy, 0.75);
    EXPECT_EQ(trainer.steps(), 300);
  }
}

TEST(Trainer, SameSeedGivesTheSameLossesBitForBit) {
  TrainerOptions options;
  options.threads = 1;
  Trainer a(tinyClassifier(OptimizerKind::Adam), options);
  Trainer b(tinyClassifier(OptimizerKind::Adam), options);
  for (int s = 0; s < 50; ++s) {
    double la = a.step(batch(s)).loss, lb = b.step(batch(s)).loss;
    ASSERT_EQ(std::memcmp(&la, &lb, sizeof la), 0) << "step " << s;
  }
}

TEST(Trainer, StepMatchesEvaluateBeforeTheUpdate) {
  TrainerOptions options;
  options.threads = 1;
  Trainer t(tinyClassifier(OptimizerKind::Sgd), options);
  double before = t.evaluate(batch(7)).loss;
  double during = t.step(batch(7)).loss;
  EXPECT_NEAR(during, before, 1e-6 * std::max(1.0, std::fabs(before)));
  EXPECT_NE(t.evaluate(batch(7)).loss, before); // the parameters moved
}

TEST(Trainer, EvaluatesBatchesOfAnySize) {
  // The first 5 examples of a batch of 16, evaluated alone (a re-batched
  // evaluation) and as the batch [5 examples, repeated] of the model's
  // size, must agree: the loss and the accuracy are batch means. After
  // steps, the re-batched evaluation sees the trained parameters.
  TrainerOptions options;
  options.threads = 1;
  Trainer t(tinyClassifier(OptimizerKind::Adam), options);
  for (int steps : {0, 20}) {
    for (int s = 0; s < steps; ++s)
      t.step(batch(s));
    auto full = batch(99);
    Tensor x5(TensorType{DType::F32, {5, 4}}), y5(TensorType{DType::I64, {5}});
    std::memcpy(x5.bytes(), full.at("x").bytes(), x5.byteSize());
    std::memcpy(y5.bytes(), full.at("y").bytes(), y5.byteSize());
    auto repeated = full;
    for (int i = 0; i < 16; ++i) {
      std::memcpy(repeated.at("x").data<float>() + 4 * i,
                  x5.data<float>() + 4 * (i % 5), 4 * sizeof(float));
      repeated.at("y").data<int64_t>()[i] = y5.data<int64_t>()[i % 5];
    }
    // 16 = 3 * 5 + 1: the repeated batch weighs example 0 once more.
    StepResult alone = t.evaluate({{"x", x5}, {"y", y5}});
    StepResult first =
        t.evaluate({{"x", Tensor(x5.reshaped({5, 4}))}, {"y", Tensor(y5)}});
    EXPECT_EQ(alone.loss, first.loss); // compiled once, same answer
    Tensor x1(TensorType{DType::F32, {1, 4}}), y1(TensorType{DType::I64, {1}});
    std::memcpy(x1.bytes(), x5.bytes(), x1.byteSize());
    std::memcpy(y1.bytes(), y5.bytes(), y1.byteSize());
    StepResult one = t.evaluate({{"x", x1}, {"y", y1}});
    StepResult all = t.evaluate(repeated);
    EXPECT_NEAR(all.loss, (15 * alone.loss + one.loss) / 16, 1e-5);
    ASSERT_TRUE(alone.accuracy && one.accuracy && all.accuracy);
    EXPECT_NEAR(*all.accuracy, (15 * *alone.accuracy + *one.accuracy) / 16,
                1e-6);
  }
}

TEST(Trainer, ASymbolicBatchEvaluatesEveryBatchWithOneCompile) {
  // The same steps on the model with a symbolic batch (its step bound at
  // 16, its evaluation compiled once for every batch) and on the static
  // one (an evaluation re-batched per size) give the same bits.
  TrainerOptions options;
  options.threads = 1;
  Trainer symbolic(tinyClassifier(OptimizerKind::Adam, true), options);
  Trainer fixed(tinyClassifier(OptimizerKind::Adam), options);
  for (int s = 0; s < 5; ++s)
    EXPECT_EQ(symbolic.step(batch(s)).loss, fixed.step(batch(s)).loss);
  auto full = batch(42);
  for (int64_t size : {16, 5, 1}) {
    Tensor x(TensorType{DType::F32, {size, 4}}),
        y(TensorType{DType::I64, {size}});
    std::memcpy(x.bytes(), full.at("x").bytes(), x.byteSize());
    std::memcpy(y.bytes(), full.at("y").bytes(), y.byteSize());
    StepResult a = symbolic.evaluate({{"x", x}, {"y", y}});
    StepResult b = fixed.evaluate({{"x", x}, {"y", y}});
    EXPECT_EQ(a.loss, b.loss) << size;
    EXPECT_EQ(a.accuracy, b.accuracy) << size;
  }
}

TEST(Trainer, SavesTheTrainedParameters) {
  TrainerOptions options;
  options.threads = 1;
  Trainer t(tinyClassifier(OptimizerKind::Adam), options);
  for (int s = 0; s < 20; ++s)
    t.step(batch(s));
  adjoint::testing::TempDir dir;
  std::string path = dir.file("trained.pb");
  t.save(path);
  Model back = loadModel(path);
  const Value *w1 = back.graph.findValue("w1");
  ASSERT_NE(w1, nullptr);
  EXPECT_TRUE(back.graph.findParam(w1)->data.identical(t.parameter("w1")));
  // Training resumes from the saved model exactly.
  Trainer resumed(back, options);
  EXPECT_EQ(resumed.evaluate(batch(3)).loss, t.evaluate(batch(3)).loss);
}

TEST(Trainer, DiagnosesANonFiniteLossWithTheValuesBeforeTheStep) {
  // loss = mean(sqrt(w * x)) with w = 1 and x = 1: the first SGD step (lr
  // 20, gradient 0.5) takes w to -9, so the second step's loss is NaN at
  // the sqrt. Its gradient is NaN too, but a step with a non-finite loss
  // changes nothing: w stays -9 (updated in place, it would otherwise be
  // NaN, and the first non-finite node would be the mul instead).
  Model m{Graph("root"), std::nullopt};
  Builder b(m.graph);
  Value *x = b.input("x", {DType::F32, {4}});
  Value *w = b.param(
      "w", Tensor::fromDoubles(DType::F32, {}, std::vector<double>{1.0}));
  Value *product = b.mul(x, w);
  Value *root = b.sqrt(product);
  b.output("loss", b.reduceMean(root, std::nullopt));
  TrainingSpec spec("loss");
  OptimizerConfig sgd;
  sgd.kind = OptimizerKind::Sgd;
  sgd.lr = 20;
  spec.optimizer = sgd;
  m.training = spec;
  TrainerOptions options;
  options.threads = 1;
  Trainer t(m, options);
  std::map<std::string, Tensor> ones = {
      {"x",
       Tensor::fromDoubles(DType::F32, {4}, std::vector<double>{1, 1, 1, 1})}};
  EXPECT_EQ(t.diagnoseNonFinite(ones),
            "no node gives a non-finite value in the reference interpreter");
  EXPECT_DOUBLE_EQ(t.step(ones).loss, 1.0);
  EXPECT_EQ(t.parameter("w").elementAsDouble(0), -9.0);
  EXPECT_TRUE(std::isnan(t.step(ones).loss));
  EXPECT_EQ(t.parameter("w").elementAsDouble(0), -9.0);
  EXPECT_EQ(t.steps(), 2);
  std::string where = t.diagnoseNonFinite(ones);
  EXPECT_EQ(where.find("node %" + root->name() + " (sqrt) gives f32[4]"), 0u)
      << where;
}

TEST(Trainer, BuildsTheGraphsWithoutCompiling) {
  Model m = tinyClassifier(OptimizerKind::Adam);
  TrainerOptions options;
  options.compile = false;
  Trainer t(m, options);
  EXPECT_NO_THROW(verify(t.stepGraph()));
  EXPECT_FALSE(t.contract().inPlace.empty());
  for (const auto &[output, input] : t.contract().inPlace)
    EXPECT_EQ(output, "update." + input);
  // The contract says what each argument is.
  const StepContract &c = t.contract();
  EXPECT_EQ(c.loss, "loss");
  EXPECT_EQ(c.accuracy, "accuracy");
  EXPECT_EQ(c.data, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(c.trained, (std::vector<std::string>{"w1", "b1", "w2", "b2"}));
  EXPECT_TRUE(c.state.empty());
  EXPECT_EQ(c.optimizer.size(), 9u); // m and v of four, and the step count
  EXPECT_EQ(c.inPlace.size(), 4u + 9u);
  EXPECT_TRUE(c.stepsTaken.empty());
  EXPECT_TRUE(c.learningRate.empty());
  EXPECT_THROW(t.step(batch(1)), Error);
  EXPECT_THROW(t.evaluate(batch(1)), Error);
  EXPECT_THROW(t.stepExecutable(), Error);
}

TEST(Trainer, ReportsBadRequests) {
  Model m = tinyClassifier(OptimizerKind::Adam);
  TrainerOptions options;
  options.trainable = {"nope"};
  EXPECT_THROW(Trainer(m, options), Error);
  options.trainable = {};
  options.loss = "logits"; // not a scalar
  EXPECT_THROW(Trainer(m, options), Error);
  Model noSpec = tinyClassifier(OptimizerKind::Adam);
  noSpec.training.reset();
  try {
    Trainer t(noSpec);
    FAIL() << "expected an error";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("loss"), std::string::npos);
  }
}

} // namespace

TEST(LrSchedule, EachKindByItsFormula) {
  LrSchedule s;
  s.warmupSteps = 4;
  s.decaySteps = 10;
  s.rate = 0.5;
  EXPECT_DOUBLE_EQ(scheduledLr(s, 0.8, 0), 0.2); // warm-up: (t + 1) / 4
  EXPECT_DOUBLE_EQ(scheduledLr(s, 0.8, 3), 0.8);
  EXPECT_DOUBLE_EQ(scheduledLr(s, 0.8, 100), 0.8); // constant
  s.kind = LrSchedule::Kind::Step;
  EXPECT_DOUBLE_EQ(scheduledLr(s, 0.8, 13), 0.8); // u = 9
  EXPECT_DOUBLE_EQ(scheduledLr(s, 0.8, 14), 0.4); // u = 10
  EXPECT_DOUBLE_EQ(scheduledLr(s, 0.8, 24), 0.2); // u = 20
  s.kind = LrSchedule::Kind::Exponential;
  EXPECT_DOUBLE_EQ(scheduledLr(s, 0.8, 9), 0.8 * std::pow(0.5, 0.5));
  s.kind = LrSchedule::Kind::Cosine;
  s.minimum = 0.25;
  EXPECT_DOUBLE_EQ(scheduledLr(s, 0.8, 4), 0.8);
  EXPECT_DOUBLE_EQ(scheduledLr(s, 0.8, 9), 0.8 * (0.25 + 0.75 * 0.5));
  EXPECT_DOUBLE_EQ(scheduledLr(s, 0.8, 14), 0.2);
  EXPECT_DOUBLE_EQ(scheduledLr(s, 0.8, 1000), 0.2);
  s.rate = 0;
  EXPECT_THROW(checkLrSchedule(s), Error);
}

TEST(LrSchedule, AScheduledStepIsTheStepAtThatRateBitForBit) {
  // SGD at 0.1 with a warm-up of 4 steps takes a first step at 0.025: the
  // same bits as an SGD of 0.025 without a schedule. Then a constant rate
  // given as an input gives the bits of the rate compiled in.
  Model scheduled = tinyClassifier(OptimizerKind::Sgd);
  TrainerOptions withWarmup;
  withWarmup.threads = 1;
  withWarmup.schedule = LrSchedule{};
  withWarmup.schedule->warmupSteps = 4;
  Trainer a(scheduled, withWarmup);
  EXPECT_DOUBLE_EQ(a.learningRate(), 0.025);
  Model slow = tinyClassifier(OptimizerKind::Sgd);
  slow.training->optimizer->lr = 0.025;
  TrainerOptions plain;
  plain.threads = 1;
  Trainer b(slow, plain);
  a.step(batch(1));
  b.step(batch(1));
  EXPECT_TRUE(a.parameter("w1").identical(b.parameter("w1")));
  EXPECT_DOUBLE_EQ(a.learningRate(), 0.05);
  EXPECT_THROW(b.setLearningRate(0.5), Error); // compiled in

  TrainerOptions constant;
  constant.threads = 1;
  constant.schedule = LrSchedule{};
  Trainer c(tinyClassifier(OptimizerKind::Adam), constant);
  Trainer d(tinyClassifier(OptimizerKind::Adam), plain);
  for (uint64_t i = 0; i < 3; ++i) {
    c.step(batch(i));
    d.step(batch(i));
  }
  EXPECT_TRUE(c.parameter("w2").identical(d.parameter("w2")));
  c.setLearningRate(0.5);
  EXPECT_DOUBLE_EQ(c.learningRate(), 0.5);
  EXPECT_THROW(c.setLearningRate(-1), Error);
}
