//===- FusedCodegenTest.cpp - Fused kernels against the interpreter -------===//
//
// Fused code must compute what the interpreter computes on the unfused
// graph: random graphs made of what fusion groups, every example model and
// its training step. Tolerances are those of tests/compiler: relative 1e-5
// in f32 and 1e-12 in f64 (times 10, against each tensor's own scale, for
// random chains), 1e-4 for whole models.
//
//===----------------------------------------------------------------------===//
#include "compiler/CodeDump.h"
#include "compiler/Executable.h"
#include "compiler/autodiff/Grad.h"
#include "compiler/passes/Fusion.h"
#include "compiler/training/Trainer.h"
#include "ir/Builder.h"
#include "ir/GraphCopy.h"
#include "ir/Interpreter.h"
#include "ir/Losses.h"
#include "ir/ModelIO.h"
#include "ir/Specialize.h"
#include "tests/support/RandomFusionGraph.h"
#include "tests/support/RandomTensor.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <filesystem>
#include <sstream>

using namespace adjoint;
using namespace adjoint::testing;

namespace {

/// Empty when `got` matches `want` (NaN matches NaN, infinities are equal,
/// floats within rtol*|want| + atol); else the first mismatch.
std::string mismatch(const Tensor &got, const Tensor &want, double rtol,
                     double atol) {
  if (got.type() != want.type())
    return "types differ: " + typeStr(got.type()) + " vs " +
           typeStr(want.type());
  for (int64_t i = 0; i < want.numElements(); ++i) {
    double g = got.elementAsDouble(i), w = want.elementAsDouble(i);
    bool ok = std::isnan(w)   ? std::isnan(g)
              : std::isinf(w) ? g == w
              : isFloat(want.dtype())
                  ? std::fabs(g - w) <= rtol * std::fabs(w) + atol
                  : g == w;
    if (!ok) {
      std::ostringstream os;
      os << "element " << i << ": got " << g << ", want " << w;
      return os.str();
    }
  }
  return "";
}

double scaleOf(const Tensor &t) {
  double scale = 0;
  if (isFloat(t.dtype()))
    for (int64_t i = 0; i < t.numElements(); ++i)
      if (std::isfinite(t.elementAsDouble(i)))
        scale = std::max(scale, std::fabs(t.elementAsDouble(i)));
  return scale;
}

void expectClose(const std::map<std::string, Tensor> &got,
                 const std::map<std::string, Tensor> &want, double rtol) {
  for (const auto &[name, t] : want)
    EXPECT_EQ(mismatch(got.at(name), t, rtol, rtol * std::max(1.0, scaleOf(t))),
              "")
        << name;
}

/// Compiled `g` on random inputs from `seed` computes what the interpreter
/// does, within 1e-5, and the same bits on 1 and 2 threads.
void expectInterpreterOnAnyThreadCount(const Graph &g, uint64_t seed) {
  auto inputs = randomInputs(g, seed, false);
  auto want = interpret(g, inputs);
  std::map<std::string, Tensor> first;
  for (int threads : {1, 2}) {
    CompileOptions options;
    options.threads = threads;
    auto got = compile(g, options)->run(inputs);
    expectClose(got, want, 1e-5);
    if (threads == 1)
      first = got;
    else
      for (const auto &[name, t] : got)
        EXPECT_TRUE(t.identical(first.at(name))) << name;
  }
}

TEST(FusedCodegen, RandomGraphsMatchTheInterpreter) {
  int fusedKernels = 0, nodeKernels = 0;
  std::map<int, int> kinds;
  for (uint64_t seed = 0; seed < 300; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Graph g = randomFusionGraph(seed);
    FusionPlan plan = fuseGraph(g);
    checkPlan(g, plan);
    for (const FusionGroup &group : plan.groups)
      ++kinds[(int)group.kind];
    auto inputs = randomInputs(g, seed, /*specials=*/false);
    auto want = interpret(g, inputs);
    CompileOptions fusedOnly; // fusion alone, on the graph as generated
    fusedOnly.simplify = false;
    auto exe = compile(g, fusedOnly);
    EXPECT_EQ(exe->kernelCount(), plan.kernelCount());
    fusedKernels += exe->kernelCount();
    nodeKernels += unfusedPlan(g).kernelCount();
    auto got = exe->run(inputs);
    expectClose(got, want, 1e-4);
  }
  // Every fused kind is exercised many times.
  for (GroupKind kind : {GroupKind::Loop, GroupKind::Reduction, GroupKind::Row,
                         GroupKind::Epilogue})
    EXPECT_GE(kinds[(int)kind], 10) << (int)kind;
  // Fusion must actually group: far fewer kernels than nodes.
  EXPECT_LT(fusedKernels * 2, nodeKernels);
}

TEST(FusedCodegen, RowGroupsMatchTheInterpreter) {
  // Softmax, log-softmax and cross-entropy over rows of several lengths,
  // rows of rank 2, empty batches, and per-row values as outputs.
  std::vector<std::pair<Shape, int64_t>> cases = {
      {{1, 10}, -1}, {{7, 33}, -1},      {{3, 4, 5}, -1},
      {{0, 6}, -1},  {{2, 3, 1000}, -1}, {{50}, 0}};
  for (const auto &[shape, axis] : cases) {
    for (DType t : {DType::F32, DType::F64}) {
      SCOPED_TRACE(typeStr({t, shape}));
      Graph g("rows");
      Builder b(g);
      Value *x = b.input("x", {t, shape});
      Value *y = b.input("y", {t, shape});
      b.output("softmax", b.softmax(x, axis));
      Value *ls = b.logSoftmax(y, axis);
      b.output("logsoftmax", ls);
      b.output("rowsum",
               b.reduceSum(b.mul(ls, x), std::vector<int64_t>{-1}, false));
      auto inputs = randomInputs(g, 17, false);
      auto exe = compile(g);
      EXPECT_LE(exe->kernelCount(), 2);
      expectClose(exe->run(inputs), interpret(g, inputs),
                  t == DType::F32 ? 1e-5 : 1e-12);
    }
  }
  Graph g("xent");
  Builder b(g);
  Value *logits = b.input("logits", {DType::F32, {16, 10}});
  Value *targets = b.input("targets", {DType::F32, {16, 10}});
  b.output("loss", softmaxCrossEntropy(b, logits, targets));
  auto inputs = randomInputs(g, 3, false);
  auto exe = compile(g);
  EXPECT_EQ(exe->kernelCount(), 2);
  expectClose(exe->run(inputs), interpret(g, inputs), 1e-5);
}

TEST(FusedCodegen, RowGroupsPropagateNonFiniteValues) {
  // Row kernels run as masked vector loops: a NaN anywhere in a row must
  // still make its maximum NaN, and infinities must give what the
  // interpreter gives, whichever lane they fall in.
  for (int64_t n : {3, 10, 17, 70}) {
    SCOPED_TRACE(n);
    Graph g("rows");
    Builder b(g);
    Value *x = b.input("x", {DType::F32, {6, n}});
    b.output("softmax", b.softmax(x, -1));
    b.output("max", b.reduceMax(x, std::vector<int64_t>{-1}, false));
    b.output("min", b.reduceMin(x, std::vector<int64_t>{-1}, false));
    auto inputs = randomInputs(g, 5, false);
    float *v = inputs.at("x").data<float>();
    v[0 * n + n - 1] = NAN;
    v[1 * n + n / 2] = INFINITY;
    v[2 * n] = -INFINITY;
    v[3 * n + 1] = NAN;
    v[3 * n + n - 1] = INFINITY;
    for (int64_t j = 0; j < n; ++j)
      v[4 * n + j] = -INFINITY;
    auto exe = compile(g);
    expectClose(exe->run(inputs), interpret(g, inputs), 1e-5);
  }
}

TEST(FusedCodegen, ShortRowsAreVectorizedAcrossRows) {
  // A softmax over 10 classes: the loop over rows is vectorized, one class
  // of as many rows as a vector has lanes per vector, so a row's maximum
  // and sum are element-wise maxima and adds, with no reduction across
  // lanes. Rows of more than 16 elements are each a masked vector loop
  // whose maximum is a tree of whole-vector maxima (Optimizer.cpp), not the
  // backend's scalar expansion. Any count of rows, on 1 and 2 threads.
  for (auto [rows, cols] : std::vector<std::array<int64_t, 2>>{
           {32, 10}, {37, 10}, {5, 3}, {1, 10}, {32, 40}}) {
    SCOPED_TRACE(std::to_string(rows) + " x " + std::to_string(cols));
    Graph g("rows");
    Builder b(g);
    Value *x = b.input("x", {DType::F32, {rows, cols}});
    b.output("softmax", b.softmax(x, -1));
    expectInterpreterOnAnyThreadCount(g, 13);
    std::string ir = dumpCode(g).llvmAfter;
    EXPECT_EQ(ir.find("call float @llvm.vector.reduce.fmaximum"),
              std::string::npos);
    if (cols > 16) {
      EXPECT_NE(ir.find("@llvm.maximum.v"), std::string::npos);
      EXPECT_NE(ir.find("llvm.masked.load"), std::string::npos);
    } else if (rows >= 32) {
      EXPECT_NE(ir.find("@llvm.maximum.v"), std::string::npos);
      EXPECT_EQ(ir.find("llvm.vector.reduce"), std::string::npos);
    }
  }
}

TEST(FusedCodegen, TransposedSumsReadTheirOperandsContiguously) {
  // The sum of many operands, transposed (a weight's gradient summed over
  // the steps of an unrolled sequence): the loop runs along the operands'
  // rows, in blocks of 64, instead of gathering each of them; every tail of
  // the blocks, on 1 and 2 threads.
  for (auto [rows, cols] : std::vector<std::array<int64_t, 2>>{
           {128, 512}, {67, 130}, {1, 70}, {200, 3}}) {
    Graph g("sum");
    Builder b(g);
    Value *sum = nullptr;
    for (int i = 0; i < 6; ++i) {
      Value *x = b.input("x" + std::to_string(i), {DType::F32, {rows, cols}});
      sum = sum ? b.add(sum, x) : x;
    }
    b.output("t", b.transpose(b.mul(sum, b.scalar(DType::F32, 0.5))));
    SCOPED_TRACE(std::to_string(rows) + " x " + std::to_string(cols));
    expectInterpreterOnAnyThreadCount(g, 7);
    // Blocks of whole 64 rows: no gathers. (LLVM may vectorize a short
    // last block across the other dimension instead.)
    if (rows >= 64 && cols % 64 == 0) {
      std::string ir = dumpCode(g).llvmAfter;
      EXPECT_EQ(ir.find("llvm.masked.gather"), std::string::npos);
    }
  }
}

TEST(FusedCodegen, TransposesReadTheirOperandContiguously) {
  // A transpose alone: loads along the operand's rows, stores strided; the
  // Transformer's split of heads (perm 1, 2, 0) has stores 256 bytes apart.
  // Stores 2 KiB apart (a [512, 128] matrix transposed) would crowd into a
  // few cache sets, so that one keeps the output's order. Both match the
  // interpreter on 1 and 2 threads.
  Graph heads("heads");
  Builder b(heads);
  Value *x = b.input("x", {DType::F32, {64, 64, 32}});
  b.output("t", b.transpose(x, {1, 2, 0}));
  expectInterpreterOnAnyThreadCount(heads, 3);
  EXPECT_EQ(dumpCode(heads).llvmAfter.find("llvm.masked.gather"),
            std::string::npos);
  Graph wide("wide");
  Builder w(wide);
  Value *m = w.input("m", {DType::F32, {512, 128}});
  w.output("t", w.transpose(m));
  expectInterpreterOnAnyThreadCount(wide, 4);
}

TEST(FusedCodegen, ShortContiguousRowsAreVectorizedAsThey) {
  // The gradient of attention's scaled queries turned back to [seq, batch
  // x heads, 32]: every access walks the 32 columns of a head contiguously,
  // so the loop over them is vectorized, not unrolled into a loop of
  // gathers over the heads. Every tail of a vector, on 1 and 2 threads.
  for (int64_t width : {32, 7, 20, 100}) {
    SCOPED_TRACE(width);
    Graph g("heads_back");
    Builder b(g);
    Value *x = b.input("x", {DType::F32, {64, 48, width}});
    Value *scaled = b.div(x, b.scalar(DType::F32, 5.656854f));
    b.output("t", b.transpose(scaled, {1, 0, 2}));
    expectInterpreterOnAnyThreadCount(g, 11);
    EXPECT_EQ(dumpCode(g).llvmAfter.find("llvm.masked.gather"),
              std::string::npos);
  }
}

/// The fusion plan of `g` after the pipeline's split of shared matmul
/// operand views (which rewrites `g`).
FusionPlan splitAndFuse(Graph &g) {
  splitSharedViews(g);
  FusionPlan plan = fuseGraph(g);
  checkPlan(g, plan);
  return plan;
}

TEST(FusedCodegen, ReshapedMatMulOperandsAreReadInPlace) {
  // A sequence layer's weight gradient: dw = h^T @ dz over the [batch*seq]
  // rows of [batch, seq, d] tensors, with an epilogue. The reshapes (one
  // under a transpose) are absorbed: the GEMM reads h and dz where they are
  // and no kernel copies them. A reshape also read by another node is
  // copied as before.
  Graph g("sequence_dense_grad");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {4, 6, 8}});
  Value *dy = b.input("dy", {DType::F32, {4, 6, 5}});
  Value *w = b.input("w", {DType::F32, {8, 5}});
  Value *h = b.tanh(x);
  Value *dz = b.mul(dy, b.scalar(DType::F32, 3));
  Value *dw =
      b.matmul(b.transpose(b.reshape(h, {24, 8})), b.reshape(dz, {24, 5}));
  b.output("w_next", b.sub(w, b.mul(dw, b.scalar(DType::F32, 0.1))));
  Value *shared = b.reshape(b.exp(x), {24, 8});
  b.output("y", b.matmul(shared, w));
  b.output("shared_sum", b.reduceSum(shared, std::vector<int64_t>{0}, false));
  FusionPlan plan = fuseGraph(g);
  checkPlan(g, plan);
  int copies = 0;
  for (const auto &node : g.nodes()) {
    if (node->op() != OpKind::Reshape)
      continue;
    const FusionGroup &group = plan.groups[plan.groupOf.at(node.get())];
    bool absorbed = isAbsorbedOperand(group, *node);
    EXPECT_EQ(absorbed, node->result() != shared) << node->describe();
    copies += !absorbed;
  }
  EXPECT_EQ(copies, 1);
  const FusionGroup &dwGroup = plan.groups[plan.groupOf.at(dw->definingNode())];
  MatMulOperand a = matmulOperand(dwGroup, *dw->definingNode(), 0);
  MatMulOperand c = matmulOperand(dwGroup, *dw->definingNode(), 1);
  EXPECT_EQ(a.value, h);
  EXPECT_TRUE(a.transposed);
  EXPECT_EQ(c.value, dz);
  EXPECT_FALSE(c.transposed);
  expectInterpreterOnAnyThreadCount(g, 11);
}

