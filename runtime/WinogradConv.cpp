//===- WinogradConv.cpp - conv2d by Winograd's minimal filtering ----------===//
//
// A stride-1 convolution with kernels of r x r' taps (3 or 5 each) computes
// its output in tiles of m x m' pixels, m = 7 - r, from input tiles of 6 x 6
// pixels (WinogradKernel.h): a tile of a 3 x 3 layer costs 36 products per
// pair of channels instead of 16 * 9 = 144, one of a 5 x 5 layer 36 instead
// of 4 * 25 = 100. For each image b and group g:
//
//   1. the group's channels are copied once into a channels-last image
//      padded to whole tiles (as for the direct convolution);
//   2. the weights are transformed once per call, U = G w G^T, into blocks
//      of output channels as the direct kernel reads them,
//      [36][blocks][C/g][width];
//   3. for a band of tile rows, each input tile is transformed into
//      V[36][tile][C/g], 36 planes of one row per tile;
//   4. each plane is a product M[xi nu] = V[xi nu] @ U[xi nu] over the input
//      channels, run by the direct convolution's kernel as a 1 x 1
//      convolution over the band's tiles (DirectConvKernel.h);
//   5. each tile of M is transformed into its m x m' output pixels,
//      channels-last, and the band's rows are transposed into y (NCHW).
//
// A band's V and M stay in the L2 cache. Work items are images, each with
// its epilogue as soon as it is final; with fewer images than threads can
// share, every image is copied first and the items are (image, group, band),
// the epilogues after. Every output is the same sequence of operations
// whichever item computes it, so the result does not depend on the thread
// count. The transforms round differently from a direct sum: in f32 an
// output is within about 1e-5 of the sum of its terms' magnitudes.
//
//===----------------------------------------------------------------------===//
#include "runtime/WinogradConv.h"

#include "runtime/GemmKernels.h"
#include "runtime/Scratch.h"
#include "runtime/ThreadPool.h"

#include <algorithm>
#include <atomic>

