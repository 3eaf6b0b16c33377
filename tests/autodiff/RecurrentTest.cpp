//===- RecurrentTest.cpp - RNN, LSTM and GRU layers four ways -------------===//
//
// The layers of ir/Recurrent.h: values computed by hand (one unit, two
// steps, both directions), the interpreter against the JIT on random data,
// gradients against central differences in f64, and bad input. The
// comparison with PyTorch's nn.RNN, nn.LSTM and nn.GRU is in
// tests/cross_check/torch_training_check.py.
//
//===----------------------------------------------------------------------===//
#include "ir/Recurrent.h"
#include "GradCheck.h"
#include "compiler/CodeDump.h"
#include "compiler/autodiff/Grad.h"
#include "compiler/passes/EliminateDeadCode.h"
#include "ir/Error.h"
#include "ir/GraphCopy.h"
#include "ir/Interpreter.h"
#include "ir/Specialize.h"
#include "tests/support/Scans.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>

using namespace adjoint;
using namespace adjoint::testing;

namespace {

Tensor &paramData(Graph &g, const std::string &name) {
  for (Param &p : g.params())
    if (p.value->name() == name)
      return p.data;
  throw std::runtime_error("no parameter " + name);
}

void setParam(Graph &g, const std::string &name, std::vector<double> v) {
  Tensor &t = paramData(g, name);
  t = Tensor::fromDoubles(t.dtype(), t.shape(), v);
}

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

enum class Kind { Rnn, Lstm, Gru };

Value *layer(Kind kind, Builder &b, Value *x, const std::string &prefix,
             const RecurrentOptions &o) {
  switch (kind) {
  case Kind::Rnn:
    return simpleRnn(b, x, prefix, o);
  case Kind::Lstm:
    return lstm(b, x, prefix, o);
  case Kind::Gru:
    return gru(b, x, prefix, o);
  }
  __builtin_unreachable();
}

/// One unit, one feature: the step of each cell written out.
struct Unit {
  Kind kind;
  double w[4], u[4], bx[4], bh[4];
  /// (h, c) after one step from (h, c) on input x.
  std::pair<double, double> step(double x, double h, double c) const {
    auto pre = [&](int k, bool withH) {
      return w[k] * x + bx[k] + (withH ? u[k] * h + bh[k] : 0);
    };
    switch (kind) {
    case Kind::Rnn:
      return {std::tanh(pre(0, true)), 0};
    case Kind::Lstm: {
      double i = sigmoid(pre(0, true)), f = sigmoid(pre(1, true));
      double g = std::tanh(pre(2, true)), o = sigmoid(pre(3, true));
      double c2 = f * c + i * g;
      return {o * std::tanh(c2), c2};
    }
    case Kind::Gru: {
      double r = sigmoid(pre(0, true)), z = sigmoid(pre(1, true));
      double n = std::tanh(pre(2, false) + r * (u[2] * h + bh[2]));
      return {(1 - z) * n + z * h, 0};
    }
    }
    __builtin_unreachable();
  }
};

TEST(Recurrent, OneUnitByHand) {
  const std::vector<double> xs = {0.5, -1.5, 2.0};
  for (Kind kind : {Kind::Rnn, Kind::Lstm, Kind::Gru}) {
    for (bool sequences : {false, true}) {
      SCOPED_TRACE(::testing::Message() << (int)kind << " " << sequences);
      Graph g("m");
      Builder b(g);
      Value *x = b.input("x", f64({1, 3, 1}));
      RecurrentOptions o;
      o.units = 1;
      o.bidirectional = true;
      o.returnSequences = sequences;
      Value *h0 = b.input("h0", f64({2, 1, 1}));
      o.initialH = h0;
      if (kind == Kind::Lstm)
        o.initialC = b.input("c0", f64({2, 1, 1}));
      b.output("y", layer(kind, b, x, "l", o));
      int gates = kind == Kind::Lstm ? 4 : kind == Kind::Gru ? 3 : 1;
      Unit fwd{kind,
               {0.7, -0.4, 0.9, 0.3},
               {0.5, 0.8, -0.6, 1.1},
               {0.1, -0.2, 0.3, 0.05},
               {-0.1, 0.2, 0.15, -0.3}};
      Unit bwd{kind,
               {-0.3, 0.6, 0.2, -0.8},
               {0.9, -0.5, 0.4, 0.7},
               {0.0, 0.1, -0.1, 0.2},
               {0.3, -0.2, 0.1, 0.1}};
      for (auto [prefix, unit] :
           {std::pair{"l", &fwd}, std::pair{"l_reverse", &bwd}}) {
        std::string p = prefix;
        setParam(g, p + "_w", {unit->w, unit->w + gates});
        setParam(g, p + "_u", {unit->u, unit->u + gates});
        setParam(g, p + "_bx", {unit->bx, unit->bx + gates});
        setParam(g, p + "_bh", {unit->bh, unit->bh + gates});
      }
      std::map<std::string, Tensor> in = {
          {"x", Tensor::fromDoubles(DType::F64, {1, 3, 1}, xs)},
          {"h0", Tensor::fromDoubles(DType::F64, {2, 1, 1},
                                     std::vector<double>{0.25, -0.5})}};
      if (kind == Kind::Lstm)
        in["c0"] = Tensor::fromDoubles(DType::F64, {2, 1, 1},
                                       std::vector<double>{-0.75, 0.4});
      double hf = 0.25, cf = -0.75, hb = -0.5, cb = 0.4;
      std::vector<double> forward, backward(3);
      for (int t = 0; t < 3; ++t) {
        std::tie(hf, cf) = fwd.step(xs[t], hf, cf);
        forward.push_back(hf);
      }
      for (int t = 2; t >= 0; --t) {
        std::tie(hb, cb) = bwd.step(xs[t], hb, cb);
        backward[t] = hb;
      }
      std::vector<double> want;
      if (sequences)
        for (int t = 0; t < 3; ++t)
          want.insert(want.end(), {forward[t], backward[t]});
      else
        want = {forward[2], backward[0]};
      expectValues(runBoth(g, in).at("y"), want, 1e-12);
    }
  }
}

/// A two-layer model: a bidirectional layer returning sequences, then one
/// returning its last state, on x [N, 7, 5].
Graph model(Kind kind, int64_t batch, bool initial) {
  Graph g("m");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {batch, 7, 5}});
  RecurrentOptions o;
  o.units = 6;
  o.bidirectional = true;
  o.returnSequences = true;
  if (initial) {
    o.initialH = b.input("h0", {DType::F32, {2, batch, 6}});
    if (kind == Kind::Lstm)
      o.initialC = b.input("c0", {DType::F32, {2, batch, 6}});
  }
  Value *h = layer(kind, b, x, "l1", o);
  RecurrentOptions last;
  last.units = 4;
  last.seed = 9;
  b.output("y", layer(kind, b, h, "l2", last));
  return g;
}

