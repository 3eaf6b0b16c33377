//===- GradCheck.cpp - Gradients against finite differences ---------------===//
#include "GradCheck.h"

#include "compiler/Executable.h"
#include "compiler/autodiff/Grad.h"
#include "ir/GraphCopy.h"
#include "ir/Interpreter.h"
#include "ir/Verifier.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace adjoint::testing {

Tensor uniformTensor(Rng &rng, const TensorType &type, double lo, double hi) {
  Tensor t(type);
  for (int64_t i = 0; i < t.numElements(); ++i)
    t.setElementFromDouble(i, lo + (hi - lo) * rng.unit());
  return t;
}

Tensor vec(std::vector<double> v) {
  return Tensor::fromDoubles(DType::F64, {(int64_t)v.size()}, v);
}

std::vector<double> values(const Tensor &t) {
  std::vector<double> out;
  for (int64_t i = 0; i < t.numElements(); ++i)
    out.push_back(t.elementAsDouble(i));
  return out;
}

std::map<std::string, Tensor> runBoth(const Graph &g,
                                      const std::map<std::string, Tensor> &in) {
  verify(g);
  auto want = interpret(g, in);
  auto got = compile(g, singleThread())->run(in);
  for (const auto &[name, t] : want) {
    std::vector<double> a = values(got.at(name)), b = values(t);
    EXPECT_EQ(a.size(), b.size()) << name;
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
      if (!(std::isnan(a[i]) && std::isnan(b[i])))
        EXPECT_NEAR(a[i], b[i], 1e-12 * (1 + std::fabs(b[i])))
            << name << "[" << i << "]";
  }
  return want;
}

void expectValues(const Tensor &t, std::vector<double> want, double tol) {
  std::vector<double> got = values(t);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(got[i], want[i], tol * (1 + std::fabs(want[i])))
        << "[" << i << "]";
}

Value *CaseBuilder::addData(Tensor t) {
  std::string name = "in" + std::to_string(data_.size());
  Value *v = input(name, t.type());
  if (isFloat(t.dtype()))
    floats_.push_back(v);
  data_.emplace(name, std::move(t));
  return v;
}

Value *CaseBuilder::uniform(Shape s, double lo, double hi) {
  return addData(uniformTensor(rng_, {DType::F64, std::move(s)}, lo, hi));
}

Value *CaseBuilder::awayFromZero(Shape s, double lo, double hi) {
  Tensor t = uniformTensor(rng_, {DType::F64, std::move(s)}, lo, hi);
  for (int64_t i = 0; i < t.numElements(); ++i)
    if (rng_.chance(1, 2))
      t.setElementFromDouble(i, -t.elementAsDouble(i));
  return addData(std::move(t));
}

Value *CaseBuilder::distinct(Shape s) {
  Tensor t({DType::F64, std::move(s)});
  int64_t n = t.numElements();
  std::vector<int64_t> order(n);
  for (int64_t i = 0; i < n; ++i)
    order[i] = i;
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(order[i], order[rng_.range(0, i)]);
  for (int64_t i = 0; i < n; ++i)
    t.setElementFromDouble(i, 0.1 * ((double)order[i] - (double)n / 2) +
                                  0.04 * rng_.unit());
  return addData(std::move(t));
}

Value *CaseBuilder::grid(Shape s, double offset) {
  Tensor t({DType::F64, std::move(s)});
  for (int64_t i = 0; i < t.numElements(); ++i)
    t.setElementFromDouble(i, 0.1 * (double)rng_.range(-20, 20) + offset);
  return addData(std::move(t));
}

Value *CaseBuilder::coins(Shape s) {
  Tensor t({DType::Bool, std::move(s)});
  for (int64_t i = 0; i < t.numElements(); ++i)
    t.setElementFromDouble(i, rng_.chance(1, 2));
  return addData(std::move(t));
}

Value *CaseBuilder::ints(DType type, Shape s, std::vector<double> values) {
  return addData(Tensor::fromDoubles(type, std::move(s), values));
}

namespace {

double lossOf(const Graph &forward, const std::map<std::string, Tensor> &in) {
  return interpret(forward, in).at("loss").elementAsDouble(0);
}

/// Compares one computed gradient with the differences; stops reporting an
/// input after a few mismatches.
void compare(const std::string &what, const Tensor &got,
             const std::vector<double> &numeric, double scale,
             const GradCheckOptions &opts) {
  int reported = 0;
  for (int64_t k = 0; k < got.numElements() && reported < 3; ++k) {
    double a = got.elementAsDouble(k), n = numeric[k];
    double tol =
        opts.rtol * std::max(std::fabs(a), std::fabs(n)) + opts.atol * scale;
    if (!(std::fabs(a - n) <= tol)) {
      ++reported;
      ADD_FAILURE() << what << " element " << k << ": analytic " << a
                    << ", finite difference " << n << " (tolerance " << tol
                    << ")";
    }
  }
}

} // namespace

void expectGradientsMatch(const CaseFn &build, const GradCheckOptions &opts) {
  Graph g("check");
  CaseBuilder b(g, opts.seed);
  Value *y = build(b);
  ASSERT_EQ(y->type().dtype, DType::F64) << "a check must compute f64";
  Tensor r = uniformTensor(b.rng(), y->type(), -1, 1);
  Value *loss = b.reduceSum(b.mul(y, b.constant(r)), std::nullopt);
  b.output("y", y);
  b.output("loss", loss);
  Graph forward = copyGraph(g);

  const std::vector<Value *> &wrt = b.floatInputs();
  ASSERT_FALSE(wrt.empty()) << "a check needs an f64 input";
  std::vector<Value *> grads = appendGradients(g, loss, wrt);
  for (size_t i = 0; i < wrt.size(); ++i)
    g.addOutput("grad." + wrt[i]->name(), grads[i]);
  verify(g);

  std::map<std::string, Tensor> interpreted = interpret(g, b.data());
  std::map<std::string, Tensor> compiled;
  if (opts.jit)
    compiled = compile(g, singleThread())->run(b.data());
  const Tensor &yValue = interpreted.at("y");
  double scale = 1;
  for (int64_t k = 0; k < yValue.numElements(); ++k)
    scale += std::fabs(yValue.elementAsDouble(k) * r.elementAsDouble(k));

  for (Value *v : wrt) {
    std::map<std::string, Tensor> in = b.data();
    Tensor x = in.at(v->name()).clone();
    in[v->name()] = x;
    std::vector<double> numeric(x.numElements());
    for (int64_t k = 0; k < x.numElements(); ++k) {
      double x0 = x.elementAsDouble(k);
      double h = opts.step * std::max(1.0, std::fabs(x0));
      double above = x0 + h, below = x0 - h;
      x.setElementFromDouble(k, above);
      double up = lossOf(forward, in);
      x.setElementFromDouble(k, below);
      double down = lossOf(forward, in);
      x.setElementFromDouble(k, x0);
      numeric[k] = (up - down) / (above - below);
    }
    std::string name = "grad." + v->name();
    compare("interpreter " + name, interpreted.at(name), numeric, scale, opts);
    if (opts.jit)
      compare("jit " + name, compiled.at(name), numeric, scale, opts);
  }
}

} // namespace adjoint::testing
