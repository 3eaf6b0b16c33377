//===- Pool.cpp - The pooling kernels and their gradients -----------------===//
//
// A window covers rows y*sH - top .. + kH and columns x*sW - left .. + kW of
// one channel; only its in-image elements take part, so padding never wins a
// max. Shape inference keeps every window non-empty. The gradients route
// each window's dy back to the elements it pooled, adding in f64 where
// windows overlap and rounding once.
//
//===----------------------------------------------------------------------===//
#include "ir/interp/Kernels.h"

#include "ir/ShapeInference.h"

#include <algorithm>

namespace adjoint::interp {

namespace {

/// Calls `fn(p, o, y0, y1, x0, x1)` for every window of planes of `h` x `w`
/// elements: `p` is the plane, `o` the window's index in the [planes, outH,
/// outW] output, and [y0,y1) x [x0,x1) the in-image part of the window.
template <typename Fn>
void forEachWindowIndex(int64_t planes, int64_t h, int64_t w,
                        const Window2D &win, Fn fn) {
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t oy = 0; oy < win.outH; ++oy) {
      int64_t top = oy * win.strideH - win.padTop;
      int64_t y0 = std::max<int64_t>(top, 0);
      int64_t y1 = std::min(top + win.kernelH, h);
      for (int64_t ox = 0; ox < win.outW; ++ox) {
        int64_t left = ox * win.strideW - win.padLeft;
        int64_t x0 = std::max<int64_t>(left, 0);
        int64_t x1 = std::min(left + win.kernelW, w);
        fn(p, (p * win.outH + oy) * win.outW + ox, y0, y1, x0, x1);
      }
    }
}

/// Calls `fn(plane, out, y0, y1, x0, x1)` for every output element: `plane`
/// is its [H,W] input channel, `out` the element, and [y0,y1) x [x0,x1) the
/// in-image part of its window.
template <typename T, typename Fn>
void forEachWindow(const Tensor &x, Tensor &out, const Window2D &win, Fn fn) {
  const int64_t h = x.shape()[2], w = x.shape()[3];
  const T *px = x.data<T>();
  T *po = out.data<T>();
  forEachWindowIndex(
      x.shape()[0] * x.shape()[1], h, w, win,
      [&](int64_t p, int64_t o, int64_t y0, int64_t y1, int64_t x0,
          int64_t x1) { fn(px + p * h * w, po[o], y0, y1, x0, x1); });
}

/// `acc` rounded to a tensor of `type`.
template <typename T>
Tensor rounded(const std::vector<double> &acc, const TensorType &type) {
  Tensor out(type);
  T *po = out.data<T>();
  for (size_t i = 0; i < acc.size(); ++i)
    po[i] = (T)acc[i];
  return out;
}

} // namespace

Tensor maxPool2d(const Tensor &x, const AttrReader &attrs,
                 const TensorType &resultType) {
  Window2D win = poolWindow(attrs, x.shape());
  const int64_t w = x.shape()[3];
  Tensor out(resultType);
  dispatch<Types::Numeric>(x.dtype(), "max_pool2d", [&](auto tag) {
    using T = decltype(tag);
    forEachWindow<T>(x, out, win,
                     [&](const T *plane, T &result, int64_t y0, int64_t y1,
                         int64_t x0, int64_t x1) {
                       T acc = lowestValue<T>();
                       for (int64_t y = y0; y < y1; ++y)
                         for (int64_t xx = x0; xx < x1; ++xx)
                           acc = maxPropagatingNaN(acc, plane[y * w + xx]);
                       result = acc;
                     });
  });
  return out;
}

Tensor avgPool2d(const Tensor &x, const AttrReader &attrs,
                 const TensorType &resultType) {
  Window2D win = poolWindow(attrs, x.shape());
  const int64_t w = x.shape()[3];
  const bool includePad = attrs.getBool("count_include_pad");
  Tensor out(resultType);
  dispatch<Types::Float>(x.dtype(), "avg_pool2d", [&](auto tag) {
    using T = decltype(tag);
    forEachWindow<T>(x, out, win,
                     [&](const T *plane, T &result, int64_t y0, int64_t y1,
                         int64_t x0, int64_t x1) {
                       double sum = 0;
                       for (int64_t y = y0; y < y1; ++y)
                         for (int64_t xx = x0; xx < x1; ++xx)
                           sum += (double)plane[y * w + xx];
                       double count = includePad
                                          ? (double)(win.kernelH * win.kernelW)
                                          : (double)((y1 - y0) * (x1 - x0));
                       result = (T)(sum / count);
                     });
  });
  return out;
}

Tensor maxPool2dGrad(const Tensor &x, const Tensor &dy, const AttrReader &attrs,
                     const TensorType &resultType) {
  Window2D win = poolWindow(attrs, x.shape());
  const int64_t h = x.shape()[2], w = x.shape()[3];
  Tensor out;
  dispatch<Types::Float>(x.dtype(), "max_pool2d_grad", [&](auto tag) {
    using T = decltype(tag);
    const T *px = x.data<T>(), *pdy = dy.data<T>();
    std::vector<double> acc((size_t)x.numElements());
    forEachWindowIndex(x.shape()[0] * x.shape()[1], h, w, win,
                       [&](int64_t p, int64_t o, int64_t y0, int64_t y1,
                           int64_t x0, int64_t x1) {
                         // The first maximum in row-major order, or the first
                         // NaN.
                         const T *plane = px + p * h * w;
                         int64_t best = y0 * w + x0;
                         for (int64_t y = y0; y < y1; ++y)
                           for (int64_t xx = x0; xx < x1; ++xx) {
                             T v = plane[y * w + xx], b = plane[best];
                             if (!isNaN(b) && (isNaN(v) || v > b))
                               best = y * w + xx;
                           }
                         acc[p * h * w + best] += (double)pdy[o];
                       });
    out = rounded<T>(acc, resultType);
  });
  return out;
}

Tensor avgPool2dGrad(const Tensor &dy, const AttrReader &attrs,
                     const TensorType &resultType) {
  const Shape &xs = resultType.shape;
  Window2D win = poolWindow(attrs, xs);
  const int64_t h = xs[2], w = xs[3];
  const bool includePad = attrs.getBool("count_include_pad");
  Tensor out;
  dispatch<Types::Float>(dy.dtype(), "avg_pool2d_grad", [&](auto tag) {
    using T = decltype(tag);
    const T *pdy = dy.data<T>();
    std::vector<double> acc((size_t)resultType.numElements());
    forEachWindowIndex(xs[0] * xs[1], h, w, win,
                       [&](int64_t p, int64_t o, int64_t y0, int64_t y1,
                           int64_t x0, int64_t x1) {
                         double count =
                             includePad ? (double)(win.kernelH * win.kernelW)
                                        : (double)((y1 - y0) * (x1 - x0));
                         double share = (double)pdy[o] / count;
                         double *plane = acc.data() + p * h * w;
                         for (int64_t y = y0; y < y1; ++y)
                           for (int64_t xx = x0; xx < x1; ++xx)
                             plane[y * w + xx] += share;
                       });
    out = rounded<T>(acc, resultType);
  });
  return out;
}

} // namespace adjoint::interp
