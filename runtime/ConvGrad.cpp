//===- ConvGrad.cpp - conv2d's input and weight gradients on GEMM ---------===//
//
// Input gradient. With stride 1 it is a convolution of dy with the kernel
// flipped in both axes and its channel axes swapped, padded by
// dil*(k-1) - pad (when that is not negative): conv2d (Conv.cpp) runs it.
// With strides s (undilated, the kernel at least s wide), each phase of
// dx's rows and columns (a + s*u) is such a convolution with the taps that
// reach it, run by conv2d too (inputGradByPhases). Otherwise, with cols the
// patches of image b and group g ([K, outH*outW],
// K = C/g*kH*kW) and w_g the group's weights [O/g, K]:
//
//   dx[b, g] = col2im(w_g^T @ dy[b, g])
//
// on work items (image, group), which write disjoint parts of dx; column
// tiles of an item are folded back in order.
//
// Weight gradient. Layers with a vector's worth of input channels run as a
// direct weight gradient (DirectConv.h). Otherwise, over the phase planes of
// each image (ConvPlanes.h), the transposed gradient of group g is one
// batch-reduce GEMM:
//
//   dw_g^T [K, O/g] += taps of the planes [K, outH*outW] @ dy[b, g]^T
//
// summed over the images b in order into a block that stays in cache, dy
// transposed, the taps read in place through their offsets. The sums run
// over the planes' columns (zeros of dy in those past outW), or, when those
// are many or an input is not finite, over the real output positions only,
// each output row a segment of a row of the planes (GemmProblem::aSegment).
// Work items are (group, range of taps); each writes its rows of dw once,
// transposed, at the end. Every sum has a fixed order, so, as for conv2d, the
// result does not depend on the thread count (except that an item whose buffers
// cannot be allocated falls back to direct loops).
//
//===----------------------------------------------------------------------===//
#include "runtime/Conv.h"
#include "runtime/ConvGeometry.h"
#include "runtime/ConvPlanes.h"
#include "runtime/DepthwiseConv.h"
#include "runtime/DirectConv.h"
#include "runtime/Gemm.h"
#include "runtime/GemmKernels.h"
#include "runtime/Runtime.h"
#include "runtime/Scratch.h"
#include "runtime/ThreadPool.h"
#include "runtime/WinogradConv.h"

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <vector>

using adjoint::rt::ConvGeometry;
using adjoint::rt::ConvPlanes;
using adjoint::rt::GemmProblem;
using adjoint::rt::globalPool;
using adjoint::rt::Scratch;

