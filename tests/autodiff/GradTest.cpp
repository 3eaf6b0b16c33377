//===- GradTest.cpp - The gradient transform: conventions and rules -------===//
#include "compiler/autodiff/Grad.h"

#include "GradCheck.h"
#include "ir/Builder.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace adjoint;
using namespace adjoint::testing;

namespace {

// --- Conventions ----------------------------------------------------------

TEST(Grad, SumsTheGradientsOfSeveralConsumers) {
  // y = x*x + exp(x) + x: dy/dx = 2x + exp(x) + 1
  Graph g;
  Builder b(g);
  Value *x = b.input("x", f64({3}));
  Value *loss = sumOf(b, b.add(b.add(b.mul(x, x), b.exp(x)), x));
  b.output("dx", appendGradients(g, loss, {x})[0]);
  auto out = runBoth(g, {{"x", vec({0.5, -1, 2})}});
  std::vector<double> want;
  for (double v : {0.5, -1.0, 2.0})
    want.push_back(2 * v + std::exp(v) + 1);
  expectValues(out.at("dx"), want);
}

TEST(Grad, SlicesOfOneAxisGiveOneConcatenation) {
  // Columns 0-1, 2 and 4-5 of x taken apart (3 left out): dx is their
  // cotangents side by side with zeros in the gap, one concat, and keeps
  // the sign of a -0 cotangent (a sum of zero pads would make it +0).
  // Slices that overlap are summed.
  for (bool overlap : {false, true}) {
    SCOPED_TRACE(overlap ? "overlapping" : "disjoint");
    Graph g;
    Builder b(g);
    Value *x = b.input("x", f64({2, 6}));
    Value *a = b.slice(x, {0}, {overlap ? 3 : 2}, {1});
    Value *c = b.slice(x, {2}, {3}, {1});
    Value *e = b.slice(x, {4}, {6}, {1});
    Value *loss = b.add(b.add(sumOf(b, b.mul(a, b.scalar(DType::F64, -0.0))),
                              sumOf(b, b.mul(c, b.scalar(DType::F64, 3)))),
                        sumOf(b, b.mul(e, e)));
    Value *dx = appendGradients(g, loss, {x})[0];
    EXPECT_EQ(dx->definingNode()->op(), overlap ? OpKind::Add : OpKind::Concat);
    b.output("dx", dx);
    std::vector<double> xs = {1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6};
    auto out = runBoth(g, {{"x", Tensor::fromDoubles(DType::F64, {2, 6}, xs)}});
    std::vector<double> want;
    for (int r = 0; r < 2; ++r)
      for (int col = 0; col < 6; ++col)
        want.push_back(col == 2   ? 3
                       : col == 3 ? 0
                       : col >= 4 ? 2 * xs[r * 6 + col]
                                  : -0.0);
    expectValues(out.at("dx"), want);
    for (int i : {0, 1, 6, 7})
      EXPECT_EQ(std::signbit(out.at("dx").elementAsDouble(i)), !overlap) << i;
  }
}

TEST(Grad, ReducesBroadcastOperandsToTheirShape) {
  // loss = sum(a[2,1,3] * b[4,1]): da = sum over the broadcast axes of b.
  Graph g;
  Builder b(g);
  Value *a = b.input("a", f64({2, 1, 3}));
  Value *c = b.input("b", f64({4, 1}));
  auto grads = appendGradients(g, sumOf(b, b.mul(a, c)), {a, c});
  EXPECT_EQ(grads[0]->type(), a->type());
  EXPECT_EQ(grads[1]->type(), c->type());
  b.output("da", grads[0]);
  b.output("db", grads[1]);
  auto out = runBoth(
      g, {{"a", Tensor::fromDoubles(DType::F64, {2, 1, 3},
                                    std::vector<double>{1, 2, 3, 4, 5, 6})},
          {"b", Tensor::fromDoubles(DType::F64, {4, 1},
                                    std::vector<double>{1, 2, 3, 4})}});
  expectValues(out.at("da"), {10, 10, 10, 10, 10, 10});
  expectValues(out.at("db"), {21, 21, 21, 21});
}

TEST(Grad, GivesZerosForAValueTheLossDoesNotDependOn) {
  Graph g;
  Builder b(g);
  Value *x = b.input("x", f64({3}));
  Value *unused = b.param("unused", f64({2, 2}), zerosInit());
  Value *viaArgmax = b.input("via_argmax", f64({3}));
  Value *viaInt = b.input("via_int", f64({3}));
  Value *loss =
      b.add(sumOf(b, b.mul(x, x)), b.cast(b.argmax(viaArgmax, 0), DType::F64));
  loss = b.add(loss, sumOf(b, b.cast(b.cast(viaInt, DType::I32), DType::F64)));
  auto grads = appendGradients(g, loss, {unused, viaArgmax, viaInt});
  for (size_t i = 0; i < grads.size(); ++i)
    b.output("g" + std::to_string(i), grads[i]);
  EXPECT_EQ(grads[0]->type(), unused->type());
  Tensor three = vec({1, 2, 3});
  auto out =
      runBoth(g, {{"x", three}, {"via_argmax", three}, {"via_int", three}});
  expectValues(out.at("g0"), {0, 0, 0, 0});
  expectValues(out.at("g1"), {0, 0, 0});
  expectValues(out.at("g2"), {0, 0, 0});
}

TEST(Grad, OfTheLossItselfIsOne) {
  Graph g;
  Builder b(g);
  Value *x = b.input("x", f64({}));
  Value *loss = b.exp(x);
  auto grads = appendGradients(g, loss, {loss, x});
  b.output("dloss", grads[0]);
  b.output("dx", grads[1]);
  auto out = runBoth(g, {{"x", Tensor::scalar(DType::F64, 1)}});
  expectValues(out.at("dloss"), {1});
  expectValues(out.at("dx"), {std::exp(1.0)});
}

TEST(Grad, VisitsOnlyNodesBetweenWrtAndLoss) {
  Graph g;
  Builder b(g);
  Value *x = b.input("x", f64({3}));
  Value *w = b.input("w", f64({3}));
  b.output("other", b.tanh(w)); // not on the way to the loss
  Value *loss = sumOf(b, b.mul(b.exp(w), x));
  size_t before = g.nodes().size();
  appendGradients(g, loss, {x});
  // d/dx sum(exp(w) * x) = exp(w): no node differentiates exp or tanh, so
  // the new nodes are the seed 1, reduce_sum's broadcast and one mul (and
  // nothing else).
  for (size_t i = before; i < g.nodes().size(); ++i) {
    OpKind op = g.nodes()[i]->op();
    EXPECT_TRUE(op == OpKind::Constant || op == OpKind::BroadcastTo ||
                op == OpKind::Reshape || op == OpKind::Mul)
        << opName(op);
  }
}

TEST(Grad, HandlesEmptyTensors) {
  // x [0,3] broadcasts against b [3]: b's gradient sums over an empty axis.
  Graph g;
  Builder b(g);
  Value *x = b.input("x", f64({0, 3}));
  Value *bias = b.input("b", f64({3}));
  Value *m = b.input("m", f64({2, 0}));
  Value *loss =
      b.add(sumOf(b, b.exp(b.add(x, bias))), sumOf(b, b.matmul(m, x)));
  loss = b.add(loss, sumOf(b, bias));
  auto grads = appendGradients(g, loss, {x, bias, m});
  b.output("dx", grads[0]);
  b.output("db", grads[1]);
  b.output("dm", grads[2]);
  auto out = runBoth(g, {{"x", Tensor(f64({0, 3}))},
                         {"b", vec({1, 2, 3})},
                         {"m", Tensor(f64({2, 0}))}});
  EXPECT_EQ(out.at("dx").shape(), (Shape{0, 3}));
  EXPECT_EQ(out.at("dm").shape(), (Shape{2, 0}));
  expectValues(out.at("db"), {1, 1, 1});
}

// --- Rules at special points ----------------------------------------------

TEST(Grad, TiesOfMaximumAndMinimumGoToTheFirstOperand) {
  Graph g;
  Builder b(g);
  Value *a = b.input("a", f64({3}));
  Value *c = b.input("b", f64({3}));
  auto gmax = appendGradients(g, sumOf(b, b.maximum(a, c)), {a, c});
  auto gmin = appendGradients(g, sumOf(b, b.minimum(a, c)), {a, c});
  b.output("max_a", gmax[0]);
  b.output("max_b", gmax[1]);
  b.output("min_a", gmin[0]);
  b.output("min_b", gmin[1]);
  auto out = runBoth(g, {{"a", vec({1, 2, 0})}, {"b", vec({1, 3, -1})}});
  expectValues(out.at("max_a"), {1, 0, 1});
  expectValues(out.at("max_b"), {0, 1, 0});
  expectValues(out.at("min_a"), {1, 1, 0});
  expectValues(out.at("min_b"), {0, 0, 1});
}

TEST(Grad, TiesOfReduceMaxAndMinShareTheGradientEqually) {
  Graph g;
  Builder b(g);
  Value *x = b.input("x", f64({2, 4}));
  Value *w = b.constant(
      Tensor::fromDoubles(DType::F64, {2}, std::vector<double>{1, 10}));
  Value *lossMax = sumOf(b, b.mul(b.reduceMax(x, std::vector<int64_t>{1}), w));
  Value *lossMin = sumOf(b, b.mul(b.reduceMin(x, std::vector<int64_t>{-1}), w));
  b.output("dmax", appendGradients(g, lossMax, {x})[0]);
  b.output("dmin", appendGradients(g, lossMin, {x})[0]);
  auto out = runBoth(
      g, {{"x",
           Tensor::fromDoubles(DType::F64, {2, 4},
                               std::vector<double>{1, 3, 3, 2, 5, 5, 5, 0})}});
  expectValues(out.at("dmax"),
               {0, 0.5, 0.5, 0, 10 / 3.0, 10 / 3.0, 10 / 3.0, 0});
  expectValues(out.at("dmin"), {1, 0, 0, 0, 0, 0, 0, 10});
}

TEST(Grad, KinksAtZeroGiveZero) {
  Graph g;
  Builder b(g);
  Value *x = b.input("x", f64({3}));
  b.output("relu", appendGradients(g, sumOf(b, b.relu(x)), {x})[0]);
  b.output("abs", appendGradients(g, sumOf(b, b.abs(x)), {x})[0]);
  b.output("sign", appendGradients(g, sumOf(b, b.sign(x)), {x})[0]);
  auto out = runBoth(g, {{"x", vec({-1, 0, 2})}});
  expectValues(out.at("relu"), {0, 0, 1});
  expectValues(out.at("abs"), {-1, 0, 1});
  expectValues(out.at("sign"), {0, 0, 0});
}

TEST(Grad, PowWithAZeroBaseHasAFiniteExponentGradient) {
  // d/db a^b = a^b log(a), taken as 0 where a = 0; the second derivative
  // in b is finite there too.
  Graph g;
  Builder b(g);
  Value *a = b.input("a", f64({3}));
  Value *e = b.input("b", f64({3}));
  Value *loss = sumOf(b, b.pow(a, e));
  auto first = appendGradients(g, loss, {a, e});
  Value *second = appendGradients(g, sumOf(b, first[1]), {e})[0];
  b.output("da", first[0]);
  b.output("db", first[1]);
  b.output("db2", second);
  auto out = runBoth(g, {{"a", vec({0, 0, 2})}, {"b", vec({2, 0, 3})}});
  expectValues(out.at("da"), {0, 0, 12});
  expectValues(out.at("db"), {0, 0, 8 * std::log(2.0)});
  expectValues(out.at("db2"), {0, 0, 8 * std::log(2.0) * std::log(2.0)});
}

TEST(Grad, StopGradientCutsTheWalk) {
  // loss = sum(x * stop_gradient(x)): d/dx = stop_gradient(x) = x, not 2x.
  Graph g;
  Builder b(g);
  Value *x = b.input("x", f64({3}));
  Value *w = b.input("w", f64({3}));
  Value *loss = sumOf(b, b.mul(x, b.stopGradient(x)));
  loss = b.add(loss, sumOf(b, b.exp(b.stopGradient(w))));
  auto grads = appendGradients(g, loss, {x, w});
  b.output("dx", grads[0]);
  b.output("dw", grads[1]);
  auto out = runBoth(g, {{"x", vec({1, -2, 3})}, {"w", vec({1, 2, 3})}});
  expectValues(out.at("dx"), {1, -2, 3});
  expectValues(out.at("dw"), {0, 0, 0});
}

TEST(Grad, SoftmaxShiftCarriesNoGradient) {
  // softmax and log_softmax subtract the row maximum only to keep exp in
  // range: their gradients are y * (dy - sum(dy * y)) and
  // dy - softmax * sum(dy), with no mask of where the maximum is, and a
  // tied maximum changes nothing.
  Graph g;
  Builder b(g);
  Value *x = b.input("x", f64({2, 3}));
  Value *w = b.constant(Tensor::fromDoubles(
      DType::F64, {2, 3}, std::vector<double>{1, -2, 3, 0.5, 4, -1}));
  Value *dSoftmax =
      appendGradients(g, sumOf(b, b.mul(b.softmax(x, 1), w)), {x})[0];
  Value *dLogSoftmax =
      appendGradients(g, sumOf(b, b.mul(b.logSoftmax(x, 1), w)), {x})[0];
  b.output("ds", dSoftmax);
  b.output("dl", dLogSoftmax);
  for (const auto &n : g.nodes())
    EXPECT_NE(n->op(), OpKind::Equal) << n->describe();
  std::vector<double> xs = {0.3, 1.2, 1.2, -0.5, 2, 0.25};
  auto out = runBoth(g, {{"x", Tensor::fromDoubles(DType::F64, {2, 3}, xs)}});
  std::vector<double> ws = {1, -2, 3, 0.5, 4, -1}, wantS, wantL;
  for (int r = 0; r < 2; ++r) {
    double sum = 0, dot = 0, wsum = 0;
    for (int c = 0; c < 3; ++c)
      sum += std::exp(xs[r * 3 + c]);
    for (int c = 0; c < 3; ++c) {
      dot += ws[r * 3 + c] * std::exp(xs[r * 3 + c]) / sum;
      wsum += ws[r * 3 + c];
    }
    for (int c = 0; c < 3; ++c) {
      double y = std::exp(xs[r * 3 + c]) / sum;
      wantS.push_back(y * (ws[r * 3 + c] - dot));
      wantL.push_back(ws[r * 3 + c] - y * wsum);
    }
  }
  expectValues(out.at("ds"), wantS);
  expectValues(out.at("dl"), wantL);
}

TEST(Grad, MaxPoolingSendsEachWindowsGradientToItsFirstMaximum) {
  // Every element ties: each 2x2 window's gradient goes to its top-left.
  Graph g;
  Builder b(g);
  Value *x = b.input("x", f64({1, 1, 2, 4}));
  Pool2DOptions o;
  o.kernel = {2, 2};
  o.strides = {2, 2};
  Value *y = b.maxPool2d(x, o);
  Value *r = b.constant(
      Tensor::fromDoubles(DType::F64, {1, 1, 1, 2}, std::vector<double>{3, 5}));
  b.output("dx", appendGradients(g, sumOf(b, b.mul(y, r)), {x})[0]);
  Tensor ones = Tensor::fromDoubles(DType::F64, {1, 1, 2, 4},
                                    std::vector<double>(8, 1.0));
  auto out = runBoth(g, {{"x", ones}});
  expectValues(out.at("dx"), {3, 0, 5, 0, 0, 0, 0, 0});
}

/// <A(dy), r> = <dy, A^T(r)> for the linear map A(dy) = max_pool2d_grad(x,
/// dy), whose transpose the rule of max_pool2d_grad builds: on inputs full
/// of ties, NaN windows and windows of -inf next to the padding, it must
/// pick the same element as the op itself.
TEST(Grad, MaxPoolGradRuleIsTheExactTranspose) {
  Pool2DOptions overlapping{{3, 3}, {2, 2}, {1, 1, 1, 1}, false};
  Pool2DOptions dense{{2, 2}, {1, 1}, {0, 0, 0, 0}, false};
  for (const Pool2DOptions &o : {overlapping, dense}) {
    SCOPED_TRACE("kernel " + shapeStr(o.kernel));
    Graph g;
    Builder b(g);
    Value *x = b.input("x", f64({1, 2, 5, 6}));
    Shape yShape = b.maxPool2d(x, o)->type().shape;
    Value *dy = b.input("dy", f64(yShape));
    Value *r = b.input("r", f64({1, 2, 5, 6}));
    Value *loss = sumOf(b, b.mul(b.maxPool2dGrad(x, dy, o), r));
    Value *transposed = appendGradients(g, loss, {dy})[0];
    b.output("loss", loss);
    b.output("dot", sumOf(b, b.mul(dy, transposed)));

    Rng rng(3);
    Tensor xs(f64({1, 2, 5, 6}));
    for (int64_t i = 0; i < xs.numElements(); ++i)
      xs.setElementFromDouble(i, (double)rng.range(0, 2)); // many ties
    // A NaN window, and a corner of -inf next to the padding.
    xs.setElementFromDouble(8, NAN);
    for (int64_t i : {30, 31, 36, 37})
      xs.setElementFromDouble(i, -INFINITY);
    Tensor dys = uniformTensor(rng, f64(yShape), -1, 1);
    Tensor rs = uniformTensor(rng, f64({1, 2, 5, 6}), -1, 1);
    auto out = runBoth(g, {{"x", xs}, {"dy", dys}, {"r", rs}});
    double want = out.at("loss").elementAsDouble(0);
    EXPECT_NEAR(out.at("dot").elementAsDouble(0), want,
                1e-12 * (1 + std::fabs(want)));
  }
}

} // namespace
