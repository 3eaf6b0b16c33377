//===- Kernels.h - Op kernels of the reference interpreter -----*- C++ -*-===//
//
// Private to the interpreter. One function per op, grouped by family into
// Elementwise.cpp, Reduce.cpp, Shape.cpp, Gather.cpp, MatMul.cpp, Conv.cpp,
// Pool.cpp and Scan.cpp (the gradient ops with their forward ops), plus the
// loop and arithmetic helpers they share (the non-template ones live in
// Support.cpp). Operands have passed inferType; every kernel returns a fresh
// tensor of the result type that shares no storage with its operands.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/OpTable.h"
#include "ir/Tensor.h"

#include <array>
#include <cmath>
#include <limits>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace adjoint::interp {

//===----------------------------------------------------------------------===//
// Dtype dispatch
//===----------------------------------------------------------------------===//

/// The dtypes a kernel is instantiated for (mirrors the rules of inferType).
enum class Types { Float, Numeric, SignedNumeric, Bool, Any };

/// Whether the C++ element type T belongs to `S`.
template <Types S, typename T> constexpr bool admits() {
  constexpr bool isBool = std::is_same_v<T, bool>;
  switch (S) {
  case Types::Float:
    return std::is_floating_point_v<T>;
  case Types::Numeric:
    return !isBool;
  case Types::SignedNumeric:
    return !isBool && std::is_signed_v<T>;
  case Types::Bool:
    return isBool;
  case Types::Any:
    return true;
  }
  return false;
}

/// A dtype reached a kernel that shape inference should have kept from it:
/// an internal bug. Asserts, and throws std::logic_error in release builds.
[[noreturn]] void unsupportedDType(std::string_view kernel, DType t);

/// Calls `fn(T{})` with the C++ type T of `t`, instantiating `fn` only for
/// the types in `S`.
template <Types S, typename Fn>
void dispatch(DType t, std::string_view kernel, Fn &&fn) {
  visitDType(t, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (admits<S, T>())
      fn(tag);
    else
      unsupportedDType(kernel, t);
  });
}

//===----------------------------------------------------------------------===//
// Arithmetic that matches the contract for every dtype
//===----------------------------------------------------------------------===//

template <typename T>
constexpr bool kIsInt = std::is_integral_v<T> && !std::is_same_v<T, bool>;

/// Integer arithmetic wraps modulo 2^bits (done in the unsigned type, where
/// overflow is defined); floats are plain IEEE.
template <typename T> T wrapAdd(T a, T b) {
  if constexpr (kIsInt<T>) {
    using U = std::make_unsigned_t<T>;
    return (T)(U)((U)a + (U)b);
  } else {
    return a + b;
  }
}
template <typename T> T wrapSub(T a, T b) {
  if constexpr (kIsInt<T>) {
    using U = std::make_unsigned_t<T>;
    return (T)(U)((U)a - (U)b);
  } else {
    return a - b;
  }
}
template <typename T> T wrapMul(T a, T b) {
  if constexpr (kIsInt<T>) {
    using U = std::make_unsigned_t<T>;
    return (T)(U)((U)a * (U)b);
  } else {
    return a * b;
  }
}
template <typename T> T wrapNeg(T a) {
  if constexpr (kIsInt<T>)
    return wrapSub(T(0), a);
  else
    return -a; // 0 - x would turn +0 into +0 instead of -0
}

/// NaN test that is false for integer types.
template <typename T> bool isNaN(T v) {
  if constexpr (std::is_floating_point_v<T>)
    return std::isnan(v);
  else
    return false;
}

/// The larger of `acc` and `v` where a NaN wins and, on a tie, `acc` stays.
template <typename T> T maxPropagatingNaN(T acc, T v) {
  return isNaN(acc) ? acc : (isNaN(v) || v > acc) ? v : acc;
}
/// The smaller of `acc` and `v` where a NaN wins and, on a tie, `acc` stays.
template <typename T> T minPropagatingNaN(T acc, T v) {
  return isNaN(acc) ? acc : (isNaN(v) || v < acc) ? v : acc;
}

/// maxPropagatingNaN and minPropagatingNaN for reductions, which also order
/// -0 < +0 (IEEE 754-2019 maximum and minimum), so that the result does not
/// depend on the order in which a vectorized reduction meets the elements.
template <typename T> T maxOrderingZeros(T acc, T v) {
  if constexpr (std::is_floating_point_v<T>)
    if (acc == 0 && v == 0)
      return std::signbit(acc) ? v : acc;
  return maxPropagatingNaN(acc, v);
}
template <typename T> T minOrderingZeros(T acc, T v) {
  if constexpr (std::is_floating_point_v<T>)
    if (acc == 0 && v == 0)
      return std::signbit(acc) ? acc : v;
  return minPropagatingNaN(acc, v);
}