TEST(FusedCodegen, SharedReshapesAndTransposesAreSplitPerMatMul) {
  // An LSTM's gate gradients reshaped to rows feed both weight gradients
  // through one transpose, and the input gradient directly: each matmul
  // gets its own copy of the reshape (and of the transpose), absorbs it,
  // and no kernel copies anything for them.
  auto build = [](Graph &g) {
    Builder b(g);
    Value *x = b.input("x", {DType::F32, {4, 6, 8}});
    Value *in = b.input("in", {DType::F32, {24, 3}});
    Value *hid = b.input("hid", {DType::F32, {24, 5}});
    Value *w = b.input("w", {DType::F32, {8, 2}});
    Value *rows = b.reshape(b.tanh(x), {24, 8});
    Value *t = b.transpose(rows);
    b.output("dw_in", b.matmul(t, in));
    b.output("dw_hid", b.matmul(t, hid));
    b.output("dx", b.matmul(rows, w));
  };
  Graph g("shared_rows"), split("shared_rows");
  build(g);
  build(split);
  FusionPlan plan = splitAndFuse(split);
  int views = 0;
  for (const auto &node : split.nodes())
    if (node->op() == OpKind::Reshape || node->op() == OpKind::Transpose) {
      EXPECT_TRUE(
          isAbsorbedOperand(plan.groups[plan.groupOf.at(node.get())], *node))
          << node->describe();
      ++views;
    }
  EXPECT_EQ(views, 5);              // three reshapes, two transposes
  EXPECT_EQ(plan.kernelCount(), 4); // tanh and the three products
  expectInterpreterOnAnyThreadCount(g, 12);
}

