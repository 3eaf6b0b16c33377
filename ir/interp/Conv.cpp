//===- Conv.cpp - The conv2d kernel ---------------------------------------===//
//
// Cross-correlation (no kernel flip) as in PyTorch and ONNX, computed per
// image and group as im2col followed by one GEMM in double precision: the
// weights of a group, [O/g, C/g*kH*kW] row-major, times the unfolded input,
// [C/g*kH*kW, outH*outW], is exactly the group's slice of the NCHW output.
// Every output accumulates in f64 and rounds once.
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

} // namespace adjoint::interp
