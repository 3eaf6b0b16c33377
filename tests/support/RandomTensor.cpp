//===- RandomTensor.cpp - Random numbers and tensors for tests ------------===//
#include "tests/support/RandomTensor.h"

#include <bit>
#include <limits>
#include <type_traits>

namespace adjoint::testing {

namespace {

template <typename T>
void fillFloats(Rng &rng, T *p, int64_t n, bool specials) {
  using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  using L = std::numeric_limits<T>;
  const std::vector<T> kSpecials = {
      L::quiet_NaN(), -L::quiet_NaN(), L::infinity(), -L::infinity(),
      (T)-0.0,        L::denorm_min(), L::max(),      L::lowest(),
      L::min(),       (T)0.1,          (T)1e-30,      (T)123456.75};
  for (int64_t i = 0; i < n; ++i) {
    int kind = (int)rng.range(specials ? 0 : 2, 29);
    if (kind == 0)
      p[i] = rng.pick(kSpecials);
    else if (kind == 1)
      p[i] = std::bit_cast<T>((Bits)rng.next());
    else if (kind < 10)
      p[i] = (T)(rng.range(-12, 12) / 4.0);
    else
      p[i] = (T)(rng.unit() * 6 - 3);
  }
}

template <typename T> void fillInts(Rng &rng, T *p, int64_t n, bool specials) {
  using L = std::numeric_limits<T>;
  for (int64_t i = 0; i < n; ++i)
    p[i] = specials && rng.chance(1, 20)
               ? (rng.chance(1, 2) ? L::min() : L::max())
           : std::is_signed_v<T> ? (T)rng.range(-5, 5)
                                 : (T)rng.range(0, 9);
}

} // namespace

Tensor randomTensor(Rng &rng, const TensorType &type, bool specials) {
  Tensor t(type);
  int64_t n = t.numElements();
  visitDType(type.dtype, [&](auto tag) {
    using T = decltype(tag);
    T *p = t.data<T>();
    if constexpr (std::is_same_v<T, bool>) {
      for (int64_t i = 0; i < n; ++i)
        p[i] = rng.chance(1, 2);
    } else if constexpr (std::is_floating_point_v<T>) {
      fillFloats(rng, p, n, specials);
    } else {
      fillInts(rng, p, n, specials);
    }
  });
  return t;
}

std::map<const Value *, int64_t> classInputs(const Graph &g) {
  std::map<const Value *, int64_t> classes;
  for (const auto &n : g.nodes())
    if (n->op() == OpKind::OneHot &&
        n->operand(0)->kind() == ValueKind::Input) {
      int64_t depth = n->result()->type().shape.back();
      auto [it, fresh] = classes.emplace(n->operand(0), depth);
      if (!fresh)
        it->second = std::min(it->second, depth);
    }
  return classes;
}

std::map<std::string, Tensor> randomInputs(const Graph &g, uint64_t seed,
                                           bool specials) {
  // Inputs that one_hot reads are classes: valid ones, in [0, depth).
  std::map<const Value *, int64_t> classes = classInputs(g);
  Rng rng(seed);
  std::map<std::string, Tensor> inputs;
  for (const Value *v : g.inputs()) {
    Tensor t = randomTensor(rng, v->type(), specials);
    if (auto it = classes.find(v); it != classes.end())
      for (int64_t i = 0; i < t.numElements(); ++i)
        t.setElementFromDouble(i, (double)rng.range(0, it->second - 1));
    inputs[v->name()] = t;
  }
  return inputs;
}

} // namespace adjoint::testing
