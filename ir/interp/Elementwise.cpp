//===- Elementwise.cpp - Unary, binary, select and cast kernels -----------===//
//
// Float functions run in the operand's own precision (std::exp on a float is
// expf); integer arithmetic wraps; comparisons follow IEEE 754.
//
//===----------------------------------------------------------------------===//
#include "ir/Random.h"
#include "ir/interp/Kernels.h"

#include "ir/ShapeInference.h"

#include <cmath>

namespace adjoint::interp {

namespace {

/// out[i] = fn(x[i]) for the dtypes in S; the result has x's type.
template <Types S, typename Fn>
Tensor mapUnary(const Tensor &x, std::string_view name, Fn fn) {
  Tensor out(x.type());
  dispatch<S>(x.dtype(), name, [&](auto tag) {
    using T = decltype(tag);
    const T *in = x.data<T>();
    T *o = out.data<T>();
    for (int64_t i = 0, n = x.numElements(); i < n; ++i)
      o[i] = fn(in[i]);
  });
  return out;
}

/// out[i] = fn(a[i], b[i]) with numpy broadcasting, for the dtypes in S. The
/// result has a's dtype, or bool when `ToBool`.
template <Types S, bool ToBool, typename Fn>
Tensor mapBinary(const Tensor &a, const Tensor &b, std::string_view name,
                 Fn fn) {
  Shape shape = broadcastShapes(a.shape(), b.shape());
  Tensor out(TensorType{ToBool ? DType::Bool : a.dtype(), shape});
  dispatch<S>(a.dtype(), name, [&](auto tag) {
    using T = decltype(tag);
    using R = std::conditional_t<ToBool, bool, T>;
    const T *pa = a.data<T>(), *pb = b.data<T>();
    R *po = out.data<R>();
    forEachOffset<3>(shape,
                     {stridesOf(shape), broadcastStrides(a.shape(), shape),
                      broadcastStrides(b.shape(), shape)},
                     {0, 0, 0}, [&](const std::array<int64_t, 3> &off) {
                       po[off[0]] = fn(pa[off[1]], pb[off[2]]);
                     });
  });
  return out;
}

} // namespace

//===----------------------------------------------------------------------===//
// Unary
//===----------------------------------------------------------------------===//

Tensor neg(const Tensor &x) {
  return mapUnary<Types::SignedNumeric>(x, "neg",
                                        [](auto v) { return wrapNeg(v); });
}

Tensor abs(const Tensor &x) {
  // abs(INT_MIN) wraps to INT_MIN; u8 is unchanged.
  return mapUnary<Types::Numeric>(x, "abs", [](auto v) {
    using T = decltype(v);
    if constexpr (std::is_floating_point_v<T>)
      return std::fabs(v);
    else if constexpr (std::is_signed_v<T>)
      return v < 0 ? wrapNeg(v) : v;
    else
      return v;
  });
}

Tensor sign(const Tensor &x) {
  // Zeros of either sign and NaN pass through unchanged.
  return mapUnary<Types::Numeric>(x, "sign", [](auto v) {
    using T = decltype(v);
    if (v > T(0))
      return T(1);
    if constexpr (std::is_signed_v<T>)
      if (v < T(0))
        return T(-1);
    return v;
  });
}

Tensor exp(const Tensor &x) {
  return mapUnary<Types::Float>(x, "exp", [](auto v) { return std::exp(v); });
}

Tensor log(const Tensor &x) {
  return mapUnary<Types::Float>(x, "log", [](auto v) { return std::log(v); });
}

Tensor sqrt(const Tensor &x) {
  return mapUnary<Types::Float>(x, "sqrt", [](auto v) { return std::sqrt(v); });
}

Tensor tanh(const Tensor &x) {
  return mapUnary<Types::Float>(x, "tanh", [](auto v) { return std::tanh(v); });
}

Tensor sigmoid(const Tensor &x) {
  // Each branch exponentiates a non-positive number, so neither overflows.
  return mapUnary<Types::Float>(x, "sigmoid", [](auto v) {
    using T = decltype(v);
    if (v >= T(0))
      return T(1) / (T(1) + std::exp(-v));
    T e = std::exp(v);
    return e / (T(1) + e);
  });
}

Tensor relu(const Tensor &x) {
  // NaN passes through; -0.0 becomes +0.0.
  return mapUnary<Types::Numeric>(x, "relu", [](auto v) {
    using T = decltype(v);
    return v > T(0) || isNaN(v) ? v : T(0);
  });
}

Tensor erf(const Tensor &x) {
  return mapUnary<Types::Float>(x, "erf", [](auto v) { return std::erf(v); });
}

Tensor dropout(const Tensor &x, int64_t step, double rate, uint64_t seed) {
  uint64_t key = dropoutKey(seed, step), threshold = dropoutThreshold(rate);
  Tensor out(x.type());
  visitDType(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      // The scale rounded to the dtype once, as compiled code has it.
      T scale = (T)(1.0 / (1.0 - rate));
      const T *in = x.data<T>();
      T *o = out.data<T>();
      for (int64_t i = 0; i < x.numElements(); ++i)
        o[i] = dropoutDraw(key, i) >= threshold ? in[i] * scale : T(0);
    }
  });
  return out;
}

