//===- StridedViewTest.cpp - Where chains of views put each element -------===//
//
// The layout algebra of StridedView.h on hand-computed cases, and the GEMM
// operands readThroughViews makes of it (the heads of attention as PyTorch
// exports them), including the chains a GEMM must not read in place.
//
//===----------------------------------------------------------------------===//
#include "compiler/passes/StridedView.h"
#include "compiler/passes/FusionPlan.h"
#include "ir/Builder.h"

#include <gtest/gtest.h>

using namespace adjoint;

namespace {

using Axes = std::vector<std::vector<Mode>>;

/// `v` read through the chain of views that ends at `top`.
std::optional<StridedView> viewOf(const Value *top, const Value *stored) {
  std::vector<const Node *> chain;
  for (const Value *v = top; v != stored; v = v->definingNode()->operand(0))
    chain.push_back(v->definingNode());
  StridedView view = contiguousView(stored->type().shape);
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    std::optional<StridedView> next = applyView(view, **it);
    if (!next)
      return std::nullopt;
    view = *next;
  }
  return view;
}

TEST(StridedView, ContiguousValuesAreOneModePerAxis) {
  StridedView v = contiguousView({2, 1, 3, 4});
  EXPECT_EQ(v.offset, 0);
  EXPECT_EQ(v.axes, (Axes{{{2, 12}}, {}, {{3, 4}}, {{4, 1}}}));
}

TEST(StridedView, CoalesceMergesRunsAndDropsUnitModes) {
  EXPECT_EQ(coalesce({{2, 12}, {1, 99}, {3, 4}, {4, 1}}),
            (std::vector<Mode>{{24, 1}}));
  EXPECT_EQ(coalesce({{2, 24}, {3, 4}, {4, 1}}),
            (std::vector<Mode>{{2, 24}, {12, 1}}));
  EXPECT_TRUE(coalesce({{1, 5}}).empty());
}

TEST(StridedView, AttentionHeadsSplitOffAQkvProjection) {
  // PyTorch's export of multi-head attention: the keys are columns
  // [8, 16) of a [seq 5, batch 3, 3 x 2 heads x 4] projection, split into
  // [seq, batch x heads, 4] and turned to [batch x heads, 4, seq].
  Graph g("heads");
  Builder b(g);
  Value *qkv = b.input("qkv", {DType::F32, {5, 3, 24}});
  Value *keys = b.slice(qkv, {8}, {16}, std::vector<int64_t>{2});
  Value *split = b.reshape(keys, {5, 6, 4});
  Value *turned = b.transpose(split, {1, 2, 0});
  std::optional<StridedView> v = viewOf(turned, qkv);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->offset, 8);
  // Entry (batch, head) at batch*24 + head*4; rows of 4 contiguous; the
  // sequence 72 apart.
  EXPECT_EQ(v->axes, (Axes{{{3, 24}, {2, 4}}, {{4, 1}}, {{5, 72}}}));

  // As the right operand of the scores' product: read transposed, with
  // the sequence's stride as its leading dimension.
  Value *queries = b.input("q", {DType::F32, {6, 5, 4}});
  Value *scores = b.matmul(queries, turned);
  std::optional<MatMulOperand> read = readThroughViews(
      *scores->definingNode(), 1,
      {turned->definingNode(), split->definingNode(), keys->definingNode()});
  ASSERT_TRUE(read);
  EXPECT_EQ(read->value, qkv);
  EXPECT_TRUE(read->transposed);
  EXPECT_EQ(read->offset, 8);
  EXPECT_EQ(read->rowStride, 72);
  EXPECT_TRUE(read->stridedBatch);
  EXPECT_EQ(read->batchModes, (Axes{{{3, 24}, {2, 4}}}));
}

TEST(StridedView, SlicesNarrowAModeAndStepsWidenIt) {
  Graph g("slices");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {6, 10}});
  Value *s = b.slice(x, {1, 2}, {5, 9}, {0, 1}, {2, 3});
  std::optional<StridedView> v = viewOf(s, x);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->offset, 12);
  EXPECT_EQ(v->axes, (Axes{{{2, 20}}, {{3, 3}}}));
}

TEST(StridedView, ReshapesThatCutAModeUnevenlyAreNotStrided) {
  // Columns [0, 4) of [6, 5] are 6 runs of 4, 5 apart: 8 rows of 3 would
  // cut runs in the middle.
  Graph g("uneven");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {6, 5}});
  Value *cols = b.slice(x, {0}, {4}, std::vector<int64_t>{1});
  EXPECT_FALSE(viewOf(b.reshape(cols, {8, 3}), x));
  // 12 rows of 2 cut each run in two: strided.
  std::optional<StridedView> halves = viewOf(b.reshape(cols, {12, 2}), x);
  ASSERT_TRUE(halves);
  EXPECT_EQ(halves->axes, (Axes{{{6, 5}, {2, 2}}, {{2, 1}}}));
}

TEST(StridedView, GemmsDoNotReadMatricesWithoutAContiguousAxis) {
  // The merged [seq, heads x 4] rows of attention's output, transposed
  // back from [heads, seq, 4]: a row is 2 runs of 4, 20 apart, so the
  // product copies it.
  Graph g("merged");
  Builder b(g);
  Value *heads = b.input("heads", {DType::F32, {2, 5, 4}});
  Value *turned = b.transpose(heads, {1, 0, 2});
  Value *rows = b.reshape(turned, {5, 8});
  Value *w = b.input("w", {DType::F32, {8, 3}});
  Value *y = b.matmul(rows, w);
  EXPECT_TRUE(viewOf(rows, heads));
  EXPECT_FALSE(readThroughViews(
      *y->definingNode(), 0, {rows->definingNode(), turned->definingNode()}));
  // The transpose alone is 5 entries of 2 rows, rows 20 apart and entries
  // 4 apart: b is shared, so the batch stays one GEMM, over a copy.
  Value *z = b.matmul(turned, b.input("v", {DType::F32, {4, 3}}));
  EXPECT_FALSE(
      readThroughViews(*z->definingNode(), 0, {turned->definingNode()}));
  // Nor does an integer product read anything but whole matrices.
  Value *ints = b.input("i", {DType::I32, {4, 6}});
  Value *cut = b.slice(ints, {0}, {3}, std::vector<int64_t>{1});
  Value *p = b.matmul(cut, b.input("j", {DType::I32, {3, 2}}));
  EXPECT_FALSE(readThroughViews(*p->definingNode(), 0, {cut->definingNode()}));
}

} // namespace
