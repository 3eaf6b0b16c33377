//===- SimplifyTest.cpp - The simplification passes on whole graphs -------===//
//
// Properties of foldConstants, simplifyAlgebra, eliminateCommonSubexpressions
// and eliminateDeadCode over random graphs and the examples: the graph still
// verifies, its signature is unchanged, and (without fast math) it computes
// the same bits. The rules one by one are the golden tests in golden/.
//
//===----------------------------------------------------------------------===//
#include "compiler/passes/EliminateCommonSubexpressions.h"
#include "compiler/passes/EliminateDeadCode.h"
#include "compiler/passes/FoldConstants.h"
#include "compiler/passes/SimplifyAlgebra.h"
#include "tests/support/Examples.h"

#include "compiler/autodiff/Grad.h"
#include "compiler/training/Trainer.h"
#include "ir/Builder.h"
#include "ir/GraphCopy.h"
#include "ir/Interpreter.h"
#include "ir/ModelIO.h"
#include "ir/TextFormat.h"
#include "ir/Verifier.h"
#include "tests/support/RandomGraph.h"
#include "tests/support/RandomTensor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

using namespace adjoint;

namespace {

using Pass = std::function<void(Graph &)>;

struct NamedPass {
  std::string name;
  Pass run;
};

/// Each pass alone and the four in pipeline order, without fast math.
std::vector<NamedPass> exactPasses() {
  auto all = [](Graph &g) {
    foldConstants(g);
    simplifyAlgebra(g);
    eliminateCommonSubexpressions(g);
    eliminateDeadCode(g);
  };
  return {{"fold", foldConstants},
          {"algebra", [](Graph &g) { simplifyAlgebra(g); }},
          {"cse", eliminateCommonSubexpressions},
          {"dce", eliminateDeadCode},
          {"all", all}};
}

void allPasses(Graph &g, bool fastMath) {
  foldConstants(g);
  simplifyAlgebra(g, fastMath);
  eliminateCommonSubexpressions(g);
  eliminateDeadCode(g);
}

/// "name: type" for every input, parameter and output, in order.
std::vector<std::string> signature(const Graph &g) {
  std::vector<std::string> s;
  for (const Value *v : g.inputs())
    s.push_back("input " + v->name() + ": " + typeStr(v->type()));
  for (const Param &p : g.params())
    s.push_back("param " + p.value->name() + ": " + typeStr(p.value->type()));
  for (const Output &o : g.outputs())
    s.push_back("output " + o.name + ": " + typeStr(o.value->type()));
  return s;
}

/// Whether `a` and `b` hold the same bits, except that any NaN matches any
/// NaN (IEEE quiets a signaling NaN in x*1, which the rewrite to x keeps).
bool sameBits(const Tensor &a, const Tensor &b) {
  if (a.type() != b.type())
    return false;
  if (!isFloat(a.dtype()))
    return a.identical(b);
  size_t size = dtypeSize(a.dtype());
  for (int64_t i = 0; i < a.numElements(); ++i) {
    if (std::isnan(a.elementAsDouble(i)) && std::isnan(b.elementAsDouble(i)))
      continue;
    if (std::memcmp(a.bytes() + i * size, b.bytes() + i * size, size) != 0)
      return false;
  }
  return true;
}

/// The first element where `a` and `b` differ, for failure messages.
std::string firstDifference(const Tensor &a, const Tensor &b) {
  if (a.type() != b.type())
    return typeStr(a.type()) + " vs " + typeStr(b.type());
  for (int64_t i = 0; i < a.numElements(); ++i) {
    double x = a.elementAsDouble(i), y = b.elementAsDouble(i);
    if (!(x == y && std::signbit(x) == std::signbit(y)) &&
        !(std::isnan(x) && std::isnan(y)))
      return "element " + std::to_string(i) + ": " + std::to_string(x) +
             " vs " + std::to_string(y);
  }
  return "same values, different bits";
}

constexpr uint64_t kRandomGraphs = 400;

TEST(Simplify, RandomGraphsKeepTheirResultsBitExact) {
  for (uint64_t seed = 0; seed < kRandomGraphs; ++seed) {
    Model m = adjoint::testing::randomModel(seed);
    auto inputs = adjoint::testing::randomInputs(m.graph, seed);
    auto want = interpret(m.graph, inputs);
    for (const NamedPass &p : exactPasses()) {
      SCOPED_TRACE("seed " + std::to_string(seed) + ", pass " + p.name);
      Graph g = copyGraph(m.graph);
      p.run(g);
      ASSERT_NO_THROW(verify(g));
      EXPECT_EQ(signature(g), signature(m.graph));
      auto got = interpret(g, inputs);
      for (const auto &[name, t] : want)
        EXPECT_TRUE(sameBits(got.at(name), t))
            << "output " << name << ": " << firstDifference(got.at(name), t);
    }
  }
}

TEST(Simplify, RandomGraphsStayValidUnderFastMath) {
  for (uint64_t seed = 0; seed < kRandomGraphs; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Model m = adjoint::testing::randomModel(seed);
    Graph g = copyGraph(m.graph);
    allPasses(g, /*fastMath=*/true);
    ASSERT_NO_THROW(verify(g));
    EXPECT_EQ(signature(g), signature(m.graph));
    EXPECT_NO_THROW(
        interpret(g, adjoint::testing::randomInputs(m.graph, seed)));
  }
}

TEST(Simplify, PassesAreIdempotentOnTheirOwnResult) {
  for (uint64_t seed = 0; seed < kRandomGraphs; seed += 3) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Model m = adjoint::testing::randomModel(seed);
    allPasses(m.graph, false);
    size_t once = m.graph.nodes().size();
    allPasses(m.graph, false);
    EXPECT_EQ(m.graph.nodes().size(), once);
  }
}

