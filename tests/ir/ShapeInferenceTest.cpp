//===- ShapeInferenceTest.cpp - Type rules of every op --------------------===//
#include "ir/ShapeInference.h"
#include "ir/Builder.h"
#include "ir/Error.h"

#include <gtest/gtest.h>

using namespace adjoint;

namespace {

TensorType f32(Shape s) { return {DType::F32, std::move(s)}; }

TEST(ShapeInference, BroadcastsNumpyStyle) {
  EXPECT_EQ(broadcastShapes({2, 1, 3}, {4, 1}), (Shape{2, 4, 3}));
  EXPECT_EQ(broadcastShapes({}, {5}), (Shape{5}));
  EXPECT_EQ(broadcastShapes({0, 1}, {1, 7}), (Shape{0, 7}));
  EXPECT_THROW(broadcastShapes({2, 3}, {4}), Error);
}

TEST(ShapeInference, MatMulFollowsNumpy) {
  Attributes none;
  TensorType a = f32({5, 1, 2, 3}), b = f32({4, 3, 6});
  std::vector<TensorType> ops = {a, b};
  EXPECT_EQ(inferType(OpKind::MatMul, ops, none), f32({5, 4, 2, 6}));
  std::vector<TensorType> vv = {f32({3}), f32({3})};
  EXPECT_EQ(inferType(OpKind::MatMul, vv, none), f32({}));
  std::vector<TensorType> mv = {f32({2, 3}), f32({3})};
  EXPECT_EQ(inferType(OpKind::MatMul, mv, none), f32({2}));
  std::vector<TensorType> bad = {f32({2, 3}), f32({4, 5})};
  EXPECT_THROW(inferType(OpKind::MatMul, bad, none), Error);
}

TEST(ShapeInference, SliceClampsAndStepsBackwards) {
  Attributes a;
  a.set("starts", std::vector<int64_t>{-1, 1});
  a.set("ends", std::vector<int64_t>{INT64_MIN, 100});
  a.set("steps", std::vector<int64_t>{-2, 1});
  std::vector<TensorType> ops = {f32({5, 4})};
  EXPECT_EQ(inferType(OpKind::Slice, ops, a), f32({3, 3}));
}

TEST(ShapeInference, SliceCountsHugeStepsWithoutOverflow) {
  std::vector<TensorType> ops = {f32({5})};
  Attributes up;
  up.set("starts", std::vector<int64_t>{1});
  up.set("ends", std::vector<int64_t>{5});
  up.set("steps", std::vector<int64_t>{INT64_MAX});
  EXPECT_EQ(inferType(OpKind::Slice, ops, up), f32({1}));
  Attributes down;
  down.set("starts", std::vector<int64_t>{3});
  down.set("ends", std::vector<int64_t>{-10});
  down.set("steps", std::vector<int64_t>{INT64_MIN});
  EXPECT_EQ(inferType(OpKind::Slice, ops, down), f32({1}));
}

TEST(ShapeInference, WindowOverflowIsAnError) {
  std::vector<TensorType> ops = {f32({1, 1, 4, 4}), f32({1, 1, 3, 3})};
  Attributes dilated;
  dilated.set("dilations", std::vector<int64_t>{INT64_MAX / 2 + 1, 1});
  EXPECT_THROW(inferType(OpKind::Conv2D, ops, dilated), Error);
  Attributes padded;
  padded.set("pads", std::vector<int64_t>{INT64_MAX, 0, INT64_MAX, 0});
  EXPECT_THROW(inferType(OpKind::Conv2D, ops, padded), Error);
}

TEST(ShapeInference, ResultSizeMustFit) {
  // Each operand is valid, but the broadcast has 2^80 elements.
  std::vector<TensorType> ops = {f32({int64_t{1} << 40, 1}),
                                 f32({1, int64_t{1} << 40})};
  try {
    inferType(OpKind::Add, ops, {});
    FAIL() << "expected an error";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("add: result"), std::string::npos)
        << e.what();
  }
}

TEST(ShapeInference, PoolingRejectsAnEmptyImage) {
  // Padding would make room for windows with no element to pool.
  std::vector<TensorType> ops = {f32({1, 1, 0, 2})};
  Attributes a;
  a.set("kernel", std::vector<int64_t>{2, 1});
  a.set("pads", std::vector<int64_t>{1, 0, 1, 0});
  EXPECT_THROW(inferType(OpKind::MaxPool2D, ops, a), Error);
  EXPECT_THROW(inferType(OpKind::AvgPool2D, ops, a), Error);
}

