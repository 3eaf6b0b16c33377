//===- MatMul.cpp - The matmul kernel (numpy.matmul) ----------------------===//
//
// Floats multiply with Eigen in double precision, so every dot product
// accumulates in f64 and rounds once to the result dtype (f32 operands are
// widened first). Integers use plain loops that wrap.
//
//===----------------------------------------------------------------------===//
#include "ir/interp/Kernels.h"

#include "ir/ShapeInference.h"

#include <Eigen/Core>

namespace adjoint::interp {

namespace {

using RowMatrix =
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// The elements of `t` as doubles: a view when `t` is f64, else a copy.
class AsDoubles {
public:
  template <typename T> explicit AsDoubles(const Tensor &t, T) {
    if constexpr (std::is_same_v<T, double>) {
      data_ = t.data<double>();
    } else {
      copy_.assign(t.data<T>(), t.data<T>() + t.numElements());
      data_ = copy_.data();
    }
  }
  const double *data() const { return data_; }

private:
  std::vector<double> copy_;
  const double *data_ = nullptr;
};

/// c[m,n] = a[m,k] @ b[k,n], row-major, accumulating in double.
template <typename T>
void gemmFloat(const double *a, const double *b, T *c, int64_t m, int64_t k,
               int64_t n, RowMatrix &scratch) {
  Eigen::Map<const RowMatrix> ma(a, m, k), mb(b, k, n);
  if constexpr (std::is_same_v<T, double>) {
    Eigen::Map<RowMatrix> mc(c, m, n);
    mc.noalias() = ma * mb;
  } else {
    scratch.resize(m, n);
    scratch.noalias() = ma * mb;
    for (int64_t i = 0; i < m * n; ++i)
      c[i] = (T)scratch.data()[i];
  }
}

/// c[m,n] = a[m,k] @ b[k,n] for integers, wrapping; c starts zeroed.
template <typename T>
void gemmInt(const T *a, const T *b, T *c, int64_t m, int64_t k, int64_t n) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t p = 0; p < k; ++p) {
      T aip = a[i * k + p];
      for (int64_t j = 0; j < n; ++j)
        c[i * n + j] = wrapAdd(c[i * n + j], wrapMul(aip, b[p * n + j]));
    }
}

/// Strides, in elements, that step an operand from one matrix of the batch
/// to the next: 0 along broadcast dimensions.
std::vector<int64_t> batchStrides(const Shape &operandBatch, const Shape &batch,
                                  int64_t matrixSize) {
  std::vector<int64_t> s = broadcastStrides(operandBatch, batch);
  for (int64_t &x : s)
    x *= matrixSize;
  return s;
}

} // namespace

Tensor matmul(const Tensor &a, const Tensor &b, const TensorType &resultType) {
  MatMulDims d = matmulDims(a.shape(), b.shape());
  const int64_t m = d.m, k = d.k, n = d.n;
  Tensor out(resultType);
  // A product with an empty dimension is empty or, when k = 0, all zeros,
  // which the zero-filled result already holds.
  if (m == 0 || k == 0 || n == 0 || out.numElements() == 0)
    return out;
  std::array<std::vector<int64_t>, 3> strides = {
      batchStrides(d.batchA, d.batch, m * k),
      batchStrides(d.batchB, d.batch, k * n), stridesOf(d.batch)};
  for (int64_t &s : strides[2])
    s *= m * n;

  dispatch<Types::Numeric>(a.dtype(), "matmul", [&](auto tag) {
    using T = decltype(tag);
    T *pc = out.data<T>();
    if constexpr (std::is_floating_point_v<T>) {
      AsDoubles da(a, tag), db(b, tag);
      RowMatrix scratch;
      forEachOffset<3>(d.batch, strides, {0, 0, 0},
                       [&](const std::array<int64_t, 3> &off) {
                         gemmFloat(da.data() + off[0], db.data() + off[1],
                                   pc + off[2], m, k, n, scratch);
                       });
    } else {
      const T *pa = a.data<T>(), *pb = b.data<T>();
      forEachOffset<3>(
          d.batch, strides, {0, 0, 0}, [&](const std::array<int64_t, 3> &off) {
            gemmInt(pa + off[0], pb + off[1], pc + off[2], m, k, n);
          });
    }
  });
  return out;
}

} // namespace adjoint::interp
