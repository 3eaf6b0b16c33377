//===- Conv.cpp - The conv2d kernel and its gradients ---------------------===//
//
// Cross-correlation (no kernel flip) as in PyTorch and ONNX, computed per
// image and group as im2col followed by one GEMM in double precision: the
// weights of a group, [O/g, C/g*kH*kW] row-major, times the unfolded input,
// [C/g*kH*kW, outH*outW], is exactly the group's slice of the NCHW output.
// The gradients are the transposed products: the input gradient folds
// W_g^T @ dy back into the image (col2im, adding where windows overlap), the
// weight gradient sums dy @ cols^T over the images. Every result
// accumulates in f64 and rounds once.
//
//===----------------------------------------------------------------------===//
#include "ir/interp/Kernels.h"

#include "ir/ShapeInference.h"

#include <Eigen/Core>

#include <algorithm>

namespace adjoint::interp {

namespace {

using RowMatrix =
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Unfolds channels [c0, c0 + channels) of one image `in` ([C,H,W]) into
/// `cols`: row (c*kH + i)*kW + j, column y*outW + x holds
/// in[c0 + c, y*sH - top + i*dH, x*sW - left + j*dW], or 0 in the padding.
template <typename T>
void im2col(const T *in, int64_t c0, int64_t channels, int64_t h, int64_t w,
            const Window2D &win, RowMatrix &cols) {
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t i = 0; i < win.kernelH; ++i)
      for (int64_t j = 0; j < win.kernelW; ++j) {
        double *row = cols.row((c * win.kernelH + i) * win.kernelW + j).data();
        const T *plane = in + (c0 + c) * h * w;
        for (int64_t y = 0; y < win.outH; ++y) {
          int64_t iy = y * win.strideH - win.padTop + i * win.dilationH;
          double *dst = row + y * win.outW;
          if (iy < 0 || iy >= h) {
            std::fill(dst, dst + win.outW, 0.0);
            continue;
          }
          for (int64_t x = 0; x < win.outW; ++x) {
            int64_t ix = x * win.strideW - win.padLeft + j * win.dilationW;
            dst[x] = ix < 0 || ix >= w ? 0.0 : (double)plane[iy * w + ix];
          }
        }
      }
}

/// The adjoint of im2col: adds each element of `cols` to the input position
/// it was read from in channels [c0, c0 + channels) of one image `acc`
/// ([C,H,W]); elements read from the padding are dropped.
void col2im(const RowMatrix &cols, int64_t c0, int64_t channels, int64_t h,
            int64_t w, const Window2D &win, double *acc) {
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t i = 0; i < win.kernelH; ++i)
      for (int64_t j = 0; j < win.kernelW; ++j) {
        const double *row =
            cols.row((c * win.kernelH + i) * win.kernelW + j).data();
        double *plane = acc + (c0 + c) * h * w;
        for (int64_t y = 0; y < win.outH; ++y) {
          int64_t iy = y * win.strideH - win.padTop + i * win.dilationH;
          if (iy < 0 || iy >= h)
            continue;
          for (int64_t x = 0; x < win.outW; ++x) {
            int64_t ix = x * win.strideW - win.padLeft + j * win.dilationW;
            if (ix >= 0 && ix < w)
              plane[iy * w + ix] += row[y * win.outW + x];
          }
        }
      }
}

/// `rows` rows of `pixels` elements of `src` as a double matrix.
template <typename T>
RowMatrix toMatrix(const T *src, int64_t rows, int64_t pixels) {
  RowMatrix m(rows, pixels);
  for (int64_t i = 0; i < rows * pixels; ++i)
    m.data()[i] = (double)src[i];
  return m;
}

} // namespace

