//===- ConvGeometry.h - The sizes of a convolution, and col2im -*- C++ -*-===//
//
// Shared by conv2d (Conv.cpp) and its gradients (ConvGrad.cpp): the sizes of
// one convolution, and col2im over a run of output positions of one image
// and group, for the input gradient of a strided convolution. Patch row
// (ic*kH + i)*kW + j, column p stands for input element [ic, oy*sH - top +
// i*dH, ox*sW - left + j*dW] of output position p = oy*outW + ox. Also the
// channels-last copy of an image that the direct and Winograd convolutions
// read, and the test for infinities and NaNs.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace adjoint::rt {

inline int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// The copies of a whole batch that the convolutions make (small batches'
/// channels-last images, the weight gradients' images) stay under this
/// many bytes; past it they take a way that copies one image at a time.
constexpr int64_t kMaxBatchCopyBytes = int64_t(1) << 28;

/// The sizes of one convolution (the arguments of adjoint_rt_conv2d_*).
struct ConvGeometry {
  int64_t n, c, h, wd, o, kh, kw, sh, sw, pt, pl, dh, dw, groups, oh, ow;
  int64_t cg, og, kdim, ohw; // C/g, O/g, K = C/g*kH*kW, outH*outW
  bool inPlace;              // 1x1, stride 1, no padding: patches = input

  ConvGeometry(int64_t n, int64_t c, int64_t h, int64_t wd, int64_t o,
               int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t pt,
               int64_t pl, int64_t dh, int64_t dw, int64_t groups, int64_t oh,
               int64_t ow)
      : n(n), c(c), h(h), wd(wd), o(o), kh(kh), kw(kw), sh(sh), sw(sw), pt(pt),
        pl(pl), dh(dh), dw(dw), groups(groups), oh(oh), ow(ow),
        cg(groups > 0 ? c / groups : 0), og(groups > 0 ? o / groups : 0),
        kdim(cg * kh * kw), ohw(oh * ow),
        inPlace(kh == 1 && kw == 1 && sh == 1 && sw == 1 && pt == 0 &&
                pl == 0 && oh == h && ow == wd) {}

  /// Rows and columns of the input, padding included, that the windows
  /// read: from the first window's first tap to the last window's last.
  int64_t spanRows() const { return (oh - 1) * sh + (kh - 1) * dh + 1; }
  int64_t spanCols() const { return (ow - 1) * sw + (kw - 1) * dw + 1; }

  /// Output columns per patch buffer, so that a buffer of kdim rows stays
  /// under about tileBytes when the output is wide enough to be cut into
  /// tiles of at least minTile columns (a multiple of 16 otherwise).
  int64_t tileColumns(int64_t elemSize, int64_t tileBytes,
                      int64_t minTile) const {
    int64_t fitting = tileBytes / elemSize / std::max<int64_t>(kdim, 1);
    if (inPlace || ohw <= fitting)
      return ohw;
    return std::min(ohw, std::max(minTile, fitting / 16 * 16));
  }
};

/// Walks output positions [first, first+count) in runs along a row: calls
/// fn(dst, iy, lo, hi, ix0) for patch row (i, j) of each run, where the run
/// starts at column `dst` of the patch row, reads input row iy (skipped if
/// outside the image), and its columns t in [lo, hi) read input column
/// ix0 + t*sW inside the image.
template <typename Fn>
void forEachRun(const ConvGeometry &g, int64_t i, int64_t j, int64_t first,
                int64_t count, Fn fn) {
  int64_t p = first, end = first + count, col = 0;
  int64_t oy = p / g.ow, ox = p % g.ow;
  while (p < end) {
    int64_t run = std::min(g.ow - ox, end - p);
    int64_t iy = oy * g.sh - g.pt + i * g.dh;
    int64_t ix0 = ox * g.sw - g.pl + j * g.dw;
    int64_t lo = ix0 >= 0 ? 0 : (-ix0 + g.sw - 1) / g.sw;
    int64_t hi = ix0 >= g.wd ? 0 : (g.wd - ix0 + g.sw - 1) / g.sw;
    lo = std::min(lo, run);
    hi = std::clamp(hi, lo, run);
    if (iy < 0 || iy >= g.h)
      lo = hi = 0; // the whole run reads padding
    fn(col, run, iy, lo, hi, ix0);
    col += run;
    p += run;
    ox = 0;
    ++oy;
  }
}

