//===- Conv.cpp - conv2d as a GEMM over phase planes ----------------------===//
//
// Layers that fit run by Winograd's minimal filtering (WinogradConv.h: unit
// strides, 3 or 5 taps a side, a vector's worth of channels) or as a direct
// convolution (DirectConv.h: enough output channels and taps) instead; the
// rest but depthwise layers (DepthwiseConv.h), such as a first layer of one
// input channel and 1x1 layers, run here.
//
// For each image b and group g the output is one GEMM (ConvPlanes.h):
//
//   out [O/g, oh*ws] = w_g [O/g, K] @ taps of the planes [K, oh*ws],
//
// K = C/g*kH*kW, the planes filled once per image and group and read in
// place through a table of tap offsets, the weights packed once per call
// for every image. Output rows are then copied to y without the columns
// past outW; when ws == outW (kW == 1, or wide strides) the GEMM writes y
// directly. A 1x1 stride-1 unpadded convolution reads the input in place.
//
// Work items are images; an image's groups run one after the other, and an
// optional epilogue runs on each image as soon as it is final. With fewer
// images than threads can share, the images run in turn and each GEMM is
// split across the pool instead. Every element is the same sum whichever
// thread computes it, so the result does not depend on the thread count.
//
//===----------------------------------------------------------------------===//
#include "runtime/Conv.h"

#include "runtime/ConvPlanes.h"
#include "runtime/DepthwiseConv.h"
#include "runtime/DirectConv.h"
#include "runtime/Gemm.h"
#include "runtime/Runtime.h"
#include "runtime/Scratch.h"
#include "runtime/ThreadPool.h"
#include "runtime/WinogradConv.h"

#include <algorithm>
#include <cstring>

