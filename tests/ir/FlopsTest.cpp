//===- FlopsTest.cpp - FLOP counts of nodes and graphs --------------------===//
#include "ir/Flops.h"

#include "ir/Builder.h"

#include <gtest/gtest.h>

#include <limits>

using namespace adjoint;

namespace {

TensorType f32(Shape s) { return {DType::F32, std::move(s)}; }

int64_t flopsOf(Value *v) { return nodeFlops(*v->definingNode()); }

TEST(Flops, MatMulCountsAMultiplyAddAsTwo) {
  Graph g;
  Builder b(g);
  Value *a = b.input("a", f32({5, 1, 2, 3}));
  Value *w = b.input("w", f32({4, 3, 6}));
  // Batch [5,4], M=2, K=3, N=6.
  EXPECT_EQ(flopsOf(b.matmul(a, w)), 2 * 20 * 2 * 3 * 6);
  Value *v = b.input("v", f32({3}));
  EXPECT_EQ(flopsOf(b.matmul(v, v)), 2 * 3);
}

TEST(Flops, Conv2DCountsEveryTap) {
  Graph g;
  Builder b(g);
  Value *x = b.input("x", f32({2, 4, 9, 9}));
  Value *w = b.param("w", f32({6, 2, 3, 3}), zerosInit());
  Conv2DOptions opts;
  opts.groups = 2;
  opts.strides = {2, 2};
  // out 4x4; per output element (C/groups)*kH*kW = 2*3*3 multiply-adds.
  EXPECT_EQ(flopsOf(b.conv2d(x, w, opts)), 2 * 2 * 6 * 4 * 4 * 2 * 3 * 3);
}

TEST(Flops, PoolsCountWindowElements) {
  Graph g;
  Builder b(g);
  Value *x = b.input("x", f32({1, 3, 8, 8}));
  Pool2DOptions opts;
  opts.kernel = {2, 2};
  opts.strides = {2, 2};
  EXPECT_EQ(flopsOf(b.maxPool2d(x, opts)), 3 * 4 * 4 * 4);
  EXPECT_EQ(flopsOf(b.avgPool2d(x, opts)), 3 * 4 * 4 * 4);
}

TEST(Flops, GradientOpsCountLikeTheirForwardOps) {
  Graph g;
  Builder b(g);
  Value *x = b.input("x", f32({2, 4, 9, 9}));
  Value *w = b.param("w", f32({6, 2, 3, 3}), zerosInit());
  Conv2DOptions conv;
  conv.groups = 2;
  conv.strides = {2, 2};
  Value *y = b.conv2d(x, w, conv);
  int64_t convFlops = 2 * 2 * 6 * 4 * 4 * 2 * 3 * 3;
  EXPECT_EQ(flopsOf(b.conv2dInputGrad(y, w, {2, 4, 9, 9}, conv)), convFlops);
  EXPECT_EQ(flopsOf(b.conv2dWeightGrad(x, y, {3, 3}, conv)), convFlops);
  Pool2DOptions pool;
  pool.kernel = {2, 2};
  pool.strides = {2, 2};
  Value *p = b.input("p", f32({1, 3, 8, 8}));
  Value *dy = b.input("dy", f32({1, 3, 4, 4}));
  EXPECT_EQ(flopsOf(b.maxPool2dGrad(p, dy, pool)), 3 * 4 * 4 * 4);
  EXPECT_EQ(flopsOf(b.avgPool2dGrad(dy, {1, 3, 8, 8}, pool)), 3 * 4 * 4 * 4);
  Value *ids = b.input("ids", {DType::I32, {5}});
  Value *u = b.input("u", f32({5, 7}));
  EXPECT_EQ(flopsOf(b.scatterAdd(ids, u, {10, 7})), 35);
  EXPECT_EQ(flopsOf(b.stopGradient(u)), 0);
}

TEST(Flops, ElementwiseCountsOutputsAndReductionsInputs) {
  Graph g;
  Builder b(g);
  Value *x = b.input("x", f32({4, 5}));
  Value *row = b.input("row", f32({5}));
  EXPECT_EQ(flopsOf(b.add(x, row)), 20);
  EXPECT_EQ(flopsOf(b.exp(x)), 20);
  EXPECT_EQ(flopsOf(b.tanh(row)), 5);
  EXPECT_EQ(flopsOf(b.less(x, row)), 20);
  EXPECT_EQ(flopsOf(b.reduceSum(x, std::vector<int64_t>{1})), 20);
  EXPECT_EQ(flopsOf(b.argmax(x, 0)), 20);
  // A mean is its sum plus one division per result element.
  EXPECT_EQ(flopsOf(b.reduceMean(x, std::vector<int64_t>{1})), 20 + 4);
}

TEST(Flops, DataMovementIsFree) {
  Graph g;
  Builder b(g);
  Value *x = b.input("x", f32({4, 5}));
  EXPECT_EQ(flopsOf(b.reshape(x, {20})), 0);
  EXPECT_EQ(flopsOf(b.transpose(x, {1, 0})), 0);
  EXPECT_EQ(flopsOf(b.pad(x, {1, 1, 1, 1})), 0);
  EXPECT_EQ(flopsOf(b.concat({x, x}, 0)), 0);
  EXPECT_EQ(flopsOf(b.scalar(DType::F32, 2)), 0);
}

TEST(Flops, GraphSumsItsNodes) {
  Graph g;
  Builder b(g);
  Value *x = b.input("x", f32({8, 16}));
  Value *w = b.param("w", f32({16, 4}), zerosInit());
  Value *bias = b.param("b", f32({4}), zerosInit());
  b.output("y", b.softmax(b.relu(b.dense(x, w, bias))));
  // matmul 2*8*16*4, add and relu 32 each, softmax 5 ops of 32.
  EXPECT_EQ(graphFlops(g), 2 * 8 * 16 * 4 + 32 + 32 + 5 * 32);
}

TEST(Flops, HugeCountsSaturate) {
  Graph g;
  Builder b(g);
  int64_t m = int64_t{1} << 20, k = int64_t{1} << 30;
  Value *a = b.input("a", {DType::U8, {m, k}});
  Value *c = b.input("c", {DType::U8, {k, m}});
  // Every shape fits, but 2 * 2^20 * 2^20 * 2^30 overflows int64.
  EXPECT_EQ(flopsOf(b.matmul(a, c)), std::numeric_limits<int64_t>::max());
}

} // namespace
