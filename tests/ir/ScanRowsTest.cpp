//===- ScanRowsTest.cpp - Scan bodies on a block of their rows ------------===//
#include "ir/ScanRows.h"

#include "ir/Builder.h"
#include "ir/GraphCopy.h"
#include "ir/Interpreter.h"
#include "ir/Scan.h"
#include "tests/support/RandomTensor.h"
#include "tests/support/Scans.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace adjoint;
using namespace adjoint::testing;

namespace {

/// The body of a scan over state [4, 8] and sequence [5, 4, 8] with an
/// invariant [8, 8] that `step` builds.
Graph bodyOf(
    const std::function<Value *(Builder &, std::vector<Value *>)> &step,
    Shape invariant = {8, 8}) {
  Graph g("g");
  Builder b(g);
  Value *scan = scanOf(b,
                       {b.input("h0", {DType::F32, {4, 8}}),
                        b.input("xs", {DType::F32, {5, 4, 8}}),
                        b.input("w", {DType::F32, invariant})},
                       1, false, step);
  return copyGraph(scan->definingNode()->attr().getGraph("body"));
}

Value *rnnStep(Builder &b, std::vector<Value *> in) {
  return b.tanh(b.add(b.matmul(in[0], in[2]), in[1]));
}

TEST(ScanRows, AnRnnStepRunsOnABlockOfRows) {
  Graph body = bodyOf(rnnStep);
  std::optional<Graph> half = bodyForRows(body, 1, 2);
  ASSERT_TRUE(half);
  EXPECT_EQ(half->inputs()[0]->type(), (TensorType{DType::F32, {2, 8}}));
  EXPECT_EQ(half->inputs()[1]->type(), (TensorType{DType::F32, {2, 8}}));
  EXPECT_EQ(half->inputs()[2]->type(), (TensorType{DType::F32, {8, 8}}));
  EXPECT_EQ(half->outputs()[0].value->type(), (TensorType{DType::F32, {2, 8}}));

  // Each block of rows through the block's body gives the whole body's
  // rows, bit for bit.
  auto inputs = randomInputs(body, 3, /*specials=*/false);
  Tensor whole = interpret(body, inputs).begin()->second;
  for (int64_t block = 0; block < 2; ++block) {
    std::map<std::string, Tensor> part;
    for (size_t i = 0; i < 2; ++i) {
      const std::string &name = body.inputs()[i]->name();
      Tensor t({DType::F32, {2, 8}});
      std::memcpy(t.bytes(), inputs.at(name).bytes() + block * t.byteSize(),
                  t.byteSize());
      part[name] = t;
    }
    part["in2"] = inputs.at("in2");
    Tensor got = interpret(*half, part).begin()->second;
    EXPECT_EQ(std::memcmp(got.bytes(), whole.bytes() + block * got.byteSize(),
                          got.byteSize()),
              0)
        << "block " << block;
  }
}

TEST(ScanRows, PackedStatesAndRowWiseOpsKeepRowsApart) {
  // An LSTM-like packing: slices, concat and reductions along the
  // features, a reshape and a transpose that keep the leading axis, a
  // broadcast bias.
  Graph body = bodyOf([](Builder &b, std::vector<Value *> in) {
    Value *h = b.slice(in[0], {0}, {4}, {1});
    Value *c = b.slice(in[0], {4}, {8}, {1});
    Value *pre = b.add(b.matmul(in[0], in[2]), in[1]);
    Value *m = b.reduceSum(pre, std::vector<int64_t>{1}, true);
    Value *g = b.sigmoid(b.sub(pre, m));
    Value *r =
        b.reshape(b.transpose(b.reshape(g, {4, 2, 4}), {0, 2, 1}), {4, 8});
    Value *next = b.concat({b.mul(h, b.slice(r, {0}, {4}, {1})), c}, 1);
    return b.add(next, b.constant(Tensor::fromDoubles(
                           DType::F32, {8}, std::vector<double>(8, 0.5))));
  });
  std::optional<Graph> one = bodyForRows(body, 1, 1);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->outputs()[0].value->type(), (TensorType{DType::F32, {1, 8}}));
}

TEST(ScanRows, BodiesThatMixRowsAreNotSplit) {
  using Step = std::function<Value *(Builder &, std::vector<Value *>)>;
  std::vector<std::pair<std::string, Step>> cases = {
      {"a sum over the rows",
       [](Builder &b, std::vector<Value *> in) {
         return b.add(in[0], b.reduceSum(in[1], std::vector<int64_t>{0}, true));
       }},
      {"rows flattened",
       [](Builder &b, std::vector<Value *> in) {
         return b.add(b.reshape(b.neg(b.reshape(in[0], {32})), {4, 8}), in[1]);
       }},
      {"a product contracting the rows",
       [](Builder &b, std::vector<Value *> in) {
         Value *scores = b.matmul(in[0], b.transpose(in[1]));
         return b.matmul(scores, b.slice(in[2], {0}, {4}));
       }},
      {"rows shifted",
       [](Builder &b, std::vector<Value *> in) {
         return b.concat({b.slice(in[0], {1}, {4}), b.slice(in[1], {0}, {1})},
                         0);
       }},
      {"a random mask over element positions",
       [](Builder &b, std::vector<Value *> in) {
         Value *step = b.constant(
             Tensor::fromDoubles(DType::I64, {}, std::vector<double>{0}));
         Attributes a;
         a.set("rate", 0.5);
         return b.op(OpKind::Dropout, {b.add(in[0], in[1]), step}, a);
       }}};
  for (const auto &[what, step] : cases) {
    Graph body = bodyOf(step);
    EXPECT_FALSE(bodyForRows(body, 1, 2)) << what;
  }
  // An invariant with as many rows as the state is read whole, not by
  // rows: its rows would meet every row of the state.
  Graph perRow = bodyOf(
      [](Builder &b, std::vector<Value *> in) {
        return b.add(b.mul(in[0], in[2]), in[1]);
      },
      {4, 8});
  EXPECT_FALSE(bodyForRows(perRow, 1, 2));
}

} // namespace
