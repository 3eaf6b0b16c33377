//===- GradCheck.h - Gradients against finite differences ------*- C++ -*-===//
//
// A gradient check builds a small f64 graph y = f(inputs), takes the loss
// sum(y * r) for fixed random weights r, appends its gradients with respect
// to every f64 input, runs them on the interpreter and the JIT, and compares
// each element with a central difference (f(x+h) - f(x-h)) / 2h.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "compiler/Executable.h"
#include "ir/Builder.h"
#include "ir/Error.h"
#include "tests/support/RandomTensor.h"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace adjoint::testing {

/// A Builder that also makes the inputs of a check, each with its data.
/// Float inputs are f64 and are the values differentiated with respect to.
class CaseBuilder : public Builder {
public:
  CaseBuilder(Graph &g, uint64_t seed) : Builder(g), rng_(seed) {}

  /// Uniform in [lo, hi).
  Value *uniform(Shape s, double lo = -2, double hi = 2);
  /// Magnitudes uniform in [lo, hi], random signs: clear of 0, where relu,
  /// abs and sign have kinks.
  Value *awayFromZero(Shape s, double lo = 0.2, double hi = 2);
  /// Distinct values at least 0.05 apart, in random order: no ties for
  /// max reductions and max pooling.
  Value *distinct(Shape s);
  /// Multiples of 0.1 in [-2, 2] plus `offset`: two grids with offsets 0
  /// and 0.05 never tie (for maximum and minimum).
  Value *grid(Shape s, double offset);
  /// Fair coins.
  Value *coins(Shape s);
  /// An integer input (not differentiated) holding `values`.
  Value *ints(DType t, Shape s, std::vector<double> values);

  const std::map<std::string, Tensor> &data() const { return data_; }
  const std::vector<Value *> &floatInputs() const { return floats_; }
  Rng &rng() { return rng_; }

private:
  Value *addData(Tensor t);
  Rng rng_;
  std::map<std::string, Tensor> data_;
  std::vector<Value *> floats_;
};

/// Builds the function to check, returning its f64 result.
using CaseFn = std::function<Value *(CaseBuilder &)>;

struct GradCheckOptions {
  uint64_t seed = 1;
  /// The difference step is step * max(1, |x|).
  double step = 1e-6;
  /// Accepted: |analytic - numeric| <= rtol * max(|a|, |n|) + atol * scale,
  /// with scale = 1 + sum |y * r| (the size of what the loss adds up, which
  /// bounds the rounding error of the difference quotient).
  double rtol = 1e-6;
  double atol = 1e-8;
  /// Also run the gradient graph compiled by the JIT.
  bool jit = true;
};

/// Checks the gradients of `build` (gtest failures name input and element).
void expectGradientsMatch(const CaseFn &build,
                          const GradCheckOptions &opts = {});

/// Compile options for tests: one thread (the machine is shared).
inline CompileOptions singleThread() {
  CompileOptions o;
  o.threads = 1;
  return o;
}

/// An f64 type.
inline TensorType f64(Shape s) { return {DType::F64, std::move(s)}; }
/// A 1-D f64 tensor.
Tensor vec(std::vector<double> v);
/// The elements of `t` as doubles.
std::vector<double> values(const Tensor &t);
/// sum(v) over all axes.
inline Value *sumOf(Builder &b, Value *v) {
  return b.reduceSum(v, std::nullopt);
}
/// Runs `g` on the interpreter and the JIT; expects them to agree (1e-12
/// relative) and returns the interpreter's outputs.
std::map<std::string, Tensor> runBoth(const Graph &g,
                                      const std::map<std::string, Tensor> &in);
/// Expects the elements of `t` to be `want`, to `tol` relative.
void expectValues(const Tensor &t, std::vector<double> want,
                  double tol = 1e-12);

/// The message of the Error that `build()` throws, or "no error".
template <typename F> std::string errorMessage(F build) {
  try {
    build();
  } catch (const Error &e) {
    return e.what();
  }
  return "no error";
}

/// Fills `t` with uniform values in [lo, hi).
Tensor uniformTensor(Rng &rng, const TensorType &type, double lo, double hi);

} // namespace adjoint::testing
