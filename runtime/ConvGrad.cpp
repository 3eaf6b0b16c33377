//===- ConvGrad.cpp - conv2d's input and weight gradients on GEMM ---------===//
//
// With cols the patches of image b and group g (im2col, [K, outH*outW],
// K = C/g*kH*kW) and w_g the group's weights [O/g, K]:
//
//   input gradient:  dx[b, g] = col2im(w_g^T @ dy[b, g])
//   weight gradient: dw_g     = sum over b of dy[b, g] @ cols^T
//
// The input gradient's work items are (image, group) pairs, which write
// disjoint parts of dx; within an item, column tiles are folded back in
// order. The weight gradient sums over every output position of every
// image: those columns are cut into P parts (P from the shape alone), each
// part summed by one item per group into a partial sum of its own, and the
// partials added in part order at the end. Tiles never cross an image, so a
// tile of dy is a plain strided matrix. Every GEMM is the runtime's
// deterministic one and every sum has a fixed order, so, as for conv2d, the
// result does not depend on the thread count (except that an item whose
// scratch buffer cannot be allocated falls back to a direct loop).
//
//===----------------------------------------------------------------------===//
#include "runtime/ConvGeometry.h"
#include "runtime/Runtime.h"
#include "runtime/Scratch.h"
#include "runtime/ThreadPool.h"

#include <algorithm>

using adjoint::rt::ConvGeometry;
using adjoint::rt::globalPool;
using adjoint::rt::Scratch;

