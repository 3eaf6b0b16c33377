//===- FusionTest.cpp - Fusion groups of known graphs ---------------------===//
#include "compiler/passes/Fusion.h"

#include "compiler/passes/Pipeline.h"
#include "compiler/training/Optimizer.h"
#include "compiler/training/Trainer.h"
#include "ir/Builder.h"
#include "ir/Losses.h"
#include "ir/ModelIO.h"

#include <gtest/gtest.h>

#include <algorithm>

using namespace adjoint;

namespace {

const FusionGroup &groupOfValue(const FusionPlan &plan, const Value *v) {
  return plan.groups[plan.groupOf.at(v->definingNode())];
}

bool sameGroup(const FusionPlan &plan, const Value *a, const Value *b) {
  return plan.groupOf.at(a->definingNode()) ==
         plan.groupOf.at(b->definingNode());
}

bool hasReason(const FusionPlan &plan, const std::string &part) {
  return std::any_of(plan.rejected.begin(), plan.rejected.end(),
                     [&](const FusionDecision &d) {
                       return d.reason.find(part) != std::string::npos;
                     });
}

TEST(Fusion, ElementwiseChainIsOneLoop) {
  Graph g("chain");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {8, 16}});
  Value *bias = b.input("b", {DType::F32, {16}});
  Value *y = b.tanh(b.mul(b.add(x, bias), b.scalar(DType::F32, 2)));
  b.output("y", b.relu(y));
  FusionPlan plan = fuseGraph(g);
  checkPlan(g, plan);
  EXPECT_EQ(plan.kernelCount(), 1);
  const FusionGroup &group = groupOfValue(plan, g.outputs()[0].value);
  EXPECT_EQ(group.kind, GroupKind::Loop);
  EXPECT_EQ(group.outputs.size(), 1u);
  EXPECT_EQ(group.inputs.size(), 3u); // x, b and the constant
}

TEST(Fusion, IndexMapsFuseIntoConsumers) {
  Graph g("maps");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {4, 6}});
  Value *v = b.input("v", {DType::F32, {6}});
  Value *t = b.transpose(x);             // [6,4]
  Value *s = b.slice(t, {1, 0}, {5, 4}); // [4,4]
  Value *r = b.reshape(b.input("z", {DType::F32, {16}}), {4, 4});
  Value *bc = b.broadcastTo(b.slice(v, {0}, {4}), {4, 4});
  b.output("y", b.add(b.mul(s, r), bc));
  FusionPlan plan = fuseGraph(g);
  checkPlan(g, plan);
  EXPECT_EQ(plan.kernelCount(), 1);
}

TEST(Fusion, ReshapeOfAComputedValueIsNotFused) {
  Graph g("reshape");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {4, 6}});
  Value *e = b.exp(x);
  b.output("y", b.neg(b.reshape(e, {6, 4})));
  FusionPlan plan = fuseGraph(g);
  checkPlan(g, plan);
  EXPECT_EQ(plan.kernelCount(), 2);
  EXPECT_TRUE(hasReason(plan, "reshape of a computed value is not an affine "
                              "index map"));
}

TEST(Fusion, ProducerWithConsumersElsewhereBecomesAnOutput) {
  Graph g("multi");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {32}});
  Value *a = b.exp(x);
  b.output("y", b.add(a, b.scalar(DType::F32, 1)));
  b.output("s", b.reduceSum(a, std::nullopt, false));
  FusionPlan plan = fuseGraph(g);
  checkPlan(g, plan);
  // exp joins the add's loop and is written for the reduction to read.
  EXPECT_EQ(plan.kernelCount(), 2);
  EXPECT_TRUE(sameGroup(plan, a, g.outputs()[0].value));
  EXPECT_EQ(groupOfValue(plan, a).outputs.size(), 2u);
  EXPECT_TRUE(hasReason(plan, "a reduction group writes only its result"));
}