/// Adds each patch element of cols [kdim, count] (row (ic*kH + i)*kW + j,
/// column p for output position first + p) to the input element the window
/// reads there (elements of the padding are dropped), in a fixed order: the
/// strided convolution's input gradient folds its GEMM's result back so.
template <typename T>
void col2imAdd(const ConvGeometry &g, const T *cols, int64_t first,
               int64_t count, T *image) {
  for (int64_t ic = 0; ic < g.cg; ++ic) {
    T *plane = image + ic * g.h * g.wd;
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        const T *row = cols + ((ic * g.kh + i) * g.kw + j) * count;
        forEachRun(g, i, j, first, count,
                   [&](int64_t col, int64_t, int64_t iy, int64_t lo, int64_t hi,
                       int64_t ix0) {
                     if (hi <= lo)
                       return;
                     const T *src = row + col;
                     T *dst = plane + iy * g.wd + ix0;
                     if (g.sw == 1)
                       for (int64_t t = lo; t < hi; ++t)
                         dst[t] += src[t];
                     else
                       for (int64_t t = lo; t < hi; ++t)
                         dst[t * g.sw] += src[t];
                   });
      }
  }
}

/// Where the image lies in a padded copy of it, hp x wp: rows [iy0, iy1)
/// and columns [ix0, ix1); the rest is padding.
struct Inside {
  int64_t iy0, iy1, ix0, ix1;
};
inline Inside insideOf(const ConvGeometry &d, int64_t hp, int64_t wp) {
  return {std::max<int64_t>(0, d.pt), std::min(hp, d.h + d.pt),
          std::max<int64_t>(0, d.pl), std::min(wp, d.wd + d.pl)};
}

/// Copies group g of image b of x into the channels-last image `dst` of
/// hp x wp pixels, `stride` elements each (the channels, then zeros). Each
/// row of the image is one call of `transpose` (the kernel set's
/// TransposeFn: [channels][columns] into [columns][stride], in blocks held
/// in registers); only the padding is zeroed.
template <typename T>
void packImage(const ConvGeometry &d, const T *x, int64_t hp, int64_t wp,
               int64_t stride, int64_t b, int64_t g, T *dst,
               void (*transpose)(const T *, int64_t, int64_t, int64_t, T *,
                                 int64_t)) {
  const T *src = x + (b * d.c + g * d.cg) * d.h * d.wd;
  Inside in = insideOf(d, hp, wp);
  int64_t rowElems = wp * stride;
  std::fill(dst, dst + in.iy0 * rowElems, T(0));
  for (int64_t iy = in.iy0; iy < in.iy1; ++iy) {
    T *out = dst + iy * rowElems;
    if (stride != d.cg || in.ix1 <= in.ix0) {
      std::fill(out, out + rowElems, T(0));
    } else {
      std::fill(out, out + in.ix0 * stride, T(0));
      std::fill(out + in.ix1 * stride, out + rowElems, T(0));
    }
    if (in.ix1 > in.ix0)
      transpose(src + (iy - d.pt) * d.wd + in.ix0 - d.pl, d.h * d.wd, d.cg,
                in.ix1 - in.ix0, out + in.ix0 * stride, stride);
  }
  std::fill(dst + std::max(in.iy0, in.iy1) * rowElems, dst + hp * rowElems,
            T(0));
}

/// Whether none of x[0, n) is infinite or NaN.
template <typename T> bool allFinite(const T *x, int64_t n) {
  // The exponent bits all set mark infinity and NaN; an integer OR over
  // the elements vectorizes where a floating-point test would not.
  using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  constexpr Bits exponent =
      sizeof(T) == 4 ? Bits(0x7f800000u) : Bits(0x7ff0000000000000ull);
  Bits bad = 0;
  for (int64_t i = 0; i < n; ++i) {
    Bits bits;
    std::memcpy(&bits, x + i, sizeof(T));
    bad |= (bits & exponent) == exponent;
  }
  return bad == 0;
}

/// Output rows [oy0, oy1) of group g of image b of y = conv2d(x, w), NCHW,
/// element by element: each output one FMA per tap and input channel, taps
/// outermost (the direct kernels' order). The way out of the convolutions
/// whose buffers cannot be allocated, and for images Winograd's transforms
/// must not mix (infinities, NaN).
template <typename T>
void directRows(const ConvGeometry &d, const T *x, const T *w, T *y, int64_t b,
                int64_t g, int64_t oy0, int64_t oy1) {
  for (int64_t oc = g * d.og; oc < (g + 1) * d.og; ++oc)
    for (int64_t oy = oy0; oy < oy1; ++oy)
      for (int64_t ox = 0; ox < d.ow; ++ox) {
        T sum = 0;
        for (int64_t i = 0; i < d.kh; ++i)
          for (int64_t j = 0; j < d.kw; ++j) {
            int64_t iy = oy * d.sh - d.pt + i * d.dh,
                    ix = ox * d.sw - d.pl + j * d.dw;
            bool inside = iy >= 0 && iy < d.h && ix >= 0 && ix < d.wd;
            for (int64_t c = 0; c < d.cg; ++c) {
              T xv = inside
                         ? x[((b * d.c + g * d.cg + c) * d.h + iy) * d.wd + ix]
                         : T(0);
              sum =
                  std::fma(xv, w[((oc * d.cg + c) * d.kh + i) * d.kw + j], sum);
            }
          }
        y[(b * d.o + oc) * d.ohw + oy * d.ow + ox] = sum;
      }
}

} // namespace adjoint::rt