/// The identity of max: -inf for floats, the lowest value for integers.
template <typename T> T lowestValue() {
  if constexpr (std::is_floating_point_v<T>)
    return -std::numeric_limits<T>::infinity();
  else
    return std::numeric_limits<T>::lowest();
}
/// The identity of min: +inf for floats, the highest value for integers.
template <typename T> T highestValue() {
  if constexpr (std::is_floating_point_v<T>)
    return std::numeric_limits<T>::infinity();
  else
    return std::numeric_limits<T>::max();
}

/// Converts one element as `cast` does: float -> integer truncates and
/// saturates (NaN -> 0), float -> bool is x != 0, integer -> integer keeps the
/// low bits, anything -> float rounds to nearest, bool -> number is 0 or 1.
template <typename To, typename From> To castValue(From v) {
  if constexpr (std::is_floating_point_v<From> && !std::is_floating_point_v<To>)
    return convertFromDouble<To>((double)v);
  else
    return static_cast<To>(v);
}

//===----------------------------------------------------------------------===//
// Index loops
//===----------------------------------------------------------------------===//

/// Strides, in elements, for reading `operand` at the indices of the
/// broadcast shape `out`: 0 along dimensions that `operand` lacks or
/// stretches from size 1.
std::vector<int64_t> broadcastStrides(const Shape &operand, const Shape &out);

/// Visits every index of `extent` in row-major order and calls `fn(off)`,
/// where off[k] = base[k] + sum over d of index[d] * strides[k][d]. Does
/// nothing for an empty extent; calls `fn` once for rank 0.
template <size_t N, typename Fn>
void forEachOffset(const Shape &extent,
                   const std::array<std::vector<int64_t>, N> &strides,
                   std::array<int64_t, N> base, Fn &&fn) {
  for (int64_t e : extent)
    if (e == 0)
      return;
  size_t rank = extent.size();
  if (rank == 0) {
    fn(std::as_const(base));
    return;
  }
  std::vector<int64_t> index(rank, 0);
  std::array<int64_t, N> innerStride;
  for (size_t k = 0; k < N; ++k)
    innerStride[k] = strides[k][rank - 1];
  const int64_t inner = extent[rank - 1];
  std::array<int64_t, N> row = base;
  for (;;) {
    std::array<int64_t, N> off = row;
    for (int64_t i = 0; i < inner; ++i) {
      fn(std::as_const(off));
      for (size_t k = 0; k < N; ++k)
        off[k] += innerStride[k];
    }
    // Advance the outer dimensions like an odometer.
    size_t d = rank - 1;
    for (;;) {
      if (d == 0)
        return;
      --d;
      for (size_t k = 0; k < N; ++k)
        row[k] += strides[k][d];
      if (++index[d] < extent[d])
        break;
      for (size_t k = 0; k < N; ++k)
        row[k] -= extent[d] * strides[k][d];
      index[d] = 0;
    }
  }
}

/// Copies the elements of `extent` from `src` (at srcBase + index .
/// srcStrides) to `dst` (at dstBase + index . dstStrides); any dtype.
void stridedCopy(const Tensor &src, int64_t srcBase,
                 const std::vector<int64_t> &srcStrides, Tensor &dst,
                 int64_t dstBase, const std::vector<int64_t> &dstStrides,
                 const Shape &extent);

//===----------------------------------------------------------------------===//
// Kernels, one per op (the `evaluate` switch in Interpreter.cpp calls them)
//===----------------------------------------------------------------------===//

// Elementwise.cpp: unary.
Tensor neg(const Tensor &x);
Tensor abs(const Tensor &x);
Tensor sign(const Tensor &x);
Tensor exp(const Tensor &x);
Tensor log(const Tensor &x);
Tensor sqrt(const Tensor &x);
Tensor tanh(const Tensor &x);
Tensor sigmoid(const Tensor &x);
Tensor relu(const Tensor &x);
Tensor erf(const Tensor &x);
Tensor logicalNot(const Tensor &x);

