//===- RandomTensor.h - Random numbers and tensors for tests --*- C++ -*-===//
//
// A portable random generator and random tensors, for the random models of
// RandomGraph.h and for feeding their inputs in property tests.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Graph.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace adjoint::testing {

/// SplitMix64: tiny, and the same sequence on every machine (unlike the
/// standard distributions, whose algorithms differ between libraries).
class Rng {
public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t x = (state_ += 0x9e3779b97f4a7c15ull);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
  }
  /// Uniform in [lo, hi] (the tiny modulo bias does not matter here).
  int64_t range(int64_t lo, int64_t hi) {
    return lo + (int64_t)(next() % (uint64_t)(hi - lo + 1));
  }
  /// True with probability num/den.
  bool chance(int num, int den) { return range(1, den) <= num; }
  /// Uniform in [0, 1).
  double unit() { return (double)(next() >> 11) * 0x1.0p-53; }
  template <typename T> const T &pick(const std::vector<T> &v) {
    return v[(size_t)range(0, (int64_t)v.size() - 1)];
  }

private:
  uint64_t state_;
};

/// A tensor of `type` with random elements. Floats are quarters in [-3, 3]
/// or uniform in [-3, 3); integers are in [-5, 5] ([0, 9] for u8); bools are
/// fair coins. With `specials`, about one element in 15 is instead a special
/// value: for floats NaN (either sign), infinities, -0.0, subnormals, the
/// extremes, or random bits (so NaN payloads too); for integers the dtype's
/// lowest or highest value.
Tensor randomTensor(Rng &rng, const TensorType &type, bool specials = true);

/// The inputs of `g` that a one_hot node reads, with the fewest classes any
/// of them has: random data for them must lie in [0, classes).
std::map<const Value *, int64_t> classInputs(const Graph &g);

/// A random tensor for every input of `g`, by name, a pure function of
/// `seed`. An integer input that a one_hot node reads holds classes of it,
/// in [0, depth).
std::map<std::string, Tensor> randomInputs(const Graph &g, uint64_t seed,
                                           bool specials = true);

} // namespace adjoint::testing