Tensor conv2d(const Tensor &x, const Tensor &w, const AttrReader &attrs,
              const TensorType &resultType) {
  Window2D win = convWindow(attrs, x.shape(), w.shape());
  const int64_t groups = attrs.getInt("groups");
  const int64_t n = x.shape()[0], c = x.shape()[1], h = x.shape()[2],
                wd = x.shape()[3];
  const int64_t o = w.shape()[0];
  const int64_t cg = c / groups, og = o / groups;
  const int64_t depth = cg * win.kernelH * win.kernelW;
  const int64_t pixels = win.outH * win.outW;
  Tensor out(resultType);
  if (out.numElements() == 0 || depth == 0)
    return out; // empty, or a sum over nothing: zeros

  dispatch<Types::Float>(x.dtype(), "conv2d", [&](auto tag) {
    using T = decltype(tag);
    // The weights as a double matrix [O, C/g*kH*kW]; rows og*g.. are group g.
    const T *pw = w.data<T>();
    RowMatrix weights(o, depth);
    for (int64_t i = 0; i < o * depth; ++i)
      weights.data()[i] = (double)pw[i];
    RowMatrix cols(depth, pixels), result(og, pixels);
    const T *px = x.data<T>();
    T *po = out.data<T>();
    for (int64_t b = 0; b < n; ++b)
      for (int64_t g = 0; g < groups; ++g) {
        im2col(px + b * c * h * wd, g * cg, cg, h, wd, win, cols);
        result.noalias() = weights.middleRows(g * og, og) * cols;
        T *dst = po + (b * o + g * og) * pixels;
        for (int64_t i = 0; i < og * pixels; ++i)
          dst[i] = (T)result.data()[i];
      }
  });
  return out;
}

Tensor conv2dInputGrad(const Tensor &dy, const Tensor &w,
                       const AttrReader &attrs, const TensorType &resultType) {
  const Shape &xs = resultType.shape;
  Window2D win = convWindow(attrs, xs, w.shape());
  const int64_t groups = attrs.getInt("groups");
  const int64_t n = xs[0], c = xs[1], h = xs[2], wd = xs[3];
  const int64_t o = w.shape()[0];
  const int64_t cg = c / groups, og = o / groups;
  const int64_t depth = cg * win.kernelH * win.kernelW;
  const int64_t pixels = win.outH * win.outW;
  Tensor out(resultType);
  if (out.numElements() == 0 || depth == 0 || og == 0)
    return out; // empty, or nothing flows back: zeros

  dispatch<Types::Float>(dy.dtype(), "conv2d_input_grad", [&](auto tag) {
    using T = decltype(tag);
    RowMatrix weights = toMatrix(w.data<T>(), o, depth);
    RowMatrix cols(depth, pixels);
    std::vector<double> acc((size_t)(c * h * wd));
    const T *pdy = dy.data<T>();
    T *po = out.data<T>();
    for (int64_t b = 0; b < n; ++b) {
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int64_t g = 0; g < groups; ++g) {
        RowMatrix grad = toMatrix(pdy + (b * o + g * og) * pixels, og, pixels);
        cols.noalias() = weights.middleRows(g * og, og).transpose() * grad;
        col2im(cols, g * cg, cg, h, wd, win, acc.data());
      }
      for (int64_t i = 0; i < c * h * wd; ++i)
        po[b * c * h * wd + i] = (T)acc[i];
    }
  });
  return out;
}

Tensor conv2dWeightGrad(const Tensor &x, const Tensor &dy,
                        const AttrReader &attrs, const TensorType &resultType) {
  Window2D win = convWindow(attrs, x.shape(), resultType.shape);
  const int64_t groups = attrs.getInt("groups");
  const int64_t n = x.shape()[0], c = x.shape()[1], h = x.shape()[2],
                wd = x.shape()[3];
  const int64_t o = resultType.shape[0];
  const int64_t cg = c / groups, og = o / groups;
  const int64_t depth = cg * win.kernelH * win.kernelW;
  const int64_t pixels = win.outH * win.outW;
  Tensor out(resultType);
  if (out.numElements() == 0)
    return out;

  dispatch<Types::Float>(x.dtype(), "conv2d_weight_grad", [&](auto tag) {
    using T = decltype(tag);
    RowMatrix acc = RowMatrix::Zero(o, depth), cols(depth, pixels);
    const T *px = x.data<T>(), *pdy = dy.data<T>();
    for (int64_t b = 0; b < n; ++b)
      for (int64_t g = 0; g < groups; ++g) {
        im2col(px + b * c * h * wd, g * cg, cg, h, wd, win, cols);
        RowMatrix grad = toMatrix(pdy + (b * o + g * og) * pixels, og, pixels);
        acc.middleRows(g * og, og).noalias() += grad * cols.transpose();
      }
    T *po = out.data<T>();
    for (int64_t i = 0; i < o * depth; ++i)
      po[i] = (T)acc.data()[i];
  });
  return out;
}

} // namespace adjoint::interp