TEST(FusedCodegen, SharedSlicesOfAnInputAreReadInPlaceByEveryLoop) {
  // A reverse scan's body reads the residuals of a step as column slices of
  // one saved row; each slice feeds kernels that cannot be one (here, a
  // row-wise reduction and an elementwise loop of another shape). Every
  // loop reads the slices through its own copy of the view: no kernel
  // writes a slice, where one shared view would be copied to memory first.
  auto build = [](Graph &g) {
    Builder b(g);
    Value *saved = b.input("saved", {DType::F32, {6, 24}});
    Value *y = b.input("y", {DType::F32, {6, 8}});
    Value *s0 = b.slice(saved, {0}, {8}, {1});
    Value *s1 = b.slice(saved, {8}, {16}, {1});
    Value *p = b.mul(s0, s1);
    b.output("sum", b.reduceSum(p, std::vector<int64_t>{1}, true));
    b.output("q", b.add(b.mul(s0, y), b.tanh(s1)));
  };
  Graph g("saved_row"), split("saved_row");
  build(g);
  build(split);
  FusionPlan plan = splitAndFuse(split);
  for (const FusionGroup &group : plan.groups)
    for (const Value *v : group.outputs)
      EXPECT_NE(v->definingNode()->op(), OpKind::Slice)
          << v->definingNode()->describe() << " is written to memory";
  EXPECT_EQ(plan.kernelCount(), 2);
  expectInterpreterOnAnyThreadCount(g, 14);
}

