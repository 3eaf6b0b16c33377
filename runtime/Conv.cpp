//===- Conv.cpp - conv2d as im2col plus GEMM ------------------------------===//
//
// For each image b and group g the output is one GEMM:
//   y[b, g*O/g .. +O/g, :] = w_g [O/g, K] @ cols [K, outH*outW],
// K = C/g*kH*kW, where cols holds the input patches (im2col). Wide outputs
// are cut into column tiles so that the patch buffer stays in cache and its
// size bounded; the work items (image, group, tile) are fixed by the shape,
// and each GEMM is itself deterministic, so the result does not depend on
// the thread count. The items run in parallel when there are enough of
// them, otherwise one after the other with each GEMM split across the pool.
// 1x1 stride-1 unpadded convolutions read the input in place.
//
//===----------------------------------------------------------------------===//
#include "runtime/ConvGeometry.h"
#include "runtime/Runtime.h"
#include "runtime/Scratch.h"
#include "runtime/ThreadPool.h"

#include <algorithm>
#include <cstring>

using adjoint::rt::ConvGeometry;
using adjoint::rt::globalPool;
using adjoint::rt::Scratch;

namespace {

/// The patch buffer of one work item is kept under about this size when the
/// output is wide enough to be cut into tiles of at least MinTile columns.
constexpr int64_t TileBytes = 4 << 20;
constexpr int64_t MinTile = 256;

/// The thread's im2col patch buffer.
thread_local Scratch tScratch;

void gemm(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
          const float *b, int64_t ldb, float *c, int64_t ldc) {
  adjoint_rt_gemm_f32(m, n, k, a, lda, 0, b, ldb, 0, c, ldc);
}

void gemm(int64_t m, int64_t n, int64_t k, const double *a, int64_t lda,
          const double *b, int64_t ldb, double *c, int64_t ldc) {
  adjoint_rt_gemm_f64(m, n, k, a, lda, 0, b, ldb, 0, c, ldc);
}

template <typename T> struct Conv : ConvGeometry {
  const T *x, *w;
  T *y;
  int64_t tile, tiles; // columns per item, items per (image, group)

  Conv(const ConvGeometry &g, const T *x, const T *w, T *y)
      : ConvGeometry(g), x(x), w(w), y(y) {}
};

/// The same columns computed directly, without a patch buffer: the way out
/// when the buffer cannot be allocated.
template <typename T>
void direct(const Conv<T> &cv, int64_t b, int64_t g, int64_t first,
            int64_t count) {
  for (int64_t oc = g * cv.og; oc < (g + 1) * cv.og; ++oc)
    for (int64_t p = first; p < first + count; ++p) {
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

/// Computes work item `item` = (image, group, tile).
template <typename T> void convItem(int64_t item, void *ctx) {
  const Conv<T> &cv = *static_cast<const Conv<T> *>(ctx);
  int64_t t = item % cv.tiles, bg = item / cv.tiles;
  int64_t b = bg / cv.groups, g = bg % cv.groups;
  int64_t first = t * cv.tile, count = std::min(cv.tile, cv.ohw - first);
  const T *weights = cv.w + g * cv.og * cv.kdim;
  T *out = cv.y + (b * cv.o + g * cv.og) * cv.ohw + first;
  if (cv.inPlace) {
    const T *in = cv.x + (b * cv.c + g * cv.cg) * cv.ohw + first;
    gemm(cv.og, count, cv.kdim, weights, cv.kdim, in, cv.ohw, out, cv.ohw);
    return;
  }
  T *cols = static_cast<T *>(tScratch.get(cv.kdim * count * sizeof(T)));
  if (!cols) {
    direct(cv, b, g, first, count);
    return;
  }
  im2col<T>(cv, cv.x + (b * cv.c + g * cv.cg) * cv.h * cv.wd, first, count,
            cols);
  gemm(cv.og, count, cv.kdim, weights, cv.kdim, cols, count, out, cv.ohw);
}

template <typename T>
void conv2d(const T *x, const T *w, T *y, int64_t n, int64_t c, int64_t h,
            int64_t wd, int64_t o, int64_t kh, int64_t kw, int64_t sh,
            int64_t sw, int64_t pt, int64_t pl, int64_t dh, int64_t dw,
            int64_t groups, int64_t oh, int64_t ow) {
  if (n <= 0 || o <= 0 || oh <= 0 || ow <= 0 || groups <= 0)
    return;
  Conv<T> cv(ConvGeometry(n, c, h, wd, o, kh, kw, sh, sw, pt, pl, dh, dw,
                          groups, oh, ow),
             x, w, y);
  if (cv.kdim <= 0) {
    std::fill(y, y + n * o * cv.ohw, T(0));
    return;
  }
  cv.tile = cv.tileColumns(sizeof(T), TileBytes, MinTile);
  cv.tiles = (cv.ohw + cv.tile - 1) / cv.tile;

  int64_t items = n * groups * cv.tiles;
  adjoint::rt::ThreadPool &pool = globalPool();
  if (items >= pool.threads()) {
    pool.run(items, convItem<T>, &cv);
    return;
  }
  // Too few items to share: run them in turn, each GEMM using the pool.
  for (int64_t item = 0; item < items; ++item)
    convItem<T>(item, &cv);
}

} // namespace

extern "C" void
adjoint_rt_conv2d_f32(const float *x, const float *w, float *y, int64_t n,
                      int64_t c, int64_t h, int64_t w_, int64_t o, int64_t kh,
                      int64_t kw, int64_t stride_h, int64_t stride_w,
                      int64_t pad_top, int64_t pad_left, int64_t pad_bottom,
                      int64_t pad_right, int64_t dil_h, int64_t dil_w,
                      int64_t groups, int64_t out_h, int64_t out_w) {
  conv2d(x, w, y, n, c, h, w_, o, kh, kw, stride_h, stride_w, pad_top, pad_left,
         dil_h, dil_w, groups, out_h, out_w);
}

extern "C" void
adjoint_rt_conv2d_f64(const double *x, const double *w, double *y, int64_t n,
                      int64_t c, int64_t h, int64_t w_, int64_t o, int64_t kh,
                      int64_t kw, int64_t stride_h, int64_t stride_w,
                      int64_t pad_top, int64_t pad_left, int64_t pad_bottom,
                      int64_t pad_right, int64_t dil_h, int64_t dil_w,
                      int64_t groups, int64_t out_h, int64_t out_w) {
  conv2d(x, w, y, n, c, h, w_, o, kh, kw, stride_h, stride_w, pad_top, pad_left,
         dil_h, dil_w, groups, out_h, out_w);
}
