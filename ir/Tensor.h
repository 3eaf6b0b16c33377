//===- Tensor.h - A dense host tensor -------------------------------------===//
//
// Literal data in the IR (constants, parameters) and the values the reference
// interpreter computes. Storage is 64-byte aligned, row-major, and shared on
// copy: copies alias, `clone()` makes a deep copy.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/TensorType.h"

#include <cassert>
#include <cstddef>
#include <memory>
#include <span>
#include <string>

namespace adjoint {

class Tensor {
public:
  /// An empty f32 scalar with no storage; only valid as a placeholder.
  Tensor() = default;
  /// A zero-filled tensor of type `type` (which must be checked).
  explicit Tensor(TensorType type);

  const TensorType &type() const { return type_; }
  DType dtype() const { return type_.dtype; }
  const Shape &shape() const { return type_.shape; }
  size_t rank() const { return type_.shape.size(); }
  int64_t numElements() const { return type_.numElements(); }
  size_t byteSize() const { return (size_t)type_.byteSize(); }
  bool hasStorage() const { return data_ != nullptr; }

  std::byte *bytes() { return data_.get(); }
  const std::byte *bytes() const { return data_.get(); }

  /// Typed element access; T must match the dtype.
  template <typename T> T *data() {
    assert(dtypeOf<T>() == dtype() && "tensor accessed as the wrong dtype");
    return reinterpret_cast<T *>(data_.get());
  }
  template <typename T> const T *data() const {
    assert(dtypeOf<T>() == dtype() && "tensor accessed as the wrong dtype");
    return reinterpret_cast<const T *>(data_.get());
  }
  template <typename T> std::span<T> span() {
    return {data<T>(), (size_t)numElements()};
  }
  template <typename T> std::span<const T> span() const {
    return {data<T>(), (size_t)numElements()};
  }

  /// Element `i` (row-major) converted to double; bool gives 0 or 1.
  double elementAsDouble(int64_t i) const;
  /// Sets element `i` from a double (converted as by `cast`).
  void setElementFromDouble(int64_t i, double v);

  /// A deep copy.
  Tensor clone() const;
  /// The same bytes viewed with another shape of equal element count.
  Tensor reshaped(Shape shape) const;
  /// Bitwise equality of type and contents.
  bool identical(const Tensor &other) const;

  /// A tensor of `shape` holding `values` converted to `dtype`.
  static Tensor fromDoubles(DType dtype, Shape shape,
                            std::span<const double> values);
  /// A rank-0 tensor.
  static Tensor scalar(DType dtype, double value);

private:
  TensorType type_;
  std::shared_ptr<std::byte> data_;
};

/// Converts a double to T as `cast` does: floats round to nearest; integers
/// truncate toward zero and saturate, NaN gives 0; bool is `v != 0`.
template <typename T> T convertFromDouble(double v);

} // namespace adjoint