TEST(FusedCodegen, SlicedMatMulOperandsAreReadWithTheirRowStride) {
  // A scan's gradient packs each step's parts side by side in rows
  // ([T, N, 3*8] here); the weight gradients read a part's rows where they
  // lie, with the packed row stride, through a reshape (and a transpose),
  // in an epilogue group and in a plain one. A range of the first axis is
  // one contiguous block. A slice that a reduction also reads is split: the
  // reduction reads the packed rows through its own copy. f32 and f64, on
  // 1 and 2 threads, against the interpreter.
  for (DType t : {DType::F32, DType::F64}) {
    SCOPED_TRACE(dtypeName(t));
    auto build = [t](Graph &g) {
      Builder b(g);
      Value *x = b.input("x", {t, {5, 4, 24}});
      Value *h = b.input("h", {t, {20, 7}});
      Value *w = b.input("w", {t, {8, 7}});
      Value *packed = b.tanh(x);
      Value *gate = b.slice(packed, {8}, {16}, std::vector<int64_t>{2});
      Value *rows = b.reshape(gate, {20, 8});
      Value *dw = b.matmul(b.transpose(rows), h);
      b.output("w_next", b.sub(w, b.mul(dw, b.scalar(t, 0.5))));
      b.output("db", b.reduceSum(gate, std::vector<int64_t>{0, 1}, false));
      Value *last = b.slice(packed, {16}, {24}, std::vector<int64_t>{2});
      b.output("dx", b.matmul(b.reshape(last, {20, 8}), w));
      Value *block = b.slice(packed, {1}, {3}, std::vector<int64_t>{0});
      b.output("blk",
               b.matmul(b.reshape(block, {8, 24}), b.input("v", {t, {24, 3}})));
    };
    Graph g("packed_rows"), split("packed_rows");
    build(g);
    build(split);
    FusionPlan plan = splitAndFuse(split);
    int absorbedSlices = 0, slices = 0;
    for (const auto &node : split.nodes())
      if (node->op() == OpKind::Slice) {
        ++slices;
        absorbedSlices +=
            isAbsorbedOperand(plan.groups[plan.groupOf.at(node.get())], *node);
      }
    // The reduction's copy of the gate slice is fused into its loop.
    EXPECT_EQ(slices, 4);
    EXPECT_EQ(absorbedSlices, 3);
    for (const FusionGroup &group : plan.groups)
      for (const Node *n : group.nodes)
        if (n->op() == OpKind::Slice && !isAbsorbedOperand(group, *n))
          EXPECT_EQ(group.kind, GroupKind::Reduction) << n->describe();
    expectInterpreterOnAnyThreadCount(g, 13);
  }
  // A batched product sharing its b reads a slice in place too (directly
  // or through a reshape) when the slice's rows are one stride apart
  // across the batch: each product gets a copy of the slice it shares with
  // a reduction, which fuses the original into its loop.
  Graph batched("batched_rows");
  Builder b(batched);
  Value *x = b.tanh(b.input("x", {DType::F32, {2, 4, 6}}));
  Value *gate = b.slice(x, {0}, {4}, std::vector<int64_t>{2});
  Value *w = b.input("w", {DType::F32, {4, 3}});
  b.output("y", b.matmul(gate, w));
  b.output("z", b.matmul(b.reshape(gate, {4, 2, 4}), w));
  b.output("s", b.reduceSum(gate, std::vector<int64_t>{0}, false));
  Graph unsplit = copyGraph(batched);
  FusionPlan batchedPlan = splitAndFuse(batched);
  int batchedSlices = 0, batchedAbsorbed = 0;
  for (const auto &node : batched.nodes())
    if (node->op() == OpKind::Slice) {
      ++batchedSlices;
      batchedAbsorbed += isAbsorbedOperand(
          batchedPlan.groups[batchedPlan.groupOf.at(node.get())], *node);
    }
  EXPECT_EQ(batchedSlices, 3);
  EXPECT_EQ(batchedAbsorbed, 2);
  expectInterpreterOnAnyThreadCount(unsplit, 17);
}

