//===- GradientOpsTest.cpp - Each gradient op is its forward op's adjoint -===//
//
// For random x, w, dy in f64, through the interpreter:
//   <dy, conv2d(x, w)> = <conv2d_input_grad(dy, w), x>
//                      = <conv2d_weight_grad(x, dy), w>,
//   <dy, avg_pool2d(x)> = <avg_pool2d_grad(dy), x>,
//   <u, gather(d, i)>   = <scatter_add(i, u), d>,
// and max_pool2d_grad(x, dy) is the gradient of <dy, max_pool2d(x)>: it
// routes dy so that the inner products agree, and matches central finite
// differences along random directions.
//
//===----------------------------------------------------------------------===//
#include "ir/Builder.h"
#include "ir/Interpreter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace adjoint;

namespace {

TensorType f64(Shape s) { return {DType::F64, std::move(s)}; }

Tensor randomTensor(const Shape &s, std::mt19937_64 &rng) {
  std::uniform_real_distribution<double> dist(-1, 1);
  Tensor t(f64(s));
  for (double &v : t.span<double>())
    v = dist(rng);
  return t;
}

/// sum(a * b) as a node.
Value *inner(Builder &b, Value *x, Value *y) {
  return b.reduceSum(b.mul(x, y), std::nullopt);
}

/// Interprets `g` and returns its scalar outputs by name.
std::map<std::string, double> run(const Graph &g,
                                  const std::map<std::string, Tensor> &in) {
  std::map<std::string, double> out;
  for (const auto &[name, t] : interpret(g, in))
    out[name] = t.elementAsDouble(0);
  return out;
}

void expectClose(double got, double want, const std::string &what) {
  EXPECT_NEAR(got, want, 1e-10 * std::max(1.0, std::fabs(want))) << what;
}

struct ConvCase {
  std::string name;
  Shape x, w;
  Conv2DOptions opts;
};

TEST(GradientOps, ConvGradientsAreAdjointToConv2d) {
  std::vector<ConvCase> cases = {
      {"plain", {2, 3, 7, 6}, {4, 3, 3, 3}, {}},
      {"padded", {1, 2, 5, 6}, {3, 2, 3, 2}, {{1, 1}, {2, 0, 1, 3}, {1, 1}, 1}},
      // Stride 3 over 8 leaves rows no window reads.
      {"strided",
       {2, 2, 8, 8},
       {2, 2, 2, 2},
       {{3, 3}, {0, 0, 0, 0}, {1, 1}, 1}},
      {"dilated",
       {1, 2, 9, 9},
       {2, 2, 3, 3},
       {{1, 2}, {1, 1, 1, 1}, {2, 3}, 1}},
      {"groups", {2, 6, 5, 5}, {4, 3, 3, 3}, {{1, 1}, {1, 1, 1, 1}, {1, 1}, 2}},
      {"depthwise",
       {1, 4, 6, 6},
       {4, 1, 3, 3},
       {{2, 1}, {1, 0, 0, 1}, {1, 1}, 4}},
      {"1x1", {3, 5, 4, 4}, {2, 5, 1, 1}, {}},
  };
  std::mt19937_64 rng(1);
  for (const ConvCase &c : cases) {
    Graph g("conv_" + c.name);
    Builder b(g);
    Value *x = b.input("x", f64(c.x));
    Value *w = b.input("w", f64(c.w));
    Value *y = b.conv2d(x, w, c.opts);
    Value *dy = b.input("dy", y->type());
    b.output("forward", inner(b, dy, y));
    b.output("input", inner(b, b.conv2dInputGrad(dy, w, c.x, c.opts), x));
    b.output("weight",
             inner(b, b.conv2dWeightGrad(x, dy, {c.w[2], c.w[3]}, c.opts), w));
    std::map<std::string, Tensor> in = {
        {"x", randomTensor(c.x, rng)},
        {"w", randomTensor(c.w, rng)},
        {"dy", randomTensor(y->type().shape, rng)}};
    auto r = run(g, in);
    expectClose(r.at("input"), r.at("forward"), c.name + ": input gradient");
    expectClose(r.at("weight"), r.at("forward"), c.name + ": weight gradient");
  }
}

Pool2DOptions poolOptions(std::vector<int64_t> kernel,
                          std::vector<int64_t> strides,
                          std::vector<int64_t> pads, bool countPad = false) {
  Pool2DOptions o;
  o.kernel = std::move(kernel);
  o.strides = std::move(strides);
  o.pads = std::move(pads);
  o.countIncludePad = countPad;
  return o;
}

/// Overlapping, disjoint, padded and strided windows.
std::vector<Pool2DOptions> poolCases() {
  return {poolOptions({2, 2}, {2, 2}, {0, 0, 0, 0}),
          poolOptions({3, 3}, {1, 1}, {1, 1, 1, 1}),
          poolOptions({3, 2}, {2, 1}, {1, 0, 2, 1}),
          poolOptions({2, 3}, {3, 2}, {0, 2, 1, 0})};
}

TEST(GradientOps, AvgPoolGradientIsAdjointToAvgPool) {
  std::mt19937_64 rng(2);
  Shape xs = {2, 3, 8, 7};
  for (bool countPad : {false, true})
    for (Pool2DOptions o : poolCases()) {
      o.countIncludePad = countPad;
      Graph g("avg");
      Builder b(g);
      Value *x = b.input("x", f64(xs));
      Value *y = b.avgPool2d(x, o);
      Value *dy = b.input("dy", y->type());
      b.output("forward", inner(b, dy, y));
      b.output("gradient", inner(b, b.avgPool2dGrad(dy, xs, o), x));
      auto r = run(g, {{"x", randomTensor(xs, rng)},
                       {"dy", randomTensor(y->type().shape, rng)}});
      expectClose(r.at("gradient"), r.at("forward"),
                  "kernel " + shapeStr(o.kernel) + " pads " + shapeStr(o.pads) +
                      (countPad ? " count_include_pad" : ""));
    }
}

TEST(GradientOps, MaxPoolGradientIsTheGradientOfMaxPool) {
  std::mt19937_64 rng(3);
  Shape xs = {2, 3, 8, 7};
  for (const Pool2DOptions &o : poolCases()) {
    std::string what =
        "kernel " + shapeStr(o.kernel) + " pads " + shapeStr(o.pads);
    Graph g("max");
    Builder b(g);
    Value *x = b.input("x", f64(xs));
    Value *y = b.maxPool2d(x, o);
    Value *dy = b.input("dy", y->type());
    Value *e = b.input("e", x->type());
    b.output("forward", inner(b, dy, y));
    Value *dx = b.maxPool2dGrad(x, dy, o);
    b.output("routed", inner(b, dx, x));
    b.output("directional", inner(b, dx, e));
    Tensor xv = randomTensor(xs, rng), dyv = randomTensor(y->type().shape, rng),
           ev = randomTensor(xs, rng);
    auto r = run(g, {{"x", xv}, {"dy", dyv}, {"e", ev}});
    // Each window's dy goes to the element that is its maximum.
    expectClose(r.at("routed"), r.at("forward"), what + ": routing");
    // (f(x + h e) - f(x - h e)) / 2h for f = <dy, max_pool2d(x)>, which is
    // linear near x (no ties among random values), so exact up to rounding.
    double h = 1e-6;
    auto shifted = [&](double sign) {
      Tensor moved = xv.clone();
      for (int64_t i = 0; i < moved.numElements(); ++i)
        moved.data<double>()[i] += sign * h * ev.data<double>()[i];
      return run(g, {{"x", moved}, {"dy", dyv}, {"e", ev}}).at("forward");
    };
    double fd = (shifted(1) - shifted(-1)) / (2 * h);
    EXPECT_NEAR(fd, r.at("directional"), 1e-6 * std::max(1.0, std::fabs(fd)))
        << what << ": finite differences";
  }
}

TEST(GradientOps, ScatterAddIsAdjointToGather) {
  std::mt19937_64 rng(4);
  struct Case {
    Shape data, indices;
    std::vector<double> index;
    int64_t axis;
  };
  // Duplicate and negative indices, every position of the axis, and an
  // index tensor of rank 0 and 2.
  std::vector<Case> cases = {
      {{5, 3}, {6}, {0, 4, -1, 2, 0, 0}, 0},
      {{2, 4, 3}, {2, 2}, {1, -3, 3, 1}, 1},
      {{3, 4}, {5}, {3, 3, -4, 0, 2}, -1},
      {{4, 2}, {}, {-2}, 0},
  };
  for (const Case &c : cases) {
    Graph g("scatter");
    Builder b(g);
    Value *d = b.input("d", f64(c.data));
    Value *i = b.constant(Tensor::fromDoubles(DType::I64, c.indices, c.index));
    Value *picked = b.gather(d, i, c.axis);
    Value *u = b.input("u", picked->type());
    b.output("forward", inner(b, u, picked));
    b.output("gradient", inner(b, b.scatterAdd(i, u, c.data, c.axis), d));
    auto r = run(g, {{"d", randomTensor(c.data, rng)},
                     {"u", randomTensor(picked->type().shape, rng)}});
    expectClose(r.at("gradient"), r.at("forward"),
                "data " + shapeStr(c.data) + " axis " + std::to_string(c.axis));
  }
}

} // namespace
