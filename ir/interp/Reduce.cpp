//===- Reduce.cpp - Reduction kernels
//--------------------------------------===//
//
// Floating sums accumulate in f64 and round once to the result dtype;
// integer sums accumulate in their own dtype and wrap. max and min propagate
// NaN. An empty reduction gives the identity: +0, -inf or the lowest value,
// +inf or the highest value. Means divide the f64 sum by the count before
// rounding; an empty mean is NaN.
//
//===----------------------------------------------------------------------===//
#include "ir/interp/Kernels.h"

#include <algorithm>

namespace adjoint::interp {

namespace {

/// Folds every element of `x` into the accumulator of its output element
/// with `combine(acc, value)`, starting from `init`, and rounds each
/// accumulator to the result dtype. Acc<T> is the accumulator type.
/// Float accumulators are divided by `divisor` (1 but for means) before the
/// conversion.
template <template <typename> class Acc, typename Init, typename Combine>
Tensor reduce(const Tensor &x, const std::vector<int64_t> &axes,
              const TensorType &resultType, std::string_view name, Init init,
              Combine combine, double divisor = 1.0) {
  // Offsets into the output, computed on x's indices: the output's strides
  // with keepdims, and 0 along each reduced axis.
  Shape kept = x.shape();
  for (int64_t a : axes)
    kept[a] = 1;
  std::vector<int64_t> toOut = stridesOf(kept);
  for (int64_t a : axes)
    toOut[a] = 0;

  Tensor out(resultType);
  dispatch<Types::Numeric>(x.dtype(), name, [&](auto tag) {
    using T = decltype(tag);
    using A = typename Acc<T>::type;
    std::vector<A> acc((size_t)out.numElements(), init(tag));
    const T *in = x.data<T>();
    forEachOffset<2>(x.shape(), {stridesOf(x.shape()), toOut}, {0, 0},
                     [&](const std::array<int64_t, 2> &off) {
                       acc[off[1]] = combine(acc[off[1]], in[off[0]]);
                     });
    T *o = out.data<T>();
    if constexpr (std::is_floating_point_v<A>) {
      if (divisor != 1.0) {
        for (size_t i = 0; i < acc.size(); ++i)
          o[i] = (T)(acc[i] / (A)divisor);
        return;
      }
    }
    for (size_t i = 0; i < acc.size(); ++i)
      o[i] = (T)acc[i];
  });
  return out;
}

/// Sums accumulate floats in double and integers in their own type.
template <typename T> struct SumAcc {
  using type = std::conditional_t<std::is_floating_point_v<T>, double, T>;
};
template <typename T> struct SameAcc { using type = T; };

} // namespace

Tensor reduceSum(const Tensor &x, const std::vector<int64_t> &axes,
                 const TensorType &resultType) {
  // IEEE's additive identity is -0 (-0 + x == x for every x, +0 included),
  // so a sum of negative zeros stays -0 as in numpy; an empty sum is +0.
  bool empty = false;
  for (int64_t a : axes)
    empty |= x.shape()[a] == 0;
  return reduce<SumAcc>(
      x, axes, resultType, "reduce_sum",
      [empty](auto tag) {
        using A = typename SumAcc<decltype(tag)>::type;
        return std::is_floating_point_v<A> && !empty ? A(-0.0) : A(0);
      },
      [](auto acc, auto v) { return wrapAdd(acc, (decltype(acc))v); });
}

Tensor reduceMean(const Tensor &x, const std::vector<int64_t> &axes,
                  const TensorType &resultType) {
  // The f64 sum divided by the count of reduced elements: an empty mean is
  // 0/0 = NaN, as in numpy.
  int64_t count = 1;
  for (int64_t a : axes)
    count *= x.shape()[a];
  return reduce<SumAcc>(
      x, axes, resultType, "reduce_mean",
      [](auto tag) {
        using A = typename SumAcc<decltype(tag)>::type;
        return std::is_floating_point_v<A> ? A(-0.0) : A(0);
      },
      [](auto acc, auto v) { return wrapAdd(acc, (decltype(acc))v); },
      (double)count);
}

Tensor reduceMax(const Tensor &x, const std::vector<int64_t> &axes,
                 const TensorType &resultType) {
  return reduce<SameAcc>(
      x, axes, resultType, "reduce_max",
      [](auto tag) { return lowestValue<decltype(tag)>(); },
      [](auto acc, auto v) { return maxOrderingZeros(acc, v); });
}

Tensor reduceMin(const Tensor &x, const std::vector<int64_t> &axes,
                 const TensorType &resultType) {
  return reduce<SameAcc>(
      x, axes, resultType, "reduce_min",
      [](auto tag) { return highestValue<decltype(tag)>(); },
      [](auto acc, auto v) { return minOrderingZeros(acc, v); });
}

Tensor argmax(const Tensor &x, int64_t axis, const TensorType &resultType) {
  // x is [outer, dim, inner]; the result is [outer, inner].
  int64_t outer = 1, inner = 1, dim = x.shape()[axis];
  for (int64_t d = 0; d < axis; ++d)
    outer *= x.shape()[d];
  for (size_t d = axis + 1; d < x.rank(); ++d)
    inner *= x.shape()[d];
  Tensor out(resultType);
  int64_t *o = out.data<int64_t>();
  dispatch<Types::Numeric>(x.dtype(), "argmax", [&](auto tag) {
    using T = decltype(tag);
    const T *in = x.data<T>();
    for (int64_t i = 0; i < outer; ++i) {
      for (int64_t k = 0; k < inner; ++k) {
        const T *line = in + i * dim * inner + k;
        // The first maximum wins; a NaN beats every number and the first
        // NaN wins, so the scan stops at it.
        int64_t best = 0;
        for (int64_t j = 1; j < dim && !isNaN(line[best * inner]); ++j)
          if (isNaN(line[j * inner]) || line[j * inner] > line[best * inner])
            best = j;
        o[i * inner + k] = best;
      }
    }
  });
  return out;
}

} // namespace adjoint::interp
