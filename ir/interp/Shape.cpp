//===- Shape.cpp - Source and data-movement kernels -----------------------===//
//
// Transpose, broadcast_to, slice, concat and pad are all one strided copy
// with the right strides and offsets; they work on every dtype.
//
//===----------------------------------------------------------------------===//
#include "ir/interp/Kernels.h"

#include "ir/ShapeInference.h"

namespace adjoint::interp {

void stridedCopy(const Tensor &src, int64_t srcBase,
                 const std::vector<int64_t> &srcStrides, Tensor &dst,
                 int64_t dstBase, const std::vector<int64_t> &dstStrides,
                 const Shape &extent) {
  visitDType(src.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *s = src.data<T>();
    T *d = dst.data<T>();
    forEachOffset<2>(
        extent, {srcStrides, dstStrides}, {srcBase, dstBase},
        [&](const std::array<int64_t, 2> &off) { d[off[1]] = s[off[0]]; });
  });
}

Tensor constant(const Tensor &value) { return value.clone(); }

Tensor stopGradient(const Tensor &x) { return x.clone(); }

Tensor iota(const TensorType &type, int64_t axis) {
  Tensor out(type);
  int64_t stride = stridesOf(type.shape)[axis], dim = type.shape[axis];
  dispatch<Types::Numeric>(type.dtype, "iota", [&](auto tag) {
    using T = decltype(tag);
    T *o = out.data<T>();
    for (int64_t i = 0, n = out.numElements(); i < n; ++i)
      o[i] = castValue<T>((int64_t)(i / stride % dim));
  });
  return out;
}

Tensor reshape(const Tensor &x, const Shape &shape) {
  return x.clone().reshaped(shape);
}

Tensor transpose(const Tensor &x, const std::vector<int64_t> &perm) {
  Shape shape;
  std::vector<int64_t> inStrides = stridesOf(x.shape()), srcStrides;
  for (int64_t p : perm) {
    shape.push_back(x.shape()[p]);
    srcStrides.push_back(inStrides[p]);
  }
  Tensor out(TensorType{x.dtype(), shape});
  stridedCopy(x, 0, srcStrides, out, 0, stridesOf(shape), shape);
  return out;
}

Tensor broadcastTo(const Tensor &x, const Shape &shape) {
  Tensor out(TensorType{x.dtype(), shape});
  stridedCopy(x, 0, broadcastStrides(x.shape(), shape), out, 0,
              stridesOf(shape), shape);
  return out;
}

Tensor slice(const Tensor &x, const AttrReader &attrs) {
  SliceDims s = normalizeSlice(attrs, x.shape());
  std::vector<int64_t> inStrides = stridesOf(x.shape());
  std::vector<int64_t> srcStrides(x.rank());
  int64_t base = 0;
  for (size_t d = 0; d < x.rank(); ++d) {
    // A step never taken stays 0: a huge step times the stride could
    // overflow, and with two or more elements |step| < dim keeps it small.
    srcStrides[d] = s.count[d] > 1 ? inStrides[d] * s.step[d] : 0;
    base += s.start[d] * inStrides[d];
  }
  Tensor out(TensorType{x.dtype(), s.count});
  stridedCopy(x, base, srcStrides, out, 0, stridesOf(s.count), s.count);
  return out;
}

Tensor concat(std::span<const Tensor> xs, int64_t axis,
              const TensorType &resultType) {
  Tensor out(resultType);
  std::vector<int64_t> outStrides = stridesOf(resultType.shape);
  int64_t at = 0; // where along `axis` the next operand starts
  for (const Tensor &x : xs) {
    stridedCopy(x, 0, stridesOf(x.shape()), out, at * outStrides[axis],
                outStrides, x.shape());
    at += x.shape()[axis];
  }
  return out;
}

Tensor pad(const Tensor &x, const std::vector<int64_t> &pads, double value) {
  size_t rank = x.rank();
  Shape shape = x.shape();
  for (size_t d = 0; d < rank; ++d)
    shape[d] += pads[d] + pads[rank + d];
  Tensor out(TensorType{x.dtype(), shape});
  visitDType(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T fill = convertFromDouble<T>(value);
    T *o = out.data<T>();
    for (int64_t i = 0, n = out.numElements(); i < n; ++i)
      o[i] = fill;
  });
  std::vector<int64_t> outStrides = stridesOf(shape);
  int64_t base = 0;
  for (size_t d = 0; d < rank; ++d)
    base += pads[d] * outStrides[d];
  stridedCopy(x, 0, stridesOf(x.shape()), out, base, outStrides, x.shape());
  return out;
}

} // namespace adjoint::interp
