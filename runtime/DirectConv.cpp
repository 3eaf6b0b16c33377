//===- DirectConv.cpp - conv2d as a direct convolution, channels last -----===//
//
// For each image b and group g, the group's input channels are copied once
// into a channels-last image that includes the padding the windows read:
//
//   X[iy][ix][c] = x[b, g*C/g + c, iy - top, ix - left]   (0 outside x)
//
// and the weights, once per call, into blocks of output channels as wide as
// the kernel's vectors, [taps][C/g][block]. An output row is then cut into
// near-equal runs of at most directR positions, and each run times each
// block of channels is one micro-kernel call (DirectConvKernel.h) with every
// output of the tile in registers; its tile is written back to y's rows
// (NCHW). Unlike the GEMM over phase planes (Conv.cpp), no column that no
// output needs is computed.
//
// Work items are images, each with its epilogue as soon as it is final. With
// fewer images than threads can share, all images are copied first and the
// items are (image, group, block of channels, band of rows), the epilogues
// after. Every output is one kernel's sum in a fixed order, so the result
// does not depend on the thread count.
//
//===----------------------------------------------------------------------===//
#include "runtime/DirectConv.h"

#include "runtime/ConvPlanes.h"
#include "runtime/GemmKernels.h"
#include "runtime/Scratch.h"
#include "runtime/ThreadPool.h"

#include <algorithm>
#include <cmath>

