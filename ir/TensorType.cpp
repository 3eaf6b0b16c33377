//===- TensorType.cpp - Static shapes and tensor types --------------------===//
#include "ir/TensorType.h"

#include "ir/Error.h"
#include "ir/SymbolicDim.h"

#include <limits>
#include <unistd.h>

namespace adjoint {

int64_t TensorType::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::string shapeStr(const Shape &s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i)
      out += ",";
    out += dimStr(s[i]);
  }
  return out + "]";
}

std::string typeStr(const TensorType &t) {
  return std::string(dtypeName(t.dtype)) + shapeStr(t.shape);
}

void checkShape(const Shape &s, size_t elemSize, const std::string &what) {
  if (s.size() > kMaxRank)
    badInput(what, ": rank ", s.size(), " exceeds the maximum rank ", kMaxRank,
             " (shape ", shapeStr(s), ")");
  const int64_t max = std::numeric_limits<int64_t>::max();
  // The product of the nonzero extents must fit, with the element size,
  // even when another extent is 0: strides and partial products are
  // computed from them (found by fuzz_ReadNpy; a 0 first hid the rest).
  // A symbolic extent counts with its coefficient: the size must fit at
  // least when the symbol is 1.
  int64_t n = 1;
  bool overflow = false;
  for (int64_t dim : s) {
    if (dim < 0 && !isSymbolic(dim))
      badInput(what, ": negative dimension in shape ", shapeStr(s));
    int64_t d = isSymbolic(dim) ? dimCoefficient(dim) : dim;
    if (d == 0)
      continue;
    if (n > max / d)
      overflow = true;
    else
      n *= d;
  }
  if (overflow || n > max / (int64_t)elemSize)
    badInput(what, ": shape ", shapeStr(s),
             " has more elements or bytes than fit in 64 bits");
}

uint64_t physicalMemory() {
  long pages = ::sysconf(_SC_PHYS_PAGES), pageSize = ::sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || pageSize <= 0)
    return UINT64_MAX;
  return (uint64_t)pages * (uint64_t)pageSize;
}

std::vector<int64_t> stridesOf(const Shape &s) {
  std::vector<int64_t> strides(s.size());
  int64_t stride = 1;
  for (size_t i = s.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= s[i];
  }
  return strides;
}

int64_t normalizeAxis(int64_t axis, size_t rank, const std::string &what) {
  int64_t r = (int64_t)rank;
  if (axis < -r || axis >= r)
    badInput(what, ": axis ", axis, " is out of range for rank ", rank);
  return axis < 0 ? axis + r : axis;
}

} // namespace adjoint
