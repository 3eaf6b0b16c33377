//===- TrainCommandTest.cpp - `adjoint train` and `bench --train` ---------===//
#include "tests/cli/CliTestSupport.h"
#include "tests/support/Examples.h"

#include "ir/Builder.h"
#include "ir/Losses.h"
#include "ir/ModelIO.h"
#include "ir/NpyFile.h"
#include "ir/TextFormat.h"

#include <array>
#include <cmath>
#include <cstring>
#include <regex>
#include <sstream>

using namespace adjoint;
using namespace adjoint::test;

namespace {

TensorType f32(Shape s) { return {DType::F32, std::move(s)}; }

const std::string kFashionDir = "/usr/share/datasets/fashion-mnist";

bool haveFashionMnist() {
  return std::filesystem::exists(kFashionDir + "/train-images-idx3-ubyte.gz");
}

/// The test accuracies (in %) of the epoch lines of `out`.
std::vector<double> testAccuracies(const std::string &out) {
  static const std::regex line(R"(epoch \d+/\d+: .*test accuracy ([0-9.]+)%)");
  std::vector<double> found;
  for (std::sregex_iterator it(out.begin(), out.end(), line), end; it != end;
       ++it)
    found.push_back(std::stod((*it)[1]));
  return found;
}

/// Every "loss X" figure of `text` (the periodic lines and the epoch lines),
/// as printed.
std::vector<std::string> lossFigures(const std::string &text) {
  static const std::regex figure(R"(loss (-?[0-9.]+|nan|inf))");
  std::vector<std::string> found;
  for (std::sregex_iterator it(text.begin(), text.end(), figure), end;
       it != end; ++it)
    found.push_back((*it)[1]);
  return found;
}

/// A linear classifier x [4, 2] -> logits [4, 2] with labels y i64 [4] and a
/// full training spec (SGD at `lr`); `logOfInput` puts log(x) in front of
/// the matmul, so negative examples make the loss NaN.
Model tinyClassifier(bool logOfInput, double lr = 0.5) {
  Model m{Graph("tiny"), std::nullopt};
  Builder b(m.graph);
  Value *x = b.input("x", f32({4, 2}));
  Value *y = b.input("y", {DType::I64, {4}});
  Value *w = b.param("w", f32({2, 2}), glorotUniform(3));
  Value *bias = b.param("b", f32({2}), zerosInit());
  Value *logits = b.dense(logOfInput ? b.log(x) : x, w, bias);
  b.output("logits", logits);
  b.output("loss", sparseSoftmaxCrossEntropy(b, logits, y));
  TrainingSpec spec("loss");
  OptimizerConfig sgd;
  sgd.kind = OptimizerKind::Sgd;
  sgd.lr = lr;
  spec.optimizer = sgd;
  spec.batchSize = 4;
  spec.features = "x";
  spec.labels = "y";
  spec.predictions = "logits";
  m.training = spec;
  return m;
}

/// Writes `n` examples of a separable two-class problem to `dir`: x`suffix`
/// x.npy and y.npy: the class is 1 when x0 > x1.
void writeTwoClasses(const std::string &dir, const std::string &suffix,
                     int64_t n, uint64_t seed) {
  std::vector<double> xs, ys;
  uint64_t state = seed * 2654435761u + 1;
  auto uniform = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(state >> 11) / (double)(1ull << 53);
  };
  for (int64_t i = 0; i < n; ++i) {
    double a = uniform(), c = uniform();
    xs.push_back(a);
    xs.push_back(c);
    ys.push_back(a > c ? 1 : 0);
  }
  writeNpy(dir + "/x" + suffix + ".npy",
           Tensor::fromDoubles(DType::F32, {n, 2}, xs));
  writeNpy(dir + "/y" + suffix + ".npy",
           Tensor::fromDoubles(DType::I64, {n}, ys));
}

std::vector<std::string> fashionTrainArgs(const TempDir &dir) {
  return {"train",     sourcePath("examples/fashion_mlp.pbtxt"),
          "--epochs",  "1",
          "--limit",   "10000",
          "--threads", "1",
          "--seed",    "1",
          "-o",        dir / "t.pb",
          "--plot",    dir / "p.svg"};
}