namespace adjoint::rt {
namespace {

/// The caller's packed weights, tap offsets and (small batches) images.
thread_local Scratch tWeights;
thread_local Scratch tTaps;
thread_local Scratch tImages;

/// tImages of `bytes`, or null when that is more than kMaxBatchCopyBytes
/// or cannot be allocated.
void *batchCopy(int64_t bytes) {
  return bytes <= kMaxBatchCopyBytes ? tImages.get(bytes) : nullptr;
}

/// An item's channels-last image.
thread_local Scratch tImage;

template <typename T> struct Direct : ConvGeometry {
  const KernelSet<T> &ks;
  const T *x, *w;
  T *y;
  adjoint_rt_tile_fn epilogue;
  void *ctx;
  int64_t hp, wp;                ///< rows and columns of a channels-last image
  int64_t imageElems;            ///< elements of one image of one group
  int64_t block;                 ///< output channels of a full block
  int64_t blocks;                ///< blocks per group
  int64_t runs;                  ///< runs per output row
  int64_t rowBands;              ///< bands of rows per item (small batches)
  const T *packed = nullptr;     ///< [groups][blocks][taps][cg][width]
  const int64_t *taps = nullptr; ///< [kh*kw] offsets into an image
  const T *images = nullptr;     ///< [n][groups][imageElems], or null

  Direct(const ConvGeometry &g, const KernelSet<T> &ks, const T *x, const T *w,
         T *y, adjoint_rt_tile_fn epilogue, void *ctx)
      : ConvGeometry(g), ks(ks), x(x), w(w), y(y), epilogue(epilogue), ctx(ctx),
        hp(spanRows()), wp(spanCols()), imageElems(hp * wp * cg),
        block(int64_t(ks.directNv) * ks.lanes), blocks(ceilDiv(og, block)),
        runs(ceilDiv(ow, ks.directR)), rowBands(1) {}

  /// Vectors of block ob (the last may be narrower).
  int vectors(int64_t ob) const {
    return (int)ceilDiv(std::min(block, og - ob * block), ks.lanes);
  }
  /// Where block ob of group g starts in the packed weights.
  int64_t packedOffset(int64_t g, int64_t ob) const {
    return (g * blocks + ob) * block * kh * kw * cg;
  }
};

/// Packs the weights [O, C/g, kH, kW] as [groups][blocks][taps][cg][width],
/// width = the block's vectors times lanes, channels past og zero.
template <typename T> void packWeights(const Direct<T> &d, T *dst) {
  int64_t taps = d.kh * d.kw;
  for (int64_t g = 0; g < d.groups; ++g)
    for (int64_t ob = 0; ob < d.blocks; ++ob) {
      int64_t width = int64_t(d.vectors(ob)) * d.ks.lanes;
      T *out = dst + d.packedOffset(g, ob);
      for (int64_t t = 0; t < taps; ++t)
        for (int64_t c = 0; c < d.cg; ++c)
          for (int64_t k = 0; k < width; ++k) {
            int64_t oc = ob * d.block + k;
            *out++ =
                oc < d.og ? d.w[((g * d.og + oc) * d.cg + c) * taps + t] : T(0);
          }
    }
}

template <typename T>
void packImage(const Direct<T> &d, int64_t b, int64_t g, T *dst) {
  packImage(d, d.x, d.hp, d.wp, d.cg, b, g, dst, d.ks.transpose);
}

/// Rows [oy0, oy1) of block ob of group g of image b, from its
/// channels-last image.
template <typename T>
void computeRows(const Direct<T> &d, const T *image, int64_t b, int64_t g,
                 int64_t ob, int64_t oy0, int64_t oy1) {
  int nv = d.vectors(ob);
  int64_t width = int64_t(nv) * d.ks.lanes;
  int64_t valid = std::min(d.block, d.og - ob * d.block);
  alignas(64) T tile[MaxDirectR * MaxNv * 16];
  DirectConvArgs<T> args{};
  args.pixelStride = d.sw * d.cg;
  args.tapOffsets = d.taps;
  args.taps = d.kh * d.kw;
  args.channels = d.cg;
  args.w = d.packed + d.packedOffset(g, ob);
  args.out = tile;
  T *yBlock = d.y + (b * d.o + g * d.og + ob * d.block) * d.ohw;
  for (int64_t oy = oy0; oy < oy1; ++oy) {
    const T *row = image + oy * d.sh * d.wp * d.cg;
    for (int64_t q = 0; q < d.runs; ++q) {
      int64_t ox0 = chunkBegin(d.ow, d.runs, q),
              count = chunkBegin(d.ow, d.runs, q + 1) - ox0;
      args.x = row + ox0 * args.pixelStride;
      d.ks.direct[count][nv](args);
      for (int64_t k = 0; k < valid; ++k) {
        T *out = yBlock + k * d.ohw + oy * d.ow + ox0;
        for (int64_t r = 0; r < count; ++r)
          out[r] = tile[r * width + k];
      }
    }
  }
}

/// One image: copied, computed block by block, then its epilogue.
template <typename T> void imageItem(int64_t b, void *ctx) {
  const Direct<T> &d = *static_cast<const Direct<T> *>(ctx);
  if (T *image = static_cast<T *>(tImage.get(d.imageElems * sizeof(T)))) {
    for (int64_t g = 0; g < d.groups; ++g) {
      packImage(d, b, g, image);
      for (int64_t ob = 0; ob < d.blocks; ++ob)
        computeRows(d, image, b, g, ob, 0, d.oh);
    }
  } else {
    for (int64_t g = 0; g < d.groups; ++g)
      directRows(d, d.x, d.w, d.y, b, g, 0, d.oh);
  }
  if (d.epilogue)
    d.epilogue(b, b + 1, 0, d.o * d.ohw, d.ctx);
}

template <typename T> void packItem(int64_t item, void *ctx) {
  const Direct<T> &d = *static_cast<const Direct<T> *>(ctx);
  int64_t b = item / d.groups, g = item % d.groups;
  packImage(d, b, g, const_cast<T *>(d.images) + item * d.imageElems);
}

template <typename T> void bandItem(int64_t item, void *ctx) {
  const Direct<T> &d = *static_cast<const Direct<T> *>(ctx);
  int64_t band = item % d.rowBands, rest = item / d.rowBands;
  int64_t ob = rest % d.blocks, bg = rest / d.blocks;
  int64_t b = bg / d.groups, g = bg % d.groups;
  computeRows(d, d.images + bg * d.imageElems, b, g, ob,
              chunkBegin(d.oh, d.rowBands, band),
              chunkBegin(d.oh, d.rowBands, band + 1));
}

template <typename T> void epilogueItem(int64_t b, void *ctx) {
  const Direct<T> &d = *static_cast<const Direct<T> *>(ctx);
  d.epilogue(b, b + 1, 0, d.o * d.ohw, d.ctx);
}

} // namespace

template <typename T>
bool directConvFits(const ConvGeometry &g, const KernelSet<T> &ks) {
  // Blocks of output channels narrower than a vector waste most of it
  // (depthwise convolutions); 1x1 unit-stride ones read their input in
  // place as a GEMM; rows shorter than 4 outputs keep too few sums in
  // flight. Each tile is written back to y element by element, which costs
  // as much as its sums when they are short: kdim >= 8 lanes keeps that
  // under about a tenth (the first layer of a CNN stays with the GEMM).
  if (!ks.direct[1][1] || g.inPlace || g.og < ks.lanes || g.ow < 4 ||
      g.kdim < 8 * ks.lanes)
    return false;
  // Where the GEMM over phase planes computes every column it keeps (rows
  // a whole number of vectors wide), it runs as fast or faster (measured:
  // 32 x 32 images, 3 x 3 kernel, 0.88 of the FMA peak against 0.80);
  // where it drops a sixteenth of its columns or more (the CNN's 14 x 14
  // layer drops 2 of 16), the direct convolution wins (0.91 against 0.80).
  ConvPlanes planes(g);
  int64_t width = planes.vectorRowWidth(g), cols = width ? width : planes.ws;
  return (cols - g.ow) * 16 >= cols;
}

template <typename T>
bool directConv2d(const ConvGeometry &geometry, const T *x, const T *w, T *y,
                  adjoint_rt_tile_fn epilogue, void *ctx) {
  const KernelSet<T> &ks = kernels<T>();
  if (!directConvFits(geometry, ks))
    return false;
  Direct<T> d(geometry, ks, x, w, y, epilogue, ctx);
  T *packed = static_cast<T *>(tWeights.get(d.groups * d.blocks * d.block *
                                            d.kh * d.kw * d.cg * sizeof(T)));
  auto *taps = static_cast<int64_t *>(tTaps.get(d.kh * d.kw * sizeof(int64_t)));
  if (!packed || !taps || !tImage.get(d.imageElems * sizeof(T)))
    return false;
  packWeights(d, packed);
  for (int64_t i = 0; i < d.kh; ++i)
    for (int64_t j = 0; j < d.kw; ++j)
      taps[i * d.kw + j] = (i * d.dh * d.wp + j * d.dw) * d.cg;
  d.packed = packed;
  d.taps = taps;

  ThreadPool &pool = globalPool();
  int threads = ThreadPool::insideTask() ? 1 : pool.threads();
  if (threads == 1 || d.n >= 4 * threads || d.n % threads == 0) {
    pool.run(d.n, imageItem<T>, &d);
    return true;
  }
  // Too few images to share evenly: all of them copied first, then bands
  // of rows of each block of channels shared.
  T *images =
      static_cast<T *>(batchCopy(d.n * d.groups * d.imageElems * sizeof(T)));
  if (!images) {
    for (int64_t b = 0; b < d.n; ++b)
      imageItem<T>(b, &d);
    return true;
  }
  d.images = images;
  pool.run(d.n * d.groups, packItem<T>, &d);
  int64_t items = d.n * d.groups * d.blocks;
  d.rowBands = std::min(d.oh, ceilDiv(4 * threads, items));
  pool.run(items * d.rowBands, bandItem<T>, &d);
  if (epilogue)
    pool.run(d.n, epilogueItem<T>, &d);
  return true;
}

//===----------------------------------------------------------------------===//
// Weight gradient
//
// dw[oc, c, i, j] = sum over images b, positions (oy, ox) of
//   dy[b, oc, oy, ox] * X_b[oy*sH + i*dH][ox*sW + j*dW][c]
//
// over every image's channels-last copy X_b, its pixels padded to whole
// vectors of channels. Work items are (group, block of output channels,
// band of taps); an item sums image after image, in order, into a block
// [taps][rows][channels] that stays in cache, each image's sums over its
// positions in registers (DirectGradArgs), and writes its part of dw once.
//===----------------------------------------------------------------------===//

namespace {

template <typename T> struct DirectGrad : ConvGeometry {
  const KernelSet<T> &ks;
  const T *x, *dy;
  T *out;             ///< dw
  int64_t hp, wp;     ///< rows and columns of a channels-last image
  int64_t stride;     ///< elements per pixel: cg rounded up to whole vectors
  int64_t imageElems; ///< elements of one image of one group
  int64_t width;      ///< channels of a full block of vectors
  int64_t rowBlocks;  ///< blocks of output channels per group
  int64_t tapBands;   ///< bands of taps per block
  const T *images = nullptr; ///< [n][groups][imageElems]

  DirectGrad(const ConvGeometry &g, const KernelSet<T> &ks, const T *x,
             const T *dy, T *dw)
      : ConvGeometry(g), ks(ks), x(x), dy(dy), out(dw), hp(spanRows()),
        wp(spanCols()), stride(ceilDiv(cg, ks.lanes) * ks.lanes),
        imageElems(hp * wp * stride), width(int64_t(ks.directNv) * ks.lanes),
        rowBlocks(ceilDiv(og, ks.directR)), tapBands(1) {}
};

template <typename T> void gradPackItem(int64_t item, void *ctx) {
  const DirectGrad<T> &d = *static_cast<const DirectGrad<T> *>(ctx);
  int64_t b = item / d.groups, g = item % d.groups;
  packImage(d, d.x, d.hp, d.wp, d.stride, b, g,
            const_cast<T *>(d.images) + item * d.imageElems, d.ks.transpose);
}

/// Output channels [oc0, oc1) of group g, taps [t0, t1): summed over every
/// image into `sum` [t1-t0][oc1-oc0][stride], then written to dw.
template <typename T>
void gradBlock(const DirectGrad<T> &d, int64_t g, int64_t oc0, int64_t oc1,
               int64_t t0, int64_t t1, T *sum) {
  int64_t rows = oc1 - oc0;
  DirectGradArgs<T> args{};
  args.dyStride = d.ohw;
  args.dyRowStep = d.ow;
  args.xRowStep = d.sh * d.wp * d.stride;
  args.xColStep = d.sw * d.stride;
  args.rows = d.oh;
  args.cols = d.ow;
  args.ldo = d.stride;
  for (int64_t b = 0; b < d.n; ++b) {
    const T *image = d.images + (b * d.groups + g) * d.imageElems;
    args.dy = d.dy + (b * d.o + g * d.og + oc0) * d.ohw;
    args.accumulate = b > 0;
    for (int64_t t = t0; t < t1; ++t) {
      int64_t i = t / d.kw, j = t % d.kw;
      const T *tap = image + (i * d.dh * d.wp + j * d.dw) * d.stride;
      for (int64_t c = 0; c < d.stride; c += d.width) {
        int nv = (int)(std::min(d.width, d.stride - c) / d.ks.lanes);
        args.x = tap + c;
        args.out = sum + ((t - t0) * rows) * d.stride + c;
        d.ks.directGrad[rows][nv](args);
      }
    }
  }
  int64_t taps = d.kh * d.kw;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < d.cg; ++c)
      for (int64_t t = t0; t < t1; ++t)
        d.out[((g * d.og + oc0 + r) * d.cg + c) * taps + t] =
            sum[((t - t0) * rows + r) * d.stride + c];
}

/// Thread's block of sums.
thread_local Scratch tSums;

template <typename T> void gradItem(int64_t item, void *ctx) {
  const DirectGrad<T> &d = *static_cast<const DirectGrad<T> *>(ctx);
  int64_t band = item % d.tapBands, rest = item / d.tapBands;
  int64_t rb = rest % d.rowBlocks, g = rest / d.rowBlocks;
  int64_t oc0 = chunkBegin(d.og, d.rowBlocks, rb),
          oc1 = chunkBegin(d.og, d.rowBlocks, rb + 1);
  int64_t taps = d.kh * d.kw;
  int64_t t0 = chunkBegin(taps, d.tapBands, band),
          t1 = chunkBegin(taps, d.tapBands, band + 1);
  T *sum = static_cast<T *>(
      tSums.get((t1 - t0) * (oc1 - oc0) * d.stride * sizeof(T)));
  if (sum) {
    gradBlock(d, g, oc0, oc1, t0, t1, sum);
    return;
  }
  // The way out without a buffer: one tap and one output channel at a
  // time, in a block on the stack.
  alignas(64) T one[MaxNv * 16 * 64];
  if (d.stride <= MaxNv * 16 * 64) {
    for (int64_t oc = oc0; oc < oc1; ++oc)
      for (int64_t t = t0; t < t1; ++t)
        gradBlock(d, g, oc, oc + 1, t, t + 1, one);
    return;
  }
  for (int64_t oc = oc0; oc < oc1; ++oc)
    for (int64_t t = t0; t < t1; ++t) {
      int64_t i = t / d.kw, j = t % d.kw;
      for (int64_t c = 0; c < d.cg; ++c) {
        T total = 0;
        for (int64_t b = 0; b < d.n; ++b) {
          T partial = 0;
          const T *image = d.images + (b * d.groups + g) * d.imageElems;
          const T *grad = d.dy + (b * d.o + g * d.og + oc) * d.ohw;
          for (int64_t oy = 0; oy < d.oh; ++oy)
            for (int64_t ox = 0; ox < d.ow; ++ox)
              partial = std::fma(
                  grad[oy * d.ow + ox],
                  image[((oy * d.sh + i * d.dh) * d.wp + ox * d.sw + j * d.dw) *
                            d.stride +
                        c],
                  partial);
          total = b > 0 ? total + partial : partial;
        }
        d.out[((g * d.og + oc) * d.cg + c) * taps + t] = total;
      }
    }
}

} // namespace