namespace {

/// As in Conv.cpp: patch buffers stay under about this size when the output
/// is wide enough to be cut into tiles of at least MinTile columns.
constexpr int64_t TileBytes = 4 << 20;
constexpr int64_t MinTile = 256;
/// The weight gradient's columns are cut into at most this many parts...
constexpr int64_t MaxParts = 16;
/// ...each of at least this many multiply-adds (about 10-20 us of GEMM)...
constexpr int64_t MinPartWork = int64_t(1) << 21;
/// ...and the partial sums together take at most this many bytes.
constexpr int64_t PartialBytes = 16 << 20;

/// The thread's patch buffer (and, for the weight gradient, a GEMM result).
thread_local Scratch tScratch;
/// The calling thread's partial sums of the weight gradient.
thread_local Scratch tPartials;

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

template <typename T>
void inputGrad(const ConvGeometry &geometry, const T *dy, const T *w, T *dx) {
  InputGrad<T> ig(geometry, dy, w, dx);
  if (ig.n <= 0 || ig.c <= 0 || ig.h <= 0 || ig.wd <= 0 || ig.groups <= 0)
    return;
  if (ig.kdim <= 0 || ig.ohw <= 0) {
    std::fill(dx, dx + ig.n * ig.c * ig.h * ig.wd, T(0));
    return;
  }
  ig.tile = ig.tileColumns(sizeof(T), TileBytes, MinTile);
  runItems(ig.n * ig.groups, inputGradItem<T>, &ig);
}

//===----------------------------------------------------------------------===//
// Weight gradient
//===----------------------------------------------------------------------===//

template <typename T> struct WeightGrad : ConvGeometry {
  const T *x, *dy;
  T *out; // dw
  int64_t tile;
  int64_t parts; // column parts, summed separately
  T *partials;   // [parts][O][K] when parts > 1

  WeightGrad(const ConvGeometry &g, const T *x, const T *dy, T *out)
      : ConvGeometry(g), x(x), dy(dy), out(out) {}
};

/// The number of column parts for a weight gradient: a power of two that
/// depends on the shape alone.
int64_t chooseParts(const ConvGeometry &g, int64_t elemSize) {
  // Compare in double: the products can exceed int64_t.
  double columns = static_cast<double>(g.n) * g.ohw;
  double work = columns * g.og * g.kdim * g.groups;
  double partialBytes = static_cast<double>(g.o) * g.kdim * elemSize;
  int64_t parts = 1;
  while (parts * 2 <= MaxParts && parts * 2 <= columns &&
         work / (parts * 2) >= static_cast<double>(MinPartWork) &&
         partialBytes * parts * 2 <= static_cast<double>(PartialBytes))
    parts *= 2;
  return parts;
}

/// The columns (flattened image-major over n * outH*outW) of part `p`.
template <typename T>
void partRange(const WeightGrad<T> &wg, int64_t p, int64_t &begin,
               int64_t &end) {
  int64_t columns = wg.n * wg.ohw;
  begin = adjoint::rt::chunkBegin(columns, wg.parts, p);
  end = adjoint::rt::chunkBegin(columns, wg.parts, p + 1);
}

/// The sum of group g over columns [begin, end) computed directly into acc
/// [O/g, K]: the way out when the scratch buffer cannot be allocated.
template <typename T>
void weightGradDirect(const WeightGrad<T> &wg, int64_t g, int64_t begin,
                      int64_t end, T *acc) {
  std::fill(acc, acc + wg.og * wg.kdim, T(0));
  for (int64_t col = begin; col < end; ++col) {
    int64_t b = col / wg.ohw, p = col % wg.ohw;
    int64_t oy = p / wg.ow, ox = p % wg.ow;
    for (int64_t oc = 0; oc < wg.og; ++oc) {
      T grad = wg.dy[(b * wg.o + g * wg.og + oc) * wg.ohw + p];
      for (int64_t ic = 0; ic < wg.cg; ++ic)
        for (int64_t i = 0; i < wg.kh; ++i) {
          int64_t iy = oy * wg.sh - wg.pt + i * wg.dh;
          if (iy < 0 || iy >= wg.h)
            continue;
          for (int64_t j = 0; j < wg.kw; ++j) {
            int64_t ix = ox * wg.sw - wg.pl + j * wg.dw;
            if (ix >= 0 && ix < wg.wd)
              acc[(oc * wg.cg + ic) * wg.kh * wg.kw + i * wg.kw + j] +=
                  grad *
                  wg.x[((b * wg.c + g * wg.cg + ic) * wg.h + iy) * wg.wd + ix];
          }
        }
    }
  }
}

/// Computes work item `item` = (part, group): the sum over the part's
/// columns of dy[:, g] @ cols^T, into the part's partial sum (or straight
/// into dw when there is one part).
template <typename T> void weightGradItem(int64_t item, void *ctx) {
  const WeightGrad<T> &wg = *static_cast<const WeightGrad<T> *>(ctx);
  int64_t p = item / wg.groups, g = item % wg.groups;
  int64_t size = wg.og * wg.kdim;
  T *acc = wg.parts > 1 ? wg.partials + (p * wg.groups + g) * size
                        : wg.out + g * size;
  int64_t begin, end;
  partRange(wg, p, begin, end);
  // One buffer: the patches (unless read in place), then a GEMM result.
  int64_t colsSize = wg.inPlace ? 0 : (wg.kdim * wg.tile + 15) / 16 * 16;
  T *buffer = static_cast<T *>(tScratch.get((colsSize + size) * sizeof(T)));
  if (!buffer) {
    weightGradDirect(wg, g, begin, end, acc);
    return;
  }
  T *product = buffer + colsSize;
  bool first = true;
  for (int64_t col = begin; col < end;) {
    int64_t b = col / wg.ohw, pixel = col % wg.ohw;
    int64_t count = std::min({wg.tile, end - col, wg.ohw - pixel});
    const T *image = wg.x + (b * wg.c + g * wg.cg) * wg.h * wg.wd;
    const T *cols = image + pixel;
    int64_t ldCols = wg.ohw;
    if (!wg.inPlace) {
      adjoint::rt::im2col(wg, image, pixel, count, buffer);
      cols = buffer;
      ldCols = count;
    }
    // [O/g, K] = dy tile [O/g, count] @ cols^T, cols stored [K, count].
    const T *grad = wg.dy + (b * wg.o + g * wg.og) * wg.ohw + pixel;
    T *dst = first ? acc : product;
    gemm(wg.og, wg.kdim, count, grad, wg.ohw, 0, cols, ldCols, 1, dst, wg.kdim);
    if (!first)
      for (int64_t i = 0; i < size; ++i)
        acc[i] += product[i];
    first = false;
    col += count;
  }
  if (first) // a part without columns
    std::fill(acc, acc + size, T(0));
}

/// dw[i] = sum over parts, in order, of partials[part][i].
template <typename T> void addPartials(int64_t begin, int64_t end, void *ctx) {
  const WeightGrad<T> &wg = *static_cast<const WeightGrad<T> *>(ctx);
  int64_t total = wg.o * wg.kdim;
  for (int64_t i = begin; i < end; ++i) {
    T sum = wg.partials[i];
    for (int64_t p = 1; p < wg.parts; ++p)
      sum += wg.partials[p * total + i];
    wg.out[i] = sum;
  }
}

template <typename T>
void weightGrad(const ConvGeometry &geometry, const T *x, const T *dy, T *dw) {
  WeightGrad<T> wg(geometry, x, dy, dw);
  if (wg.o <= 0 || wg.kdim <= 0 || wg.groups <= 0)
    return;
  if (wg.n <= 0 || wg.ohw <= 0) {
    std::fill(dw, dw + wg.o * wg.kdim, T(0));
    return;
  }
  wg.tile = wg.tileColumns(sizeof(T), TileBytes, MinTile);
  wg.parts = chooseParts(wg, sizeof(T));
  wg.partials = nullptr;
  if (wg.parts > 1) {
    wg.partials =
        static_cast<T *>(tPartials.get(wg.parts * wg.o * wg.kdim * sizeof(T)));
    if (!wg.partials)
      wg.parts = 1;
  }
  runItems(wg.parts * wg.groups, weightGradItem<T>, &wg);
  if (wg.parts > 1)
    adjoint_rt_parallel_for(wg.o * wg.kdim, 4096, addPartials<T>, &wg);
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
