//===- JitTestUtil.h - Helpers for JIT-vs-interpreter tests ---------------===//
#pragma once

#include "ir/Graph.h"
#include "ir/Tensor.h"

#include <cstdint>
#include <map>
#include <random>
#include <string>

namespace adjoint::testing {

/// Random data of `type`: floats U(lo, hi), integers in [lo, hi], bools fair.
Tensor uniformTensor(const TensorType &type, std::mt19937_64 &rng,
                     double lo = -2, double hi = 2);

/// Random values for every input of `g`.
std::map<std::string, Tensor> uniformInputs(const Graph &g, uint64_t seed,
                                            double lo = -2, double hi = 2);

/// Empty if `got` matches `want`: same type; integers and bools equal;
/// floats within rtol*|want| + atol (NaN matches NaN, infinities must be
/// equal). Otherwise a description of the first mismatch.
std::string compareTensors(const Tensor &got, const Tensor &want, double rtol,
                           double atol);

/// Tolerances for JIT vs interpreter: 1e-5 relative in f32, 1e-12 in f64.
double relTolerance(DType t);

} // namespace adjoint::testing