template <typename T>
bool directWeightGradFits(const ConvGeometry &g, const KernelSet<T> &ks) {
  // Vectors run along the input channels here: fewer than a vector's
  // worth waste most of each (the first layer of a CNN, depthwise ones).
  return ks.directGrad[1][1] && !g.inPlace && g.cg >= ks.lanes && g.ow >= 4 &&
         g.og >= 4;
}

template <typename T>
bool directWeightGrad(const ConvGeometry &geometry, const T *x, const T *dy,
                      T *dw) {
  const KernelSet<T> &ks = kernels<T>();
  if (!directWeightGradFits(geometry, ks))
    return false;
  DirectGrad<T> d(geometry, ks, x, dy, dw);
  T *images =
      static_cast<T *>(batchCopy(d.n * d.groups * d.imageElems * sizeof(T)));
  if (!images)
    return false;
  d.images = images;
  ThreadPool &pool = globalPool();
  int threads = ThreadPool::insideTask() ? 1 : pool.threads();
  pool.run(d.n * d.groups, gradPackItem<T>, &d);
  int64_t items = d.groups * d.rowBlocks;
  d.tapBands = std::min(d.kh * d.kw, ceilDiv(4 * threads, items));
  if (threads == 1)
    d.tapBands = 1;
  pool.run(items * d.tapBands, gradItem<T>, &d);
  return true;
}

