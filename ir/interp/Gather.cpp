//===- Gather.cpp - The gather kernel (numpy.take) ------------------------===//
#include "ir/interp/Kernels.h"

#include "ir/Error.h"

#include <cstring>

namespace adjoint::interp {

Tensor gather(const Tensor &data, const Tensor &indices, int64_t axis) {
  const Shape &ds = data.shape();
  Shape shape(ds.begin(), ds.begin() + axis);
  shape.insert(shape.end(), indices.shape().begin(), indices.shape().end());
  shape.insert(shape.end(), ds.begin() + axis + 1, ds.end());
  Tensor out(TensorType{data.dtype(), shape});

  // data is [outer, dim, inner] and out is [outer, count, inner]; each index
  // selects one contiguous block of `inner` elements.
  int64_t outer = 1, inner = 1, dim = ds[axis];
  for (int64_t d = 0; d < axis; ++d)
    outer *= ds[d];
  for (size_t d = axis + 1; d < ds.size(); ++d)
    inner *= ds[d];
  int64_t count = indices.numElements();
  size_t blockBytes = (size_t)inner * dtypeSize(data.dtype());

  std::vector<int64_t> rows((size_t)count);
  visitDType(indices.dtype(), [&](auto tag) {
    using I = decltype(tag);
    if constexpr (std::is_same_v<I, int32_t> || std::is_same_v<I, int64_t>) {
      const I *idx = indices.data<I>();
      for (int64_t j = 0; j < count; ++j) {
        int64_t v = idx[j];
        if (v < -dim || v >= dim)
          failed("gather: index ", v, " is out of range [", -dim, ", ", dim,
                 ") for axis ", axis, " of ", typeStr(data.type()));
        rows[j] = v < 0 ? v + dim : v;
      }
    } else {
      unsupportedDType("gather indices", indices.dtype());
    }
  });
  if (blockBytes == 0)
    return out;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < count; ++j)
      std::memcpy(out.bytes() + (o * count + j) * blockBytes,
                  data.bytes() + (o * dim + rows[j]) * blockBytes, blockBytes);
  return out;
}

} // namespace adjoint::interp