TEST(Fusion, ElementwiseProducersFuseIntoReductions) {
  Graph g("sumsq");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {8, 32}});
  Value *y = b.input("y", {DType::F32, {8, 32}});
  Value *d = b.sub(x, y);
  Value *s = b.reduceSum(b.mul(d, d), std::vector<int64_t>{1}, false);
  b.output("s", s);
  FusionPlan plan = fuseGraph(g);
  checkPlan(g, plan);
  EXPECT_EQ(plan.kernelCount(), 1);
  const FusionGroup &group = groupOfValue(plan, s);
  EXPECT_EQ(group.kind, GroupKind::Reduction);
  EXPECT_EQ(group.anchor, s->definingNode());
  EXPECT_EQ(group.nodes.size(), 3u);
}

TEST(Fusion, ExpensiveProducersAreNotRecomputed) {
  Graph g("bcast");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {8, 32}});
  Value *v = b.input("v", {DType::F32, {32}});
  Value *e = b.exp(v);
  Value *n = b.neg(v);
  b.output("y", b.mul(b.add(x, e), n));
  FusionPlan plan = fuseGraph(g);
  checkPlan(g, plan);
  // neg is cheap and recomputed per row; exp is computed once.
  EXPECT_EQ(plan.kernelCount(), 2);
  EXPECT_FALSE(sameGroup(plan, e, g.outputs()[0].value));
  EXPECT_TRUE(sameGroup(plan, n, g.outputs()[0].value));
  EXPECT_TRUE(hasReason(plan, "expensive producer would be computed more "
                              "than once"));
}

TEST(Fusion, ValuesFeedingAReductionAreNotRecomputed) {
  Graph g("redbcast");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {8, 32}});
  Value *v = b.input("v", {DType::F32, {32}});
  Value *s = b.reduceSum(b.mul(x, b.neg(v)), std::nullopt, false);
  b.output("s", s);
  FusionPlan plan = fuseGraph(g);
  checkPlan(g, plan);
  EXPECT_EQ(plan.kernelCount(), 2);
  EXPECT_TRUE(hasReason(plan, "feeds a reduction and would be computed more "
                              "than once"));
}

TEST(Fusion, SoftmaxForward) {
  Graph g("softmax");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {32, 10}});
  b.output("p", b.softmax(x));
  FusionPlan plan = fuseGraph(g);
  checkPlan(g, plan);
  // One Row kernel: per row, max; then exp and sum; then the quotient.
  EXPECT_EQ(plan.kernelCount(), 1);
  EXPECT_EQ(plan.groups.back().kind, GroupKind::Row);
}

TEST(Fusion, WholeTensorRowsAndMeans) {
  Graph g("whole");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {40}});
  b.output("p", b.softmax(x));
  b.output("mean", b.reduceMean(b.input("y", {DType::F32, {8, 5}}),
                                std::nullopt, false));
  FusionPlan plan = fuseGraph(g);
  checkPlan(g, plan);
  EXPECT_EQ(plan.kernelCount(), 2);
  for (const FusionGroup &group : plan.groups)
    if (group.nodes.size() > 1)
      EXPECT_EQ(group.kind, GroupKind::Row);
}

TEST(Fusion, SingleReductionStaysAReductionGroup) {
  Graph g("rowsum");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {32, 10}});
  Value *s = b.reduceSum(b.exp(x), std::vector<int64_t>{1}, true);
  b.output("s", s);
  FusionPlan plan = fuseGraph(g);
  checkPlan(g, plan);
  EXPECT_EQ(plan.kernelCount(), 1);
  EXPECT_EQ(groupOfValue(plan, s).kind, GroupKind::Reduction);
}

TEST(Fusion, SoftmaxCrossEntropyForward) {
  Graph g("xent");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {32, 10}});
  Value *t = b.input("t", {DType::F32, {32, 10}});
  b.output("loss", softmaxCrossEntropy(b, x, t));
  FusionPlan plan = fuseGraph(g);
  checkPlan(g, plan);
  unsigned nodes = 0;
  for (const auto &n : g.nodes())
    nodes += n->op() != OpKind::Constant;
  EXPECT_LT(plan.kernelCount(), (int)nodes);
  // The rows (log-softmax and the sum over classes), then the batch mean
  // (one row: the sum and the division by the batch size).
  EXPECT_EQ(plan.kernelCount(), 2);
}

