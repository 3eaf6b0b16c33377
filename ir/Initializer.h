//===- Initializer.h - Deterministic initial values of parameters ---------===//
//
// A parameter's initial value may be given as a recipe (Glorot, He, uniform,
// normal, constant) with a seed instead of literal bytes. The recipe gives the
// same bits on every machine: values come from a counter-based generator
// (SplitMix64 of seed and element index) and are computed in double, then
// rounded to the parameter's dtype.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Tensor.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace adjoint {

/// A recipe for a parameter's initial value.
struct InitSpec {
  enum class Kind {
    Zeros,
    Ones,
    Constant,      ///< every element = value
    Uniform,       ///< U(low, high)
    Normal,        ///< N(mean, stddev^2)
    GlorotUniform, ///< U(-a, a), a = sqrt(6 / (fan_in + fan_out))
    GlorotNormal,  ///< N(0, 2 / (fan_in + fan_out))
    HeUniform,     ///< U(-a, a), a = sqrt(6 / fan_in)
    HeNormal,      ///< N(0, 2 / fan_in)
  };
  Kind kind = Kind::Zeros;
  uint64_t seed = 0;
  double value = 0, low = 0, high = 1, mean = 0, stddev = 1;

  bool operator==(const InitSpec &) const = default;
};

/// The text name of a kind: zeros, ones, constant, uniform, normal,
/// glorot_uniform, glorot_normal, he_uniform, he_normal.
std::string_view initKindName(InitSpec::Kind kind);
std::optional<InitSpec::Kind> parseInitKind(std::string_view name);

/// Fan-in and fan-out of a weight of `shape`: [in, out] for a matrix (the
/// x @ W convention); for a convolution kernel [O, I/groups, kH, kW],
/// fan-in (I/groups)*kH*kW and fan-out O*kH*kW; n and n for a vector.
std::pair<double, double> fans(const Shape &shape);

/// Materializes `spec` for a tensor of `type` (a float type for the random
/// kinds; BadInput otherwise).
Tensor materialize(const InitSpec &spec, const TensorType &type);

} // namespace adjoint