TEST(Recurrent, InterpreterMatchesJit) {
  Rng rng(5);
  for (Kind kind : {Kind::Rnn, Kind::Lstm, Kind::Gru})
    for (bool initial : {false, true}) {
      SCOPED_TRACE(::testing::Message() << (int)kind << " " << initial);
      Graph g = model(kind, 3, initial);
      std::map<std::string, Tensor> in;
      for (const Value *v : g.inputs())
        in[v->name()] = uniformTensor(rng, v->type(), -1, 1);
      Tensor want = interpret(g, in).at("y");
      for (int threads : {1, 2}) {
        CompileOptions o;
        o.threads = threads;
        Tensor got = compile(g, o)->run(in).at("y");
        ASSERT_EQ(got.type(), want.type());
        for (int64_t i = 0; i < want.numElements(); ++i)
          EXPECT_NEAR(got.elementAsDouble(i), want.elementAsDouble(i), 1e-5)
              << i;
      }
    }
}

/// The functions that run a scan as blocks of rows in `step` compiled for
/// two threads (ScanEmitter names them <prefix>blocks).
size_t blockFunctions(const Graph &step) {
  CompileOptions two;
  two.threads = 2;
  std::string ir = dumpCode(step, two).llvmBefore;
  size_t blocks = 0;
  for (size_t at = ir.find("define"); at != std::string::npos;
       at = ir.find("define", at + 1))
    blocks += ir.substr(at, ir.find('(', at) - at).ends_with("blocks");
  return blocks;
}

