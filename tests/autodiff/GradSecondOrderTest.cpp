//===- GradSecondOrderTest.cpp - Gradients of gradients -------------------===//
#include "compiler/autodiff/Grad.h"

#include "GradCheck.h"
#include "ir/Builder.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace adjoint;
using namespace adjoint::testing;

namespace {

/// f''(x) for x = {-1.3, 0.4, 2.1} (positive for log), through the
/// interpreter and the JIT: loss = sum(f(x)), then sum(f'(x)).
void expectSecondDerivative(const std::function<Value *(Builder &, Value *)> &f,
                            const std::function<double(double)> &want,
                            bool positive = false) {
  Graph g;
  Builder b(g);
  Value *x = b.input("x", f64({3}));
  Value *first = appendGradients(g, sumOf(b, f(b, x)), {x})[0];
  Value *second = appendGradients(g, sumOf(b, first), {x})[0];
  b.output("d2", second);
  std::vector<double> xs = positive ? std::vector<double>{0.3, 1.4, 2.1}
                                    : std::vector<double>{-1.3, 0.4, 2.1};
  auto out = runBoth(g, {{"x", vec(xs)}});
  std::vector<double> expected;
  for (double v : xs)
    expected.push_back(want(v));
  expectValues(out.at("d2"), expected, 1e-12);
}

TEST(GradSecondOrder, Tanh) {
  expectSecondDerivative([](Builder &b, Value *x) { return b.tanh(x); },
                         [](double x) {
                           double t = std::tanh(x);
                           return -2 * t * (1 - t * t);
                         });
}

TEST(GradSecondOrder, Sigmoid) {
  expectSecondDerivative([](Builder &b, Value *x) { return b.sigmoid(x); },
                         [](double x) {
                           double s = 1 / (1 + std::exp(-x));
                           return s * (1 - s) * (1 - 2 * s);
                         });
}

TEST(GradSecondOrder, Exp) {
  expectSecondDerivative([](Builder &b, Value *x) { return b.exp(x); },
                         [](double x) { return std::exp(x); });
}

TEST(GradSecondOrder, Log) {
  expectSecondDerivative([](Builder &b, Value *x) { return b.log(x); },
                         [](double x) { return -1 / (x * x); }, true);
}

TEST(GradSecondOrder, MulOfACube) {
  // (x*x*x)'' = 6x
  expectSecondDerivative(
      [](Builder &b, Value *x) { return b.mul(b.mul(x, x), x); },
      [](double x) { return 6 * x; });
}

TEST(GradSecondOrder, MixedPartialsOfMul) {
  // loss = sum(a*b): d/da = b; d/da sum(b) = 0 (zeros), d/db sum(b) = 1.
  Graph g;
  Builder b(g);
  Value *a = b.input("a", f64({2}));
  Value *c = b.input("b", f64({2}));
  Value *da = appendGradients(g, sumOf(b, b.mul(a, c)), {a})[0];
  auto second = appendGradients(g, sumOf(b, da), {a, c});
  b.output("daa", second[0]);
  b.output("dab", second[1]);
  auto out = runBoth(g, {{"a", vec({1, 2})}, {"b", vec({3, 4})}});
  expectValues(out.at("daa"), {0, 0});
  expectValues(out.at("dab"), {1, 1});
}

TEST(Grad, ConvolutionHasSecondDerivatives) {
  // loss = sum(conv2d(x, w)^2): d/dw, then d/dx of sum(d/dw * r), against
  // central differences of the first gradient.
  expectGradientsMatch([](CaseBuilder &c) {
    Value *x = c.uniform({1, 2, 5, 5});
    Value *w = c.uniform({3, 2, 3, 3});
    Conv2DOptions o;
    o.strides = {2, 1};
    o.pads = {1, 1, 0, 1};
    Value *y = c.conv2d(x, w, o);
    Value *loss = c.reduceSum(c.mul(y, y), std::nullopt);
    return appendGradients(c.graph(), loss, {w})[0];
  });
}

TEST(Grad, PoolingAndGatherHaveSecondDerivatives) {
  expectGradientsMatch([](CaseBuilder &c) {
    Value *x = c.distinct({1, 2, 4, 5});
    Value *m = c.maxPool2d(x, {{2, 2}, {1, 2}, {1, 0, 0, 1}, false});
    Value *a = c.avgPool2d(c.mul(x, x), {{2, 3}, {2, 1}, {0, 1, 1, 1}, true});
    Value *loss = c.add(c.reduceSum(c.mul(m, m), std::nullopt),
                        c.reduceSum(c.mul(a, a), std::nullopt));
    Value *table = c.uniform({4, 3});
    Value *rows = c.gather(table, c.ints(DType::I64, {3}, {1, 3, 1}));
    loss = c.add(loss, c.reduceSum(c.mul(rows, rows), std::nullopt));
    auto grads = appendGradients(c.graph(), loss, {x, table});
    return c.concat({c.reshape(grads[0], {-1}), c.reshape(grads[1], {-1})}, 0);
  });
}

} // namespace
