//===- Initializer.cpp - Deterministic initial values of parameters -------===//
#include "ir/Initializer.h"

#include "ir/Error.h"

#include <cmath>
#include <numbers>

namespace adjoint {

namespace {

constexpr std::pair<InitSpec::Kind, std::string_view> kNames[] = {
    {InitSpec::Kind::Zeros, "zeros"},
    {InitSpec::Kind::Ones, "ones"},
    {InitSpec::Kind::Constant, "constant"},
    {InitSpec::Kind::Uniform, "uniform"},
    {InitSpec::Kind::Normal, "normal"},
    {InitSpec::Kind::GlorotUniform, "glorot_uniform"},
    {InitSpec::Kind::GlorotNormal, "glorot_normal"},
    {InitSpec::Kind::HeUniform, "he_uniform"},
    {InitSpec::Kind::HeNormal, "he_normal"},
};

uint64_t splitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/// Uniform in [0, 1) with 53 random bits, from stream `seed`, draw `i`.
double uniform01(uint64_t seed, uint64_t i) {
  uint64_t bits = splitMix64(splitMix64(seed) ^ (i * 0xd1b54a32d192ed03ull));
  return (double)(bits >> 11) * 0x1.0p-53;
}

/// Standard normal by Box-Muller from two uniform draws.
double standardNormal(uint64_t seed, uint64_t i) {
  double u1 = 1.0 - uniform01(seed, 2 * i); // in (0, 1]
  double u2 = uniform01(seed, 2 * i + 1);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
}

} // namespace

std::string_view initKindName(InitSpec::Kind kind) {
  for (auto &[k, name] : kNames)
    if (k == kind)
      return name;
  return "?";
}

std::optional<InitSpec::Kind> parseInitKind(std::string_view name) {
  for (auto &[k, n] : kNames)
    if (n == name)
      return k;
  return std::nullopt;
}

std::pair<double, double> fans(const Shape &shape) {
  if (shape.empty())
    return {1, 1};
  if (shape.size() == 1)
    return {(double)shape[0], (double)shape[0]};
  if (shape.size() == 2)
    return {(double)shape[0], (double)shape[1]};
  double receptive = 1;
  for (size_t i = 2; i < shape.size(); ++i)
    receptive *= (double)shape[i];
  return {(double)shape[1] * receptive, (double)shape[0] * receptive};
}

Tensor materialize(const InitSpec &spec, const TensorType &type) {
  using K = InitSpec::Kind;
  bool random =
      spec.kind != K::Zeros && spec.kind != K::Ones && spec.kind != K::Constant;
  if (random && !isFloat(type.dtype))
    badInput("initializer ", initKindName(spec.kind),
             " needs a float type, not ", typeStr(type));
  Tensor t(type);
  int64_t n = t.numElements();
  auto [fanIn, fanOut] = fans(type.shape);
  for (int64_t i = 0; i < n; ++i) {
    double v = 0;
    switch (spec.kind) {
    case K::Zeros:
      v = 0;
      break;
    case K::Ones:
      v = 1;
      break;
    case K::Constant:
      v = spec.value;
      break;
    case K::Uniform:
      v = spec.low + (spec.high - spec.low) * uniform01(spec.seed, i);
      break;
    case K::Normal:
      v = spec.mean + spec.stddev * standardNormal(spec.seed, i);
      break;
    case K::GlorotUniform: {
      double a = std::sqrt(6.0 / (fanIn + fanOut));
      v = -a + 2 * a * uniform01(spec.seed, i);
      break;
    }
    case K::GlorotNormal:
      v = std::sqrt(2.0 / (fanIn + fanOut)) * standardNormal(spec.seed, i);
      break;
    case K::HeUniform: {
      double a = std::sqrt(6.0 / fanIn);
      v = -a + 2 * a * uniform01(spec.seed, i);
      break;
    }
    case K::HeNormal:
      v = std::sqrt(2.0 / fanIn) * standardNormal(spec.seed, i);
      break;
    }
    t.setElementFromDouble(i, v);
  }
  return t;
}

} // namespace adjoint