TEST(FusedCodegen, AttentionHeadsAreReadWhereTheProjectionLies) {
  // Multi-head attention as PyTorch exports it: q, k and v are column
  // ranges of one [seq, batch, 3 d] projection, each split into heads
  // ([seq, batch x heads, 4]) and turned with a transpose. Each batched
  // product reads its heads where the projection lies (entries over batch
  // and head, the sequence as the row stride): no kernel copies a slice,
  // reshape or transpose. Its gradient's products read the same views.
  const int64_t seq = 5, batch = 3, heads = 2, width = 4, d = heads * width;
  Graph g("heads");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {seq, batch, 3 * d}});
  Value *qkv = b.tanh(x);
  auto part = [&](int64_t i, std::vector<int64_t> perm) {
    Value *cols = b.slice(qkv, {i * d}, {(i + 1) * d}, {2});
    return b.transpose(b.reshape(cols, {seq, batch * heads, width}), perm);
  };
  Value *scores = b.matmul(part(0, {1, 0, 2}), part(1, {1, 2, 0}));
  Value *context = b.matmul(b.softmax(scores, -1), part(2, {1, 0, 2}));
  b.output("context", context);
  b.output("loss", b.reduceSum(b.mul(context, context), std::nullopt, false));
  CompileOptions options;
  options.simplify = false; // the graph as built
  auto exe = compile(g, options);
  // tanh, two products, softmax's rows, the loss.
  EXPECT_EQ(exe->kernelCount(), 5);
  expectInterpreterOnAnyThreadCount(g, 5);

  Graph grad = gradientGraph(g, "loss", {"x"});
  FusionPlan plan = splitAndFuse(grad);
  int views = 0, copied = 0;
  for (const FusionGroup &group : plan.groups)
    for (const Node *n : group.nodes)
      if (isViewOp(n->op()) && n->op() != OpKind::Reshape) {
        ++views;
        copied += !isAbsorbedOperand(group, *n);
      }
  EXPECT_GE(views, 12);
  // What no product reads: the gradients of q, k and v turned back into
  // the projection's layout for their concatenation.
  EXPECT_EQ(copied, 3);
  expectInterpreterOnAnyThreadCount(grad, 6);
}

TEST(FusedCodegen, StridedOperandsBroadcastOverTheBatch) {
  // A strided operand with fewer batch axes than the product (right-
  // aligned, broadcast over the others) and one with as many: each entry's
  // offset from its own axes' modes, read in place (no copy kernel).
  Graph g("broadcast_heads");
  Builder b(g);
  Value *a = b.tanh(b.input("a", {DType::F32, {2, 3, 4, 5}}));
  Value *x = b.tanh(b.input("x", {DType::F32, {5, 3, 6}}));
  Value *turned = b.transpose(x, {1, 0, 2}); // [3, 5, 6], entries 6 apart
  b.output("y", b.matmul(a, turned));
  Value *u = b.tanh(b.input("u", {DType::F32, {4, 2, 3, 5}}));
  b.output("z", b.matmul(b.transpose(u, {1, 2, 0, 3}), turned));
  CompileOptions options;
  options.simplify = false;
  EXPECT_EQ(compile(g, options)->kernelCount(), 5); // 3 tanh, 2 products
  expectInterpreterOnAnyThreadCount(g, 9);
}

TEST(FusedCodegen, ProductsSharingTheirWeightsHaveOneEpilogueOverAllRows) {
  // A dense layer over a sequence, [batch, seq, in] @ [in, out], is one
  // GEMM over batch x seq rows; its epilogue (bias, activation) runs on
  // tiles of those rows. A value broadcast over the sequence does not walk
  // the rows as one run, so its offsets come from each row's index. Large
  // enough to be cut into tiles on two threads, bit for bit the same.
  for (int64_t seq : {1, 7, 64}) {
    SCOPED_TRACE(seq);
    Graph g("sequence_dense");
    Builder b(g);
    Value *x = b.input("x", {DType::F32, {8, seq, 64}});
    Value *w = b.input("w", {DType::F32, {64, 300}});
    Value *bias = b.input("bias", {DType::F32, {300}});
    Value *perExample = b.input("per_example", {DType::F32, {8, 1, 300}});
    Value *h = b.tanh(b.add(b.matmul(x, w), bias));
    b.output("h", h);
    b.output("g", b.mul(b.matmul(b.slice(x, {0}, {32}, {2}),
                                 b.slice(w, {0}, {32}, {0})),
                        perExample));
    CompileOptions options;
    options.simplify = false;
    auto exe = compile(g, options);
    EXPECT_EQ(exe->kernelCount(), 2);
    expectInterpreterOnAnyThreadCount(g, 7 + seq);
  }
}

TEST(FusedCodegen, RowMaximaAndMinimaOrderSignedZeros) {
  // -0 < +0 for reduce_max and reduce_min, in any lane, bit for bit as
  // the interpreter; a row of zeros of one sign keeps it.
  for (int64_t n : {4, 10, 16, 37}) {
    SCOPED_TRACE(n);
    Graph g("zeros");
    Builder b(g);
    Value *x = b.input("x", {DType::F32, {4, n}});
    b.output("max", b.reduceMax(x, std::vector<int64_t>{-1}, false));
    b.output("min", b.reduceMin(x, std::vector<int64_t>{-1}, false));
    Tensor t(TensorType{DType::F32, {4, n}});
    float *v = t.data<float>();
    for (int64_t j = 0; j < n; ++j) {
      v[j] = j == n / 2 ? 0.0f : -0.0f;     // one +0 among -0
      v[n + j] = j == n - 1 ? -0.0f : 0.0f; // one -0 among +0
      v[2 * n + j] = -0.0f;
      v[3 * n + j] = j % 2 ? -1.0f : 0.0f;
    }
    std::map<std::string, Tensor> inputs = {{"x", t}};
    auto got = compile(g)->run(inputs);
    auto want = interpret(g, inputs);
    EXPECT_TRUE(got.at("max").identical(want.at("max")));
    EXPECT_TRUE(got.at("min").identical(want.at("min")));
    // Rows 0 and 1 hold both zeros: +0 is their maximum, -0 their minimum.
    for (int64_t r = 0; r < 2; ++r) {
      EXPECT_FALSE(std::signbit(got.at("max").data<float>()[r]));
      EXPECT_TRUE(std::signbit(got.at("min").data<float>()[r]));
    }
  }
}