namespace adjoint::rt {
namespace {

/// The caller's packed weights and tap offsets, read by every item.
thread_local Scratch tWeights;
thread_local Scratch tOffsets;
/// The item's planes and GEMM output.
thread_local Scratch tPlanes;

template <typename T> struct Conv : ConvGeometry {
  const T *x, *w;
  T *y;
  ConvPlanes planes;
  const T *packed = nullptr;        // [groups][og*kdim], or null
  const int64_t *offsets = nullptr; // [kdim]
  adjoint_rt_tile_fn epilogue;
  void *ctx;
  bool split = false;   // one item at a time, each GEMM across the pool
  int64_t rowWidth = 0; // columns per output row when rows are vectors

  Conv(const ConvGeometry &g, const T *x, const T *w, T *y,
       adjoint_rt_tile_fn epilogue, void *ctx)
      : ConvGeometry(g), x(x), w(w), y(y), planes(g), epilogue(epilogue),
        ctx(ctx) {}
};

/// Output channels of group g of image b computed directly: the way out
/// when a buffer cannot be allocated.
template <typename T> void direct(const Conv<T> &cv, int64_t b, int64_t g) {
  for (int64_t oc = g * cv.og; oc < (g + 1) * cv.og; ++oc)
    for (int64_t p = 0; p < cv.ohw; ++p) {
      int64_t oy = p / cv.ow, ox = p % cv.ow;
      T sum = 0;
      for (int64_t ic = 0; ic < cv.cg; ++ic)
        for (int64_t i = 0; i < cv.kh; ++i) {
          int64_t iy = oy * cv.sh - cv.pt + i * cv.dh;
          if (iy < 0 || iy >= cv.h)
            continue;
          for (int64_t j = 0; j < cv.kw; ++j) {
            int64_t ix = ox * cv.sw - cv.pl + j * cv.dw;
            if (ix < 0 || ix >= cv.wd)
              continue;
            sum +=
                cv.x[((b * cv.c + g * cv.cg + ic) * cv.h + iy) * cv.wd + ix] *
                cv.w[((oc * cv.cg + ic) * cv.kh + i) * cv.kw + j];
          }
        }
      cv.y[(b * cv.o + oc) * cv.ohw + p] = sum;
    }
}

/// Group g of image b.
template <typename T> void convGroup(const Conv<T> &cv, int64_t b, int64_t g) {
  const ConvPlanes &pl = cv.planes;
  const T *image = cv.x + (b * cv.c + g * cv.cg) * cv.h * cv.wd;
  T *y = cv.y + (b * cv.o + g * cv.og) * cv.ohw;
  bool copyOut = pl.ws != cv.ow;
  int64_t planeElems = cv.inPlace ? 0 : (pl.elements + 15) / 16 * 16;
  int64_t outElems = copyOut ? cv.og * pl.q : 0;
  T *buf = static_cast<T *>(tPlanes.get((planeElems + outElems) * sizeof(T)));
  if (!buf || !cv.offsets)
    return direct(cv, b, g);
  const T *planes = image;
  if (!cv.inPlace) {
    pl.fill(cv, image, buf);
    planes = buf;
  }
  T *out = copyOut ? buf + planeElems : y;
  GemmProblem<T> p{cv.og,  pl.q, cv.kdim, nullptr, 0,    false,
                   planes, 0,    false,   out,     pl.q, false};
  p.bRows = cv.offsets;
  if (cv.rowWidth) {
    // Each output row as whole vectors of its own (ConvPlanes.h).
    p.n = cv.oh * cv.rowWidth;
    p.groupCols = cv.rowWidth;
    p.groupStride = pl.ws;
  }
  if (cv.packed)
    p.aPacked = cv.packed + g * cv.og * cv.kdim;
  else {
    p.a = cv.w + g * cv.og * cv.kdim;
    p.lda = cv.kdim;
  }
  if (cv.split)
    gemmParallel(p, nullptr, nullptr);
  else
    gemmSerial(p);
  if (copyOut)
    for (int64_t oc = 0; oc < cv.og; ++oc)
      for (int64_t oy = 0; oy < cv.oh; ++oy)
        std::memcpy(y + (oc * cv.oh + oy) * cv.ow, out + oc * pl.q + oy * pl.ws,
                    cv.ow * sizeof(T));
}

template <typename T> void convImage(int64_t b, void *ctx) {
  const Conv<T> &cv = *static_cast<const Conv<T> *>(ctx);
  for (int64_t g = 0; g < cv.groups; ++g)
    convGroup(cv, b, g);
  if (cv.epilogue)
    cv.epilogue(b, b + 1, 0, cv.o * cv.ohw, cv.ctx);
}

} // namespace

template <typename T>
void conv2d(const ConvGeometry &geometry, const T *x, const T *w, T *y,
            adjoint_rt_tile_fn epilogue, void *ctx) {
  Conv<T> cv(geometry, x, w, y, epilogue, ctx);
  if (cv.n <= 0 || cv.o <= 0 || cv.oh <= 0 || cv.ow <= 0 || cv.groups <= 0)
    return;
  if (cv.kdim <= 0) {
    std::fill(y, y + cv.n * cv.o * cv.ohw, T(0));
    if (epilogue)
      epilogue(0, cv.n, 0, cv.o * cv.ohw, ctx);
    return;
  }
  if (winogradConv2d(geometry, x, w, y, epilogue, ctx) ||
      directConv2d(geometry, x, w, y, epilogue, ctx) ||
      depthwiseConv2d(geometry, x, w, y, epilogue, ctx))
    return;
  // Weights packed once for every image; without the buffer each GEMM
  // packs them itself, and without offsets the items compute directly.
  int64_t perGroup = packedASize(cv.og, cv.kdim);
  if (T *packed =
          static_cast<T *>(tWeights.get(cv.groups * perGroup * sizeof(T)))) {
    for (int64_t g = 0; g < cv.groups; ++g)
      prepackA(GemmProblem<T>{cv.og, 0, cv.kdim, w + g * cv.og * cv.kdim,
                              cv.kdim, false, nullptr, 0, false, nullptr, 0,
                              false},
               packed + g * perGroup);
    cv.packed = packed;
  }
  if (auto *offsets =
          static_cast<int64_t *>(tOffsets.get(cv.kdim * sizeof(int64_t)))) {
    cv.planes.tapOffsets(cv, offsets);
    cv.offsets = offsets;
  }
  cv.rowWidth = cv.planes.vectorRowWidth(cv);

  ThreadPool &pool = globalPool();
  int threads = ThreadPool::insideTask() ? 1 : pool.threads();
  if (cv.n >= 4 * threads || cv.n % threads == 0) {
    pool.run(cv.n, convImage<T>, &cv);
    return;
  }
  // Too few images to share evenly: each one's GEMM uses the pool.
  cv.split = true;
  for (int64_t b = 0; b < cv.n; ++b)
    convImage<T>(b, &cv);
}

template void conv2d<float>(const ConvGeometry &, const float *, const float *,
                            float *, adjoint_rt_tile_fn, void *);
template void conv2d<double>(const ConvGeometry &, const double *,
                             const double *, double *, adjoint_rt_tile_fn,
                             void *);

} // namespace adjoint::rt