TEST(Fusion, AdamUpdateOfOneParameterIsOneKernel) {
  Graph g("adam");
  Builder b(g);
  TensorType type{DType::F32, {64, 32}};
  Value *p = b.input("p", type);
  Value *grad = b.input("g", type);
  Value *m = b.input("m", type);
  Value *v = b.input("v", type);
  Value *step = b.input("step", {DType::I64, {}});
  OptimizerSpec spec;
  ParamUpdate u = appendUpdate(b, spec, p, grad, {m, v}, step);
  b.output("p2", u.param);
  b.output("m2", u.state[0]);
  b.output("v2", u.state[1]);
  FusionPlan plan = fuseGraph(g);
  checkPlan(g, plan);
  const FusionGroup &update = groupOfValue(plan, u.param);
  EXPECT_EQ(update.kind, GroupKind::Loop);
  EXPECT_TRUE(sameGroup(plan, u.param, u.state[0]));
  EXPECT_TRUE(sameGroup(plan, u.param, u.state[1]));
  EXPECT_EQ(update.outputs.size(), 3u);
  // The update and one scalar kernel for the bias corrections.
  EXPECT_EQ(plan.kernelCount(), 2);
  // p, m and v may each be overwritten by their new values.
  for (auto [out, in] :
       {std::pair{u.param, p}, {u.state[0], m}, {u.state[1], v}})
    EXPECT_NE(std::find(update.inPlaceCandidates.begin(),
                        update.inPlaceCandidates.end(),
                        std::pair<const Value *, const Value *>{out, in}),
              update.inPlaceCandidates.end());
}

TEST(Fusion, ScalarKernelsOfSeveralParametersMerge) {
  Graph g("adam2");
  Builder b(g);
  Value *step = b.input("step", {DType::I64, {}});
  OptimizerSpec spec;
  for (int i = 0; i < 3; ++i) {
    TensorType type{DType::F32, {16 + i}};
    std::string s = std::to_string(i);
    ParamUpdate u =
        appendUpdate(b, spec, b.input("p" + s, type), b.input("g" + s, type),
                     {b.input("m" + s, type), b.input("v" + s, type)}, step);
    b.output("p" + s, u.param);
    b.output("m" + s, u.state[0]);
    b.output("v" + s, u.state[1]);
  }
  FusionPlan plan = fuseGraph(g);
  checkPlan(g, plan);
  EXPECT_EQ(plan.kernelCount(), 4);
}

TEST(Fusion, DenseBiasRelu) {
  Graph g("dense");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {16, 8}});
  Value *w = b.input("w", {DType::F32, {8, 4}});
  Value *bias = b.input("b", {DType::F32, {4}});
  Value *mm = b.matmul(x, w);
  Value *y = b.relu(b.add(mm, bias));
  b.output("y", y);
  FusionPlan plan = fuseGraph(g);
  checkPlan(g, plan);
  EXPECT_EQ(plan.kernelCount(), 1);
  const FusionGroup &group = groupOfValue(plan, y);
  EXPECT_EQ(group.kind, GroupKind::Epilogue);
  EXPECT_EQ(group.anchor, mm->definingNode());
  EXPECT_EQ(group.nodes.size(), 3u);
  EXPECT_EQ(group.outputs, std::vector<const Value *>{y});
}

TEST(Fusion, ConvBiasReluEpilogue) {
  Graph g("conv");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {2, 3, 8, 8}});
  Value *w = b.input("w", {DType::F32, {4, 3, 3, 3}});
  Value *bias = b.input("b", {DType::F32, {4, 1, 1}});
  Value *c = b.conv2d(x, w);
  Value *y = b.relu(b.add(c, bias));
  b.output("y", y);
  b.output("c", c);
  FusionPlan plan = fuseGraph(g);
  checkPlan(g, plan);
  EXPECT_EQ(plan.kernelCount(), 1);
  const FusionGroup &group = groupOfValue(plan, y);
  EXPECT_EQ(group.kind, GroupKind::Epilogue);
  // The convolution is a graph output: it keeps its own buffer.
  EXPECT_EQ(group.outputs.size(), 2u);
}