TEST(FusedCodegen, InPlaceOutputsOfFusedGroups) {
  // a joins p2's loop, which must still run after the reduction reads p.
  Graph g("inplace");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {64}});
  Value *p = b.input("p", {DType::F32, {64}});
  Value *a = b.neg(x);
  Value *r = b.reduceSum(p, std::nullopt, false);
  b.output("r", r);
  b.output("p2", b.add(b.mul(p, a), b.exp(p)));
  auto inputs = randomInputs(g, 5, false);
  auto want = interpret(g, inputs);
  CompileOptions options;
  options.inPlace = {{"p2", "p"}};
  auto exe = compile(g, options);
  EXPECT_EQ(exe->kernelCount(), 2);
  Tensor pBuffer = inputs.at("p").clone();
  std::vector<Tensor> in = {inputs.at("x"), pBuffer};
  std::vector<Tensor> out = {Tensor(r->type()), pBuffer};
  exe->run(in, out);
  EXPECT_EQ(mismatch(out[0], want.at("r"), 1e-5, 1e-5), "");
  EXPECT_EQ(mismatch(pBuffer, want.at("p2"), 1e-5, 1e-5), "");
}

TEST(FusedCodegen, EpiloguesMatchTheInterpreter) {
  // Row counts around the epilogue's blocks (64 rows for 512 columns, 768
  // rows for 40 columns); a conv whose result
  // is also an output; an epilogue computed in its root's buffer.
  for (auto [rows, cols] : std::vector<std::pair<int64_t, int64_t>>{
           {1, 512}, {63, 512}, {64, 512}, {65, 512}, {200, 512}, {769, 40}}) {
    SCOPED_TRACE("rows " + std::to_string(rows));
    Graph g("dense");
    Builder b(g);
    Value *x = b.input("x", {DType::F32, {rows, 24}});
    Value *w = b.input("w", {DType::F32, {24, cols}});
    Value *bias = b.input("b", {DType::F32, {cols}});
    Value *mm = b.matmul(x, w);
    Value *y = b.relu(b.add(mm, bias));
    b.output("y", y);
    b.output("t", b.tanh(b.mul(y, b.scalar(DType::F32, 0.5))));
    auto inputs = randomInputs(g, (uint64_t)rows, false);
    auto exe = compile(g);
    EXPECT_EQ(exe->kernelCount(), 1);
    expectClose(exe->run(inputs), interpret(g, inputs), 1e-5);
  }
  for (DType t : {DType::F32, DType::F64}) {
    Graph g("conv");
    Builder b(g);
    Value *x = b.input("x", {t, {3, 4, 9, 9}});
    Value *w = b.input("w", {t, {6, 4, 3, 3}});
    Value *bias = b.input("b", {t, {6, 1, 1}});
    Conv2DOptions opts;
    opts.strides = {2, 2};
    opts.pads = {1, 1, 1, 1};
    Value *c = b.conv2d(x, w, opts);
    b.output("c", c);
    b.output("y", b.relu(b.add(c, bias)));
    auto inputs = randomInputs(g, 9, false);
    auto exe = compile(g);
    EXPECT_EQ(exe->kernelCount(), 1);
    expectClose(exe->run(inputs), interpret(g, inputs),
                t == DType::F32 ? 1e-5 : 1e-12);
  }
}

