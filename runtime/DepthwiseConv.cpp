//===- DepthwiseConv.cpp - conv2d of one input channel per group ----------===//
//
// A depthwise convolution (C/g = 1) has one input channel per group and
// only kH*kW taps per output: as a GEMM it is a product of one row, which
// wastes all but one row of every register block. Here each input channel
// of an image is copied once into its phase planes (ConvPlanes.h), where
// every tap of every output row is a contiguous run, and each output row of
// each of the group's output channels is one kernel call
// (DirectConvKernel.h: depthwiseRowKernel) that sums the taps, in order,
// into vectors along the row, written straight into y.
//
// Work items are images, each with its epilogue as soon as it is final;
// with fewer images than threads can share, (image, range of groups), the
// epilogues after. Every output is the same sum whichever item computes it,
// so the result does not depend on the thread count.
//
//===----------------------------------------------------------------------===//
#include "runtime/DepthwiseConv.h"

#include "runtime/ConvPlanes.h"
#include "runtime/GemmKernels.h"
#include "runtime/Scratch.h"
#include "runtime/ThreadPool.h"

#include <algorithm>

namespace adjoint::rt {
namespace {

/// The tap offsets, read by every item; an item's planes.
thread_local Scratch tOffsets;
thread_local Scratch tPlanes;

/// The offsets of g's taps in its phase planes, in the caller's buffer, or
/// null when it cannot be allocated.
const int64_t *tapOffsets(const ConvGeometry &g, const ConvPlanes &planes) {
  auto *offsets =
      static_cast<int64_t *>(tOffsets.get(g.kh * g.kw * sizeof(int64_t)));
  if (offsets)
    planes.tapOffsets(g, offsets);
  return offsets;
}

template <typename T> struct Depthwise : ConvGeometry {
  const KernelSet<T> &ks;
  const T *x, *w;
  T *y;
  adjoint_rt_tile_fn epilogue;
  void *ctx;
  ConvPlanes planes;
  const int64_t *offsets = nullptr;
  int64_t parts = 1; ///< ranges of groups per image

  Depthwise(const ConvGeometry &g, const KernelSet<T> &ks, const T *x,
            const T *w, T *y, adjoint_rt_tile_fn epilogue, void *ctx)
      : ConvGeometry(g), ks(ks), x(x), w(w), y(y), epilogue(epilogue), ctx(ctx),
        planes(g) {}
};

/// Groups [g0, g1) of image b.
template <typename T>
void computeGroups(const Depthwise<T> &d, int64_t b, int64_t g0, int64_t g1) {
  int64_t taps = d.kh * d.kw;
  T *buf = static_cast<T *>(tPlanes.get(d.planes.elements * sizeof(T)));
  for (int64_t g = g0; g < g1; ++g) {
    const T *image = d.x + (b * d.c + g) * d.h * d.wd;
    if (!buf) {
      // Without planes: element by element, in the kernel's order.
      directRows(d, d.x, d.w, d.y, b, g, 0, d.oh);
      continue;
    }
    d.planes.fill(d, image, buf);
    for (int64_t oc = g * d.og; oc < (g + 1) * d.og; ++oc) {
      T *out = d.y + (b * d.o + oc) * d.ohw;
      for (int64_t oy = 0; oy < d.oh; ++oy)
        d.ks.depthwiseRow(buf + oy * d.planes.ws, d.offsets, d.w + oc * taps,
                          taps, d.ow, out + oy * d.ow);
    }
  }
}

template <typename T> void imageItem(int64_t b, void *ctx) {
  const Depthwise<T> &d = *static_cast<const Depthwise<T> *>(ctx);
  computeGroups(d, b, 0, d.groups);
  if (d.epilogue)
    d.epilogue(b, b + 1, 0, d.o * d.ohw, d.ctx);
}

template <typename T> void partItem(int64_t item, void *ctx) {
  const Depthwise<T> &d = *static_cast<const Depthwise<T> *>(ctx);
  int64_t b = item / d.parts, part = item % d.parts;
  computeGroups(d, b, chunkBegin(d.groups, d.parts, part),
                chunkBegin(d.groups, d.parts, part + 1));
}

template <typename T> void epilogueItem(int64_t b, void *ctx) {
  const Depthwise<T> &d = *static_cast<const Depthwise<T> *>(ctx);
  d.epilogue(b, b + 1, 0, d.o * d.ohw, d.ctx);
}

} // namespace

bool depthwiseConvFits(const ConvGeometry &g) {
  return g.groups > 1 && g.cg == 1 && g.og >= 1;
}

template <typename T>
bool depthwiseConv2d(const ConvGeometry &geometry, const T *x, const T *w, T *y,
                     adjoint_rt_tile_fn epilogue, void *ctx) {
  const KernelSet<T> &ks = kernels<T>();
  if (!depthwiseConvFits(geometry) || !ks.depthwiseRow)
    return false;
  Depthwise<T> d(geometry, ks, x, w, y, epilogue, ctx);
  if (!(d.offsets = tapOffsets(d, d.planes)))
    return false;

  ThreadPool &pool = globalPool();
  int threads = ThreadPool::insideTask() ? 1 : pool.threads();
  if (threads == 1 || d.n >= 4 * threads || d.n % threads == 0) {
    pool.run(d.n, imageItem<T>, &d);
    return true;
  }
  // Too few images to share evenly: ranges of groups of each.
  d.parts = std::min(d.groups, (4 * threads + d.n - 1) / d.n);
  pool.run(d.n * d.parts, partItem<T>, &d);
  if (epilogue)
    pool.run(d.n, epilogueItem<T>, &d);
  return true;
}

//===----------------------------------------------------------------------===//
// Gradients
//
// Input gradient: for each channel of each image, the windows' taps are
// added back into a buffer of the span the windows read, kept as sW column
// phases so that tap (i, j) of output row oy adds dy's row, times the
// tap's weight, to a contiguous run: row oy*sH + i*dH, phase (j*dW) % sW,
// from column (j*dW) / sW. The buffer's inside is then copied to dx.
//
// Weight gradient: for each channel, image after image in order, every
// tap's products with dy are summed along the output columns into a row of
// partial sums per tap (read from the image's phase planes, ConvPlanes.h),
// added across the row at the end. Work items are channels (groups), so
// every sum has the same order whatever the thread count.
//===----------------------------------------------------------------------===//

namespace {

thread_local Scratch tSpan;
thread_local Scratch tSums;

template <typename T> struct DepthwiseGrad : ConvGeometry {
  const T *x, *dy, *w;
  T *out;
  ConvPlanes planes;
  int64_t hp, wk; ///< the span's rows, and columns per column phase
  const int64_t *offsets = nullptr;

  DepthwiseGrad(const ConvGeometry &g, const T *x, const T *dy, const T *w,
                T *out)
      : ConvGeometry(g), x(x), dy(dy), w(w), out(out), planes(g),
        hp(spanRows()), wk((spanCols() + g.sw - 1) / g.sw) {}
};

/// The input gradient of (image, channel) pairs [first, last) of n*c.
template <typename T>
void inputGradRange(const DepthwiseGrad<T> &d, int64_t first, int64_t last) {
  int64_t taps = d.kh * d.kw;
  T *span = static_cast<T *>(tSpan.get(d.sw * d.hp * d.wk * sizeof(T)));
  for (int64_t bc = first; bc < last; ++bc) {
    int64_t b = bc / d.c, c = bc % d.c;
    T *dx = d.out + bc * d.h * d.wd;
    if (!span) {
      // Without the buffer: each input element from the outputs that read
      // it, in the same order of taps and rows.
      std::fill(dx, dx + d.h * d.wd, T(0));
      for (int64_t q = 0; q < d.og; ++q) {
        int64_t oc = c * d.og + q;
        const T *grad = d.dy + (b * d.o + oc) * d.ohw;
        for (int64_t t = 0; t < taps; ++t)
          for (int64_t oy = 0; oy < d.oh; ++oy)
            for (int64_t ox = 0; ox < d.ow; ++ox) {
              int64_t iy = oy * d.sh - d.pt + t / d.kw * d.dh,
                      ix = ox * d.sw - d.pl + t % d.kw * d.dw;
              if (iy >= 0 && iy < d.h && ix >= 0 && ix < d.wd)
                dx[iy * d.wd + ix] += d.w[oc * taps + t] * grad[oy * d.ow + ox];
            }
      }
      continue;
    }
    std::fill(span, span + d.sw * d.hp * d.wk, T(0));
    for (int64_t q = 0; q < d.og; ++q) {
      int64_t oc = c * d.og + q;
      const T *grad = d.dy + (b * d.o + oc) * d.ohw;
      for (int64_t t = 0; t < taps; ++t) {
        int64_t i = t / d.kw, j = t % d.kw;
        T wt = d.w[oc * taps + t];
        int64_t col = j * d.dw;
        T *phase = span + (col % d.sw) * d.hp * d.wk + col / d.sw;
        for (int64_t oy = 0; oy < d.oh; ++oy) {
          T *row = phase + (oy * d.sh + i * d.dh) * d.wk;
          const T *g = grad + oy * d.ow;
          for (int64_t ox = 0; ox < d.ow; ++ox)
            row[ox] += wt * g[ox];
        }
      }
    }
    // dx[iy][ix] = span[iy + top][ix + left], inside the span only: the
    // columns ix0, ix0 + sW, ... come from one phase's row.
    std::fill(dx, dx + d.h * d.wd, T(0));
    int64_t rows = std::min(d.h, d.hp - d.pt);
    int64_t cols = std::min(d.wd, d.spanCols() - d.pl);
    for (int64_t ix0 = 0; ix0 < std::min(d.sw, cols); ++ix0) {
      int64_t sx = ix0 + d.pl;
      const T *phase = span + (sx % d.sw) * d.hp * d.wk + sx / d.sw;
      int64_t count = (cols - ix0 + d.sw - 1) / d.sw;
      for (int64_t iy = 0; iy < rows; ++iy) {
        const T *src = phase + (iy + d.pt) * d.wk;
        T *dst = dx + iy * d.wd + ix0;
        for (int64_t m = 0; m < count; ++m)
          dst[m * d.sw] = src[m];
      }
    }
  }
}

/// The weight gradient of groups [first, last).
template <typename T>
void weightGradRange(const DepthwiseGrad<T> &d, int64_t first, int64_t last) {
  int64_t taps = d.kh * d.kw;
  T *buf = static_cast<T *>(tPlanes.get(d.planes.elements * sizeof(T)));
  T *sums = static_cast<T *>(tSums.get(taps * d.ow * sizeof(T)));
  for (int64_t c = first; c < last; ++c)
    for (int64_t q = 0; q < d.og; ++q) {
      int64_t oc = c * d.og + q;
      if (!buf || !sums) {
        for (int64_t t = 0; t < taps; ++t) {
          T total = 0;
          for (int64_t b = 0; b < d.n; ++b)
            for (int64_t oy = 0; oy < d.oh; ++oy)
              for (int64_t ox = 0; ox < d.ow; ++ox) {
                int64_t iy = oy * d.sh - d.pt + t / d.kw * d.dh,
                        ix = ox * d.sw - d.pl + t % d.kw * d.dw;
                if (iy >= 0 && iy < d.h && ix >= 0 && ix < d.wd)
                  total += d.dy[(b * d.o + oc) * d.ohw + oy * d.ow + ox] *
                           d.x[((b * d.c + c) * d.h + iy) * d.wd + ix];
              }
          d.out[oc * taps + t] = total;
        }
        continue;
      }
      std::fill(sums, sums + taps * d.ow, T(0));
      for (int64_t b = 0; b < d.n; ++b) {
        d.planes.fill(d, d.x + (b * d.c + c) * d.h * d.wd, buf);
        const T *grad = d.dy + (b * d.o + oc) * d.ohw;
        for (int64_t t = 0; t < taps; ++t) {
          T *sum = sums + t * d.ow;
          const T *tap = buf + d.offsets[t];
          for (int64_t oy = 0; oy < d.oh; ++oy) {
            const T *g = grad + oy * d.ow, *xr = tap + oy * d.planes.ws;
            for (int64_t ox = 0; ox < d.ow; ++ox)
              sum[ox] += g[ox] * xr[ox];
          }
        }
      }
      for (int64_t t = 0; t < taps; ++t) {
        T total = 0;
        for (int64_t ox = 0; ox < d.ow; ++ox)
          total += sums[t * d.ow + ox];
        d.out[oc * taps + t] = total;
      }
    }
}

} // namespace

template <typename T>
bool depthwiseInputGrad(const ConvGeometry &geometry, const T *dy, const T *w,
                        T *dx) {
  if (!depthwiseConvFits(geometry) || geometry.oh <= 0 || geometry.ow <= 0)
    return false;
  DepthwiseGrad<T> d(geometry, nullptr, dy, w, dx);
  forRanges(d.n * d.c, [&](int64_t first, int64_t last) {
    inputGradRange(d, first, last);
  });
  return true;
}

template <typename T>
bool depthwiseWeightGrad(const ConvGeometry &geometry, const T *x, const T *dy,
                         T *dw) {
  if (!depthwiseConvFits(geometry) || geometry.oh <= 0 || geometry.ow <= 0)
    return false;
  DepthwiseGrad<T> d(geometry, x, dy, nullptr, dw);
  if (!(d.offsets = tapOffsets(d, d.planes)))
    return false;
  forRanges(d.c, [&](int64_t first, int64_t last) {
    weightGradRange(d, first, last);
  });
  return true;
}

template bool depthwiseInputGrad<float>(const ConvGeometry &, const float *,
                                        const float *, float *);
template bool depthwiseInputGrad<double>(const ConvGeometry &, const double *,
                                         const double *, double *);
template bool depthwiseWeightGrad<float>(const ConvGeometry &, const float *,
                                         const float *, float *);
template bool depthwiseWeightGrad<double>(const ConvGeometry &, const double *,
                                          const double *, double *);

template bool depthwiseConv2d<float>(const ConvGeometry &, const float *,
                                     const float *, float *, adjoint_rt_tile_fn,
                                     void *);
template bool depthwiseConv2d<double>(const ConvGeometry &, const double *,
                                      const double *, double *,
                                      adjoint_rt_tile_fn, void *);

} // namespace adjoint::rt