namespace {

/// The col2im path's patch buffers stay under about this size when the
/// output is wide enough to be cut into tiles of at least MinTile columns.
constexpr int64_t TileBytes = 4 << 20;
constexpr int64_t MinTile = 256;

/// The thread's patch buffer, or a weight-gradient item's planes and sums.
thread_local Scratch tScratch;
/// The calling thread's flipped kernel for a stride-1 input gradient.
thread_local Scratch tFlipped;

void gemm(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
          int32_t ta, const float *b, int64_t ldb, int32_t tb, float *c,
          int64_t ldc) {
  adjoint_rt_gemm_f32(m, n, k, a, lda, ta, b, ldb, tb, c, ldc);
}

void gemm(int64_t m, int64_t n, int64_t k, const double *a, int64_t lda,
          int32_t ta, const double *b, int64_t ldb, int32_t tb, double *c,
          int64_t ldc) {
  adjoint_rt_gemm_f64(m, n, k, a, lda, ta, b, ldb, tb, c, ldc);
}

/// Runs `items` work items: on the pool when there are enough of them,
/// otherwise in turn, each GEMM then using the pool itself.
void runItems(int64_t items, adjoint::rt::TaskFn fn, void *ctx) {
  adjoint::rt::ThreadPool &pool = globalPool();
  if (items >= pool.threads()) {
    pool.run(items, fn, ctx);
    return;
  }
  for (int64_t item = 0; item < items; ++item)
    fn(item, ctx);
}

//===----------------------------------------------------------------------===//
// Input gradient
//===----------------------------------------------------------------------===//

template <typename T> struct InputGrad : ConvGeometry {
  const T *dy, *w;
  T *dx;
  int64_t tile;

  InputGrad(const ConvGeometry &g, const T *dy, const T *w, T *dx)
      : ConvGeometry(g), dy(dy), w(w), dx(dx) {}
};

/// dx of image b, group g computed directly: the way out when the patch
/// buffer cannot be allocated.
template <typename T>
void inputGradDirect(const InputGrad<T> &ig, int64_t b, int64_t g, T *image) {
  std::fill(image, image + ig.cg * ig.h * ig.wd, T(0));
  for (int64_t oc = g * ig.og; oc < (g + 1) * ig.og; ++oc)
    for (int64_t p = 0; p < ig.ohw; ++p) {
      int64_t oy = p / ig.ow, ox = p % ig.ow;
      T grad = ig.dy[(b * ig.o + oc) * ig.ohw + p];
      for (int64_t ic = 0; ic < ig.cg; ++ic)
        for (int64_t i = 0; i < ig.kh; ++i) {
          int64_t iy = oy * ig.sh - ig.pt + i * ig.dh;
          if (iy < 0 || iy >= ig.h)
            continue;
          for (int64_t j = 0; j < ig.kw; ++j) {
            int64_t ix = ox * ig.sw - ig.pl + j * ig.dw;
            if (ix >= 0 && ix < ig.wd)
              image[(ic * ig.h + iy) * ig.wd + ix] +=
                  ig.w[((oc * ig.cg + ic) * ig.kh + i) * ig.kw + j] * grad;
          }
        }
    }
}

/// Computes work item `item` = (image, group): channels of group g of dx's
/// image b.
template <typename T> void inputGradItem(int64_t item, void *ctx) {
  const InputGrad<T> &ig = *static_cast<const InputGrad<T> *>(ctx);
  int64_t b = item / ig.groups, g = item % ig.groups;
  const T *weights = ig.w + g * ig.og * ig.kdim;
  const T *grad = ig.dy + (b * ig.o + g * ig.og) * ig.ohw;
  T *image = ig.dx + (b * ig.c + g * ig.cg) * ig.h * ig.wd;
  if (ig.inPlace) {
    // The patches are the image itself: dx = w_g^T [C/g, O/g] @ dy.
    gemm(ig.cg, ig.ohw, ig.og, weights, ig.kdim, 1, grad, ig.ohw, 0, image,
         ig.ohw);
    return;
  }
  T *cols = static_cast<T *>(tScratch.get(ig.kdim * ig.tile * sizeof(T)));
  if (!cols) {
    inputGradDirect(ig, b, g, image);
    return;
  }
  std::fill(image, image + ig.cg * ig.h * ig.wd, T(0));
  for (int64_t first = 0; first < ig.ohw; first += ig.tile) {
    int64_t count = std::min(ig.tile, ig.ohw - first);
    gemm(ig.kdim, count, ig.og, weights, ig.kdim, 1, grad + first, ig.ohw, 0,
         cols, count);
    adjoint::rt::col2imAdd(ig, cols, first, count, image);
  }
}

/// The input gradient of a stride-1 convolution as a convolution of dy
/// with the kernel flipped in both axes, its channel axes swapped within
/// each group; false (nothing done) when the flipped padding
/// dil*(k-1) - pad would be negative or the buffer cannot be allocated.
template <typename T>
bool inputGradAsConv(const ConvGeometry &g, const T *dy, const T *w, T *dx) {
  int64_t top = g.dh * (g.kh - 1) - g.pt, left = g.dw * (g.kw - 1) - g.pl;
  if (g.sh != 1 || g.sw != 1 || top < 0 || left < 0)
    return false;
  T *flipped = static_cast<T *>(tFlipped.get(g.o * g.kdim * sizeof(T)));
  if (!flipped)
    return false;
  // flipped[g*cg + ic, oc, i, j] = w[g*og + oc, ic, kH-1-i, kW-1-j]
  int64_t taps = g.kh * g.kw;
  for (int64_t grp = 0; grp < g.groups; ++grp)
    for (int64_t ic = 0; ic < g.cg; ++ic)
      for (int64_t oc = 0; oc < g.og; ++oc) {
        const T *src = w + ((grp * g.og + oc) * g.cg + ic) * taps;
        T *dst = flipped + ((grp * g.cg + ic) * g.og + oc) * taps;
        for (int64_t t = 0; t < taps; ++t)
          dst[t] = src[taps - 1 - t];
      }
  // Right and bottom padding follow from the output size, h and w.
  adjoint::rt::conv2d(ConvGeometry(g.n, g.o, g.oh, g.ow, g.c, g.kh, g.kw, 1, 1,
                                   top, left, g.dh, g.dw, g.groups, g.h, g.wd),
                      dy, flipped, dx, nullptr, nullptr);
  return true;
}

/// One phase of a strided input gradient along one axis: the input
/// positions a, a + s, a + 2s, ... receive the taps first, first + s, ...
/// (`taps` of them), a stride-1 convolution of dy padded by `pad` before,
/// with `out` outputs.
struct AxisPhase {
  int64_t first, taps, pad, out;
};

/// Phase a of an axis of stride s, kernel k, leading pad p and input size
/// `size` (dilation 1). The taps i with i = a + p (mod s) reach input a + s*u
/// from output u + (a + p - i) / s, so the phase is a convolution over dy
/// with those taps in reverse order, padded by (last tap - a - p) / s.
inline AxisPhase axisPhase(int64_t a, int64_t s, int64_t k, int64_t p,
                           int64_t size) {
  AxisPhase ph{(a + p) % s, 0, 0, a < size ? (size - a + s - 1) / s : 0};
  if (ph.first < k) {
    ph.taps = (k - 1 - ph.first) / s + 1;
    ph.pad = (ph.first + s * (ph.taps - 1) - a - p) / s;
  }
  return ph;
}

/// Images of a phase's output held at once: about this many bytes.
constexpr int64_t PhaseBytes = 16 << 20;

/// A phase of a strided input gradient being computed: where its images go.
template <typename T> struct PhaseScatter {
  const ConvGeometry *g;
  const T *out; ///< [images][C][rows.out][cols.out]
  T *dx;        ///< the first image of the chunk
  int64_t a, b; ///< the phase
  AxisPhase rows, cols;
};

/// conv2d's epilogue for one image of a phase: moves it into dx's rows
/// a, a + sH, ... and columns b, b + sW, ..., while it is in cache.
template <typename T>
void scatterPhase(int64_t i0, int64_t i1, int64_t, int64_t, void *ctx) {
  const PhaseScatter<T> &ps = *static_cast<const PhaseScatter<T> *>(ctx);
  const ConvGeometry &g = *ps.g;
  int64_t plane = ps.rows.out * ps.cols.out;
  for (int64_t img = i0; img < i1; ++img)
    for (int64_t c = 0; c < g.c; ++c) {
      const T *src = ps.out + (img * g.c + c) * plane;
      T *dst = ps.dx + (img * g.c + c) * g.h * g.wd + ps.a * g.wd + ps.b;
      for (int64_t u = 0; u < ps.rows.out; ++u) {
        T *row = dst + u * g.sh * g.wd;
        for (int64_t v = 0; v < ps.cols.out; ++v)
          row[v * g.sw] = src[u * ps.cols.out + v];
      }
    }
}

/// The input gradient of a strided, undilated convolution as sH x sW
/// stride-1 convolutions of dy, one per phase (a, b) of dx's rows and
/// columns, each with the taps that reach that phase, flipped, their
/// channel axes swapped within each group; conv2d runs them (so they take
/// its direct, Winograd or GEMM ways) and each image of a phase is moved
/// into dx as soon as it is final. No patch matrix, no col2im. False
/// (nothing done) for a kernel narrower than its stride, when a phase would
/// need negative padding (a pad past the kernel) or a buffer cannot be
/// allocated.
template <typename T>
bool inputGradByPhases(const ConvGeometry &g, const T *dy, const T *w, T *dx) {
  // A kernel narrower than its stride leaves phases that no tap reaches
  // (a 1 x 1 kernel of stride 2: three of four), which col2im skips.
  if ((g.sh == 1 && g.sw == 1) || g.dh != 1 || g.dw != 1 || g.kh < g.sh ||
      g.kw < g.sw || g.pt < 0 || g.pl < 0)
    return false;
  // The phases of the rows and of the columns; the largest phase plane is
  // the first along each axis.
  std::vector<AxisPhase> rowPhases, colPhases;
  for (int64_t a = 0; a < g.sh; ++a)
    rowPhases.push_back(axisPhase(a, g.sh, g.kh, g.pt, g.h));
  for (int64_t b = 0; b < g.sw; ++b)
    colPhases.push_back(axisPhase(b, g.sw, g.kw, g.pl, g.wd));
  auto negative = [](const AxisPhase &p) { return p.pad < 0; };
  if (std::any_of(rowPhases.begin(), rowPhases.end(), negative) ||
      std::any_of(colPhases.begin(), colPhases.end(), negative))
    return false;
  int64_t imageBytes =
      g.c * rowPhases[0].out * colPhases[0].out * int64_t(sizeof(T));
  int64_t chunk = std::clamp<int64_t>(
      PhaseBytes / std::max<int64_t>(imageBytes, 1), 1, g.n);
  T *flipped = static_cast<T *>(tFlipped.get(g.o * g.kdim * sizeof(T)));
  T *out = static_cast<T *>(tScratch.get(chunk * imageBytes));
  if (!flipped || !out)
    return false;
  for (int64_t a = 0; a < g.sh; ++a)
    for (int64_t b = 0; b < g.sw; ++b) {
      const AxisPhase &rows = rowPhases[a], &cols = colPhases[b];
      if (rows.out == 0 || cols.out == 0)
        continue;
      // flipped[grp*cg + ic, oc, ti, tj] =
      //   w[grp*og + oc, ic, rows.first + sH*(taps-1-ti), ...]
      int64_t taps = rows.taps * cols.taps;
      for (int64_t grp = 0; grp < g.groups; ++grp)
        for (int64_t ic = 0; ic < g.cg; ++ic)
          for (int64_t oc = 0; oc < g.og; ++oc) {
            const T *src = w + ((grp * g.og + oc) * g.cg + ic) * g.kh * g.kw;
            T *dst = flipped + ((grp * g.cg + ic) * g.og + oc) * taps;
            for (int64_t ti = 0; ti < rows.taps; ++ti)
              for (int64_t tj = 0; tj < cols.taps; ++tj) {
                int64_t i = rows.first + g.sh * (rows.taps - 1 - ti),
                        j = cols.first + g.sw * (cols.taps - 1 - tj);
                dst[ti * cols.taps + tj] = src[i * g.kw + j];
              }
          }
      for (int64_t b0 = 0; b0 < g.n; b0 += chunk) {
        int64_t count = std::min(chunk, g.n - b0);
        PhaseScatter<T> ps{&g,   out, dx + b0 * g.c * g.h * g.wd, a, b,
                           rows, cols};
        adjoint::rt::conv2d(ConvGeometry(count, g.o, g.oh, g.ow, g.c, rows.taps,
                                         cols.taps, 1, 1, rows.pad, cols.pad, 1,
                                         1, g.groups, rows.out, cols.out),
                            dy + b0 * g.o * g.ohw,
                            static_cast<const T *>(flipped), out,
                            scatterPhase<T>, &ps);
      }
    }
  return true;
}

template <typename T>
void inputGrad(const ConvGeometry &geometry, const T *dy, const T *w, T *dx) {
  InputGrad<T> ig(geometry, dy, w, dx);
  if (ig.n <= 0 || ig.c <= 0 || ig.h <= 0 || ig.wd <= 0 || ig.groups <= 0)
    return;
  if (ig.kdim <= 0 || ig.ohw <= 0) {
    std::fill(dx, dx + ig.n * ig.c * ig.h * ig.wd, T(0));
    return;
  }
  if (inputGradAsConv(geometry, dy, w, dx) ||
      adjoint::rt::depthwiseInputGrad(geometry, dy, w, dx) ||
      inputGradByPhases(geometry, dy, w, dx))
    return;
  ig.tile = ig.tileColumns(sizeof(T), TileBytes, MinTile);
  runItems(ig.n * ig.groups, inputGradItem<T>, &ig);
}

//===----------------------------------------------------------------------===//
// Weight gradient
//===----------------------------------------------------------------------===//

template <typename T> struct WeightGrad : ConvGeometry {
  const T *x, *dy;
  T *out; // dw
  ConvPlanes planes;
  const int64_t *offsets = nullptr; // [kdim]
  bool segmented = false;           // over the real output positions only
  int64_t parts = 1;                // ranges of taps per group
  int64_t unit = 1;                 // taps per register block

  WeightGrad(const ConvGeometry &g, const T *x, const T *dy, T *dw)
      : ConvGeometry(g), x(x), dy(dy), out(dw), planes(g) {}
};

/// Taps [k0, k1) of group g computed directly into dw: the way out when a
/// buffer cannot be allocated.
template <typename T>
void weightGradDirect(const WeightGrad<T> &wg, int64_t g, int64_t k0,
                      int64_t k1) {
  for (int64_t oc = 0; oc < wg.og; ++oc)
    for (int64_t kk = k0; kk < k1; ++kk) {
      int64_t ic = kk / (wg.kh * wg.kw), i = kk / wg.kw % wg.kh, j = kk % wg.kw;
      T sum = 0;
      for (int64_t b = 0; b < wg.n; ++b)
        for (int64_t oy = 0; oy < wg.oh; ++oy) {
          int64_t iy = oy * wg.sh - wg.pt + i * wg.dh;
          if (iy < 0 || iy >= wg.h)
            continue;
          for (int64_t ox = 0; ox < wg.ow; ++ox) {
            int64_t ix = ox * wg.sw - wg.pl + j * wg.dw;
            if (ix >= 0 && ix < wg.wd)
              sum +=
                  wg.dy[((b * wg.o + g * wg.og + oc) * wg.oh + oy) * wg.ow +
                        ox] *
                  wg.x[((b * wg.c + g * wg.cg + ic) * wg.h + iy) * wg.wd + ix];
          }
        }
      wg.out[(g * wg.og + oc) * wg.kdim + kk] = sum;
    }
}

/// True when no element of x[0:n] is infinite or NaN.

/// Computes work item `item` = (group, part): taps [k0, k1) of the group's
/// weight gradient, summed over every image.
template <typename T> void weightGradItem(int64_t item, void *ctx) {
  const WeightGrad<T> &wg = *static_cast<const WeightGrad<T> *>(ctx);
  const ConvPlanes &pl = wg.planes;
  int64_t g = item / wg.parts, part = item % wg.parts;
  int64_t units = (wg.kdim + wg.unit - 1) / wg.unit;
  int64_t k0 = adjoint::rt::chunkBegin(units, wg.parts, part) * wg.unit;
  int64_t k1 = std::min(
      wg.kdim, adjoint::rt::chunkBegin(units, wg.parts, part + 1) * wg.unit);
  if (k0 >= k1)
    return;
  // One buffer: the planes (unless read in place), dy^T, then dw^T.
  int64_t planeElems = wg.inPlace ? 0 : (pl.elements + 15) / 16 * 16;
  int64_t gradElems = (pl.q * wg.og + 15) / 16 * 16;
  T *buf = static_cast<T *>(
      tScratch.get((planeElems + gradElems + (k1 - k0) * wg.og) * sizeof(T)));
  if (!buf || !wg.offsets)
    return weightGradDirect(wg, g, k0, k1);
  T *gradT = buf + planeElems, *sum = gradT + gradElems;
  for (int64_t b = 0; b < wg.n; ++b) {
    const T *image = wg.x + (b * wg.c + g * wg.cg) * wg.h * wg.wd;
    const T *planes = image;
    if (!wg.inPlace) {
      pl.fill(wg, image, buf);
      planes = buf;
    }
    // The columns past outW multiply input elements by zeros of dy: an
    // infinite or NaN input would make that NaN. Such an image, and every
    // image when those columns are many, sums over the real output
    // positions only, each output row a segment of a row of the planes.
    bool segmented =
        wg.segmented || !adjoint::rt::allFinite(image, wg.cg * wg.h * wg.wd);
    int64_t width = segmented ? wg.ow : pl.ws;
    // gradT[oy*width + ox][oc] = dy[b, g*og + oc, oy, ox], zeros past outW,
    // read along rows of dy (the writes, og apart, stay in L1).
    const T *grad = wg.dy + (b * wg.o + g * wg.og) * wg.ohw;
    for (int64_t oy = 0; oy < wg.oh; ++oy) {
      T *row = gradT + oy * width * wg.og;
      for (int64_t oc = 0; oc < wg.og; ++oc) {
        const T *src = grad + oc * wg.ohw + oy * wg.ow;
        for (int64_t ox = 0; ox < wg.ow; ++ox)
          row[ox * wg.og + oc] = src[ox];
      }
      std::fill(row + wg.ow * wg.og, row + width * wg.og, T(0));
    }
    GemmProblem<T> p{k1 - k0, wg.og, wg.oh * width, planes, 0,     false,
                     gradT,   wg.og, false,         sum,    wg.og, b > 0};
    p.aRows = wg.offsets + k0;
    if (segmented) {
      p.aSegment = wg.ow;
      p.aSegmentStride = pl.ws;
    }
    gemmSerial(p);
  }
  for (int64_t oc = 0; oc < wg.og; ++oc)
    for (int64_t kk = k0; kk < k1; ++kk)
      wg.out[(g * wg.og + oc) * wg.kdim + kk] = sum[(kk - k0) * wg.og + oc];
}

/// The thread's offsets of the taps.
thread_local Scratch tOffsets;

template <typename T>
void weightGrad(const ConvGeometry &geometry, const T *x, const T *dy, T *dw) {
  WeightGrad<T> wg(geometry, x, dy, dw);
  if (wg.o <= 0 || wg.kdim <= 0 || wg.groups <= 0)
    return;
  if (wg.n <= 0 || wg.ohw <= 0) {
    std::fill(dw, dw + wg.o * wg.kdim, T(0));
    return;
  }
  if (adjoint::rt::winogradWeightGrad(geometry, x, dy, dw) ||
      adjoint::rt::directWeightGrad(geometry, x, dy, dw) ||
      adjoint::rt::rowWeightGrad(geometry, x, dy, dw) ||
      adjoint::rt::depthwiseWeightGrad(geometry, x, dy, dw))
    return;
  if (auto *offsets =
          static_cast<int64_t *>(tOffsets.get(wg.kdim * sizeof(int64_t)))) {
    wg.planes.tapOffsets(wg, offsets);
    wg.offsets = offsets;
  }
  // Enough ranges of taps for every thread, in whole register blocks; the
  // split decides only who computes what.
  adjoint::rt::ThreadPool &pool = globalPool();
  int threads = adjoint::rt::ThreadPool::insideTask() ? 1 : pool.threads();
  wg.unit = adjoint::rt::kernels<T>().mr;
  // Segments cost a little per output row: worth it when the planes' rows
  // are at least a sixth longer than the output's.
  wg.segmented = (wg.planes.ws - wg.ow) * 6 >= wg.planes.ws;
  int64_t units = (wg.kdim + wg.unit - 1) / wg.unit;
  wg.parts =
      std::clamp<int64_t>((threads + wg.groups - 1) / wg.groups, 1, units);
  pool.run(wg.groups * wg.parts, weightGradItem<T>, &wg);
}

} // namespace