TEST(FusedCodegen, TransposedMatmulOperandsMatchTheInterpreter) {
  // Every combination of transposed operands, through the three matmul
  // kernels: on its own, with an epilogue (whose blocks of rows of a
  // transposed left operand are columns of the stored array: 64 rows for
  // 600 columns), and batched with a broadcast operand.
  std::vector<std::array<int64_t, 3>> sizes = {
      {1, 1, 1}, {1, 7, 3},     {5, 1, 9},   {65, 13, 1},
      {7, 3, 5}, {130, 33, 17}, {70, 5, 600}};
  for (DType t : {DType::F32, DType::F64})
    for (const auto &[m, k, n] : sizes)
      for (int flags = 0; flags < 4; ++flags) {
        bool ta = flags & 1, tb = flags & 2;
        SCOPED_TRACE(typeStr({t, {m, k, n}}) + " trans_a " +
                     std::to_string(ta) + " trans_b " + std::to_string(tb));
        Graph g("trans");
        Builder b(g);
        Value *a = b.input("a", {t, ta ? Shape{k, m} : Shape{m, k}});
        Value *w = b.input("w", {t, tb ? Shape{n, k} : Shape{k, n}});
        Value *a3 = b.input("a3", {t, ta ? Shape{3, k, m} : Shape{3, m, k}});
        Value *bias = b.input("bias", {t, {n}});
        auto opA = [&](Value *v) {
          return ta ? b.transpose(v, v->type().rank() == 3
                                         ? std::vector<int64_t>{0, 2, 1}
                                         : std::vector<int64_t>{})
                    : v;
        };
        auto opB = [&] { return tb ? b.transpose(w) : w; };
        b.output("mm", b.matmul(opA(a), opB()));
        b.output("ep", b.relu(b.add(b.matmul(opA(a), opB()), bias)));
        b.output("bm", b.matmul(opA(a3), opB()));
        auto inputs = randomInputs(g, (uint64_t)(m * 100 + flags), false);
        CompileOptions fusedOnly; // the graph as built: no shared transposes
        fusedOnly.simplify = false;
        auto exe = compile(g, fusedOnly);
        // The batch shares w: one GEMM over the rows of every entry, which
        // a transposed a3 does not have one stride apart (copied first),
        // unless a row or a column is all its matrices have.
        EXPECT_EQ(exe->kernelCount(), ta && m > 1 && k > 1 ? 4 : 3);
        expectClose(exe->run(inputs), interpret(g, inputs),
                    t == DType::F32 ? 1e-5 : 1e-12);
      }
  // Integer matmuls read transposed operands in their loop nest; one
  // transpose may be both operands of a matmul.
  Graph g("int");
  Builder b(g);
  Value *a = b.input("a", {DType::I32, {5, 3}});
  Value *w = b.input("w", {DType::I32, {4, 5}});
  b.output("y", b.matmul(b.transpose(a), b.transpose(w)));
  Value *s = b.transpose(b.input("s", {DType::F64, {7, 7}}));
  b.output("ss", b.matmul(s, s));
  auto inputs = randomInputs(g, 2, false);
  CompileOptions fusedOnly;
  fusedOnly.simplify = false;
  auto exe = compile(g, fusedOnly);
  EXPECT_EQ(exe->kernelCount(), 2);
  expectClose(exe->run(inputs), interpret(g, inputs), 1e-12);
}

TEST(FusedCodegen, AbsorbedTransposesTakeNoMemory) {
  // The batched matmul is a single-node kernel that absorbed its transpose:
  // the transpose gets no buffer.
  Graph g("batched");
  Builder b(g);
  Value *p = b.input("p", {DType::F32, {2, 4, 6}});
  Value *q = b.input("q", {DType::F32, {2, 4, 3}});
  b.output("y", b.matmul(b.transpose(p, {0, 2, 1}), q));
  auto exe = compile(g);
  EXPECT_EQ(exe->kernelCount(), 1);
  EXPECT_EQ(exe->arenaBytes(), 0);
  auto inputs = randomInputs(g, 6, false);
  expectClose(exe->run(inputs), interpret(g, inputs), 1e-5);
}

TEST(FusedCodegen, DonatedBufferReadTransposed) {
  Graph g("transposed");
  Builder b(g);
  Value *p = b.input("p", {DType::F32, {16, 16}});
  b.output("p2", b.add(p, b.neg(b.transpose(p))));
  auto inputs = randomInputs(g, 8, false);
  auto want = interpret(g, inputs);
  CompileOptions options;
  options.inPlace = {{"p2", "p"}};
  auto exe = compile(g, options);
  Tensor buffer = inputs.at("p").clone();
  std::vector<Tensor> in = {buffer}, out = {buffer};
  exe->run(in, out);
  EXPECT_EQ(mismatch(buffer, want.at("p2"), 1e-6, 1e-6), "");
}

std::vector<std::filesystem::path> examples() {
  std::vector<std::filesystem::path> paths;
  for (const auto &entry :
       std::filesystem::directory_iterator(ADJOINT_SOURCE_DIR "/examples"))
    if (entry.path().extension() == ".pbtxt")
      paths.push_back(entry.path());
  std::sort(paths.begin(), paths.end());
  return paths;
}

TEST(FusedCodegen, WeightUpdatesInTheGradientsTiles) {
  // w -= lr * (x^T @ dy) in place, and a comparison of a product: neither
  // product is stored, each tile goes from the GEMM to its epilogue. Sizes
  // around the GEMM's blocks, on 1 and 2 threads.
  for (auto [batch, in, out] : std::vector<std::array<int64_t, 3>>{
           {1, 3, 5}, {32, 100, 64}, {64, 300, 200}, {7, 1, 513}}) {
    SCOPED_TRACE(std::to_string(in) + "x" + std::to_string(out));
    Graph g("sgd");
    Builder b(g);
    Value *x = b.input("x", {DType::F32, {batch, in}});
    Value *dy = b.input("dy", {DType::F32, {batch, out}});
    Value *w = b.input("w", {DType::F32, {in, out}});
    // The forward product reads w before the update overwrites it.
    b.output("pos", b.greater(b.matmul(x, w), b.scalar(DType::F32, 0)));
    Value *grad = b.matmul(b.transpose(x, {1, 0}), dy);
    b.output("w2", b.sub(w, b.mul(grad, b.scalar(DType::F32, 0.01))));
    auto inputs = randomInputs(g, (uint64_t)in, false);
    auto want = interpret(g, inputs);
    for (int threads : {1, 2}) {
      CompileOptions options;
      options.threads = threads;
      options.inPlace = {{"w2", "w"}};
      auto exe = compile(g, options);
      EXPECT_EQ(exe->kernelCount(), 2);
      Tensor wBuffer = inputs.at("w").clone();
      std::vector<Tensor> args = {inputs.at("x"), inputs.at("dy"), wBuffer};
      Tensor pos(want.at("pos").type());
      std::vector<Tensor> outs = {pos, wBuffer};
      exe->run(args, outs);
      EXPECT_EQ(mismatch(wBuffer, want.at("w2"), 1e-5, 1e-5), "");
      EXPECT_EQ(mismatch(pos, want.at("pos"), 0, 0), "");
    }
  }
}