TEST(Fusion, EpilogueWithoutABufferOfTheProductsType) {
  // A matmul keeps its product in the runtime's tiles: one kernel. A
  // convolution needs an output of its type to compute into.
  Graph g("cmp");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {16, 8}});
  Value *w = b.input("w", {DType::F32, {8, 4}});
  b.output("y", b.greater(b.matmul(x, w), b.scalar(DType::F32, 0)));
  Value *img = b.input("img", {DType::F32, {1, 2, 5, 5}});
  Value *k = b.input("k", {DType::F32, {3, 2, 3, 3}});
  b.output("z", b.greater(b.conv2d(img, k), b.scalar(DType::F32, 0)));
  FusionPlan plan = fuseGraph(g);
  checkPlan(g, plan);
  EXPECT_EQ(plan.kernelCount(), 3);
  EXPECT_TRUE(hasReason(plan, "the epilogue writes no output of the conv2d's "
                              "type to compute it in"));
  EXPECT_FALSE(hasReason(plan, "the epilogue writes no output of the "
                               "matmul's type"));
}

TEST(Fusion, PerEntryAndIntegerMatmulsHaveNoEpilogue) {
  // A batch of products sharing their second operand is one GEMM over
  // every entry's rows, with an epilogue like a rank-2 product's; entries
  // with a second operand each, and integer products, have none.
  Graph g("batched");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {2, 16, 8}});
  Value *w = b.input("w", {DType::F32, {8, 4}});
  Value *shared = b.matmul(x, w);
  Value *y = b.relu(shared);
  b.output("y", y);
  Value *ws = b.input("ws", {DType::F32, {2, 8, 4}});
  b.output("v", b.relu(b.matmul(x, ws)));
  Value *i = b.input("i", {DType::I32, {4, 4}});
  b.output("z", b.neg(b.matmul(i, i)));
  FusionPlan plan = fuseGraph(g);
  checkPlan(g, plan);
  EXPECT_EQ(plan.kernelCount(), 5);
  EXPECT_TRUE(sameGroup(plan, shared, y));
  EXPECT_EQ(groupOfValue(plan, y).kind, GroupKind::Epilogue);
  EXPECT_TRUE(hasReason(plan, "batched matmul whose entries have a second "
                              "operand of their own is not fused"));
  EXPECT_TRUE(hasReason(plan, "integer matmul is not fused"));
}

/// The operand `k` of the matmul computing `mm` as its kernel reads it.
MatMulOperand operandOf(const FusionPlan &plan, const Value *mm, size_t k) {
  return matmulOperand(groupOfValue(plan, mm), *mm->definingNode(), k);
}

TEST(Fusion, DenseBackwardTransposesAreGemmFlags) {
  // The gradients of a dense layer y = relu(x @ w + b) given dy:
  // dw = x^T @ dz and dx = dz @ w^T, with dz = dy * (y > 0).
  Graph g("dense_backward");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {32, 784}});
  Value *w = b.input("w", {DType::F32, {784, 64}});
  Value *y = b.input("y", {DType::F32, {32, 64}});
  Value *dy = b.input("dy", {DType::F32, {32, 64}});
  Value *dz =
      b.mul(dy, b.cast(b.greater(y, b.scalar(DType::F32, 0)), DType::F32));
  Value *dw = b.matmul(b.transpose(x), dz);
  Value *dx = b.matmul(dz, b.transpose(w));
  b.output("dw", dw);
  b.output("dx", dx);
  b.output("db", b.reduceSum(dz, std::vector<int64_t>{0}, false));
  FusionPlan plan = fuseGraph(g);
  checkPlan(g, plan);
  // dz, db, and one kernel per matmul: no transpose is copied.
  EXPECT_EQ(plan.kernelCount(), 4);
  for (const auto &node : g.nodes())
    if (node->op() == OpKind::Transpose) {
      const FusionGroup &group = plan.groups[plan.groupOf.at(node.get())];
      EXPECT_TRUE(isAbsorbedOperand(group, *node)) << node->describe();
      EXPECT_EQ(group.anchor->op(), OpKind::MatMul);
    }
  MatMulOperand a = operandOf(plan, dw, 0), bw = operandOf(plan, dw, 1);
  EXPECT_EQ(a.value, x);
  EXPECT_TRUE(a.transposed);
  EXPECT_EQ(bw.value, dz);
  EXPECT_FALSE(bw.transposed);
  MatMulOperand c = operandOf(plan, dx, 1);
  EXPECT_EQ(c.value, w);
  EXPECT_TRUE(c.transposed);
  // The groups read the stored values, not the transposes.
  const FusionGroup &dwGroup = groupOfValue(plan, dw);
  EXPECT_EQ(dwGroup.inputs, (std::vector<const Value *>{x, dz}));
  EXPECT_EQ(dwGroup.outputs, std::vector<const Value *>{dw});
}