// On two threads the scans of a batch of 16 run as two blocks of 8 rows,
// one per thread (ir/ScanRows.h): the training step's gradients are the
// same bits as on one thread, and the interpreter's.
TEST(Recurrent, BlocksOfRowsGiveTheSameBitsOnTwoThreads) {
  Rng rng(6);
  for (Kind kind : {Kind::Rnn, Kind::Lstm, Kind::Gru}) {
    SCOPED_TRACE((int)kind);
    Graph g("m");
    Builder b(g);
    RecurrentOptions o;
    o.units = 4;
    o.bidirectional = true;
    o.returnSequences = true;
    Value *h = layer(kind, b, b.input("x", {DType::F32, {16, 5, 3}}), "l", o);
    b.output("loss", b.reduceSum(b.mul(h, h), std::nullopt));
    Graph step = gradientGraph(g, "loss");
    std::map<std::string, Tensor> in;
    for (const Value *v : step.inputs())
      in[v->name()] = uniformTensor(rng, v->type(), -1, 1);
    auto want = interpret(step, in);
    CompileOptions two;
    two.threads = 2;
    // Every part of a reverse step keeps the rows (biases' gradients are
    // summed after the loop), so every scan of all three, forward and
    // reverse, runs as blocks of rows: one block function each.
    Graph live = copyGraph(step);
    eliminateDeadCode(live); // the forward scans that the saving ones replace
    size_t scans = 0;
    for (const auto &n : live.nodes())
      scans += n->op() == OpKind::Scan;
    EXPECT_GE(scans, 4u);
    EXPECT_EQ(blockFunctions(step), scans)
        << "a scan did not run as blocks of rows";
    auto one = compile(step, singleThread())->run(in);
    auto split = compile(step, two)->run(in);
    for (const auto &[name, t] : want) {
      const Tensor &got = one.at(name);
      ASSERT_EQ(got.type(), t.type()) << name;
      for (int64_t i = 0; i < t.numElements(); ++i)
        EXPECT_NEAR(got.elementAsDouble(i), t.elementAsDouble(i),
                    1e-4 + 1e-4 * std::abs(t.elementAsDouble(i)))
            << name << " " << i;
      EXPECT_TRUE(got.identical(split.at(name))) << name;
    }
  }
}

/// tanh(x_t + h @ w^T + b): the transpose of w is the same at every step.
Value *transposedStep(Builder &b, std::vector<Value *> in) {
  return b.tanh(
      b.add(b.add(in[1], b.matmul(in[0], b.transpose(in[2]))), in[3]));
}

/// A body that transposes its invariant weight at every step (as imported
/// RNNs slice and transpose theirs): the transpose is hoisted out before
/// differentiation, so the backward scan gets w^T as an invariant, the
/// forward saves no copy of it per step, and every scan still runs as
/// blocks of rows; the gradients stay right.
TEST(Recurrent, InvariantWorkOfABodyIsHoistedBeforeTheGradient) {
  expectGradientsMatch([](CaseBuilder &b) {
    return scanOf(b,
                  {b.uniform({3, 4}, -1, 1), b.uniform({5, 3, 4}, -1, 1),
                   b.uniform({4, 4}, -1, 1), b.uniform({4}, -1, 1)},
                  1, false, transposedStep);
  });
  Graph g("m");
  Builder b(g);
  Value *y = scanOf(b,
                    {b.input("h", {DType::F32, {16, 4}}),
                     b.input("x", {DType::F32, {6, 16, 4}}),
                     b.input("w", {DType::F32, {4, 4}}),
                     b.input("bias", {DType::F32, {4}})},
                    1, false, transposedStep);
  b.output("loss", b.reduceSum(b.mul(y, y), std::nullopt));
  Graph step = gradientGraph(g, "loss", {"h", "x", "w", "bias"});
  eliminateDeadCode(step);
  size_t scans = 0;
  for (const auto &n : step.nodes())
    if (n->op() == OpKind::Scan) {
      ++scans;
      const Graph &body = n->attr().getGraph("body");
      if (body.name() == "step") // the forward scan, saving its residuals
        for (const auto &bn : body.nodes())
          EXPECT_NE(bn->op(), OpKind::Transpose) << bn->describe();
      // [T, rows, width]: the steps' parts packed side by side in rows.
      EXPECT_EQ(n->result()->type().rank(), 3) << n->describe();
    }
  EXPECT_EQ(scans, 2u);
  EXPECT_EQ(blockFunctions(step), scans);
}

