//===- JitTestUtil.cpp - Helpers for JIT-vs-interpreter tests -------------===//
#include "JitTestUtil.h"

#include "tests/support/RandomTensor.h"

#include <cmath>
#include <sstream>

namespace adjoint::testing {

Tensor uniformTensor(const TensorType &type, std::mt19937_64 &rng, double lo,
                     double hi) {
  Tensor t(type);
  std::uniform_real_distribution<double> real(lo, hi);
  std::uniform_int_distribution<int64_t> integer((int64_t)lo, (int64_t)hi);
  for (int64_t i = 0; i < t.numElements(); ++i) {
    double v = isFloat(type.dtype)         ? real(rng)
               : type.dtype == DType::Bool ? (double)(rng() & 1)
                                           : (double)integer(rng);
    t.setElementFromDouble(i, v);
  }
  return t;
}

std::map<std::string, Tensor> uniformInputs(const Graph &g, uint64_t seed,
                                            double lo, double hi) {
  std::mt19937_64 rng(seed);
  std::map<std::string, Tensor> inputs;
  std::map<const Value *, int64_t> classes = testing::classInputs(g);
  for (const Value *v : g.inputs()) {
    Tensor t = uniformTensor(v->type(), rng, lo, hi);
    if (auto it = classes.find(v); it != classes.end())
      for (int64_t i = 0; i < t.numElements(); ++i)
        t.setElementFromDouble(i, (double)(rng() % (uint64_t)it->second));
    inputs.emplace(v->name(), t);
  }
  return inputs;
}

double relTolerance(DType t) { return t == DType::F64 ? 1e-12 : 1e-5; }

std::string compareTensors(const Tensor &got, const Tensor &want, double rtol,
                           double atol) {
  if (got.type() != want.type())
    return "type " + typeStr(got.type()) + " differs from " +
           typeStr(want.type());
  for (int64_t i = 0; i < want.numElements(); ++i) {
    double g = got.elementAsDouble(i), w = want.elementAsDouble(i);
    bool ok;
    if (!isFloat(want.dtype()))
      ok = g == w;
    else if (std::isnan(w) || std::isnan(g))
      ok = std::isnan(w) && std::isnan(g);
    else if (std::isinf(w) || std::isinf(g))
      ok = g == w;
    else
      ok = std::fabs(g - w) <= rtol * std::fabs(w) + atol;
    if (!ok) {
      std::ostringstream os;
      os.precision(17);
      os << "element " << i << " of " << typeStr(want.type()) << ": got " << g
         << ", want " << w;
      return os.str();
    }
  }
  return "";
}

} // namespace adjoint::testing