TEST(ShapeInference, ConvOutputSize) {
  Graph g;
  Builder b(g);
  Value *x = b.input("x", f32({1, 1, 28, 28}));
  Value *w = b.param("w", f32({32, 1, 5, 5}), zerosInit());
  Conv2DOptions same;
  same.pads = {2, 2, 2, 2};
  EXPECT_EQ(b.conv2d(x, w, same)->type(), f32({1, 32, 28, 28}));
  Conv2DOptions strided;
  strided.strides = {2, 2};
  EXPECT_EQ(b.conv2d(x, w, strided)->type(), f32({1, 32, 12, 12}));
  Value *w2 = b.param("w2", f32({32, 2, 5, 5}), zerosInit());
  EXPECT_THROW(b.conv2d(x, w2), Error);
}

TEST(ShapeInference, GradientOpsGiveTheirForwardOpsOperandShapes) {
  Graph g;
  Builder b(g);
  Value *x = b.input("x", f32({2, 4, 9, 8}));
  Value *w = b.param("w", f32({6, 2, 3, 3}), zerosInit());
  Conv2DOptions opts;
  opts.strides = {2, 3};
  opts.pads = {0, 1, 2, 0};
  opts.groups = 2;
  Value *y = b.conv2d(x, w, opts);
  EXPECT_EQ(b.conv2dInputGrad(y, w, {2, 4, 9, 8}, opts)->type(),
            f32({2, 4, 9, 8}));
  EXPECT_EQ(b.conv2dWeightGrad(x, y, {3, 3}, opts)->type(), f32({6, 2, 3, 3}));
  // Another input extent with the same output extent is just as valid.
  EXPECT_EQ(b.conv2dInputGrad(y, w, {2, 4, 10, 8}, opts)->type(),
            f32({2, 4, 10, 8}));
  EXPECT_THROW(b.conv2dInputGrad(y, w, {2, 4, 12, 8}, opts), Error);
  EXPECT_THROW(b.conv2dWeightGrad(x, y, {1, 3}, opts), Error);

  Pool2DOptions pool;
  pool.kernel = {3, 2};
  pool.pads = {1, 1, 1, 1};
  Value *p = b.maxPool2d(x, pool);
  EXPECT_EQ(b.maxPool2dGrad(x, p, pool)->type(), x->type());
  EXPECT_EQ(b.avgPool2dGrad(p, {2, 4, 9, 8}, pool)->type(), x->type());
  EXPECT_THROW(b.maxPool2dGrad(x, x, pool), Error);

  Value *ids = b.input("ids", {DType::I64, {3, 2}});
  Value *u = b.input("u", f32({5, 3, 2, 7}));
  EXPECT_EQ(b.scatterAdd(ids, u, {5, 4, 7}, 1)->type(), f32({5, 4, 7}));
  EXPECT_EQ(b.scatterAdd(ids, u, {5, 4, 7}, -2)->type(), f32({5, 4, 7}));
  EXPECT_THROW(b.scatterAdd(ids, u, {5, 4, 7}, 0), Error);
  EXPECT_EQ(b.stopGradient(ids)->type(), ids->type());
}

TEST(ShapeInference, ReductionsNormalizeNegativeAxes) {
  Graph g;
  Builder b(g);
  Value *x = b.input("x", f32({2, 3, 4}));
  EXPECT_EQ(b.reduceSum(x, std::vector<int64_t>{-1})->type(), f32({2, 3}));
  EXPECT_EQ(b.reduceMax(x, std::vector<int64_t>{0, -1}, true)->type(),
            f32({1, 3, 1}));
  EXPECT_EQ(b.reduceMin(x, std::nullopt)->type(), f32({}));
  EXPECT_THROW(b.reduceSum(x, std::vector<int64_t>{3}), Error);
  EXPECT_THROW(b.reduceSum(x, std::vector<int64_t>{1, -2}), Error);
}

TEST(ShapeInference, ErrorsNameOpAndShapes) {
  Graph g;
  Builder b(g);
  Value *x = b.input("x", f32({2, 3}));
  Value *y = b.input("y", f32({4}));
  try {
    b.add(x, y);
    FAIL() << "expected an error";
  } catch (const Error &e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("add"), std::string::npos) << msg;
    EXPECT_NE(msg.find("f32[2,3]"), std::string::npos) << msg;
    EXPECT_NE(msg.find("f32[4]"), std::string::npos) << msg;
  }
}

} // namespace