/// The gradient of sum(y^2) for model(kind, 8, true) with respect to x
/// and every parameter, dead nodes removed.
Graph squaredSumGradient(Kind kind) {
  Graph g = model(kind, 8, true);
  Builder b(g);
  Value *y = g.outputs()[0].value;
  b.output("loss", b.reduceSum(b.mul(y, y), std::nullopt));
  std::vector<std::string> wrt = {"x"};
  for (const Param &p : g.params())
    wrt.push_back(p.value->name());
  Graph step = gradientGraph(g, "loss", wrt);
  eliminateDeadCode(step);
  return step;
}

// An LSTM's or GRU's reverse step reads what it needs of the forward step
// (its residuals and the state it started from) as views of the forward
// scan's saved rows, one sequence: nothing before the loop copies the
// rows' columns or shifts the states by a step.
TEST(Recurrent, TheReverseStepReadsTheForwardRowsInPlace) {
  for (Kind kind : {Kind::Lstm, Kind::Gru}) {
    SCOPED_TRACE((int)kind);
    Graph step = squaredSumGradient(kind);
    size_t reverse = 0;
    for (const auto &n : step.nodes()) {
      if (n->op() != OpKind::Scan ||
          !n->attr().getGraph("body").name().ends_with("_grad"))
        continue;
      ++reverse;
      // Whether `v` is a copy of part of a scan's rows: a slice or concat
      // of them, through any views.
      std::function<bool(const Value *, bool)> copiesRows = [&](const Value *v,
                                                                bool copied) {
        const Node *def = v->definingNode();
        if (!def)
          return false;
        if (def->op() == OpKind::Scan)
          return copied;
        bool copy = def->op() == OpKind::Slice || def->op() == OpKind::Concat;
        if (!copy && def->op() != OpKind::Reshape &&
            def->op() != OpKind::Transpose)
          return false;
        return std::any_of(
            def->operands().begin(), def->operands().end(),
            [&](const Value *in) { return copiesRows(in, copied || copy); });
      };
      const Value *saved = nullptr;
      for (const Value *v : n->operands()) {
        const Node *def = v->definingNode();
        if (def && def->op() == OpKind::Scan) {
          EXPECT_EQ(saved, nullptr) << "two operands read the forward rows";
          saved = v;
        }
        EXPECT_FALSE(copiesRows(v, false)) << def->describe();
      }
      EXPECT_NE(saved, nullptr);
    }
    EXPECT_EQ(reverse, 3u); // both directions of the first layer, the second
  }
}

