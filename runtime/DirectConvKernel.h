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

#include <algorithm>
#include <utility>

namespace adjoint::rt {

/// One step of both direct kernels: acc[r][v] += scalars[r*stride] *
/// vectors[v*L..], NV loads and R broadcasts for R*NV FMAs.
template <class V, int R, int NV>
inline __attribute__((always_inline)) void
broadcastStep(typename V::Reg (&acc)[R][NV], const typename V::T *vectors,
              const typename V::T *scalars, int64_t stride) {
  typename V::Reg loaded[NV];
  for (int v = 0; v < NV; ++v)
    loaded[v] = V::load(vectors + v * V::L);
  for (int r = 0; r < R; ++r) {
    typename V::Reg s = V::bcast(scalars + r * stride);
    for (int v = 0; v < NV; ++v)
      acc[r][v] = V::fma(s, loaded[v], acc[r][v]);
  }
}

template <class V, int R, int NV>
void directConvKernel(const DirectConvArgs<typename V::T> &p) {
  using T = typename V::T;
  constexpr int L = V::L;
  typename V::Reg acc[R][NV];
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < NV; ++v)
      acc[r][v] = V::zero();
  const T *w = p.w;
  for (int64_t t = 0; t < p.taps; ++t) {
    const T *x = p.x + p.tapOffsets[t];
    for (int64_t c = 0; c < p.channels; ++c, w += NV * L)
      broadcastStep<V, R, NV>(acc, w, x + c, p.pixelStride);
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
  constexpr int L = V::L;
  typename V::Reg acc[R][NV];
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < NV; ++v)
      acc[r][v] = V::zero();
  for (int64_t oy = 0; oy < p.rows; ++oy) {
    const T *dy = p.dy + oy * p.dyRowStep;
    const T *x = p.x + oy * p.xRowStep;
    for (int64_t ox = 0; ox < p.cols; ++ox, x += p.xColStep)
      broadcastStep<V, R, NV>(acc, x, dy + ox, p.dyStride);
  }
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < NV; ++v) {
      T *out = p.out + r * p.ldo + v * L;
      V::store(out, p.accumulate ? V::add(V::load(out), acc[r][v]) : acc[r][v]);
    }
}

/// The row weight-gradient kernel (RowGradArgs): R vectors of dy and TT
/// shifted vectors of one input row loaded per step along the output
/// columns, R*TT FMAs; the row's last columns masked (zeros in both, so
/// they add nothing).
template <class V, int R, int TT>
void rowGradKernel(const RowGradArgs<typename V::T> &p) {
  using T = typename V::T;
  using Reg = typename V::Reg;
  constexpr int L = V::L;
  Reg acc[R][TT];
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < TT; ++t)
      acc[r][t] = V::zero();
  int64_t full = p.cols / L * L;
  typename V::Mask tail = V::mask(static_cast<int>(p.cols - full));
  auto step = [&](const T *dy, const T *x, int64_t ox, bool masked) {
    Reg g[R];
    for (int r = 0; r < R; ++r)
      g[r] = masked ? V::loadMask(dy + r * p.dyStride + ox, tail)
                    : V::load(dy + r * p.dyStride + ox);
    for (int t = 0; t < TT; ++t) {
      const T *at = x + ox + t * p.tapStep;
      Reg xv = masked ? V::loadMask(at, tail) : V::load(at);
      for (int r = 0; r < R; ++r)
        acc[r][t] = V::fma(g[r], xv, acc[r][t]);
    }
  };
  for (int64_t oy = 0; oy < p.rows; ++oy) {
    const T *dy = p.dy + oy * p.dyRowStep, *x = p.x + oy * p.xRowStep;
    for (int64_t ox = 0; ox < full; ox += L)
      step(dy, x, ox, false);
    if (full < p.cols)
      step(dy, x, full, true);
  }
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < TT; ++t) {
      T *out = p.out + (r * TT + t) * L;
      V::store(out, p.accumulate ? V::add(V::load(out), acc[r][t]) : acc[r][t]);
    }
}

/// The DepthwiseRowFn: four vectors of columns at a time (four chains of
/// FMAs in flight), then one, then a masked tail.
template <class V>
void depthwiseRowKernel(const typename V::T *x, const int64_t *offsets,
                        const typename V::T *w, int64_t taps, int64_t n,
                        typename V::T *out) {
  using Reg = typename V::Reg;
  constexpr int L = V::L;
  int64_t col = 0;
  for (; col + 4 * L <= n; col += 4 * L) {
    Reg acc[4] = {V::zero(), V::zero(), V::zero(), V::zero()};
    for (int64_t t = 0; t < taps; ++t) {
      Reg wt = V::bcast(w + t);
      const typename V::T *at = x + offsets[t] + col;
      for (int v = 0; v < 4; ++v)
        acc[v] = V::fma(wt, V::load(at + v * L), acc[v]);
    }
    for (int v = 0; v < 4; ++v)
      V::store(out + col + v * L, acc[v]);
  }
  for (; col < n; col += L) {
    bool whole = col + L <= n;
    typename V::Mask m =
        V::mask(static_cast<int>(std::min<int64_t>(L, n - col)));
    Reg acc = V::zero();
    for (int64_t t = 0; t < taps; ++t) {
      const typename V::T *at = x + offsets[t] + col;
      acc = V::fma(V::bcast(w + t), whole ? V::load(at) : V::loadMask(at, m),
                   acc);
    }
    if (whole)
      V::store(out + col, acc);
    else
      V::storeMask(out + col, acc, m);
  }
}

template <class V, int R, int... TT>
void fillRowGradTaps(KernelSet<typename V::T> &ks,
                     std::integer_sequence<int, TT...>) {
  ((ks.rowGrad[R][TT + 1] = &rowGradKernel<V, R, TT + 1>), ...);
}

/// Fills ks.rowGrad[1..RR][1..MaxRowGradT].
template <class V, int RR, int... R>
void fillRowGrad(KernelSet<typename V::T> &ks,
                 std::integer_sequence<int, R...>) {
  static_assert(RR <= MaxRowGradR, "row-gradient block too large");
  ks.rowGradR = RR;
  (fillRowGradTaps<V, R + 1>(ks,
                             std::make_integer_sequence<int, MaxRowGradT>()),
   ...);
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