//===----------------------------------------------------------------------===//
// Weight gradient of layers with few input channels (a CNN's first layer)
//
// With vectors along the output columns instead: every image's channels are
// copied once into zero-padded planes [hp][wp], and for R output channels,
// one input channel, one kernel row i and up to MaxRowGradT taps j of it,
//
//   dw[oc, c, i, j] = sum over images, positions of
//                     dy[b, oc, oy, ox] * P_b,c[oy*sH + i*dH][ox + j*dW]
//
// the kernel (rowGradKernel) keeps R x taps vectors of partial sums over an
// image's rows, added image after image, in order, and across lanes at the
// end. Work items are (group, block of output channels, channel, kernel
// row, group of taps), each writing its own elements of dw.
//===----------------------------------------------------------------------===//

namespace {

template <typename T> struct RowGrad : ConvGeometry {
  const KernelSet<T> &ks;
  const T *x, *dy;
  T *out;                    ///< dw
  int64_t hp, wp;            ///< rows and columns of a padded plane
  int64_t rowBlocks;         ///< blocks of output channels per group
  int64_t tapGroups;         ///< groups of taps along a kernel row
  const T *planes = nullptr; ///< [n][c][hp][wp]

  RowGrad(const ConvGeometry &g, const KernelSet<T> &ks, const T *x,
          const T *dy, T *dw)
      : ConvGeometry(g), ks(ks), x(x), dy(dy), out(dw), hp(spanRows()),
        wp(spanCols()), rowBlocks(ceilDiv(og, ks.rowGradR)),
        tapGroups(ceilDiv(kw, MaxRowGradT)) {}
};

template <typename T> void planeItem(int64_t item, void *ctx) {
  const RowGrad<T> &d = *static_cast<const RowGrad<T> *>(ctx);
  T *dst = const_cast<T *>(d.planes) + item * d.hp * d.wp;
  const T *src = d.x + item * d.h * d.wd;
  std::fill(dst, dst + d.hp * d.wp, T(0));
  Inside in = insideOf(d, d.hp, d.wp);
  for (int64_t iy = in.iy0; iy < in.iy1; ++iy)
    std::copy(src + (iy - d.pt) * d.wd + in.ix0 - d.pl,
              src + (iy - d.pt) * d.wd + in.ix1 - d.pl,
              dst + iy * d.wp + in.ix0);
}

template <typename T> void rowGradItem(int64_t item, void *ctx) {
  const RowGrad<T> &d = *static_cast<const RowGrad<T> *>(ctx);
  int64_t tg = item % d.tapGroups, rest = item / d.tapGroups;
  int64_t i = rest % d.kh;
  rest /= d.kh;
  int64_t c = rest % d.cg;
  rest /= d.cg;
  int64_t rb = rest % d.rowBlocks, g = rest / d.rowBlocks;
  int64_t oc0 = chunkBegin(d.og, d.rowBlocks, rb),
          oc1 = chunkBegin(d.og, d.rowBlocks, rb + 1);
  int64_t j0 = chunkBegin(d.kw, d.tapGroups, tg),
          j1 = chunkBegin(d.kw, d.tapGroups, tg + 1);
  int rows = int(oc1 - oc0), taps = int(j1 - j0), lanes = d.ks.lanes;
  alignas(64) T sums[MaxRowGradR * MaxRowGradT * 16];
  RowGradArgs<T> args{};
  args.dyStride = d.ohw;
  args.dyRowStep = d.ow;
  args.xRowStep = d.sh * d.wp;
  args.tapStep = d.dw;
  args.rows = d.oh;
  args.cols = d.ow;
  args.out = sums;
  for (int64_t b = 0; b < d.n; ++b) {
    args.dy = d.dy + (b * d.o + g * d.og + oc0) * d.ohw;
    args.x = d.planes + ((b * d.c + g * d.cg + c) * d.hp + i * d.dh) * d.wp +
             j0 * d.dw;
    args.accumulate = b > 0;
    d.ks.rowGrad[rows][taps](args);
  }
  int64_t kk = d.kh * d.kw;
  for (int r = 0; r < rows; ++r)
    for (int t = 0; t < taps; ++t) {
      T total = 0;
      for (int l = 0; l < lanes; ++l)
        total += sums[(r * taps + t) * lanes + l];
      d.out[((g * d.og + oc0 + r) * d.cg + c) * kk + i * d.kw + j0 + t] = total;
    }
}

} // namespace

