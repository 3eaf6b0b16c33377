//===- LossesTest.cpp - Loss functions and accuracy -----------------------===//
//
// Expected values are computed by hand or with NumPy in f64 (noted at each).
//
//===----------------------------------------------------------------------===//
#include "ir/Losses.h"

#include "ir/Error.h"
#include "ir/Interpreter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

using namespace adjoint;

namespace {

using LossFn = std::function<Value *(Builder &, Value *, Value *)>;

/// Builds `loss(a, b)` on constant inputs, checks that the result is a
/// scalar of `resultType`, and runs it in the interpreter.
double evalLoss(const LossFn &loss, const Tensor &a, const Tensor &b,
                DType resultType) {
  Graph g("loss");
  Builder builder(g);
  Value *va = builder.input("a", a.type());
  Value *vb = builder.input("b", b.type());
  Value *l = loss(builder, va, vb);
  EXPECT_EQ(l->type(), (TensorType{resultType, {}}));
  builder.output("loss", l);
  std::map<std::string, Tensor> out = interpret(g, {{"a", a}, {"b", b}});
  return out.at("loss").elementAsDouble(0);
}

Tensor tensor(DType dtype, Shape shape, std::vector<double> values) {
  return Tensor::fromDoubles(dtype, std::move(shape), values);
}

/// The message of the BadInput error that building `loss(a, b)` throws.
std::string buildError(const LossFn &loss, const TensorType &a,
                       const TensorType &b) {
  Graph g("loss");
  Builder builder(g);
  try {
    loss(builder, builder.input("a", a), builder.input("b", b));
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadInput);
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

// Logits [[1,2,3],[1,1,1]]: row 0's log-probability of class 2 is
// 3 - log(e + e^2 + e^3) = -0.40760596444438; row 1's of any class is
// -log 3 = -1.09861228866811.
const std::vector<double> kLogits = {1, 2, 3, 1, 1, 1};
constexpr double kRow0 = 0.40760596444437981, kRow1 = 1.0986122886681098;

TEST(Losses, SoftmaxCrossEntropyWithProbabilities) {
  for (DType dt : {DType::F32, DType::F64}) {
    // Row 1 has probability targets (0.5, 0.5, 0): -(0.5 + 0.5) log(1/3).
    Tensor targets = tensor(dt, {2, 3}, {0, 0, 1, 0.5, 0.5, 0});
    double loss =
        evalLoss(softmaxCrossEntropy, tensor(dt, {2, 3}, kLogits), targets, dt);
    // NumPy: 0.753109126556245.
    EXPECT_NEAR(loss, (kRow0 + kRow1) / 2, dt == DType::F32 ? 1e-6 : 1e-14);
  }
}

TEST(Losses, SparseSoftmaxCrossEntropy) {
  for (DType labelType : {DType::I32, DType::I64}) {
    double loss =
        evalLoss(sparseSoftmaxCrossEntropy, tensor(DType::F64, {2, 3}, kLogits),
                 tensor(labelType, {2}, {2, 0}), DType::F64);
    EXPECT_NEAR(loss, (kRow0 + kRow1) / 2, 1e-14);
  }
  // Equals the dense loss with one-hot targets, in f32 too.
  double sparse =
      evalLoss(sparseSoftmaxCrossEntropy, tensor(DType::F32, {2, 3}, kLogits),
               tensor(DType::I64, {2}, {0, 1}), DType::F32);
  double dense =
      evalLoss(softmaxCrossEntropy, tensor(DType::F32, {2, 3}, kLogits),
               tensor(DType::F32, {2, 3}, {1, 0, 0, 0, 1, 0}), DType::F32);
  EXPECT_EQ(sparse, dense);
  // 3 - log(...) - 1 = 2.40760596444438 for row 0.
  EXPECT_NEAR(sparse, (kRow0 + 2 + kRow1) / 2, 1e-6);
}

TEST(Losses, SparseLabelOutsideTheClassesIsAnError) {
  // Label 7 is no class of 3: an error naming the one_hot node, not a row
  // that silently contributes 0.
  for (double label : {7.0, -1.0}) {
    try {
      evalLoss(sparseSoftmaxCrossEntropy, tensor(DType::F64, {2, 3}, kLogits),
               tensor(DType::I64, {2}, {2, label}), DType::F64);
      FAIL() << "no error for label " << label;
    } catch (const Error &e) {
      EXPECT_EQ(e.kind(), ErrorKind::Failed);
      EXPECT_NE(std::string(e.what()).find("(one_hot)"), std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find("outside the 3 classes"),
                std::string::npos)
          << e.what();
    }
  }
}

TEST(Losses, MeanSquaredError) {
  // (0 + 4 + 9 + 0) / 4.
  EXPECT_EQ(evalLoss(meanSquaredError, tensor(DType::F32, {2, 2}, {1, 2, 3, 4}),
                     tensor(DType::F32, {2, 2}, {1, 0, 0, 4}), DType::F32),
            3.25);
  EXPECT_EQ(evalLoss(meanSquaredError, tensor(DType::F64, {3}, {1, 2, 3}),
                     tensor(DType::F64, {3}, {2, 2, 2}), DType::F64),
            2.0 / 3);
}

TEST(Losses, BinaryCrossEntropyWithLogits) {
  // NumPy, mean of max(x,0) - x*t + log1p(exp(-|x|)): 1.092165635794165.
  Tensor x = tensor(DType::F64, {2, 2}, {0, 2, -3, 100});
  Tensor t = tensor(DType::F64, {2, 2}, {1, 0, 0.5, 1});
  EXPECT_NEAR(evalLoss(binaryCrossEntropyWithLogits, x, t, DType::F64),
              1.092165635794165, 1e-14);
  // By hand: x = 0, t = 1 gives log 2; -log(sigmoid(2)) = log(1 + e^-2).
  double loss =
      evalLoss(binaryCrossEntropyWithLogits, tensor(DType::F32, {2}, {0, -2}),
               tensor(DType::F32, {2}, {1, 0}), DType::F32);
  EXPECT_NEAR(loss, (std::log(2.0) + std::log1p(std::exp(-2.0))) / 2, 1e-7);
}

TEST(Losses, ExtremeLogitsStayFinite) {
  for (DType dt : {DType::F32, DType::F64}) {
    Tensor logits = tensor(dt, {2, 3}, {1000, -1000, 0, -1000, -1000, 1000});
    // Row 0 picks a class 2000 below the maximum; row 1 the maximum itself.
    Tensor onehot = tensor(dt, {2, 3}, {0, 1, 0, 0, 0, 1});
    EXPECT_EQ(evalLoss(softmaxCrossEntropy, logits, onehot, dt), 1000);
    EXPECT_EQ(evalLoss(sparseSoftmaxCrossEntropy, logits,
                       tensor(DType::I64, {2}, {1, 2}), dt),
              1000);
    // The correct class everywhere: a loss of exactly 0 (exp(-2000) = 0).
    Tensor right = tensor(dt, {2, 3}, {1, 0, 0, 0, 0, 1});
    EXPECT_EQ(evalLoss(softmaxCrossEntropy, logits, right, dt), 0);
    // Sigmoid cross-entropy: wrong by 1000 twice, right twice.
    Tensor x = tensor(dt, {4}, {1000, -1000, 1000, -1000});
    Tensor t = tensor(dt, {4}, {0, 1, 1, 0});
    EXPECT_EQ(evalLoss(binaryCrossEntropyWithLogits, x, t, dt), 500);
    // (1e6 + 1001^2 + 999^2 + 1e6) / 4.
    EXPECT_EQ(evalLoss(meanSquaredError, x, t, dt), 1000000.5);
  }
}

TEST(Losses, Accuracy) {
  // argmax of the rows: 2, 0, 1, 0 (ties go to the first class).
  Tensor logits =
      tensor(DType::F32, {4, 3}, {1, 2, 3, 3, 2, 1, 0, 5, 1, 1, 1, 1});
  for (DType labelType : {DType::I32, DType::I64})
    EXPECT_EQ(evalLoss(accuracy, logits, tensor(labelType, {4}, {2, 1, 1, 0}),
                       DType::F32),
              0.75);
  Tensor onehot =
      tensor(DType::F32, {4, 3}, {0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1});
  EXPECT_EQ(evalLoss(accuracy, logits, onehot, DType::F32), 0.75);
  // f64 predictions still give an f32 fraction.
  EXPECT_EQ(evalLoss(accuracy, tensor(DType::F64, {2, 2}, {0, 1, 1, 0}),
                     tensor(DType::I64, {2}, {1, 0}), DType::F32),
            1);
  // One column: binary logits against 0/1 targets; logit 0 says 0.
  EXPECT_EQ(evalLoss(accuracy, tensor(DType::F32, {4, 1}, {2, -1, 0, 0.5}),
                     tensor(DType::F32, {4, 1}, {1, 0, 1, 0}), DType::F32),
            0.5);
}

TEST(Losses, ShapeAndDTypeErrors) {
  TensorType f32x23{DType::F32, {2, 3}}, f64x23{DType::F64, {2, 3}};
  EXPECT_EQ(buildError(softmaxCrossEntropy, {DType::F32, {3}}, f32x23),
            "softmax_cross_entropy: logits must be a float matrix [batch, "
            "classes] with at least one class, not f32[3]");
  EXPECT_EQ(buildError(softmaxCrossEntropy, {DType::I32, {2, 3}}, f32x23),
            "softmax_cross_entropy: logits must be a float matrix [batch, "
            "classes] with at least one class, not i32[2,3]");
  EXPECT_EQ(buildError(softmaxCrossEntropy, {DType::F32, {2, 0}}, f32x23),
            "softmax_cross_entropy: logits must be a float matrix [batch, "
            "classes] with at least one class, not f32[2,0]");
  EXPECT_EQ(buildError(softmaxCrossEntropy, f32x23, f64x23),
            "softmax_cross_entropy: targets f64[2,3] must have the type of "
            "logits f32[2,3]");
  EXPECT_EQ(buildError(softmaxCrossEntropy, f32x23, {DType::F32, {2, 1}}),
            "softmax_cross_entropy: targets f32[2,1] must have the type of "
            "logits f32[2,3]");
  EXPECT_EQ(buildError(sparseSoftmaxCrossEntropy, f32x23, {DType::F32, {2}}),
            "sparse_softmax_cross_entropy: labels must be class indices "
            "i32[batch] or i64[batch], not f32[2]");
  EXPECT_EQ(buildError(sparseSoftmaxCrossEntropy, f32x23, {DType::I64, {2, 1}}),
            "sparse_softmax_cross_entropy: labels must be class indices "
            "i32[batch] or i64[batch], not i64[2,1]");
  EXPECT_EQ(buildError(sparseSoftmaxCrossEntropy, f32x23, {DType::I64, {3}}),
            "sparse_softmax_cross_entropy: labels i64[3] and logits f32[2,3] "
            "differ in their batch dimension");
  EXPECT_EQ(buildError(meanSquaredError, {DType::F32, {}}, {DType::F32, {}}),
            "mean_squared_error: predictions must be a float tensor [batch, "
            "...], not f32[]");
  EXPECT_EQ(buildError(meanSquaredError, {DType::I64, {2}}, {DType::I64, {2}}),
            "mean_squared_error: predictions must be a float tensor [batch, "
            "...], not i64[2]");
  EXPECT_EQ(buildError(binaryCrossEntropyWithLogits, f32x23, {DType::F32, {3}}),
            "binary_cross_entropy_with_logits: targets f32[3] must have the "
            "type of logits f32[2,3]");
  EXPECT_EQ(buildError(accuracy, {DType::I64, {2}}, {DType::I64, {2}}),
            "accuracy: predictions must be a float matrix [batch, classes] "
            "with at least one class, not i64[2]");
  EXPECT_EQ(buildError(accuracy, f32x23, {DType::I64, {3}}),
            "accuracy: labels must be class indices i32[2] or i64[2] or float "
            "rows [2,3] for predictions f32[2,3], not i64[3]");
  EXPECT_EQ(buildError(accuracy, f32x23, {DType::Bool, {2, 3}}),
            "accuracy: labels must be class indices i32[2] or i64[2] or float "
            "rows [2,3] for predictions f32[2,3], not bool[2,3]");
}

} // namespace