/// A product whose epilogue nobody reads is no epilogue: the matmul stays
/// a kernel of its own (a graph before dead-code elimination).
TEST(FusedCodegen, UnreadEpilogueIsNotFused) {
  Graph g("dead");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {4, 3}});
  Value *w = b.input("w", {DType::F32, {3, 5}});
  b.relu(b.matmul(x, w));
  b.output("y", b.neg(x));
  FusionPlan plan = fuseGraph(g);
  checkPlan(g, plan);
  auto inputs = randomInputs(g, 1, false);
  CompileOptions fusedOnly;
  fusedOnly.simplify = false;
  auto exe = compile(g, fusedOnly);
  EXPECT_EQ(exe->kernelCount(), plan.kernelCount());
  expectClose(exe->run(inputs), interpret(g, inputs), 1e-5);
}

TEST(FusedCodegen, ReductionsOverOuterAxesMatchTheInterpreter) {
  // Sums and maxima over the leading axes of values contiguous along the
  // kept one (bias gradients), through a fused producer; on 1 and 2
  // threads, bit for bit the same.
  for (auto [shape, axes] : std::vector<std::pair<Shape, std::vector<int64_t>>>{
           {{128, 513}, {0}}, {{6, 5, 40}, {0, 1}}, {{3, 1, 17}, {0}}}) {
    Graph g("columns");
    Builder b(g);
    Value *x = b.input("x", {DType::F32, shape});
    Value *m = b.input("m", {DType::F32, shape});
    Value *masked = b.select(b.greater(m, b.scalar(DType::F32, 0)), x,
                             b.scalar(DType::F32, 0));
    b.output("sum", b.reduceSum(masked, axes, false));
    b.output("max", b.reduceMax(b.mul(x, m), axes, false));
    expectInterpreterOnAnyThreadCount(g, 7);
  }
}

TEST(FusedCodegen, PoolsAfterConvolutionEpiloguesMatchTheInterpreter) {
  // conv2d + bias + relu, then a max or average pool of each image, in one
  // kernel; batches of 1 (each image's GEMM across the pool) and 5, the
  // relu also read elsewhere or not.
  for (int64_t batch : {1, 5})
    for (bool maxPool : {true, false})
      for (bool reluOutput : {false, true}) {
        SCOPED_TRACE("batch " + std::to_string(batch) +
                     (maxPool ? " max" : " avg") +
                     (reluOutput ? " relu out" : ""));
        Graph g("convpool");
        Builder b(g);
        Value *x = b.input("x", {DType::F32, {batch, 3, 11, 10}});
        Value *w = b.input("w", {DType::F32, {6, 3, 3, 3}});
        Value *bias = b.input("b", {DType::F32, {6, 1, 1}});
        Conv2DOptions conv;
        conv.pads = {1, 1, 1, 1};
        Value *r = b.relu(b.add(b.conv2d(x, w, conv), bias));
        Pool2DOptions pool;
        pool.kernel = {2, 2};
        pool.strides = {2, 2};
        b.output("y", maxPool ? b.maxPool2d(r, pool) : b.avgPool2d(r, pool));
        if (reluOutput)
          b.output("r", r);
        FusionPlan plan = fuseGraph(g);
        checkPlan(g, plan);
        EXPECT_EQ(plan.kernelCount(), 1);
        expectInterpreterOnAnyThreadCount(g, (uint64_t)batch);
      }
}

bool hasScan(const Graph &g) {
  for (const auto &node : g.nodes())
    if (node->op() == OpKind::Scan)
      return true;
  return false;
}

TEST(FusedCodegen, ExamplesMatchUnfused) {
  int count = 0;
  for (const auto &path : examples()) {
    SCOPED_TRACE(path.string());
    Model m = loadModel(path.string());
    // A symbolic batch (tf_cnn) bound to 7.
    if (hasSymbols(m.graph))
      m.graph = specialize(m.graph, {{graphSymbols(m.graph)[0], 7}});
    auto inputs = randomInputs(m.graph, 3, false);
    CompileOptions unfused;
    unfused.simplify = unfused.fuse = false;
    auto plain = compile(m.graph, unfused);
    auto fused = compile(m.graph);
    EXPECT_LT(fused->kernelCount(), plain->kernelCount());
    auto want = plain->run(inputs);
    expectClose(fused->run(inputs), want, 1e-4);
    expectClose(want, interpret(m.graph, inputs), 1e-4);
    ++count;
  }
  EXPECT_GE(count, 3);
}

TEST(FusedCodegen, TrainingStepsMatchUnfused) {
  for (const auto &path : examples()) {
    SCOPED_TRACE(path.string());
    Model m = loadModel(path.string());
    // A symbolic batch (tf_cnn) bound to 7.
    if (hasSymbols(m.graph))
      m.graph = specialize(m.graph, {{graphSymbols(m.graph)[0], 7}});
    Trainer trainer(m);
    const Graph &step = trainer.stepGraph();
    auto inputs = randomInputs(step, 4, false);
    // Weights of random size make a recurrence over 28 steps chaotic: two
    // roundings drift apart exponentially. Smaller ones make it contract.
    if (hasScan(m.graph))
      for (auto &[name, t] : inputs)
        if (isFloat(t.dtype()))
          for (int64_t i = 0; i < t.numElements(); ++i)
            t.setElementFromDouble(i, 0.1 * t.elementAsDouble(i));
    CompileOptions unfused;
    unfused.simplify = unfused.fuse = false;
    auto plain = compile(step, unfused);
    auto fused = compile(step);
    EXPECT_LT(fused->kernelCount(), plain->kernelCount());
    expectClose(fused->run(inputs), plain->run(inputs), 1e-4);
  }
}

} // namespace