TEST(Fusion, TransposedOperandsOfEpiloguesAndBatchedMatmuls) {
  Graph g("flags");
  Builder b(g);
  Value *x = b.input("x", {DType::F64, {8, 5}});
  Value *w = b.input("w", {DType::F64, {3, 8}});
  Value *bias = b.input("b", {DType::F64, {3}});
  // relu(x^T @ w^T + b): an epilogue reading both operands transposed.
  Value *y = b.relu(b.add(b.matmul(b.transpose(x), b.transpose(w)), bias));
  b.output("y", y);
  // A batched matmul whose transpose keeps the batch axis first.
  Value *p = b.input("p", {DType::F32, {2, 4, 6}});
  Value *q = b.input("q", {DType::F32, {2, 4, 3}});
  Value *bm = b.matmul(b.transpose(p, {0, 2, 1}), q);
  b.output("bm", bm);
  FusionPlan plan = fuseGraph(g);
  checkPlan(g, plan);
  EXPECT_EQ(plan.kernelCount(), 2);
  const FusionGroup &epilogue = groupOfValue(plan, y);
  EXPECT_EQ(epilogue.kind, GroupKind::Epilogue);
  EXPECT_EQ(epilogue.nodes.size(), 5u);
  EXPECT_EQ(epilogue.inputs, (std::vector<const Value *>{x, w, bias}));
  const FusionGroup &batched = groupOfValue(plan, bm);
  EXPECT_EQ(batched.kind, GroupKind::Single);
  EXPECT_EQ(batched.nodes.size(), 2u);
  EXPECT_EQ(batched.anchor, bm->definingNode());
  EXPECT_EQ(operandOf(plan, bm, 0).value, p);
  EXPECT_TRUE(operandOf(plan, bm, 0).transposed);
}

TEST(Fusion, TransposeReadElsewhereIsCopiedOnce) {
  Graph g("shared");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {6, 4}});
  Value *w = b.input("w", {DType::F32, {6, 3}});
  Value *t = b.transpose(x);
  Value *mm = b.matmul(t, w);
  b.output("mm", mm);
  b.output("e", b.exp(t));
  // A transpose that is a graph output, and one that moves a batch axis.
  Value *u = b.transpose(w);
  b.output("u", u);
  b.output("uw", b.matmul(u, w));
  Value *z = b.input("z", {DType::F32, {2, 3, 4}});
  Value *zt = b.transpose(z, {1, 0, 2});
  Value *zz = b.matmul(zt, b.input("v", {DType::F32, {4, 5}}));
  b.output("zz", zz);
  FusionPlan plan = fuseGraph(g);
  checkPlan(g, plan);
  EXPECT_FALSE(sameGroup(plan, t, mm));
  const FusionGroup &copy = groupOfValue(plan, t);
  EXPECT_EQ(copy.outputs, std::vector<const Value *>{t});
  EXPECT_EQ(operandOf(plan, mm, 0).value, t);
  EXPECT_FALSE(operandOf(plan, mm, 0).transposed);
  EXPECT_TRUE(hasReason(plan, "the transpose also feeds"));
  EXPECT_TRUE(hasReason(plan, "the transpose is a graph output"));
  EXPECT_FALSE(sameGroup(plan, u, g.outputs()[3].value));
  EXPECT_FALSE(sameGroup(plan, zt, g.outputs()[4].value));
  // Its rows would not run one stride apart across the batch, which the
  // one GEMM of a product sharing its second operand needs.
  EXPECT_FALSE(readThroughViews(*zz->definingNode(), 0, {zt->definingNode()}));
}