using adjoint::rt::ConvGeometry;

extern "C" void
adjoint_rt_conv2d_f32(const float *x, const float *w, float *y, int64_t n,
                      int64_t c, int64_t h, int64_t w_, int64_t o, int64_t kh,
                      int64_t kw, int64_t stride_h, int64_t stride_w,
                      int64_t pad_top, int64_t pad_left, int64_t pad_bottom,
                      int64_t pad_right, int64_t dil_h, int64_t dil_w,
                      int64_t groups, int64_t out_h, int64_t out_w) {
  adjoint::rt::conv2d(ConvGeometry(n, c, h, w_, o, kh, kw, stride_h, stride_w,
                                   pad_top, pad_left, dil_h, dil_w, groups,
                                   out_h, out_w),
                      x, w, y, nullptr, nullptr);
}

extern "C" void
adjoint_rt_conv2d_f64(const double *x, const double *w, double *y, int64_t n,
                      int64_t c, int64_t h, int64_t w_, int64_t o, int64_t kh,
                      int64_t kw, int64_t stride_h, int64_t stride_w,
                      int64_t pad_top, int64_t pad_left, int64_t pad_bottom,
                      int64_t pad_right, int64_t dil_h, int64_t dil_w,
                      int64_t groups, int64_t out_h, int64_t out_w) {
  adjoint::rt::conv2d(ConvGeometry(n, c, h, w_, o, kh, kw, stride_h, stride_w,
                                   pad_top, pad_left, dil_h, dil_w, groups,
                                   out_h, out_w),
                      x, w, y, nullptr, nullptr);
}

extern "C" void adjoint_rt_conv2d_ex_f32(
    const float *x, const float *w, float *y, int64_t n, int64_t c, int64_t h,
    int64_t w_, int64_t o, int64_t kh, int64_t kw, int64_t stride_h,
    int64_t stride_w, int64_t pad_top, int64_t pad_left, int64_t pad_bottom,
    int64_t pad_right, int64_t dil_h, int64_t dil_w, int64_t groups,
    int64_t out_h, int64_t out_w, adjoint_rt_tile_fn epilogue, void *ctx) {
  adjoint::rt::conv2d(ConvGeometry(n, c, h, w_, o, kh, kw, stride_h, stride_w,
                                   pad_top, pad_left, dil_h, dil_w, groups,
                                   out_h, out_w),
                      x, w, y, epilogue, ctx);
}

extern "C" void adjoint_rt_conv2d_ex_f64(
    const double *x, const double *w, double *y, int64_t n, int64_t c,
    int64_t h, int64_t w_, int64_t o, int64_t kh, int64_t kw, int64_t stride_h,
    int64_t stride_w, int64_t pad_top, int64_t pad_left, int64_t pad_bottom,
    int64_t pad_right, int64_t dil_h, int64_t dil_w, int64_t groups,
    int64_t out_h, int64_t out_w, adjoint_rt_tile_fn epilogue, void *ctx) {
  adjoint::rt::conv2d(ConvGeometry(n, c, h, w_, o, kh, kw, stride_h, stride_w,
                                   pad_top, pad_left, dil_h, dil_w, groups,
                                   out_h, out_w),
                      x, w, y, epilogue, ctx);
}
