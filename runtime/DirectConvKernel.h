//===- DirectConvKernel.h - Direct-convolution micro-kernel -----*- C++ -*-===//
//
// The innermost piece of the direct convolution (DirectConv.cpp), built per
// instruction set from one template like the GEMM's (MicroKernel.h). One
// call computes R output positions along a row for NV vectors of output
// channels, all held in R*NV accumulators while the kernel's taps and input
// channels stream through them:
//
//   out[r][v] = sum over taps t, channels c of
//               x[tapOffsets[t] + r*pixelStride + c] * w[t][c][v]
//
// The input is channels-last (one pixel's channels contiguous), so each step
// is NV loads of packed weights and R broadcasts of input values, which fold
// into the FMAs. The sum runs over t, then c, in order, one FMA per step:
// an output's value does not depend on the tile that computed it.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "runtime/GemmKernels.h"

#include <utility>

namespace adjoint::rt {

template <class V, int R, int NV>
void directConvKernel(const DirectConvArgs<typename V::T> &p) {
  using T = typename V::T;
  using Reg = typename V::Reg;
  constexpr int L = V::L;
  Reg acc[R][NV];
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < NV; ++v)
      acc[r][v] = V::zero();
  const T *w = p.w;
  for (int64_t t = 0; t < p.taps; ++t) {
    const T *x = p.x + p.tapOffsets[t];
    for (int64_t c = 0; c < p.channels; ++c, w += NV * L) {
      Reg wv[NV];
      for (int v = 0; v < NV; ++v)
        wv[v] = V::load(w + v * L);
      for (int r = 0; r < R; ++r) {
        Reg xv = V::bcast(x + r * p.pixelStride + c);
        for (int v = 0; v < NV; ++v)
          acc[r][v] = V::fma(xv, wv[v], acc[r][v]);
      }
    }
  }
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < NV; ++v)
      V::store(p.out + (r * NV + v) * L, acc[r][v]);
}

/// The weight gradient's kernel (DirectGradArgs): R rows of dy broadcast,
/// NV vectors of input channels loaded, per output position, in order.
template <class V, int R, int NV>
void directGradKernel(const DirectGradArgs<typename V::T> &p) {
  using T = typename V::T;
  using Reg = typename V::Reg;
  constexpr int L = V::L;
  Reg acc[R][NV];
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < NV; ++v)
      acc[r][v] = V::zero();
  for (int64_t oy = 0; oy < p.rows; ++oy) {
    const T *dy = p.dy + oy * p.dyRowStep;
    const T *x = p.x + oy * p.xRowStep;
    for (int64_t ox = 0; ox < p.cols; ++ox, x += p.xColStep) {
      Reg xv[NV];
      for (int v = 0; v < NV; ++v)
        xv[v] = V::load(x + v * L);
      for (int r = 0; r < R; ++r) {
        Reg g = V::bcast(dy + r * p.dyStride + ox);
        for (int v = 0; v < NV; ++v)
          acc[r][v] = V::fma(g, xv[v], acc[r][v]);
      }
    }
  }
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < NV; ++v) {
      T *out = p.out + r * p.ldo + v * L;
      V::store(out, p.accumulate ? V::add(V::load(out), acc[r][v]) : acc[r][v]);
    }
}

template <class V, int NV, int... R>
void fillDirectRows(KernelSet<typename V::T> &ks,
                    std::integer_sequence<int, R...>) {
  ((ks.direct[R + 1][NV] = &directConvKernel<V, R + 1, NV>), ...);
  ((ks.directGrad[R + 1][NV] = &directGradKernel<V, R + 1, NV>), ...);
}

/// Fills ks.direct[1..DR][1..DNV] and records the largest block.
template <class V, int DR, int DNV, int... W>
void fillDirect(KernelSet<typename V::T> &ks,
                std::integer_sequence<int, W...>) {
  static_assert(DR <= MaxDirectR && DNV <= MaxNv, "direct block too large");
  ks.directR = DR;
  ks.directNv = DNV;
  (fillDirectRows<V, W + 1>(ks, std::make_integer_sequence<int, DR>()), ...);
}

} // namespace adjoint::rt