TEST(Fusion, MlpTrainingStepCopiesNoTranspose) {
  Model m = loadModel(ADJOINT_SOURCE_DIR "/examples/fashion_mlp.pbtxt");
  TrainerOptions options;
  options.threads = 1;
  Trainer trainer(m, options);
  PipelineResult r = runPipeline(trainer.stepGraph(), {});
  checkPlan(r.graph, r.fusion);
  int absorbed = 0;
  for (const auto &node : r.graph.nodes())
    if (node->op() == OpKind::Transpose) {
      const FusionGroup &group =
          r.fusion.groups[r.fusion.groupOf.at(node.get())];
      EXPECT_TRUE(isAbsorbedOperand(group, *node)) << node->describe();
      ++absorbed;
    }
  // Two dense layers: x^T @ g for both, g @ w^T for the second.
  EXPECT_GE(absorbed, 3);
}

TEST(Fusion, InPlaceWritersRunAfterEveryReader) {
  // a joins p2's loop, so that loop's first node comes before the reader r.
  Graph g("inplace");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {8}});
  Value *p = b.input("p", {DType::F32, {8}});
  Value *a = b.neg(x);
  Value *r = b.reduceSum(p, std::nullopt, false);
  Value *p2 = b.mul(p, a);
  b.output("r", r);
  b.output("p2", p2);
  FusionPlan free = fuseGraph(g);
  checkPlan(g, free);
  EXPECT_LT(free.groupOf.at(a->definingNode()),
            free.groupOf.at(r->definingNode()));
  FusionPlan plan = fuseGraph(g, {{p2, p}});
  checkPlan(g, plan);
  EXPECT_TRUE(sameGroup(plan, a, p2));
  EXPECT_LT(plan.groupOf.at(r->definingNode()),
            plan.groupOf.at(p2->definingNode()));
}

TEST(Fusion, DonatedBufferReadAcrossElementsKeepsItsWriterAlone) {
  // Fused, p2's loop would read p transposed while overwriting it.
  Graph g("transposed");
  Builder b(g);
  Value *p = b.input("p", {DType::F32, {4, 4}});
  Value *p2 = b.add(p, b.neg(b.transpose(p)));
  b.output("p2", p2);
  FusionPlan free = fuseGraph(g);
  EXPECT_EQ(free.kernelCount(), 1);
  FusionPlan plan = fuseGraph(g, {{p2, p}});
  checkPlan(g, plan);
  const FusionGroup &writer = groupOfValue(plan, p2);
  EXPECT_EQ(writer.nodes.size(), 1u);
  EXPECT_TRUE(hasReason(plan, "the node writes a donated buffer and is kept "
                              "on its own"));
  EXPECT_LT(plan.groupOf.at(p2->definingNode()->operand(1)->definingNode()),
            plan.groupOf.at(p2->definingNode()));
}

TEST(Fusion, EveryEdgeBetweenGroupsHasAReason) {
  Graph g("reasons");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {2, 3, 8, 8}});
  Value *w = b.input("w", {DType::F32, {4, 3, 3, 3}});
  Value *c = b.relu(b.conv2d(x, w));
  Pool2DOptions pool;
  pool.kernel = {2, 2};
  pool.strides = {2, 2};
  Value *m = b.maxPool2d(c, pool);
  Value *f = b.flatten(b.exp(m));
  b.output("y", b.softmax(f));
  FusionPlan plan = fuseGraph(g);
  checkPlan(g, plan);
  for (const auto &node : g.nodes())
    for (const Value *v : node->operands()) {
      const Node *def = v->definingNode();
      if (!def || def->op() == OpKind::Constant ||
          plan.groupOf.at(def) == plan.groupOf.at(node.get()))
        continue;
      bool found = false;
      for (const FusionDecision &d : plan.rejected)
        found |=
            d.producer == def && d.consumer == node.get() && !d.reason.empty();
      EXPECT_TRUE(found) << def->describe() << " -> " << node->describe();
    }
}

} // namespace