/// A random graph over x, y: T[3,4] made of the patterns the rules look
/// for, and their near misses that must be left alone (x + +0, x - -0,
/// reversing slices, mixed-sign zeros, reassociation of floats), fed by
/// inputs with NaN, infinities and signed zeros.
Model ruleGraph(uint64_t seed, DType t) {
  adjoint::testing::Rng rng(seed);
  Model m{Graph("rules"), std::nullopt};
  Builder b(m.graph);
  const Shape s34 = {3, 4};
  std::vector<Value *> pool = {b.input("x", {t, s34}), b.input("y", {t, s34})};
  Value *cond = b.input("c", {DType::Bool, s34});
  // A literal of `v` in one of the forms the rules meet: a scalar, a splat
  // or a full tensor.
  auto literal = [&](double v) -> Value * {
    switch (rng.range(0, 3)) {
    case 0:
      return b.scalar(t, v);
    case 1:
      return b.broadcastTo(b.scalar(t, v), s34);
    case 2:
      return b.constant(Tensor::fromDoubles(t, {4}, std::vector<double>(4, v)));
    default:
      return b.constant(
          Tensor::fromDoubles(t, s34, std::vector<double>(12, v)));
    }
  };
  auto binary = [&](OpKind op, Value *x, Value *c) {
    return rng.chance(1, 2) ? b.op(op, {x, c}) : b.op(op, {c, x});
  };
  int steps = (int)rng.range(6, 16);
  for (int i = 0; i < steps; ++i) {
    Value *v = rng.pick(pool), *w = rng.pick(pool), *r = nullptr;
    double zero = rng.chance(1, 2) ? 0.0 : -0.0;
    switch (rng.range(0, 21)) {
    case 0:
      r = binary(OpKind::Mul, v, literal(1));
      break;
    case 1:
      r = binary(OpKind::Add, v, literal(zero));
      break;
    case 2:
      r = b.sub(v, literal(zero));
      break;
    case 3:
      r = b.div(v, literal(1));
      break;
    case 4:
      r = binary(OpKind::Mul, v, literal(zero));
      break;
    case 5:
      r = b.sub(v, v);
      break;
    case 6:
      r = rng.chance(1, 2) ? b.neg(b.neg(v)) : b.neg(v);
      break;
    case 7: {
      Value *x = b.reshape(v, {3, 2, 2});
      std::vector<int64_t> p1 = rng.pick(std::vector<std::vector<int64_t>>{
          {0, 1, 2}, {2, 1, 0}, {1, 2, 0}, {0, 2, 1}});
      std::vector<int64_t> p2 = p1;
      if (rng.chance(1, 2))
        p2.clear(); // the default: reversed axes
      r = b.transpose(b.transpose(x, p1), p2);
      r = b.reshape(r, s34);
      break;
    }
    case 8:
      r = rng.chance(1, 2) ? b.reshape(b.reshape(v, {12}), s34)
                           : b.reshape(v, s34);
      break;
    case 9: {
      Value *row = b.slice(v, {1}, {2});
      Value *wide = b.broadcastTo(b.broadcastTo(row, s34), {2, 3, 4});
      r = b.add(b.broadcastTo(v, s34), b.reduceSum(wide, {{0}}));
      break;
    }
    case 10:
      r = b.cast(v, t);
      break;
    case 11:
      r = rng.chance(1, 2) ? b.slice(v, {0, 0}, {3, 100})
                           : b.slice(v, {-1}, {-100}, std::vector<int64_t>{0},
                                     std::vector<int64_t>{-1});
      break;
    case 12:
      r = b.select(cond, v, rng.chance(2, 3) ? v : w);
      break;
    case 13:
      r = b.stopGradient(b.stopGradient(v));
      break;
    case 14: {
      OpKind op = rng.chance(1, 2) ? OpKind::Add : OpKind::Mul;
      r = binary(op, binary(op, v, literal(0.75)), literal(3));
      break;
    }
    case 15: {
      // maximum and minimum are not swapped: they differ on -0 vs +0.
      OpKind op = rng.pick(std::vector<OpKind>{
          OpKind::Add, OpKind::Mul, OpKind::Maximum, OpKind::Minimum});
      if (op == OpKind::Maximum || op == OpKind::Minimum)
        w = b.neg(v); // zeros of both signs at once
      r = b.mul(b.op(op, {v, w}), b.op(op, {w, v}));
      break;
    }
    case 16:
      r = b.add(
          v, b.cast(b.add(b.iota(DType::I32, s34, 1), b.scalar(DType::I32, 2)),
                    t));
      break;
    case 17: {
      Value *splat =
          b.broadcastTo(b.scalar(t, rng.chance(1, 2) ? 1.5 : -0.0), {4, 3});
      Value *q = b.transpose(b.neg(splat));
      r = b.mul(v, b.add(q, b.cast(b.cast(q, DType::F64), t)));
      break;
    }
    case 18: {
      // Pads of one axis: disjoint slabs with a gap (a concat), or slabs
      // that overlap (left alone).
      bool overlap = rng.chance(1, 3);
      Value *top = overlap ? b.pad(b.slice(v, {0}, {2}), {0, 0, 1, 0})
                           : b.pad(b.slice(v, {0}, {1}), {0, 0, 2, 0});
      Value *bottom = overlap ? b.pad(b.slice(w, {0}, {2}), {1, 0, 0, 0})
                              : b.pad(b.slice(w, {2}, {3}), {2, 0, 0, 0});
      r = b.add(top, bottom);
      break;
    }
    case 19: {
      // Concats inside concats, along the same axis (flattened; the inner
      // one also read as it is) or another (left alone).
      Value *left =
          b.concat({b.slice(v, {0}, {1}, {1}), b.slice(w, {1}, {2}, {1})}, 1);
      Value *right = b.slice(v, {2}, {4}, {1});
      r = rng.chance(1, 3)
              ? b.concat({b.slice(b.concat({v, w}, 0), {1}, {4}, {0})}, 0)
              : b.concat({left, right}, 1);
      if (rng.chance(1, 2))
        r = b.add(r, b.concat({left, left}, 1));
      break;
    }
    case 20: {
      // A row or a column picked by a constant index, either sign.
      bool rows = rng.chance(1, 2);
      int64_t dim = rows ? 3 : 4;
      Value *index = b.constant(
          Tensor::scalar(DType::I64, (double)rng.range(-dim, dim - 1)));
      Value *picked = b.gather(w, index, rows ? 0 : 1);
      r = b.add(v, rows ? picked : b.reshape(picked, {3, 1}));
      break;
    }
    default: {
      std::vector<double> mixed(12, 0.0);
      mixed[(size_t)rng.range(0, 11)] = -0.0;
      r = binary(OpKind::Add, v,
                 b.constant(Tensor::fromDoubles(t, s34, mixed)));
      break;
    }
    }
    pool.push_back(r);
  }
  b.output("last", pool.back());
  b.output("some", rng.pick(pool));
  return m;
}

