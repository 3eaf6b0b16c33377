//===- ConvPlanes.h - A convolution's input laid out for the GEMM -*- C++ -*-//
//
// How conv2d and its weight gradient run as GEMMs without im2col. Each input
// channel of an image is copied once into sH x sW phase planes of hs x ws
// elements, zero where the window reads padding:
//
//   P[ic][a][b][ys][xs] = x[ic][ys*sH + a - top][xs*sW + b - left]
//
// Output position (oy, ox) becomes column q = oy*ws + ox, and tap (ic, i, j)
// of the kernel reads, for every output position at once, the run of P that
// starts at tapOffset(ic, i, j) + q: contiguous in q whatever the stride and
// dilation. So the patch matrix of im2col is never built: it is P read
// through a table of kdim row offsets (GemmProblem::bRows, or aRows for the
// weight gradient). The price is ws - outW columns per output row that no
// output needs (those of a window hanging past the right edge), computed and
// dropped; the phase planes need ws >= outW + dW*(kW-1)/sW.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "runtime/ConvGeometry.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

namespace adjoint::rt {

/// The sizes of the phase planes of one convolution.
struct ConvPlanes {
  int64_t hs, ws;   ///< rows and columns of one phase plane
  int64_t channel;  ///< elements of one channel's phase planes
  int64_t q;        ///< GEMM columns: output rows times ws
  int64_t elements; ///< the planes of one group of one image, with slack

  explicit ConvPlanes(const ConvGeometry &g)
      : hs(g.oh + g.dh * (g.kh - 1) / g.sh),
        ws(g.ow + g.dw * (g.kw - 1) / g.sw), channel(g.sh * g.sw * hs * ws),
        q(g.oh * ws),
        // The columns past outW of the last output row read up to
        // dW*(kW-1)/sW elements past the last plane: zeros, kept finite.
        elements(g.cg * channel + ws + 16) {}

  /// The columns an output row takes when each row is computed as whole
  /// vectors of its own, ow rounded up to 16 (a multiple of every vector
  /// width), when that computes fewer columns that no output needs than the
  /// planes' rows (ws - ow per row) and fits in them; 0 otherwise. For a
  /// 14-wide output with a 5-wide kernel: 16 columns a row instead of 18.
  int64_t vectorRowWidth(const ConvGeometry &g) const {
    int64_t width = (g.ow + 15) / 16 * 16;
    bool fewer = (width - g.ow) * ws < (ws - g.ow) * width;
    return fewer && width <= ws && !g.inPlace ? width : 0;
  }

  /// The offset in the planes of the run that tap (ic, i, j) reads.
  int64_t tapOffset(const ConvGeometry &g, int64_t ic, int64_t i,
                    int64_t j) const {
    int64_t ry = i * g.dh, rx = j * g.dw;
    return ((ic * g.sh + ry % g.sh) * g.sw + rx % g.sw) * hs * ws +
           ry / g.sh * ws + rx / g.sw;
  }

  /// Fills offsets[(ic*kH + i)*kW + j] with every tap's offset.
  void tapOffsets(const ConvGeometry &g, int64_t *offsets) const {
    for (int64_t ic = 0; ic < g.cg; ++ic)
      for (int64_t i = 0; i < g.kh; ++i)
        for (int64_t j = 0; j < g.kw; ++j)
          *offsets++ = tapOffset(g, ic, i, j);
  }

  /// Fills dst (`elements` long) with the planes of the cg channels that
  /// start at `image` ([cg, h, w]). Each input row is read once for all
  /// sW column phases: copied with its padding into `row` (at least
  /// sW*ws elements), then dealt out to the phases.
  template <typename T>
  void fill(const ConvGeometry &g, const T *image, T *dst) const {
    int64_t span = g.sw * ws;
    // The row buffer is small: on the stack up to 4096 elements.
    T stackRow[4096];
    std::vector<T> heapRow(span > 4096 ? span : 0);
    T *row = span > 4096 ? heapRow.data() : stackRow;
    // Columns [lo, hi) of the padded row hold x's columns lo - left ...
    int64_t lo = std::clamp<int64_t>(g.pl, 0, span);
    int64_t hi = std::clamp<int64_t>(g.pl + g.wd, lo, span);
    for (int64_t ic = 0; ic < g.cg; ++ic) {
      const T *plane = image + ic * g.h * g.wd;
      for (int64_t a = 0; a < g.sh; ++a)
        for (int64_t ys = 0; ys < hs; ++ys) {
          int64_t iy = ys * g.sh + a - g.pt;
          T *out = dst + ((ic * g.sh + a) * g.sw) * hs * ws + ys * ws;
          if (iy < 0 || iy >= g.h || hi == lo) {
            for (int64_t b = 0; b < g.sw; ++b)
              std::fill(out + b * hs * ws, out + b * hs * ws + ws, T(0));
            continue;
          }
          T *target = g.sw == 1 ? out : row;
          std::fill(target, target + lo, T(0));
          std::memcpy(target + lo, plane + iy * g.wd + (lo - g.pl),
                      (hi - lo) * sizeof(T));
          std::fill(target + hi, target + span, T(0));
          if (g.sw == 2) {
            T *even = out, *odd = out + hs * ws;
            for (int64_t xs = 0; xs < ws; ++xs) {
              even[xs] = row[2 * xs];
              odd[xs] = row[2 * xs + 1];
            }
          } else if (g.sw > 2) {
            for (int64_t b = 0; b < g.sw; ++b)
              for (int64_t xs = 0; xs < ws; ++xs)
                out[b * hs * ws + xs] = row[xs * g.sw + b];
          }
        }
    }
    std::fill(dst + g.cg * channel, dst + elements, T(0));
  }
};

} // namespace adjoint::rt
