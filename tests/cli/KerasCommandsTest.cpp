//===- KerasCommandsTest.cpp - `summary`, `evaluate` and `predict` --------===//
//
// The commands that treat any model file as Keras treats a model: its
// summary table, its loss and accuracy over a whole split, and its
// predictions for every row of an array, at batch sizes the model does not
// have (a static batch runs padded).
//
//===----------------------------------------------------------------------===//
#include "tests/cli/CliTestSupport.h"

#include "ir/Builder.h"
#include "ir/Losses.h"
#include "ir/ModelIO.h"
#include "ir/NpyFile.h"

using namespace adjoint;
using namespace adjoint::test;

namespace {

/// x [4, 3] (a static batch) -> dense 3x2 -> logits; its loss and spec.
Model staticBatchClassifier() {
  Model m{Graph("static4"), std::nullopt};
  Builder b(m.graph);
  Value *x = b.input("x", {DType::F32, {4, 3}});
  Value *y = b.input("y", {DType::I64, {4}});
  std::vector<double> kernel = {1, -1, 0.5, 2, -0.25, 0}, biases = {0.5, -0.5};
  Value *w =
      b.param("fc_kernel", Tensor::fromDoubles(DType::F32, {3, 2}, kernel));
  Value *bias =
      b.param("fc_bias", Tensor::fromDoubles(DType::F32, {2}, biases));
  Value *logits = b.add(b.matmul(x, w), bias);
  b.output("logits", logits);
  b.output("loss", sparseSoftmaxCrossEntropy(b, logits, y));
  TrainingSpec spec("loss");
  spec.features = "x";
  spec.labels = "y";
  spec.predictions = "logits";
  spec.batchSize = 4;
  m.training = spec;
  return m;
}

} // namespace

TEST(SummaryCommand, PrintsKerasTableForAnyModelFile) {
  ProcessResult r = runCli({"summary", sourcePath("examples/tf_cnn.pbtxt")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("Model: \"tf_cnn\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" conv2 (Conv2D)              (None, 7, 7, 64)          "
                       "51264"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(" fc2 (Dense)                 (None, 10)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("Total params: 3,274,634\n"), std::string::npos);
}

TEST(PredictCommand, RunsEveryRowThroughAStaticBatchPadded) {
  TempDir dir;
  std::string model = dir / "m.pbtxt";
  saveModel(staticBatchClassifier(), model);
  // 6 rows through a model of batch 4: a full batch and a padded one.
  std::vector<double> xs = {1, 0, 0, 0, 1, 0,  0, 0, 1,
                            1, 1, 1, 2, 0, -1, 0, 0, 0};
  writeNpy(dir / "x.npy", Tensor::fromDoubles(DType::F32, {6, 3}, xs));
  ProcessResult r = runCli(
      {"predict", model, "-i", "x=" + (dir / "x.npy"), "-o", dir / "p.npy"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("f32[6,2] (output logits)"), std::string::npos) << r.out;
  Tensor p = readNpy(dir / "p.npy");
  ASSERT_EQ(p.shape(), (Shape{6, 2}));
  // Row i: x_i @ w + b, by hand.
  const double w[3][2] = {{1, -1}, {0.5, 2}, {-0.25, 0}}, bias[2] = {0.5, -0.5};
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 2; ++j) {
      double want = bias[j];
      for (int k = 0; k < 3; ++k)
        want += xs[(size_t)(i * 3 + k)] * w[k][j];
      EXPECT_DOUBLE_EQ(p.elementAsDouble(i * 2 + j), want) << i << "," << j;
    }
  ProcessResult missing = runCli(
      {"predict", model, "-i", "z=" + (dir / "x.npy"), "-o", dir / "q.npy"});
  expectError(missing, 2, {"predicts from x", "-i NAME=FILE.npy"});
}

TEST(EvaluateCommand, LossAndAccuracyOverAWholeSplit) {
  TempDir dir;
  std::string model = dir / "m.pbtxt";
  saveModel(staticBatchClassifier(), model);
  // 10 test examples: two batches of 4 and a re-batched one of 2.
  std::vector<double> xs, ys;
  for (int i = 0; i < 10; ++i) {
    xs.insert(xs.end(), {(double)(i % 3), 1.0 - (double)(i % 2), 0.5});
    ys.push_back(i % 2);
  }
  for (const char *split : {"", "_test"}) {
    writeNpy(dir / ("x" + std::string(split) + ".npy"),
             Tensor::fromDoubles(DType::F32, {10, 3}, xs));
    writeNpy(dir / ("y" + std::string(split) + ".npy"),
             Tensor::fromDoubles(DType::I64, {10}, ys));
  }
  ProcessResult r = runCli({"evaluate", model, "--data", dir.path().string()});
  ASSERT_EQ(r.status, 0) << r.err;
  // The accuracy by hand: logits x @ w + b, class 1 when the second wins.
  const double w[3][2] = {{1, -1}, {0.5, 2}, {-0.25, 0}}, bias[2] = {0.5, -0.5};
  int right = 0;
  for (int i = 0; i < 10; ++i) {
    double l[2];
    for (int j = 0; j < 2; ++j) {
      l[j] = bias[j];
      for (int k = 0; k < 3; ++k)
        l[j] += xs[(size_t)(i * 3 + k)] * w[k][j];
    }
    right += (l[1] > l[0]) == (ys[(size_t)i] == 1);
  }
  char want[64];
  std::snprintf(want, sizeof want, "accuracy %.2f%%", 10.0 * right);
  EXPECT_NE(r.out.find("static4 on 10 test examples: loss "), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(want), std::string::npos) << r.out << want;

  Model bare = staticBatchClassifier();
  bare.training.reset();
  saveModel(bare, dir / "bare.pbtxt");
  expectError(
      runCli({"evaluate", dir / "bare.pbtxt", "--data", dir.path().string()}),
      2, {"needs a training spec"});
}