extern "C" void adjoint_rt_conv2d_input_grad_f32(
    const float *dy, const float *w, float *dx, int64_t n, int64_t c, int64_t h,
    int64_t w_, int64_t o, int64_t kh, int64_t kw, int64_t stride_h,
    int64_t stride_w, int64_t pad_top, int64_t pad_left, int64_t pad_bottom,
    int64_t pad_right, int64_t dil_h, int64_t dil_w, int64_t groups,
    int64_t out_h, int64_t out_w) {
  inputGrad(ConvGeometry(n, c, h, w_, o, kh, kw, stride_h, stride_w, pad_top,
                         pad_left, dil_h, dil_w, groups, out_h, out_w),
            dy, w, dx);
}

extern "C" void adjoint_rt_conv2d_input_grad_f64(
    const double *dy, const double *w, double *dx, int64_t n, int64_t c,
    int64_t h, int64_t w_, int64_t o, int64_t kh, int64_t kw, int64_t stride_h,
    int64_t stride_w, int64_t pad_top, int64_t pad_left, int64_t pad_bottom,
    int64_t pad_right, int64_t dil_h, int64_t dil_w, int64_t groups,
    int64_t out_h, int64_t out_w) {
  inputGrad(ConvGeometry(n, c, h, w_, o, kh, kw, stride_h, stride_w, pad_top,
                         pad_left, dil_h, dil_w, groups, out_h, out_w),
            dy, w, dx);
}