template <typename T>
bool rowWeightGradFits(const ConvGeometry &g, const KernelSet<T> &ks) {
  // Vectors run along output rows with unit stride; layers with a vector's
  // worth of input channels take the direct weight gradient instead.
  return ks.rowGrad[1][1] && !g.inPlace && g.cg < ks.lanes && g.sw == 1 &&
         g.ow >= ks.lanes / 2 && g.kw <= 4 * MaxRowGradT;
}

template <typename T>
bool rowWeightGrad(const ConvGeometry &geometry, const T *x, const T *dy,
                   T *dw) {
  const KernelSet<T> &ks = kernels<T>();
  if (!rowWeightGradFits(geometry, ks))
    return false;
  RowGrad<T> d(geometry, ks, x, dy, dw);
  T *planes = static_cast<T *>(batchCopy(d.n * d.c * d.hp * d.wp * sizeof(T)));
  if (!planes)
    return false;
  d.planes = planes;
  ThreadPool &pool = globalPool();
  pool.run(d.n * d.c, planeItem<T>, &d);
  pool.run(d.groups * d.rowBlocks * d.cg * d.kh * d.tapGroups, rowGradItem<T>,
           &d);
  return true;
}

template bool rowWeightGradFits<float>(const ConvGeometry &,
                                       const KernelSet<float> &);
template bool rowWeightGradFits<double>(const ConvGeometry &,
                                        const KernelSet<double> &);
template bool rowWeightGrad<float>(const ConvGeometry &, const float *,
                                   const float *, float *);
template bool rowWeightGrad<double>(const ConvGeometry &, const double *,
                                    const double *, double *);
template bool directWeightGradFits<float>(const ConvGeometry &,
                                          const KernelSet<float> &);
template bool directWeightGradFits<double>(const ConvGeometry &,
                                           const KernelSet<double> &);
template bool directWeightGrad<float>(const ConvGeometry &, const float *,
                                      const float *, float *);
template bool directWeightGrad<double>(const ConvGeometry &, const double *,
                                       const double *, double *);
template bool directConvFits<float>(const ConvGeometry &,
                                    const KernelSet<float> &);
template bool directConvFits<double>(const ConvGeometry &,
                                     const KernelSet<double> &);
template bool directConv2d<float>(const ConvGeometry &, const float *,
                                  const float *, float *, adjoint_rt_tile_fn,
                                  void *);
template bool directConv2d<double>(const ConvGeometry &, const double *,
                                   const double *, double *, adjoint_rt_tile_fn,
                                   void *);

} // namespace adjoint::rt