Tensor logicalNot(const Tensor &x) {
  return mapUnary<Types::Bool>(x, "logical_not", [](bool v) { return !v; });
}

//===----------------------------------------------------------------------===//
// Binary
//===----------------------------------------------------------------------===//

Tensor add(const Tensor &a, const Tensor &b) {
  return mapBinary<Types::Numeric, false>(
      a, b, "add", [](auto x, auto y) { return wrapAdd(x, y); });
}

Tensor sub(const Tensor &a, const Tensor &b) {
  return mapBinary<Types::Numeric, false>(
      a, b, "sub", [](auto x, auto y) { return wrapSub(x, y); });
}

Tensor mul(const Tensor &a, const Tensor &b) {
  return mapBinary<Types::Numeric, false>(
      a, b, "mul", [](auto x, auto y) { return wrapMul(x, y); });
}

Tensor div(const Tensor &a, const Tensor &b) {
  // Integers truncate toward zero; x / 0 = 0 and INT_MIN / -1 = INT_MIN
  // instead of trapping.
  return mapBinary<Types::Numeric, false>(a, b, "div", [](auto x, auto y) {
    using T = decltype(x);
    if constexpr (std::is_floating_point_v<T>) {
      return x / y;
    } else {
      if (y == T(0))
        return T(0);
      if constexpr (std::is_signed_v<T>)
        if (y == T(-1))
          return wrapNeg(x);
      return T(x / y);
    }
  });
}

Tensor pow(const Tensor &a, const Tensor &b) {
  return mapBinary<Types::Float, false>(
      a, b, "pow", [](auto x, auto y) { return std::pow(x, y); });
}

Tensor maximum(const Tensor &a, const Tensor &b) {
  // NaN if either is NaN; on a tie (also -0 vs +0) the first operand.
  return mapBinary<Types::Numeric, false>(a, b, "maximum", [](auto x, auto y) {
    if (isNaN(x) || isNaN(y))
      return isNaN(x) ? x : y;
    return y > x ? y : x;
  });
}

Tensor minimum(const Tensor &a, const Tensor &b) {
  return mapBinary<Types::Numeric, false>(a, b, "minimum", [](auto x, auto y) {
    if (isNaN(x) || isNaN(y))
      return isNaN(x) ? x : y;
    return y < x ? y : x;
  });
}

Tensor equal(const Tensor &a, const Tensor &b) {
  return mapBinary<Types::Any, true>(a, b, "equal",
                                     [](auto x, auto y) { return x == y; });
}

Tensor less(const Tensor &a, const Tensor &b) {
  return mapBinary<Types::Numeric, true>(a, b, "less",
                                         [](auto x, auto y) { return x < y; });
}

Tensor lessEqual(const Tensor &a, const Tensor &b) {
  return mapBinary<Types::Numeric, true>(a, b, "less_equal",
                                         [](auto x, auto y) { return x <= y; });
}

Tensor greater(const Tensor &a, const Tensor &b) {
  return mapBinary<Types::Numeric, true>(a, b, "greater",
                                         [](auto x, auto y) { return x > y; });
}

Tensor greaterEqual(const Tensor &a, const Tensor &b) {
  return mapBinary<Types::Numeric, true>(a, b, "greater_equal",
                                         [](auto x, auto y) { return x >= y; });
}

Tensor logicalAnd(const Tensor &a, const Tensor &b) {
  return mapBinary<Types::Bool, true>(a, b, "logical_and",
                                      [](bool x, bool y) { return x && y; });
}

Tensor logicalOr(const Tensor &a, const Tensor &b) {
  return mapBinary<Types::Bool, true>(a, b, "logical_or",
                                      [](bool x, bool y) { return x || y; });
}

//===----------------------------------------------------------------------===//
// Select and cast
//===----------------------------------------------------------------------===//

Tensor select(const Tensor &cond, const Tensor &a, const Tensor &b) {
  Shape shape =
      broadcastShapes(broadcastShapes(cond.shape(), a.shape()), b.shape());
  Tensor out(TensorType{a.dtype(), shape});
  dispatch<Types::Any>(a.dtype(), "select", [&](auto tag) {
    using T = decltype(tag);
    const bool *pc = cond.data<bool>();
    const T *pa = a.data<T>(), *pb = b.data<T>();
    T *po = out.data<T>();
    forEachOffset<4>(shape,
                     {stridesOf(shape), broadcastStrides(cond.shape(), shape),
                      broadcastStrides(a.shape(), shape),
                      broadcastStrides(b.shape(), shape)},
                     {0, 0, 0, 0}, [&](const std::array<int64_t, 4> &off) {
                       po[off[0]] = pc[off[1]] ? pa[off[2]] : pb[off[3]];
                     });
  });
  return out;
}

Tensor cast(const Tensor &x, DType to) {
  Tensor out(TensorType{to, x.shape()});
  visitDType(x.dtype(), [&](auto fromTag) {
    using From = decltype(fromTag);
    visitDType(to, [&](auto toTag) {
      using To = decltype(toTag);
      const From *in = x.data<From>();
      To *o = out.data<To>();
      for (int64_t i = 0, n = x.numElements(); i < n; ++i)
        o[i] = castValue<To>(in[i]);
    });
  });
  return out;
}

} // namespace adjoint::interp