TEST(Recurrent, TheForwardRowsSaveNothingCheapToComputeAgain) {
  // The forward scan saves the residuals of each step beside its state;
  // what the reverse step computes again from them and the state, cheaply,
  // is not saved: a GRU's 1 - z, an LSTM's c of the step before (a slice
  // of the state the row already holds). The LSTM's h of the step before,
  // a slice too, which the recurrent weight's gradient reads after the
  // loop, is read there as a slice of the rows' states.
  for (Kind kind : {Kind::Lstm, Kind::Gru}) {
    SCOPED_TRACE((int)kind);
    Graph step = squaredSumGradient(kind);
    size_t saving = 0;
    for (const auto &n : step.nodes()) {
      if (n->op() != OpKind::Scan)
        continue;
      const Graph &body = n->attr().getGraph("body");
      const Node *row = body.outputs()[0].value->definingNode();
      if (body.name().ends_with("_grad") || row->op() != OpKind::Concat)
        continue;
      ++saving;
      const Value *state = body.inputs()[0];
      int slicesOfState = 0;
      for (const Value *piece : row->operands()) {
        const Node *def = piece->definingNode();
        ASSERT_NE(def, nullptr);
        bool arithmetic = def->op() == OpKind::Sub ||
                          def->op() == OpKind::Add ||
                          def->op() == OpKind::Mul || def->op() == OpKind::Neg;
        bool fromPieces = std::all_of(
            def->operands().begin(), def->operands().end(),
            [&](const Value *v) {
              const Node *d = v->definingNode();
              return (d && d->op() == OpKind::Constant) ||
                     std::find(row->operands().begin(), row->operands().end(),
                               v) != row->operands().end();
            });
        EXPECT_FALSE(arithmetic && fromPieces) << def->describe();
        // Slices of the state the step started from (which the row
        // holds whole), other than the one that unpacks it from the row.
        const Value *under =
            def->op() == OpKind::Slice ? def->operand(0) : nullptr;
        while (under && under != state && under->definingNode() &&
               (under->definingNode()->op() == OpKind::Slice ||
                under->definingNode()->op() == OpKind::Reshape))
          under = under->definingNode()->operand(0);
        slicesOfState += def->operand(0) != state && under == state;
      }
      EXPECT_EQ(slicesOfState, 0);
    }
    EXPECT_EQ(saving, 3u);
  }
}

TEST(Recurrent, TheCarryCopiesNothingOfTheSavedRows) {
  // A GRU's recurrent product reads the states the steps started from; the
  // forward rows hold them (beside its residuals), so the reverse step does
  // not copy them into its carry for the product after the loop: no piece
  // of the reverse step's carry is a view of the saved row.
  Graph step = squaredSumGradient(Kind::Gru);
  int reverse = 0;
  for (const auto &n : step.nodes()) {
    if (n->op() != OpKind::Scan)
      continue;
    const Graph &body = n->attr().getGraph("body");
    if (!body.name().ends_with("_grad"))
      continue;
    ++reverse;
    const Node *carry = body.outputs()[0].value->definingNode();
    ASSERT_EQ(carry->op(), OpKind::Concat);
    for (const Value *piece : carry->operands()) {
      const Value *under = piece;
      while (under->definingNode() &&
             (under->definingNode()->op() == OpKind::Slice ||
              under->definingNode()->op() == OpKind::Reshape))
        under = under->definingNode()->operand(0);
      EXPECT_TRUE(under->kind() != ValueKind::Input ||
                  under->name().find("saved") == std::string::npos)
          << piece->name();
    }
  }
  EXPECT_GT(reverse, 0);
}

TEST(Recurrent, BiasGradientsSumTheCarryWhereItLies) {
  // A bias added in every step is summed over the steps and the rows of the
  // reverse scan's rows at once: no reshape of the rows (which a fused
  // kernel could not read in place, so they would be copied out first)
  // feeds a sum.
  for (Kind kind : {Kind::Rnn, Kind::Lstm, Kind::Gru}) {
    SCOPED_TRACE((int)kind);
    Graph step = squaredSumGradient(kind);
    int sumsOfSteps = 0;
    for (const auto &n : step.nodes()) {
      if (n->op() != OpKind::ReduceSum)
        continue;
      const Value *under = n->operand(0);
      bool reshaped = false;
      while (const Node *def = under->definingNode()) {
        // A reshape that merges the steps with the rows (a packed part
        // unpacked to its own shape keeps the steps).
        if (def->op() == OpKind::Reshape)
          reshaped |= def->result()->type().shape[0] !=
                      def->operand(0)->type().shape[0];
        else if (def->op() != OpKind::Slice)
          break;
        under = def->operand(0);
      }
      const Node *scan = under->definingNode();
      if (!scan || scan->op() != OpKind::Scan)
        continue;
      ++sumsOfSteps;
      EXPECT_FALSE(reshaped) << n->describe();
    }
    EXPECT_GT(sumsOfSteps, 0);
  }
}