TEST(TrainCommand, TrainsTheMlpOnFashionMnist) {
  if (!haveFashionMnist())
    GTEST_SKIP() << "no Fashion-MNIST in " << kFashionDir;
  TempDir dir;
  ProcessResult r = runCli(fashionTrainArgs(dir));
  ASSERT_EQ(r.status, 0) << r.err;
  std::vector<double> acc = testAccuracies(r.out);
  ASSERT_EQ(acc.size(), 1u) << r.out;
  EXPECT_GE(acc[0], 75.0) << r.out;
  // Every test example: 312 batches of 32, then one of 16.
  EXPECT_NE(r.out.find("(10000 examples)"), std::string::npos) << r.out;

  Model untrained = loadModel(sourcePath("examples/fashion_mlp.pbtxt"));
  Model trained = loadModel(dir / "t.pb");
  ASSERT_TRUE(trained.training.has_value());
  EXPECT_EQ(trained.training, untrained.training);
  int changed = 0;
  for (const char *name : {"fc1_w", "fc1_b", "fc2_w", "fc2_b"}) {
    SCOPED_TRACE(name);
    const Param *before =
        untrained.graph.findParam(untrained.graph.findValue(name));
    const Param *after = trained.graph.findParam(trained.graph.findValue(name));
    ASSERT_NE(before, nullptr);
    ASSERT_NE(after, nullptr);
    EXPECT_EQ(before->data.type(), after->data.type());
    changed += !before->data.identical(after->data);
  }
  EXPECT_EQ(changed, 4);

  std::string svg = readFile(dir / "p.svg");
  EXPECT_EQ(svg.rfind("<svg", 0), 0u) << svg.substr(0, 80);
  EXPECT_NE(svg.find("<polyline"), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
}

TEST(TrainCommand, TheSameSeedGivesTheSameLosses) {
  if (!haveFashionMnist())
    GTEST_SKIP() << "no Fashion-MNIST in " << kFashionDir;
  TempDir dir;
  std::vector<std::string> args = fashionTrainArgs(dir);
  ProcessResult first = runCli(args);
  ProcessResult second = runCli(args);
  ASSERT_EQ(first.status, 0) << first.err;
  ASSERT_EQ(second.status, 0) << second.err;
  std::vector<std::string> a = lossFigures(first.err + first.out);
  std::vector<std::string> b = lossFigures(second.err + second.out);
  EXPECT_GE(a.size(), 3u) << first.err << first.out;
  EXPECT_EQ(a, b);
}

TEST(TrainCommand, RejectsAMissingDataDirectory) {
  TempDir dir;
  ProcessResult r = runCli({"train", sourcePath("examples/fashion_mlp.pbtxt"),
                            "--data", dir / "nowhere"});
  expectError(r, 2, {"nowhere", "does not exist"});
}

TEST(TrainCommand, RejectsExampleAndLabelCountsThatDiffer) {
  TempDir dir;
  std::string model = dir / "tiny.pbtxt";
  saveModel(tinyClassifier(false), model);
  writeTwoClasses(dir.path().string(), "", 12, 1);
  writeNpy(dir / "y.npy",
           Tensor::fromDoubles(DType::I64, {10}, std::vector<double>(10, 0)));
  ProcessResult r = runCli({"train", model, "--data", dir.path().string()});
  expectError(r, 2, {"x.npy", "12", "y.npy", "10"});
}

TEST(TrainCommand, RejectsABatchTheModelCannotTake) {
  // The logits go through a reshape to [8] that merges the batch axis.
  TempDir dir;
  Model m = tinyClassifier(false);
  Graph g("flat");
  Builder b(g);
  Value *x = b.input("x", f32({4, 2}));
  Value *y = b.input("y", {DType::I64, {4}});
  Value *w = b.param("w", f32({2, 2}), glorotUniform(3));
  Value *logits = b.reshape(b.reshape(b.matmul(x, w), {8}), {4, 2});
  b.output("logits", logits);
  b.output("loss", sparseSoftmaxCrossEntropy(b, logits, y));
  m.graph = std::move(g);
  std::string model = dir / "flat.pbtxt";
  saveModel(m, model);
  writeTwoClasses(dir.path().string(), "", 40, 1);
  ProcessResult r =
      runCli({"train", model, "--data", dir.path().string(), "--batch", "8"});
  expectError(r, 2,
              {"flat.pbtxt: model flat cannot be re-batched to 8: node %",
               "(reshape) on (f32[4,2]) giving f32[8]"});
}

TEST(TrainCommand, TrainsAtAnotherBatchSize) {
  TempDir dir;
  std::string model = dir / "tiny.pbtxt", trained = dir / "trained.pbtxt";
  saveModel(tinyClassifier(false), model);
  writeTwoClasses(dir.path().string(), "", 400, 1);
  writeTwoClasses(dir.path().string(), "_test", 202, 2);
  ProcessResult r =
      runCli({"train", model, "--data", dir.path().string(), "--batch", "7",
              "--epochs", "3", "--threads", "1", "-o", trained});
  ASSERT_EQ(r.status, 0) << r.err;
  // 400 = 57 * 7 + 1: training skips the last partial batch; the test
  // split is evaluated whole (202 = 28 * 7 + 6).
  EXPECT_NE(r.out.find("on 400 examples (57 steps of 7 per epoch, 3 epochs)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("(202 examples)"), std::string::npos) << r.out;
  std::vector<double> acc = testAccuracies(r.out);
  ASSERT_EQ(acc.size(), 3u) << r.out;
  EXPECT_GE(acc.back(), 90.0) << r.out;
  // The trained model keeps the batch size of the file.
  Model out = loadModel(trained);
  EXPECT_EQ(out.graph.findValue("x")->type(), f32({4, 2}));
  ASSERT_TRUE(out.training.has_value());
  EXPECT_EQ(out.training->batchSize, 4);
  Model before = loadModel(model);
  const Param *w0 = before.graph.findParam(before.graph.findValue("w"));
  const Param *w1 = out.graph.findParam(out.graph.findValue("w"));
  ASSERT_TRUE(w0 && w1);
  EXPECT_EQ(w1->data.type(), w0->data.type());
  EXPECT_NE(
      std::memcmp(w1->data.bytes(), w0->data.bytes(), w0->data.byteSize()), 0);
}

TEST(TrainCommand, TrainsASymbolicBatchAsTheStaticOne) {
  // The tiny classifier with its batch N: the spec's batch size sets N,
  // training and evaluation give the static model's losses figure for
  // figure, and the trained model keeps N.
  TempDir dir;
  Model fixed = tinyClassifier(false);
  std::string text = printModel(fixed);
  for (size_t at; (at = text.find("[4,")) != std::string::npos;)
    text.replace(at, 3, "[N,");
  for (size_t at; (at = text.find("[4]")) != std::string::npos;)
    text.replace(at, 3, "[N]");
  std::string symbolic = dir.write("sym.adj", text);
  std::string staticModel = dir / "fixed.adj";
  saveModel(fixed, staticModel);
  writeTwoClasses(dir.path().string(), "", 400, 1);
  writeTwoClasses(dir.path().string(), "_test", 202, 2);
  std::vector<std::string> common = {"--data", dir.path().string(), "--epochs",
                                     "2",      "--threads",         "1"};
  auto train = [&](const std::string &model, std::vector<std::string> more) {
    std::vector<std::string> args = {"train", model};
    args.insert(args.end(), common.begin(), common.end());
    args.insert(args.end(), more.begin(), more.end());
    return runCli(args);
  };
  ProcessResult a = train(staticModel, {});
  ProcessResult b = train(symbolic, {"-o", dir / "trained.adj"});
  ASSERT_EQ(a.status, 0) << a.err;
  ASSERT_EQ(b.status, 0) << b.err;
  EXPECT_EQ(lossFigures(b.out), lossFigures(a.out)) << b.out;
  EXPECT_NE(b.out.find("(202 examples)"), std::string::npos) << b.out;
  EXPECT_EQ(loadModel(dir / "trained.adj").graph.findValue("x")->type().shape,
            loadModel(symbolic).graph.findValue("x")->type().shape);
  // --batch gives N another value; without it or a spec there is none.
  ProcessResult seven = train(symbolic, {"--batch", "7"});
  ASSERT_EQ(seven.status, 0) << seven.err;
  EXPECT_NE(seven.out.find("57 steps of 7 per epoch"), std::string::npos)
      << seven.out;
  for (size_t at; (at = text.find("batch_size = 4, ")) != std::string::npos;)
    text.replace(at, 16, "");
  expectError(train(dir.write("nobatch.adj", text), {}), 2,
              {"the batch of %x is N", "--batch"});
}

TEST(TrainCommand, BenchTimesAnotherBatchSize) {
  // A static batch of 32 is re-batched; the example's symbolic batch is set.
  TempDir dir;
  std::string model = adjoint::testing::writeStaticExample(
      sourcePath("examples/fashion_mlp.pbtxt"), dir / "static.pbtxt");
  for (bool train : {false, true}) {
    std::vector<std::string> args = {"bench",   model, "--batch",  "5",
                                     "--iters", "2",   "--warmup", "0"};
    if (train)
      args.push_back("--train");
    ProcessResult r = runCli(args);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("batch: 5 (re-batched from 32)\n"), std::string::npos)
        << r.out;
    EXPECT_NE(r.err.find("input %x (f32[5,784]) not given"), std::string::npos)
        << r.err;
  }
  // The model's own batch size changes nothing.
  ProcessResult same = runCli(
      {"bench", model, "--batch", "32", "--iters", "1", "--warmup", "0"});
  ASSERT_EQ(same.status, 0) << same.err;
  EXPECT_EQ(same.out.find("re-batched"), std::string::npos) << same.out;
  ProcessResult symbolic =
      runCli({"bench", sourcePath("examples/fashion_mlp.pbtxt"), "--batch", "5",
              "--iters", "1", "--warmup", "0"});
  ASSERT_EQ(symbolic.status, 0) << symbolic.err;
  EXPECT_NE(symbolic.out.find("batch: 5 (N = 5)\n"), std::string::npos)
      << symbolic.out;
}

TEST(TrainCommand, RejectsAnUnknownOptimizer) {
  ProcessResult r = runCli({"train", sourcePath("examples/fashion_mlp.pbtxt"),
                            "--optimizer", "rmsprop"});
  expectError(r, 2, {"rmsprop", "sgd, momentum, adam, adamw"});
}

TEST(TrainCommand, RejectsAModelWithoutATrainingSpec) {
  TempDir dir;
  Model m = tinyClassifier(false);
  m.training.reset();
  std::string model = dir / "nospec.pbtxt";
  saveModel(m, model);
  writeTwoClasses(dir.path().string(), "", 8, 1);
  ProcessResult r = runCli({"train", model, "--data", dir.path().string()});
  expectError(r, 2, {"features", "labels"});
  // Naming the loss, features and labels on the command line is enough.
  ProcessResult named =
      runCli({"train", model, "--data", dir.path().string(), "--loss", "loss",
              "--features", "x", "--labels", "y", "--epochs", "1"});
  EXPECT_EQ(named.status, 0) << named.err;
  ProcessResult wrong =
      runCli({"train", model, "--data", dir.path().string(), "--loss", "nope",
              "--features", "x", "--labels", "y"});
  expectError(wrong, 2, {"nope"});
}

TEST(TrainCommand, BenchTimesTheTrainingStep) {
  ProcessResult r = runCli({"bench", sourcePath("examples/fashion_mlp.pbtxt"),
                            "--train", "--iters", "3", "--warmup", "1"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("training step"), std::string::npos) << r.out;
}

TEST(TrainCommand, ANonFiniteLossNamesTheStepAndTheNode) {
  TempDir dir;
  std::string model = dir / "nan.pbtxt";
  saveModel(tinyClassifier(true), model);
  // Half the examples are negative: log(x) of them is NaN.
  std::vector<double> xs(16, 0.5), ys(8, 0);
  for (int i = 8; i < 16; ++i)
    xs[i] = -1;
  writeNpy(dir / "x.npy", Tensor::fromDoubles(DType::F32, {8, 2}, xs));
  writeNpy(dir / "y.npy", Tensor::fromDoubles(DType::I64, {8}, ys));
  ProcessResult r =
      runCli({"train", model, "--data", dir.path().string(), "--threads", "1"});
  expectError(r, 1, {"step ", "nan", "(log)"});
  EXPECT_NE(r.err.find("epoch 1, step "), std::string::npos) << r.err;

  // Given -o and --plot, the parameters of the last finite step and the
  // curves so far are written before the command fails.
  std::string trained = dir / "t.pbtxt", plot = dir / "p.svg";
  ProcessResult saved =
      runCli({"train", model, "--data", dir.path().string(), "--threads", "1",
              "-o", trained, "--plot", plot});
  expectError(saved, 1,
              {"(log)", trained + " holds the parameters from before this "
                                  "step"});
  ASSERT_TRUE(std::filesystem::exists(trained)) << saved.out;
  ASSERT_TRUE(std::filesystem::exists(plot)) << saved.out;
  Model before = loadModel(model), after = loadModel(trained);
  const Param *w0 = before.graph.findParam(before.graph.findValue("w"));
  const Param *w1 = after.graph.findParam(after.graph.findValue("w"));
  ASSERT_TRUE(w0 && w1);
  for (int64_t i = 0; i < w1->data.numElements(); ++i)
    EXPECT_TRUE(std::isfinite(w1->data.elementAsDouble(i)));
}

TEST(TrainCommand, RejectsLabelsOutsideTheClasses) {
  // The model predicts 2 classes; 3 labels are not classes.
  TempDir dir;
  std::string model = dir / "tiny.pbtxt";
  saveModel(tinyClassifier(false), model);
  writeTwoClasses(dir.path().string(), "", 40, 1);
  std::vector<double> ys(40, 1);
  ys[6] = 2;
  ys[9] = -1;
  ys[30] = 7;
  writeNpy(dir / "y.npy", Tensor::fromDoubles(DType::I64, {40}, ys));
  ProcessResult r = runCli({"train", model, "--data", dir.path().string()});
  expectError(r, 2,
              {"y.npy: 3 of 40 labels are not classes from 0 to 1",
               "the first is 2 at example 6"});
  // In the test split as well.
  writeTwoClasses(dir.path().string(), "", 40, 1);
  writeTwoClasses(dir.path().string(), "_test", 8, 2);
  writeNpy(dir / "y_test.npy",
           Tensor::fromDoubles(DType::I64, {8},
                               std::vector<double>{0, 1, 0, 1, 0, 1, 0, 10}));
  ProcessResult test = runCli({"train", model, "--data", dir.path().string()});
  expectError(test, 2, {"y_test.npy: 1 of 8 labels", "10 at example 7"});
}

TEST(TrainCommand, NamesNonFiniteFeaturesByExampleAndFeature) {
  TempDir dir;
  std::string model = dir / "tiny.pbtxt";
  saveModel(tinyClassifier(false), model);
  std::vector<double> xs(40, 0.5), ys(20, 0);
  xs[2 * 13 + 1] = NAN;
  xs[2 * 15] = INFINITY;
  writeNpy(dir / "x.npy", Tensor::fromDoubles(DType::F32, {20, 2}, xs));
  writeNpy(dir / "y.npy", Tensor::fromDoubles(DType::I64, {20}, ys));
  ProcessResult r = runCli({"train", model, "--data", dir.path().string()});
  expectError(r, 2,
              {"x.npy: 2 feature values are not finite",
               "the first is nan at example 13, feature 1"});
}

TEST(TrainCommand, ChecksWhereItWritesBeforeTraining) {
  // Each fails at once, before the data is read or the step compiled: the
  // data directory does not even exist.
  TempDir dir;
  std::string model = sourcePath("examples/fashion_mlp.pbtxt");
  std::string data = dir / "no-data";
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> parts;
  } cases[] = {
      {{"-o", "/nonexistent/t.pb"},
       {"-o /nonexistent/t.pb", "/nonexistent does not exist"}},
      {{"-o", dir / "t.onnx"}, {"does not write them", ".pb, .pbtxt or .adj"}},
      {{"-o", dir / "t.txt"}, {"-o ", "unknown file extension '.txt'"}},
      {{"-o", dir.path().string()}, {"is a directory"}},
      {{"--plot", "/nonexistent/p.svg"}, {"--plot", "does not exist"}},
      {{"--plot", dir / "p.png"}, {"--plot", "SVG", ".svg"}},
  };
  for (const Case &c : cases) {
    std::vector<std::string> args = {"train", model, "--data", data};
    args.insert(args.end(), c.args.begin(), c.args.end());
    ProcessResult r = runCli(args);
    expectError(r, 2, c.parts);
    EXPECT_EQ(r.err.find("no-data"), std::string::npos) << r.err;
  }
}

TEST(TrainCommand, DataThatIsAFileIsNamedAsSuch) {
  TempDir dir;
  writeTwoClasses(dir.path().string(), "", 8, 1);
  ProcessResult r = runCli({"train", sourcePath("examples/fashion_mlp.pbtxt"),
                            "--data", dir / "x.npy"});
  expectError(r, 2, {"x.npy is a file", "a directory holding x.npy"});
}

TEST(TrainCommand, RangeErrorsArePlain) {
  for (const auto &[option, value, says] :
       std::vector<std::array<std::string, 3>>{
           {"--lr", "0", "--lr: must be a positive number, not 0"},
           {"--epochs", "-1", "--epochs: must be a positive number, not -1"},
           {"--threads", "-2", "--threads: must be zero or more, not -2"},
           {"--lr", "fast", "--lr: must be a positive number, not 'fast'"}}) {
    ProcessResult r = runCli(
        {"train", sourcePath("examples/fashion_mlp.pbtxt"), option, value});
    expectError(r, 2, {says});
    EXPECT_LT(r.err.size(), 120u) << r.err;
  }
}

TEST(TrainCommand, CtrlCSavesAndExits130) {
  if (!haveFashionMnist())
    GTEST_SKIP() << "no Fashion-MNIST in " << kFashionDir;
  TempDir dir;
  std::string trained = dir / "t.pb";
  ProcessResult r =
      runCliInterrupted({"train", sourcePath("examples/fashion_mlp.pbtxt"),
                         "--epochs", "100", "--threads", "1", "-o", trained},
                        "training ");
  EXPECT_EQ(r.status, 130) << r.err;
  EXPECT_NE(r.err.find("interrupted after step"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("saved the trained model to " + trained),
            std::string::npos)
      << r.out;
  EXPECT_TRUE(loadModel(trained).training.has_value());
}

TEST(TrainCommand, TrainsOnANpyDirectory) {
  TempDir dir;
  std::string model = dir / "tiny.pbtxt", trained = dir / "trained.pbtxt";
  saveModel(tinyClassifier(false), model);
  writeTwoClasses(dir.path().string(), "", 400, 1);
  writeTwoClasses(dir.path().string(), "_test", 200, 2);
  ProcessResult r = runCli({"train", model, "--data", dir.path().string(),
                            "--epochs", "5", "--threads", "1", "-o", trained});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("on 400 examples (100 steps of 4 per epoch, 5 epochs)"),
            std::string::npos)
      << r.out;
  std::vector<double> acc = testAccuracies(r.out);
  ASSERT_EQ(acc.size(), 5u) << r.out;
  EXPECT_GE(acc.back(), 90.0) << r.out;
  EXPECT_NE(r.out.find("(200 examples)"), std::string::npos) << r.out;
  EXPECT_TRUE(loadModel(trained).training.has_value());
}

/// The two-class problem of writeTwoClasses in `dir`, and the tiny model.
std::string twoClassSetup(const TempDir &dir, double lr = 0.5) {
  std::string model = dir / "tiny.pbtxt";
  saveModel(tinyClassifier(false, lr), model);
  writeTwoClasses(dir.path().string(), "", 400, 1);
  writeTwoClasses(dir.path().string(), "_test", 200, 2);
  return model;
}

TEST(TrainCommand, AResumedRunTakesTheStepsOfAnUninterruptedOne) {
  TempDir dir;
  std::string model = twoClassSetup(dir, 0.1);
  // Adam: its moments and step counter must come back too.
  std::vector<std::string> common = {
      "train", model,         "--data", dir.path().string(), "--epochs",
      "2",     "--optimizer", "adam",   "--threads",         "1"};
  auto with = [&](std::vector<std::string> more) {
    std::vector<std::string> args = common;
    args.insert(args.end(), more.begin(), more.end());
    return args;
  };
  // 100 steps an epoch: the checkpoint is at step 140, in epoch 2.
  ProcessResult whole =
      runCli(with({"--checkpoint-every", "140", "--checkpoint", dir / "ck",
                   "--loss-log", dir / "whole.txt", "-o", dir / "a.pb"}));
  ASSERT_EQ(whole.status, 0) << whole.err;
  ProcessResult rest = runCli(with({"--resume", dir / "ck", "--loss-log",
                                    dir / "rest.txt", "-o", dir / "b.pb"}));
  ASSERT_EQ(rest.status, 0) << rest.err;
  EXPECT_NE(rest.out.find("resuming at epoch 2, step 41 (140 steps taken)"),
            std::string::npos)
      << rest.out;
  std::vector<std::string> a, b;
  std::istringstream wa(readFile(dir / "whole.txt")),
      wb(readFile(dir / "rest.txt"));
  for (std::string line; std::getline(wa, line);)
    a.push_back(line);
  for (std::string line; std::getline(wb, line);)
    b.push_back(line);
  ASSERT_EQ(a.size(), 201u); // a header and 200 steps
  ASSERT_EQ(b.size(), 61u);  // steps 141 to 200
  EXPECT_EQ(b.front(), a.front());
  for (size_t i = 1; i < b.size(); ++i)
    EXPECT_EQ(b[i], a[140 + i]) << i; // every digit of every loss
  EXPECT_EQ(readFile(dir / "a.pb"), readFile(dir / "b.pb"));
  // A checkpoint of another run's shape is refused.
  ProcessResult other = runCli(with({"--resume", dir / "ck", "--batch", "8"}));
  EXPECT_NE(other.status, 0);
  EXPECT_NE(other.err.find("written by a run of batch 4"), std::string::npos)
      << other.err;
}

TEST(TrainCommand, FrozenParametersStayBitIdentical) {
  TempDir dir;
  std::string model = twoClassSetup(dir);
  ProcessResult r =
      runCli({"train", model, "--data", dir.path().string(), "--epochs", "2",
              "--freeze", "^w$", "-o", dir / "t.pb"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("freezing 1 parameter: w"), std::string::npos) << r.out;
  Model before = loadModel(model), after = loadModel(dir / "t.pb");
  auto param = [](const Model &m, const std::string &name) {
    return m.graph.findParam(m.graph.findValue(name))->data;
  };
  EXPECT_TRUE(param(before, "w").identical(param(after, "w")));
  EXPECT_FALSE(param(before, "b").identical(param(after, "b")));
  ProcessResult none = runCli(
      {"train", model, "--data", dir.path().string(), "--freeze", "conv"});
  EXPECT_NE(none.err.find("--freeze conv matches none of the parameters of "
                          "tiny (w, b)"),
            std::string::npos)
      << none.err;
  ProcessResult all =
      runCli({"train", model, "--data", dir.path().string(), "--freeze", "."});
  EXPECT_NE(all.err.find("nothing would train"), std::string::npos) << all.err;
}

TEST(TrainCommand, InitFromTakesTheParametersOfTheSameNames) {
  TempDir dir;
  std::string model = twoClassSetup(dir);
  ProcessResult first = runCli({"train", model, "--data", dir.path().string(),
                                "--epochs", "3", "-o", dir / "t.pb"});
  ASSERT_EQ(first.status, 0) << first.err;
  // Starting from the trained parameters, the first epoch is already good.
  ProcessResult again =
      runCli({"train", model, "--data", dir.path().string(), "--epochs", "1",
              "--init-from", dir / "t.pb", "--lr", "0.001"});
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_NE(again.out.find("initialized 2 of the 2 parameters from"),
            std::string::npos)
      << again.out;
  std::vector<double> acc = testAccuracies(again.out);
  ASSERT_EQ(acc.size(), 1u);
  EXPECT_GE(acc[0], 90.0) << again.out;
}

TEST(TrainCommand, ValidationSplitAndEarlyStopping) {
  TempDir dir;
  std::string model = twoClassSetup(dir, 1e-9); // nothing improves
  ProcessResult r =
      runCli({"train", model, "--data", dir.path().string(), "--epochs", "10",
              "--validation-split", "0.2", "--early-stopping", "2"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("on 320 examples (80 steps"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(", validation loss "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("early stopping: the validation loss has not improved "
                       "for 2 epochs"),
            std::string::npos)
      << r.out;
  // Stopped before the tenth epoch (when depends on the last digits).
  EXPECT_LT(testAccuracies(r.out).size(), 10u) << r.out;
}

} // namespace
