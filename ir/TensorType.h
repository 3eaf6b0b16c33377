//===- TensorType.h - Static shapes and tensor types ----------------------===//
#pragma once

#include "ir/DType.h"

#include <cstdint>
#include <string>
#include <vector>

namespace adjoint {

/// The largest rank a tensor may have.
inline constexpr size_t kMaxRank = 8;

/// A shape: one extent per dimension, each >= 0 or symbolic (a multiple of
/// a named symbol such as the batch N, ir/SymbolicDim.h). Rank 0 is a
/// scalar.
using Shape = std::vector<int64_t>;

/// The element type and static shape of a value.
struct TensorType {
  DType dtype = DType::F32;
  Shape shape;

  size_t rank() const { return shape.size(); }
  /// Number of elements (1 for a scalar). Valid for checked, static
  /// shapes only.
  int64_t numElements() const;
  /// Size in bytes. Valid for checked shapes only.
  int64_t byteSize() const { return numElements() * (int64_t)dtypeSize(dtype); }
  bool operator==(const TensorType &) const = default;
};

/// "[2,3]" for a shape; "[]" for a scalar.
std::string shapeStr(const Shape &s);
/// "f32[2,3]".
std::string typeStr(const TensorType &t);

/// Throws BadInput (naming `what`) unless `s` has rank <= kMaxRank and an
/// element count and byte size (for elements of `elemSize` bytes) that fit
/// in int64, symbols counted as 1.
void checkShape(const Shape &s, size_t elemSize, const std::string &what);

/// Bytes of physical memory, or the largest value if unknown. A recipe
/// parameter larger than this cannot be materialized; refusing it up front
/// turns a malicious or mistaken shape into an error instead of an OOM kill.
uint64_t physicalMemory();
inline void checkType(const TensorType &t, const std::string &what) {
  checkShape(t.shape, dtypeSize(t.dtype), what);
}

/// Row-major strides of `s`, in elements.
std::vector<int64_t> stridesOf(const Shape &s);

/// Normalizes a possibly negative `axis` for a tensor of `rank` (numpy style)
/// or throws BadInput naming `what`.
int64_t normalizeAxis(int64_t axis, size_t rank, const std::string &what);

} // namespace adjoint