const DType kRuleDTypes[] = {DType::F32, DType::F64, DType::I32};

TEST(Simplify, RuleGraphsKeepTheirResultsBitExact) {
  std::map<std::string, size_t> changed;
  for (uint64_t seed = 0; seed < kRandomGraphs; ++seed) {
    DType t = kRuleDTypes[seed % 3];
    Model m = ruleGraph(seed, t);
    auto inputs = adjoint::testing::randomInputs(m.graph, seed);
    auto want = interpret(m.graph, inputs);
    for (const NamedPass &p : exactPasses()) {
      SCOPED_TRACE("seed " + std::to_string(seed) + ", pass " + p.name);
      Graph g = copyGraph(m.graph);
      p.run(g);
      ASSERT_NO_THROW(verify(g));
      EXPECT_EQ(signature(g), signature(m.graph));
      auto got = interpret(g, inputs);
      changed[p.name] +=
          printModel(Model{std::move(g), std::nullopt}) != printModel(m);
      for (const auto &[name, tensor] : want)
        EXPECT_TRUE(sameBits(got.at(name), tensor))
            << "output " << name << ": "
            << firstDifference(got.at(name), tensor);
    }
  }
  // Each pass has something to do on these graphs.
  for (const NamedPass &p : exactPasses())
    EXPECT_GT(changed[p.name], 0u) << p.name;
}

