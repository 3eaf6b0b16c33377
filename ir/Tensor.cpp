//===- Tensor.cpp - A dense host tensor -----------------------------------===//
#include "ir/Tensor.h"

#include "ir/SymbolicDim.h"

#include "ir/Error.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

namespace adjoint {

namespace {

constexpr size_t kAlignment = 64;

std::shared_ptr<std::byte> allocateZeroed(size_t bytes) {
  size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  if (rounded == 0)
    rounded = kAlignment;
  void *p = std::aligned_alloc(kAlignment, rounded);
  if (!p)
    failed("out of memory allocating ", bytes, " bytes");
  std::memset(p, 0, rounded);
  return std::shared_ptr<std::byte>(static_cast<std::byte *>(p),
                                    [](std::byte *q) { std::free(q); });
}

template <typename T> T saturatingFromDouble(double v) {
  if (std::isnan(v))
    return 0;
  constexpr double lo = (double)std::numeric_limits<T>::min();
  constexpr double hi = (double)std::numeric_limits<T>::max();
  if (v <= lo)
    return std::numeric_limits<T>::min();
  if (v >= hi)
    return std::numeric_limits<T>::max();
  return (T)v;
}

} // namespace

template <> float convertFromDouble<float>(double v) { return (float)v; }
template <> double convertFromDouble<double>(double v) { return v; }
template <> bool convertFromDouble<bool>(double v) { return v != 0; }
template <> int32_t convertFromDouble<int32_t>(double v) {
  return saturatingFromDouble<int32_t>(v);
}
template <> int64_t convertFromDouble<int64_t>(double v) {
  return saturatingFromDouble<int64_t>(v);
}
template <> uint8_t convertFromDouble<uint8_t>(double v) {
  return saturatingFromDouble<uint8_t>(v);
}

namespace {
const TensorType &requireStatic(const TensorType &t) {
  if (!isStatic(t.shape))
    badInput("a tensor has a static shape, not ", typeStr(t),
             ": bind its symbols first");
  return t;
}
} // namespace

Tensor::Tensor(TensorType type)
    : type_(std::move(type)),
      data_(allocateZeroed(requireStatic(type_).byteSize())) {}

double Tensor::elementAsDouble(int64_t i) const {
  return visitDType(dtype(), [&](auto tag) -> double {
    using T = decltype(tag);
    return (double)data<T>()[i];
  });
}

void Tensor::setElementFromDouble(int64_t i, double v) {
  visitDType(dtype(), [&](auto tag) {
    using T = decltype(tag);
    data<T>()[i] = convertFromDouble<T>(v);
  });
}

Tensor Tensor::clone() const {
  Tensor t(type_);
  if (byteSize())
    std::memcpy(t.bytes(), bytes(), byteSize());
  return t;
}

Tensor Tensor::reshaped(Shape shape) const {
  Tensor t = *this;
  t.type_.shape = std::move(shape);
  assert(t.numElements() == numElements() && "reshape changes element count");
  return t;
}

bool Tensor::identical(const Tensor &other) const {
  return type_ == other.type_ &&
         (byteSize() == 0 ||
          std::memcmp(bytes(), other.bytes(), byteSize()) == 0);
}

Tensor Tensor::fromDoubles(DType dtype, Shape shape,
                           std::span<const double> values) {
  Tensor t(TensorType{dtype, std::move(shape)});
  assert((int64_t)values.size() == t.numElements() && "wrong value count");
  for (size_t i = 0; i < values.size(); ++i)
    t.setElementFromDouble((int64_t)i, values[i]);
  return t;
}

Tensor Tensor::scalar(DType dtype, double value) {
  return fromDoubles(dtype, {}, std::span<const double>(&value, 1));
}

} // namespace adjoint