TEST(Recurrent, GradientsMatchFiniteDifferences) {
  for (Kind kind : {Kind::Rnn, Kind::Lstm, Kind::Gru}) {
    SCOPED_TRACE((int)kind);
    expectGradientsMatch([&](CaseBuilder &b) {
      RecurrentOptions o;
      o.units = 3;
      o.bidirectional = true;
      o.returnSequences = true;
      o.initialH = b.uniform({2, 2, 3}, -1, 1);
      if (kind == Kind::Lstm)
        o.initialC = b.uniform({2, 2, 3}, -1, 1);
      return layer(kind, b, b.uniform({2, 4, 2}, -1, 1), "l", o);
    });
  }
  expectGradientsMatch([](CaseBuilder &b) {
    RecurrentOptions o;
    o.units = 3;
    o.recompute = true;
    return lstm(b, b.uniform({2, 4, 2}, -1, 1), "l", o);
  });
  expectGradientsMatch([](CaseBuilder &b) {
    RecurrentOptions o;
    o.units = 2;
    o.relu = true;
    return simpleRnn(b, b.uniform({3, 5, 2}, 0.1, 1), "l", o);
  });
}

TEST(Recurrent, SymbolicBatchCompilesAtAFixedBatch) {
  Graph g = model(Kind::Gru, symbolicDim(internSymbol("N")), false);
  try {
    compile(g, singleThread());
    ADD_FAILURE() << "a scan compiled for every batch";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("compiles at a fixed batch"),
              std::string::npos)
        << e.what();
  }
  Graph bound = specialize(g, {{internSymbol("N"), 2}});
  Rng rng(3);
  std::map<std::string, Tensor> in = {
      {"x", uniformTensor(rng, {DType::F32, {2, 7, 5}}, -1, 1)}};
  Tensor want = interpret(g, in).at("y"); // the interpreter binds N itself
  Tensor got = compile(bound, singleThread())->run(in).at("y");
  for (int64_t i = 0; i < want.numElements(); ++i)
    EXPECT_NEAR(got.elementAsDouble(i), want.elementAsDouble(i), 1e-5);
}

/// An LSTM over `steps` steps with a loss: its gradient graph.
Graph lstmGradient(int64_t steps) {
  Graph g("m");
  Builder b(g);
  RecurrentOptions o;
  o.units = 8;
  Value *h = lstm(b, b.input("x", {DType::F32, {2, steps, 3}}), "l", o);
  b.output("loss", b.reduceSum(h, std::nullopt));
  return gradientGraph(g, "loss");
}

// The sequence length is a loop count: the graph, its kernels and so the
// compile time do not grow with it.
TEST(Recurrent, GraphAndKernelsDoNotGrowWithTheSequence) {
  Graph shortSeq = lstmGradient(32), longSeq = lstmGradient(1024);
  EXPECT_EQ(shortSeq.nodes().size(), longSeq.nodes().size());
  EXPECT_LT(longSeq.nodes().size(), 80u);
  EXPECT_EQ(compile(shortSeq, singleThread())->kernelCount(),
            compile(longSeq, singleThread())->kernelCount());
}

TEST(Recurrent, BadInputNamesTheLayer) {
  Graph g("m");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {2, 5, 6}});
  EXPECT_NE(errorMessage([&] {
              lstm(b, b.input("flat", {DType::F32, {2, 6}}), "l");
            }).find("lstm: needs a float sequence [batch, time, features]"),
            std::string::npos);
  EXPECT_NE(errorMessage([&] {
              RecurrentOptions o;
              o.units = 0;
              gru(b, x, "g", o);
            }).find("gru: units must be positive, not 0"),
            std::string::npos);
  EXPECT_NE(errorMessage([&] {
              RecurrentOptions o;
              o.units = 4;
              o.initialH = b.input("h0", {DType::F32, {2, 5}});
              simpleRnn(b, x, "r", o);
            })
                .find("simpleRnn: the initial hidden state has type f32[2,5] "
                      "but must be f32[2,4]"),
            std::string::npos);
  EXPECT_NE(errorMessage([&] {
              RecurrentOptions o;
              o.relu = true;
              lstm(b, x, "l2", o);
            }).find("lstm: only simpleRnn takes relu"),
            std::string::npos);
  EXPECT_NE(errorMessage([&] {
              RecurrentOptions o;
              o.initialC = x;
              gru(b, x, "g2", o);
            }).find("gru: only an LSTM has a cell state"),
            std::string::npos);
}

} // namespace
