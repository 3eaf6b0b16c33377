//===- Random.h - The counter-based generator of dropout ------------------===//
//
// Dropout draws one number per element with no state: a counter-based
// generator in the spirit of Philox (Salmon et al., "Parallel random
// numbers: as easy as 1, 2, 3"), here SplitMix64's finalizer applied to the
// element's index under a key made of the seed and the step. Any element's
// number is computed directly, in any order and on any thread, so the
// interpreter and compiled code draw the same mask, a step is reproducible
// from (seed, step), and the gradient, which draws again with the same
// operands, applies the forward pass's mask without storing it.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>

namespace adjoint {

inline constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ull;
inline constexpr uint64_t kMix1 = 0xBF58476D1CE4E5B9ull;
inline constexpr uint64_t kMix2 = 0x94D049BB133111EBull;

/// SplitMix64's finalizer: a bijection of 64-bit words that mixes every bit.
inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * kMix1;
  z = (z ^ (z >> 27)) * kMix2;
  return z ^ (z >> 31);
}

/// The key of one (seed, step): every step of a seed draws its own stream.
inline uint64_t dropoutKey(uint64_t seed, int64_t step) {
  return mix64(seed * kGolden + (uint64_t)step);
}

/// The 24-bit number of element `index` under `key`, uniform in [0, 2^24).
inline uint64_t dropoutDraw(uint64_t key, int64_t index) {
  return mix64(key + (uint64_t)index * kGolden) >> 40;
}

/// Elements whose draw is below this are dropped: floor(rate * 2^24).
inline uint64_t dropoutThreshold(double rate) {
  return (uint64_t)(rate * 16777216.0);
}

} // namespace adjoint