extern "C" void adjoint_rt_conv2d_weight_grad_f32(
    const float *x, const float *dy, float *dw, int64_t n, int64_t c, int64_t h,
    int64_t w_, int64_t o, int64_t kh, int64_t kw, int64_t stride_h,
    int64_t stride_w, int64_t pad_top, int64_t pad_left, int64_t pad_bottom,
    int64_t pad_right, int64_t dil_h, int64_t dil_w, int64_t groups,
    int64_t out_h, int64_t out_w) {
  weightGrad(ConvGeometry(n, c, h, w_, o, kh, kw, stride_h, stride_w, pad_top,
                          pad_left, dil_h, dil_w, groups, out_h, out_w),
             x, dy, dw);
}

extern "C" void adjoint_rt_conv2d_weight_grad_f64(
    const double *x, const double *dy, double *dw, int64_t n, int64_t c,
    int64_t h, int64_t w_, int64_t o, int64_t kh, int64_t kw, int64_t stride_h,
    int64_t stride_w, int64_t pad_top, int64_t pad_left, int64_t pad_bottom,
    int64_t pad_right, int64_t dil_h, int64_t dil_w, int64_t groups,
    int64_t out_h, int64_t out_w) {
  weightGrad(ConvGeometry(n, c, h, w_, o, kh, kw, stride_h, stride_w, pad_top,
                          pad_left, dil_h, dil_w, groups, out_h, out_w),
             x, dy, dw);
}