TEST(Simplify, ConstantIndexGathersAndNestedConcatsBecomeViewsAndOneCopy) {
  // An RNN's last state picked out of all of them, and a gradient of gates
  // concatenated twice: a slice (a view) and one concat remain. An index
  // out of range keeps its gather, whose error is the run's.
  Graph g("last_state");
  Builder b(g);
  Value *states = b.input("states", {DType::F32, {5, 2, 3}});
  Value *a = b.input("a", {DType::F32, {2, 3}});
  Value *last = b.gather(states, b.constant(Tensor::scalar(DType::I64, -1)));
  Value *inner = b.concat({last, a}, 1);
  b.output("gates", b.concat({inner, a}, 1));
  b.output("bad", b.gather(states, b.constant(Tensor::scalar(DType::I32, 5))));
  simplifyAlgebra(g);
  eliminateDeadCode(g);
  std::map<OpKind, int> ops;
  for (const auto &n : g.nodes())
    ++ops[n->op()];
  EXPECT_EQ(ops[OpKind::Gather], 1);
  EXPECT_EQ(ops[OpKind::Concat], 1);
  EXPECT_EQ(ops[OpKind::Slice], 1);
  EXPECT_EQ(g.outputs()[0].value->definingNode()->operands().size(), 3u);
}

TEST(Simplify, FastMathRulesChangeSignedZerosAndNaN) {
  // Without fast math these graphs keep their results bit for bit (above);
  // with it the rules that are not exact fire, and the inputs' -0, NaN and
  // infinities show the difference somewhere.
  bool differs = false;
  size_t exactNodes = 0, fastNodes = 0;
  for (uint64_t seed = 0; seed < kRandomGraphs; seed += 3) {
    Model m = ruleGraph(seed, DType::F32);
    Graph exact = copyGraph(m.graph), fast = copyGraph(m.graph);
    allPasses(exact, false);
    allPasses(fast, true);
    ASSERT_NO_THROW(verify(fast));
    EXPECT_EQ(signature(fast), signature(m.graph));
    exactNodes += exact.nodes().size();
    fastNodes += fast.nodes().size();
    auto inputs = adjoint::testing::randomInputs(m.graph, seed);
    auto want = interpret(m.graph, inputs), got = interpret(fast, inputs);
    for (const auto &[name, tensor] : want)
      differs = differs || !sameBits(got.at(name), tensor);
  }
  EXPECT_LT(fastNodes, exactNodes);
  EXPECT_TRUE(differs);
}