// Elementwise.cpp: binary with numpy broadcasting.
Tensor add(const Tensor &a, const Tensor &b);
Tensor sub(const Tensor &a, const Tensor &b);
Tensor mul(const Tensor &a, const Tensor &b);
Tensor div(const Tensor &a, const Tensor &b);
Tensor pow(const Tensor &a, const Tensor &b);
Tensor maximum(const Tensor &a, const Tensor &b);
Tensor minimum(const Tensor &a, const Tensor &b);
Tensor equal(const Tensor &a, const Tensor &b);
Tensor less(const Tensor &a, const Tensor &b);
Tensor lessEqual(const Tensor &a, const Tensor &b);
Tensor greater(const Tensor &a, const Tensor &b);
Tensor greaterEqual(const Tensor &a, const Tensor &b);
Tensor logicalAnd(const Tensor &a, const Tensor &b);
Tensor logicalOr(const Tensor &a, const Tensor &b);
Tensor select(const Tensor &cond, const Tensor &a, const Tensor &b);
Tensor cast(const Tensor &x, DType to);

// Shape.cpp: sources and data movement.
Tensor constant(const Tensor &value);
Tensor iota(const TensorType &type, int64_t axis);
Tensor reshape(const Tensor &x, const Shape &shape);
Tensor transpose(const Tensor &x, const std::vector<int64_t> &perm);
Tensor broadcastTo(const Tensor &x, const Shape &shape);
Tensor slice(const Tensor &x, const AttrReader &attrs);
Tensor concat(std::span<const Tensor> xs, int64_t axis,
              const TensorType &resultType);
Tensor pad(const Tensor &x, const std::vector<int64_t> &pads, double value);
/// A copy of x: stop_gradient computes the identity.
Tensor stopGradient(const Tensor &x);

// Gather.cpp.
Tensor gather(const Tensor &data, const Tensor &indices, int64_t axis);
/// Rows of `resultType` (indices' shape plus [depth]): 1 at each index, 0
/// elsewhere; Failed for an index outside [0, depth).
Tensor oneHot(const Tensor &indices, const TensorType &resultType);
/// The adjoint of gather: `axis` normalized for the result's rank.
Tensor scatterAdd(const Tensor &indices, const Tensor &updates, int64_t axis,
                  const TensorType &resultType);

// Elementwise.cpp: x * mask / (1 - rate), the mask drawn by ir/Random.h.
Tensor dropout(const Tensor &x, int64_t step, double rate, uint64_t seed);

// Scan.cpp: runs the body with `interpret` once per step.
Tensor scan(std::span<const Tensor> operands, const AttrReader &r,
            const TensorType &resultType);

// Reduce.cpp; `axes` normalized and sorted.
Tensor reduceSum(const Tensor &x, const std::vector<int64_t> &axes,
                 const TensorType &resultType);
/// The mean over `axes` of a float tensor: the f64 sum divided by the count.
Tensor reduceMean(const Tensor &x, const std::vector<int64_t> &axes,
                  const TensorType &resultType);
Tensor reduceMax(const Tensor &x, const std::vector<int64_t> &axes,
                 const TensorType &resultType);
Tensor reduceMin(const Tensor &x, const std::vector<int64_t> &axes,
                 const TensorType &resultType);
Tensor argmax(const Tensor &x, int64_t axis, const TensorType &resultType);

// MatMul.cpp.
Tensor matmul(const Tensor &a, const Tensor &b, const TensorType &resultType);
/// softmax(scale * q @ k^T, keys j > query i masked when causal) @ v, per
/// batch entry, accumulated in double.
Tensor attention(const Tensor &q, const Tensor &k, const Tensor &v,
                 double scale, bool causal, const TensorType &resultType);

// Conv.cpp.
Tensor conv2d(const Tensor &x, const Tensor &w, const AttrReader &attrs,
              const TensorType &resultType);
Tensor conv2dInputGrad(const Tensor &dy, const Tensor &w,
                       const AttrReader &attrs, const TensorType &resultType);
Tensor conv2dWeightGrad(const Tensor &x, const Tensor &dy,
                        const AttrReader &attrs, const TensorType &resultType);

// Pool.cpp.
Tensor maxPool2d(const Tensor &x, const AttrReader &attrs,
                 const TensorType &resultType);
Tensor avgPool2d(const Tensor &x, const AttrReader &attrs,
                 const TensorType &resultType);
Tensor maxPool2dGrad(const Tensor &x, const Tensor &dy, const AttrReader &attrs,
                     const TensorType &resultType);
Tensor avgPool2dGrad(const Tensor &dy, const AttrReader &attrs,
                     const TensorType &resultType);

} // namespace adjoint::interp
