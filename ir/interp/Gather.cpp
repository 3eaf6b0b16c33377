//===- Gather.cpp - gather (numpy.take) and scatter_add (numpy.add.at) ----===//
#include "ir/interp/Kernels.h"

#include "ir/Error.h"

#include <cstring>

namespace adjoint::interp {

namespace {

/// The indices in [0, dim), or Failed (`op`: index out of range) if one lies
/// outside [-dim, dim); negative ones count from the end.
std::vector<int64_t> checkedIndices(std::string_view op, const Tensor &indices,
                                    int64_t dim, int64_t axis,
                                    const TensorType &indexed) {
  int64_t count = indices.numElements();
  std::vector<int64_t> rows((size_t)count);
  visitDType(indices.dtype(), [&](auto tag) {
    using I = decltype(tag);
    if constexpr (std::is_same_v<I, int32_t> || std::is_same_v<I, int64_t>) {
      const I *idx = indices.data<I>();
      for (int64_t j = 0; j < count; ++j) {
        int64_t v = idx[j];
        if (v < -dim || v >= dim)
          failed(op, ": index ", v, " is out of range [", -dim, ", ", dim,
                 ") for axis ", axis, " of ", typeStr(indexed));
        rows[j] = v < 0 ? v + dim : v;
      }
    } else {
      unsupportedDType(strCat(op, " indices"), indices.dtype());
    }
  });
  return rows;
}

} // namespace

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

  std::vector<int64_t> rows =
      checkedIndices("gather", indices, dim, axis, data.type());
  if (blockBytes == 0)
    return out;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < count; ++j)
      std::memcpy(out.bytes() + (o * count + j) * blockBytes,
                  data.bytes() + (o * dim + rows[j]) * blockBytes, blockBytes);
  return out;
}

Tensor oneHot(const Tensor &indices, const TensorType &resultType) {
  int64_t depth = resultType.shape.back(), count = indices.numElements();
  Tensor out(resultType); // zeros
  for (int64_t j = 0; j < count; ++j) {
    double v = indices.elementAsDouble(j);
    if (!(v >= 0 && v < (double)depth))
      failed("one_hot: index ", (int64_t)v, " of element ", j,
             " is outside the ", depth, " classes [0, ", depth, ")");
    out.setElementFromDouble(j * depth + (int64_t)v, 1);
  }
  return out;
}

Tensor scatterAdd(const Tensor &indices, const Tensor &updates, int64_t axis,
                  const TensorType &resultType) {
  // The result is [outer, dim, inner] and updates are [outer, count, inner];
  // update (o, j, i) adds to element (o, indices[j], i).
  const Shape &rs = resultType.shape;
  int64_t outer = 1, inner = 1, dim = rs[axis];
  for (int64_t d = 0; d < axis; ++d)
    outer *= rs[d];
  for (size_t d = axis + 1; d < rs.size(); ++d)
    inner *= rs[d];
  int64_t count = indices.numElements();
  std::vector<int64_t> rows =
      checkedIndices("scatter_add", indices, dim, axis, resultType);

  Tensor out(resultType);
  dispatch<Types::Numeric>(updates.dtype(), "scatter_add", [&](auto tag) {
    using T = decltype(tag);
    const T *pu = updates.data<T>();
    T *po = out.data<T>();
    // Floats add in f64 and round once; integers wrap in their own type.
    // Either way the updates are added in row-major order.
    using Acc = std::conditional_t<std::is_floating_point_v<T>, double, T>;
    std::vector<Acc> acc((size_t)out.numElements(), Acc(0));
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t j = 0; j < count; ++j) {
        Acc *dst = acc.data() + (o * dim + rows[j]) * inner;
        const T *src = pu + (o * count + j) * inner;
        for (int64_t i = 0; i < inner; ++i)
          dst[i] = wrapAdd(dst[i], (Acc)src[i]);
      }
    for (size_t i = 0; i < acc.size(); ++i)
      po[i] = (T)acc[i];
  });
  return out;
}

} // namespace adjoint::interp