TEST(Simplify, MasksMoveBeforeMaxPoolGradientsBitExact) {
  // select(cmp(x, c), max_pool2d_grad(x, dy), +0) becomes a mask of dy by
  // cmp(max_pool2d(x), c): for disjoint, overlapping and padded windows,
  // each comparison with its literal on either side, the gradient in
  // either branch, x a relu (ties at 0) or raw (NaN, infinities, -0). The
  // rewritten graph computes the same bits and masks at the pooled size.
  struct Window {
    std::vector<int64_t> kernel, strides, pads;
  };
  const Window windows[] = {{{2, 2}, {2, 2}, {0, 0, 0, 0}},
                            {{3, 3}, {2, 2}, {1, 1, 1, 1}},
                            {{3, 2}, {1, 1}, {1, 0, 0, 1}},
                            {{2, 2}, {1, 1}, {0, 0, 0, 0}}};
  const OpKind comparisons[] = {OpKind::Greater, OpKind::GreaterEqual,
                                OpKind::Less, OpKind::LessEqual, OpKind::Equal};
  for (const Window &w : windows)
    for (OpKind cmp : comparisons)
      for (int variant = 0; variant < 4; ++variant) {
        SCOPED_TRACE(std::string(opName(cmp)) + ", kernel " +
                     std::to_string(w.kernel[0]) + "x" +
                     std::to_string(w.kernel[1]) + ", variant " +
                     std::to_string(variant));
        Graph g("mask");
        Builder b(g);
        Value *x = b.input("x", {DType::F32, {2, 3, 7, 6}});
        Value *y = variant % 2 ? x : b.relu(x);
        Pool2DOptions opts{w.kernel, w.strides, w.pads};
        Value *pooled = b.maxPool2d(y, opts);
        Value *dy = b.input("dy", pooled->type());
        Value *grad = b.maxPool2dGrad(y, dy, opts);
        Value *c = b.scalar(DType::F32, cmp == OpKind::Equal ? 0.0 : 0.25);
        Value *mask = variant < 2 ? b.op(cmp, {y, c}) : b.op(cmp, {c, y});
        Value *zero = b.scalar(DType::F32, 0.0);
        Value *dx = variant < 2 ? b.select(mask, grad, zero)
                                : b.select(mask, zero, grad);
        b.output("pooled", pooled);
        b.output("dx", dx);
        Graph out = copyGraph(g);
        allPasses(out, false);
        ASSERT_NO_THROW(verify(out));
        for (const auto &n : out.nodes())
          if (n->op() == OpKind::Select)
            EXPECT_EQ(n->result()->type().shape, pooled->type().shape);
        for (uint64_t seed = 0; seed < 4; ++seed) {
          auto inputs = adjoint::testing::randomInputs(g, seed);
          auto want = interpret(g, inputs), got = interpret(out, inputs);
          for (const auto &[name, tensor] : want)
            EXPECT_TRUE(sameBits(got.at(name), tensor))
                << "output " << name << ": "
                << firstDifference(got.at(name), tensor);
        }
      }
}

const char *const kExamples[] = {"fashion_mlp", "fashion_mlp_wide",
                                 "fashion_cnn", "keras_mlp"};

Model loadExample(const std::string &name) {
  return adjoint::testing::loadExampleAtSpecBatch(
      std::string(ADJOINT_SOURCE_DIR) + "/examples/" + name + ".pbtxt");
}

/// Runs every pass on a copy of `g` and checks that it verifies, keeps its
/// signature and does not grow. Returns the node counts before and after.
std::pair<size_t, size_t> simplifyAndCheck(const Graph &g) {
  Graph out = copyGraph(g);
  allPasses(out, false);
  EXPECT_NO_THROW(verify(out));
  EXPECT_EQ(signature(out), signature(g));
  EXPECT_LE(out.nodes().size(), g.nodes().size());
  return {g.nodes().size(), out.nodes().size()};
}

TEST(Simplify, ExamplesShrinkAndKeepTheirResults) {
  for (const char *name : kExamples) {
    SCOPED_TRACE(name);
    Model m = loadExample(name);
    auto [before, after] = simplifyAndCheck(m.graph);
    std::printf("%s: %zu -> %zu nodes\n", name, before, after);
    Graph g = copyGraph(m.graph);
    allPasses(g, false);
    auto inputs =
        adjoint::testing::randomInputs(m.graph, 7, /*specials=*/false);
    auto want = interpret(m.graph, inputs), got = interpret(g, inputs);
    for (const auto &[out, t] : want)
      EXPECT_TRUE(sameBits(got.at(out), t)) << out;
  }
}

TEST(Simplify, GradientGraphsShrink) {
  for (const char *name : kExamples) {
    SCOPED_TRACE(name);
    Model m = loadExample(name);
    ASSERT_TRUE(m.training.has_value());
    Graph grad = gradientGraph(m.graph, m.training->loss);
    auto [before, after] = simplifyAndCheck(grad);
    std::printf("%s gradient graph: %zu -> %zu nodes\n", name, before, after);
    EXPECT_LT(after, before) << "gradient graphs always hold foldable nodes";
  }
}

TEST(Simplify, FashionCnnTrainingStepShrinks) {
  Model m = loadExample("fashion_cnn");
  Trainer trainer(m);
  auto [before, after] = simplifyAndCheck(trainer.stepGraph());
  std::printf("fashion_cnn training step: %zu -> %zu nodes\n", before, after);
  EXPECT_LT(after, before);
}

} // namespace