namespace adjoint::rt {
namespace {

/// The transformed weights, the small batches' images, an item's image and
/// an item's band buffers.
thread_local Scratch tWeights;
thread_local Scratch tImages;
thread_local Scratch tImage;
thread_local Scratch tBand;

/// A band's V and M stay under about this many bytes.
constexpr int64_t kBandBytes = 256 << 10;
template <typename T> struct Winograd : ConvGeometry {
  const KernelSet<T> &ks;
  const T *x, *w;
  T *y;
  adjoint_rt_tile_fn epilogue;
  void *ctx;
  int64_t mh, mw;            ///< rows and columns of an output tile
  int64_t tilesY, tilesX;    ///< tiles down and across the output
  int64_t hp, wp;            ///< rows and columns of a channels-last image
  int64_t cgp, ogp;          ///< channels in and out, whole vectors
  int64_t block, blocks;     ///< output channels per kernel call, per group
  int64_t imageElems;        ///< elements of one image of one group
  int64_t bandRows;          ///< tile rows of the largest band
  int64_t bandTiles;         ///< tiles of a full band
  int64_t bands;             ///< bands per image
  int64_t outRow;            ///< elements of a row of a band's output
  const T *u = nullptr;      ///< [groups][36][blocks][cg][block]
  const T *images = nullptr; ///< [n][groups][imageElems], or null

  Winograd(const ConvGeometry &g, const KernelSet<T> &ks, const T *x,
           const T *w, T *y, adjoint_rt_tile_fn epilogue, void *ctx)
      : ConvGeometry(g), ks(ks), x(x), w(w), y(y), epilogue(epilogue), ctx(ctx),
        mh(7 - kh), mw(7 - kw), tilesY(ceilDiv(oh, mh)),
        tilesX(ceilDiv(ow, mw)), hp(tilesY * mh + kh - 1),
        wp(tilesX * mw + kw - 1), cgp(ceilDiv(cg, ks.lanes) * ks.lanes),
        ogp(ceilDiv(og, ks.lanes) * ks.lanes),
        block(int64_t(ks.directNv) * ks.lanes), blocks(ceilDiv(og, block)),
        imageElems(hp * wp * cgp), outRow(tilesX * mw * ogp) {
    int64_t perTile = 36 * (cgp + blocks * block) * int64_t(sizeof(T));
    setBands(ceilDiv(tilesY * tilesX * perTile, kBandBytes));
  }

  /// Cuts the tile rows into about `wanted` bands of near-equal rows.
  void setBands(int64_t wanted) {
    bands = std::clamp<int64_t>(wanted, 1, tilesY);
    bandRows = ceilDiv(tilesY, bands);
    bandTiles = bandRows * tilesX;
  }
  /// The first tile row of band i.
  int64_t bandBegin(int64_t i) const { return chunkBegin(tilesY, bands, i); }

  /// Vectors of block ob (the last may be narrower).
  int vectors(int64_t ob) const {
    return (int)ceilDiv(std::min(block, og - ob * block), ks.lanes);
  }
  /// Where plane p of block ob of group g starts in u.
  int64_t uOffset(int64_t g, int64_t p, int64_t ob) const {
    return ((g * 36 + p) * blocks + ob) * cg * block;
  }
  int64_t vElems() const { return 36 * bandTiles * cgp; }
  int64_t mElems() const { return 36 * bandTiles * blocks * block; }
  int64_t bandElems() const {
    return vElems() + mElems() + bandRows * mh * outRow;
  }
};

/// The kernels transposed, [groups][C/g*kH*kW][ogp] (transformWeights),
/// or the taps of the weight gradient before they are (gradToWeights).
thread_local Scratch tTaps;

/// U = G w G'^T for every pair of channels, as [groups][36][blocks][cg]
/// [width], width = the block's vectors times lanes, channels past og zero:
/// each group's weights transposed to [C/g*kH*kW][ogp], then transformed
/// along the output channels on the pool. False when the buffer cannot be
/// allocated.
template <typename T> bool transformWeights(const Winograd<T> &d, T *u) {
  T *taps = static_cast<T *>(tTaps.get(d.groups * d.kdim * d.ogp * sizeof(T)));
  if (!taps)
    return false;
  for (int64_t g = 0; g < d.groups; ++g) {
    T *group = taps + g * d.kdim * d.ogp;
    d.ks.transpose(d.w + g * d.og * d.kdim, d.kdim, d.og, d.kdim, group, d.ogp);
    for (int64_t r = 0; r < d.kdim && d.ogp > d.og; ++r)
      std::fill(group + r * d.ogp + d.og, group + (r + 1) * d.ogp, T(0));
  }
  WinogradWeightFn<T> transform = d.ks.winogradWeight[d.kh == 5][d.kw == 5];
  int64_t tapCount = d.kh * d.kw;
  // Pairs (group, input channel): their taps, along the output channels.
  forRanges(d.groups * d.cg, [&](int64_t first, int64_t last) {
    for (int64_t pair = first; pair < last; ++pair) {
      int64_t g = pair / d.cg, c = pair % d.cg;
      const T *pairTaps = taps + pair * tapCount * d.ogp;
      for (int64_t ob = 0; ob < d.blocks; ++ob) {
        int nv = d.vectors(ob);
        transform(pairTaps + ob * d.block, d.ogp, nv,
                  u + d.uOffset(g, 0, ob) + c * int64_t(nv) * d.ks.lanes,
                  d.blocks * d.cg * d.block);
      }
    }
  });
  return true;
}

/// Tile rows [ty0, ty1) of group g of image b, from its channels-last
/// image, with the band buffers `work`.
template <typename T>
void computeBand(const Winograd<T> &d, const T *image, int64_t b, int64_t g,
                 int64_t ty0, int64_t ty1, T *work) {
  const KernelSet<T> &ks = d.ks;
  int64_t count = (ty1 - ty0) * d.tilesX;
  T *v = work, *m = v + d.vElems(), *out = m + d.mElems();
  int64_t vPlane = d.bandTiles * d.cgp, mBlock = d.bandTiles * d.block;
  int64_t mPlane = d.blocks * mBlock;
  for (int64_t t = 0; t < count; ++t) {
    int64_t ty = ty0 + t / d.tilesX, tx = t % d.tilesX;
    ks.winogradInput(image + (ty * d.mh * d.wp + tx * d.mw) * d.cgp,
                     d.wp * d.cgp, d.cgp, d.cgp / ks.lanes, v + t * d.cgp,
                     vPlane);
  }
  // 36 products over the input channels, as 1 x 1 convolutions over the
  // tiles, in runs of at most directR tiles.
  static constexpr int64_t kOrigin = 0;
  DirectConvArgs<T> args{};
  args.pixelStride = d.cgp;
  args.tapOffsets = &kOrigin;
  args.taps = 1;
  args.channels = d.cg;
  int64_t runs = ceilDiv(count, ks.directR);
  for (int64_t p = 0; p < 36; ++p)
    for (int64_t ob = 0; ob < d.blocks; ++ob) {
      int nv = d.vectors(ob);
      int64_t width = int64_t(nv) * ks.lanes;
      args.w = d.u + d.uOffset(g, p, ob);
      T *planeOut = m + p * mPlane + ob * mBlock;
      for (int64_t q = 0; q < runs; ++q) {
        int64_t t0 = chunkBegin(count, runs, q),
                n = chunkBegin(count, runs, q + 1) - t0;
        args.x = v + p * vPlane + t0 * d.cgp;
        args.out = planeOut + t0 * width;
        ks.direct[n][nv](args);
      }
    }
  WinogradOutputFn<T> output = ks.winogradOutput[d.kh == 5][d.kw == 5];
  for (int64_t t = 0; t < count; ++t) {
    int64_t ty = t / d.tilesX, tx = t % d.tilesX;
    for (int64_t ob = 0; ob < d.blocks; ++ob) {
      int nv = d.vectors(ob);
      output(m + ob * mBlock + t * int64_t(nv) * ks.lanes, mPlane, nv,
             out + ty * d.mh * d.outRow + tx * d.mw * d.ogp + ob * d.block,
             d.outRow, d.ogp);
    }
  }
  T *yGroup = d.y + (b * d.o + g * d.og) * d.ohw;
  for (int64_t oy = ty0 * d.mh; oy < std::min(ty1 * d.mh, d.oh); ++oy)
    ks.transpose(out + (oy - ty0 * d.mh) * d.outRow, d.ogp, d.ow, d.og,
                 yGroup + oy * d.ow, d.ohw);
}

/// One image: copied and computed band by band for each group, then its
/// epilogue.
template <typename T> void imageItem(int64_t b, void *ctx) {
  const Winograd<T> &d = *static_cast<const Winograd<T> *>(ctx);
  T *image = static_cast<T *>(tImage.get(d.imageElems * sizeof(T)));
  T *work = static_cast<T *>(tBand.get(d.bandElems() * sizeof(T)));
  if (image && work) {
    for (int64_t g = 0; g < d.groups; ++g) {
      packImage(d, d.x, d.hp, d.wp, d.cgp, b, g, image, d.ks.transpose);
      if (!allFinite(image, d.imageElems)) {
        directRows(d, d.x, d.w, d.y, b, g, 0, d.oh);
        continue;
      }
      for (int64_t band = 0; band < d.bands; ++band)
        computeBand(d, image, b, g, d.bandBegin(band), d.bandBegin(band + 1),
                    work);
    }
  } else {
    for (int64_t g = 0; g < d.groups; ++g)
      directRows(d, d.x, d.w, d.y, b, g, 0, d.oh);
  }
  if (d.epilogue)
    d.epilogue(b, b + 1, 0, d.o * d.ohw, d.ctx);
}

template <typename T> void packItem(int64_t item, void *ctx) {
  const Winograd<T> &d = *static_cast<const Winograd<T> *>(ctx);
  packImage(d, d.x, d.hp, d.wp, d.cgp, item / d.groups, item % d.groups,
            const_cast<T *>(d.images) + item * d.imageElems, d.ks.transpose);
}

/// Band `item % bands` of group g of image b, item / bands = b*groups + g.
template <typename T> void bandItem(int64_t item, void *ctx) {
  const Winograd<T> &d = *static_cast<const Winograd<T> *>(ctx);
  int64_t band = item % d.bands, bg = item / d.bands;
  int64_t ty0 = d.bandBegin(band), ty1 = d.bandBegin(band + 1);
  T *work = static_cast<T *>(tBand.get(d.bandElems() * sizeof(T)));
  if (work) {
    computeBand(d, d.images + bg * d.imageElems, bg / d.groups, bg % d.groups,
                ty0, ty1, work);
    return;
  }
  directRows(d, d.x, d.w, d.y, bg / d.groups, bg % d.groups, ty0 * d.mh,
             std::min(ty1 * d.mh, d.oh));
}

template <typename T> void epilogueItem(int64_t b, void *ctx) {
  const Winograd<T> &d = *static_cast<const Winograd<T> *>(ctx);
  d.epilogue(b, b + 1, 0, d.o * d.ohw, d.ctx);
}

} // namespace

template <typename T>
bool winogradConvFits(const ConvGeometry &g, const KernelSet<T> &ks) {
  if (!ks.winogradInput || !ks.direct[1][1] || g.sh != 1 || g.sw != 1 ||
      g.dh != 1 || g.dw != 1 || (g.kh != 3 && g.kh != 5) ||
      (g.kw != 3 && g.kw != 5))
    return false;
  // Narrower channels waste most of each vector in the transforms and
  // leave the products too short to pay for their overhead.
  if (g.cg < std::max(4, ks.lanes) || g.og < std::max(4, ks.lanes))
    return false;
  // Each tile costs 36 products and its transforms, about half as much
  // again; the direct convolution kH*kW per output pixel.
  int64_t tiles = ceilDiv(g.oh, 7 - g.kh) * ceilDiv(g.ow, 7 - g.kw);
  return 36 * tiles * 3 <= 2 * g.ohw * g.kh * g.kw;
}

template <typename T>
bool winogradConv2d(const ConvGeometry &geometry, const T *x, const T *w, T *y,
                    adjoint_rt_tile_fn epilogue, void *ctx) {
  const KernelSet<T> &ks = kernels<T>();
  if (!winogradConvFits(geometry, ks))
    return false;
  Winograd<T> d(geometry, ks, x, w, y, epilogue, ctx);
  T *u = static_cast<T *>(
      tWeights.get(d.groups * 36 * d.blocks * d.block * d.cg * sizeof(T)));
  // A transformed tile mixes all its pixels: an infinity or NaN would reach
  // outputs whose windows do not hold it. Images that hold one are computed
  // directly (imageItem); weights that do, or a small batch, go another way.
  if (!u || !tImage.get(d.imageElems * sizeof(T)) ||
      !tBand.get(d.bandElems() * sizeof(T)) || !allFinite(w, d.o * d.kdim))
    return false;
  if (!transformWeights(d, u))
    return false;
  d.u = u;

  ThreadPool &pool = globalPool();
  int threads = ThreadPool::insideTask() ? 1 : pool.threads();
  if (threads == 1 || d.n >= 4 * threads || d.n % threads == 0) {
    pool.run(d.n, imageItem<T>, &d);
    return true;
  }
  // Too few images to share evenly: all of them copied first, then the
  // bands of each shared.
  if (!allFinite(x, d.n * d.c * d.h * d.wd))
    return false;
  int64_t copyBytes = d.n * d.groups * d.imageElems * int64_t(sizeof(T));
  T *images = copyBytes <= kMaxBatchCopyBytes
                  ? static_cast<T *>(tImages.get(copyBytes))
                  : nullptr;
  if (!images) {
    for (int64_t b = 0; b < d.n; ++b)
      imageItem<T>(b, &d);
    return true;
  }
  d.images = images;
  pool.run(d.n * d.groups, packItem<T>, &d);
  // Enough bands for every thread to get several items.
  int64_t wanted = ceilDiv(4 * threads, d.n * d.groups);
  if (d.bands < wanted)
    d.setBands(wanted);
  pool.run(d.n * d.groups * d.bands, bandItem<T>, &d);
  if (epilogue)
    pool.run(d.n, epilogueItem<T>, &d);
  return true;
}

//===----------------------------------------------------------------------===//
// Weight gradient
//
// With V the transformed input tiles and W = A dY A'^T the transformed
// gradient of each output tile (winogradOutputGrad),
//
//   dU[xi nu][c][oc] = sum over tiles of V[xi nu][tile][c] * W[xi nu][tile][oc]
//   dw = G^T dU G'
//
// each plane's sum a product over the tiles run by the direct weight
// gradient's kernel (DirectGradArgs: input channels broadcast, vectors of
// output channels). The batch's bands, (image, group, band) units in order,
// are cut into a fixed number of chunks whatever the thread count; each
// chunk sums its units in order into a dU of its own, and the chunks' are
// added in order at the end, so the result does not depend on the thread
// count.
//===----------------------------------------------------------------------===//

namespace {

/// The chunks of the weight gradient, and the most bytes of a dU.
constexpr int64_t kGradChunks = 8;
constexpr int64_t kMaxGradBytes = int64_t(1) << 20;
/// The weight gradient gathers the tiles of several bands, V and W, up to
/// about this many bytes before it runs their products: each plane's
/// product then sums over many tiles per write of its block of dU.
constexpr int64_t kGatherBytes = int64_t(1) << 20;

template <typename T> struct WinogradGrad : Winograd<T> {
  const T *dy;
  T *dw;
  int64_t dyImageElems; ///< a channels-last image of dy, whole tiles
  int64_t duElems;      ///< [groups][36][cg][ogp]
  int64_t units, chunks;
  int64_t capacity;      ///< tiles gathered before their products run
  T *partials = nullptr; ///< [chunks][duElems]
  mutable bool done[kGradChunks] = {}; ///< the chunks whose sums are in
  /// Set by a chunk that met an infinity or NaN, which the transforms would
  /// spread to weights that never read it.
  mutable std::atomic<bool> nonFinite{false};

  WinogradGrad(const ConvGeometry &g, const KernelSet<T> &ks, const T *x,
               const T *dy, T *dw)
      : Winograd<T>(g, ks, x, nullptr, nullptr, nullptr, nullptr), dy(dy),
        dw(dw), dyImageElems(this->tilesY * this->mh * this->outRow),
        duElems(this->groups * 36 * this->cg * this->ogp),
        units(this->n * this->groups * this->bands),
        chunks(std::min(units, kGradChunks)),
        capacity(std::max(this->bandTiles,
                          kGatherBytes / (36 * (this->cgp + this->ogp) *
                                          int64_t(sizeof(T))))) {}

  /// Elements of the gathered V and W: 36 planes of `capacity` tiles each.
  int64_t gradElems() const { return 36 * capacity * (this->cgp + this->ogp); }

  int64_t duOffset(int64_t g, int64_t p, int64_t c) const {
    return ((g * 36 + p) * this->cg + c) * this->ogp;
  }
};

/// Copies group g of image b of dy into the channels-last `dst`, whole
/// tiles of rows and columns, zeros past the output and its channels.
template <typename T>
void packGradImage(const WinogradGrad<T> &d, int64_t b, int64_t g, T *dst) {
  std::fill(dst, dst + d.dyImageElems, T(0));
  const T *src = d.dy + (b * d.o + g * d.og) * d.ohw;
  for (int64_t oy = 0; oy < d.oh; ++oy)
    d.ks.transpose(src + oy * d.ow, d.ohw, d.og, d.ow, dst + oy * d.outRow,
                   d.ogp);
}

/// Transforms the band's tiles, rows [ty0, ty1), into V and W from tile
/// `first` on (planes `capacity` tiles apart).
template <typename T>
void gradTransforms(const WinogradGrad<T> &d, const T *image, const T *dyImage,
                    int64_t ty0, int64_t ty1, T *v, T *wt, int64_t first) {
  const KernelSet<T> &ks = d.ks;
  int64_t count = (ty1 - ty0) * d.tilesX;
  WinogradInputFn<T> outputGrad = ks.winogradOutputGrad[d.kh == 5][d.kw == 5];
  for (int64_t t = 0; t < count; ++t) {
    int64_t ty = ty0 + t / d.tilesX, tx = t % d.tilesX;
    ks.winogradInput(image + (ty * d.mh * d.wp + tx * d.mw) * d.cgp,
                     d.wp * d.cgp, d.cgp, d.cgp / ks.lanes,
                     v + (first + t) * d.cgp, d.capacity * d.cgp);
    outputGrad(dyImage + ty * d.mh * d.outRow + tx * d.mw * d.ogp, d.outRow,
               d.ogp, d.ogp / ks.lanes, wt + (first + t) * d.ogp,
               d.capacity * d.ogp);
  }
}

/// Adds the products of the first `count` tiles of V and W to group g's
/// part of du.
template <typename T>
void gradProducts(const WinogradGrad<T> &d, int64_t g, int64_t count,
                  const T *v, const T *wt, T *du) {
  const KernelSet<T> &ks = d.ks;
  int64_t vPlane = d.capacity * d.cgp, wPlane = d.capacity * d.ogp;
  DirectGradArgs<T> args{};
  args.dyStride = 1;
  args.dyRowStep = d.cgp;
  args.xRowStep = d.ogp;
  args.xColStep = 0;
  args.rows = count;
  args.cols = 1;
  args.ldo = d.ogp;
  args.accumulate = true;
  int64_t rowBlocks = ceilDiv(d.cg, ks.directR);
  for (int64_t p = 0; p < 36; ++p)
    for (int64_t rb = 0; rb < rowBlocks; ++rb) {
      int64_t c0 = chunkBegin(d.cg, rowBlocks, rb),
              rows = chunkBegin(d.cg, rowBlocks, rb + 1) - c0;
      args.dy = v + p * vPlane + c0;
      for (int64_t ob = 0; ob < d.blocks; ++ob) {
        args.x = wt + p * wPlane + ob * d.block;
        args.out = du + d.duOffset(g, p, c0) + ob * d.block;
        ks.directGrad[rows][d.vectors(ob)](args);
      }
    }
}

/// The chunk's units in order: the tiles of consecutive bands of one group
/// gathered until `capacity` would be passed (a band is never split), then
/// their products added to du, so that each product runs over many tiles.
template <typename T> void gradChunk(int64_t chunk, void *ctx) {
  const WinogradGrad<T> &d = *static_cast<const WinogradGrad<T> *>(ctx);
  T *du = d.partials + chunk * d.duElems;
  std::fill(du, du + d.duElems, T(0));
  // The caller's thread has buffers; a worker without them leaves its
  // chunk for the caller to do.
  T *image =
      static_cast<T *>(tImage.get((d.imageElems + d.dyImageElems) * sizeof(T)));
  T *v = static_cast<T *>(tBand.get(d.gradElems() * sizeof(T)));
  if (!image || !v)
    return;
  T *dyImage = image + d.imageElems, *wt = v + 36 * d.capacity * d.cgp;
  int64_t last = -1, group = -1, filled = 0;
  for (int64_t u = chunkBegin(d.units, d.chunks, chunk);
       u < chunkBegin(d.units, d.chunks, chunk + 1); ++u) {
    int64_t bg = u / d.bands, band = u % d.bands;
    int64_t b = bg / d.groups, g = bg % d.groups;
    int64_t ty0 = d.bandBegin(band), ty1 = d.bandBegin(band + 1);
    int64_t count = (ty1 - ty0) * d.tilesX;
    if (filled > 0 && (g != group || filled + count > d.capacity)) {
      gradProducts(d, group, filled, v, wt, du);
      filled = 0;
    }
    if (bg != last) {
      packImage(d, d.x, d.hp, d.wp, d.cgp, b, g, image, d.ks.transpose);
      packGradImage(d, b, g, dyImage);
      last = bg;
      if (!allFinite(image, d.imageElems) ||
          !allFinite(dyImage, d.dyImageElems)) {
        d.nonFinite = true; // the caller takes another way
        return;
      }
    }
    gradTransforms(d, image, dyImage, ty0, ty1, v, wt, filled);
    filled += count;
    group = g;
  }
  if (filled > 0)
    gradProducts(d, group, filled, v, wt, du);
  d.done[chunk] = true;
}

/// dw = G^T dU G' for every pair of channels, from the chunks' dU: summed,
/// taken to taps along the output channels, [C/g*kH*kW][ogp], on the pool,
/// then transposed into dw. False when the buffer cannot be allocated.
template <typename T> bool gradToWeights(const WinogradGrad<T> &d) {
  T *taps = static_cast<T *>(tTaps.get(d.groups * d.kdim * d.ogp * sizeof(T)));
  if (!taps)
    return false;
  // The chunks' dU added, in chunk order, into the first.
  forRanges(d.duElems, [&](int64_t first, int64_t last) {
    for (int64_t c = 1; c < d.chunks; ++c) {
      const T *src = d.partials + c * d.duElems;
      for (int64_t i = first; i < last; ++i)
        d.partials[i] += src[i];
    }
  });
  WinogradWeightFn<T> transform = d.ks.winogradWeightGrad[d.kh == 5][d.kw == 5];
  int64_t tapCount = d.kh * d.kw;
  // Pairs (group, input channel): G^T dU G' into their taps.
  forRanges(d.groups * d.cg, [&](int64_t first, int64_t last) {
    for (int64_t pair = first; pair < last; ++pair) {
      int64_t g = pair / d.cg, c = pair % d.cg;
      transform(d.partials + d.duOffset(g, 0, c), d.cg * d.ogp,
                d.ogp / d.ks.lanes, taps + pair * tapCount * d.ogp, d.ogp);
    }
  });
  for (int64_t g = 0; g < d.groups; ++g)
    d.ks.transpose(taps + g * d.kdim * d.ogp, d.ogp, d.kdim, d.og,
                   d.dw + g * d.og * d.kdim, d.kdim);
  return true;
}

} // namespace

template <typename T>
bool winogradWeightGradFits(const ConvGeometry &g, const KernelSet<T> &ks) {
  if (!winogradConvFits(g, ks))
    return false;
  int64_t ogp = ceilDiv(g.og, ks.lanes) * ks.lanes;
  return g.groups * 36 * g.cg * ogp * int64_t(sizeof(T)) <= kMaxGradBytes;
}

template <typename T>
bool winogradWeightGrad(const ConvGeometry &geometry, const T *x, const T *dy,
                        T *dw) {
  const KernelSet<T> &ks = kernels<T>();
  if (!winogradWeightGradFits(geometry, ks))
    return false;
  WinogradGrad<T> d(geometry, ks, x, dy, dw);
  T *partials =
      static_cast<T *>(tWeights.get(d.chunks * d.duElems * sizeof(T)));
  if (!partials || !tImage.get((d.imageElems + d.dyImageElems) * sizeof(T)) ||
      !tBand.get(d.gradElems() * sizeof(T)))
    return false;
  d.partials = partials;
  globalPool().run(d.chunks, gradChunk<T>, &d);
  // A chunk whose worker had no buffers is redone here, in the same order.
  for (int64_t c = 0; c < d.chunks && !d.nonFinite; ++c)
    if (!d.done[c])
      gradChunk<T>(c, &d);
  if (d.nonFinite)
    return false;
  return gradToWeights(d);
}

template bool winogradConvFits<float>(const ConvGeometry &,
                                      const KernelSet<float> &);
template bool winogradConvFits<double>(const ConvGeometry &,
                                       const KernelSet<double> &);
template bool winogradConv2d<float>(const ConvGeometry &, const float *,
                                    const float *, float *, adjoint_rt_tile_fn,
                                    void *);
template bool winogradConv2d<double>(const ConvGeometry &, const double *,
                                     const double *, double *,
                                     adjoint_rt_tile_fn, void *);
template bool winogradWeightGradFits<float>(const ConvGeometry &,
                                            const KernelSet<float> &);
template bool winogradWeightGradFits<double>(const ConvGeometry &,
                                             const KernelSet<double> &);
template bool winogradWeightGrad<float>(const ConvGeometry &, const float *,
                                        const float *, float *);
template bool winogradWeightGrad<double>(const ConvGeometry &, const double *,
                                         const double *, double *);

} // namespace adjoint::rt
