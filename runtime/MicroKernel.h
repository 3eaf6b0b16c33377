//===- MicroKernel.h - The GEMM micro-kernels, one template per ISA -*- C++
//-*-//
//
// Included only by the per-ISA files (GemmAvx512.cpp, GemmAvx2.cpp,
// GemmGeneric.cpp), each compiled for its instruction set. A file describes
// its vectors with a traits struct V:
//
//   T, Reg, Mask, L            element type, vector register, lane mask, lanes
//   zero(), load(p), store(p, r), add(x, y), fma(a, b, c) = a*b + c,
//   bcast(p) = *p in every lane, mask(count) = the first count lanes,
//   loadMask(p, m), storeMask(p, r, m) touching only the lanes of m,
//   hsum(r) = the sum of the lanes
//
// and instantiates makeKernelSet<V, MR, NV> for its register block: MR rows
// by NV vectors (NR = NV*L columns) of C held in MR*NV accumulators while
// the kc steps stream a packed column of A (MR broadcasts) and a row of B
// (NV loads) through them, as in BLIS's micro-kernels.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "runtime/DirectConvKernel.h"
#include "runtime/GemmKernels.h"
#include "runtime/WinogradKernel.h"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <utility>

namespace adjoint::rt {

/// How a micro-kernel reads its operands (MicroArgs).
enum class Operands { Packed, IndirectA, SegmentedA, IndirectB };

/// The body of microKernel for one way of reading the operands; Full: all
/// NV vectors of columns, else lane masks past column nr; Spread: vector j
/// of B's rows and C's at offset vecOffsets[j] (always full).
template <class V, int MR, int NV, Operands Mode, bool Full,
          bool Spread = false>
inline __attribute__((always_inline)) void
microBody(const MicroArgs<typename V::T> &p) {
  using T = typename V::T;
  using Reg = typename V::Reg;
  constexpr int L = V::L;
  Reg acc[MR][NV];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NV; ++j)
      acc[i][j] = V::zero();
  typename V::Mask masks[NV];
  if constexpr (!Full)
    for (int j = 0; j < NV; ++j)
      masks[j] =
          V::mask(static_cast<int>(std::clamp<int64_t>(p.nr - j * L, 0, L)));
  int64_t at[NV];
  for (int j = 0; j < NV; ++j)
    at[j] = Spread ? p.vecOffsets[j] : j * L;
  const T *rows[MR];
  if constexpr (Mode == Operands::IndirectA || Mode == Operands::SegmentedA)
    for (int i = 0; i < MR; ++i)
      rows[i] = p.aRows[i];
  const T *a = p.a;
  const int64_t aStep = p.aStep ? p.aStep : MR;
  const T *b = p.b;
  if constexpr (Mode == Operands::SegmentedA) {
    // The rows of A in segments of segLen elements segStride apart: a
    // plain run of steps per segment, the row pointers moved between runs.
    int64_t left = p.segLen - p.segStart;
    for (int64_t k = 0; k < p.kc;) {
      int64_t run = std::min(left, p.kc - k);
      for (int64_t s = 0; s < run; ++s) {
        Reg bv[NV];
        for (int j = 0; j < NV; ++j)
          bv[j] = Full ? V::load(b + at[j]) : V::loadMask(b + at[j], masks[j]);
        for (int i = 0; i < MR; ++i) {
          Reg av = V::bcast(rows[i] + s);
          for (int j = 0; j < NV; ++j)
            acc[i][j] = V::fma(av, bv[j], acc[i][j]);
        }
        b += p.ldb;
      }
      for (int i = 0; i < MR; ++i)
        rows[i] += run + p.segStride - p.segLen;
      k += run;
      left = p.segLen;
    }
  }
  for (int64_t k = 0; Mode != Operands::SegmentedA && k < p.kc; ++k) {
    const T *brow = Mode == Operands::IndirectB ? p.b + p.bRows[k] : b;
    Reg bv[NV];
    for (int j = 0; j < NV; ++j)
      bv[j] =
          Full ? V::load(brow + at[j]) : V::loadMask(brow + at[j], masks[j]);
    for (int i = 0; i < MR; ++i) {
      Reg av = V::bcast(Mode == Operands::IndirectA ? rows[i] + k : a + i);
      for (int j = 0; j < NV; ++j)
        acc[i][j] = V::fma(av, bv[j], acc[i][j]);
    }
    // Only the pointers this mode reads move (the others may be null).
    if constexpr (Mode != Operands::IndirectA)
      a += aStep;
    if constexpr (Mode != Operands::IndirectB)
      b += p.ldb;
  }
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NV; ++j) {
      T *c = p.c + i * p.ldc + at[j];
      if constexpr (Full) {
        V::store(c, p.accumulate ? V::add(V::load(c), acc[i][j]) : acc[i][j]);
      } else {
        if (p.nr <= j * L)
          break;
        V::storeMask(c,
                     p.accumulate ? V::add(V::loadMask(c, masks[j]), acc[i][j])
                                  : acc[i][j],
                     masks[j]);
      }
    }
}

/// The micro-kernel of MicroKernel<T> for a block of MR rows and NV vectors.
template <class V, int MR, int NV>
void microKernel(const MicroArgs<typename V::T> &p) {
  bool full = p.nr == NV * V::L;
  if (p.vecOffsets)
    return p.bRows ? microBody<V, MR, NV, Operands::IndirectB, true, true>(p)
                   : microBody<V, MR, NV, Operands::Packed, true, true>(p);
  if (p.aRows)
    return full ? microBody<V, MR, NV, Operands::IndirectA, true>(p)
                : microBody<V, MR, NV, Operands::IndirectA, false>(p);
  if (p.bRows)
    return full ? microBody<V, MR, NV, Operands::IndirectB, true>(p)
                : microBody<V, MR, NV, Operands::IndirectB, false>(p);
  return full ? microBody<V, MR, NV, Operands::Packed, true>(p)
              : microBody<V, MR, NV, Operands::Packed, false>(p);
}

/// The DotKernel<T>: four rows of B at a time, each dot product over k in
/// two interleaved vector accumulators (eight chains in flight hide the
/// latency of the fused multiply-add), then summed across lanes.
template <class V>
void dotKernel(int64_t m, int64_t n, int64_t k, const typename V::T *a,
               int64_t lda, const typename V::T *b, int64_t ldb,
               typename V::T *c, int64_t ldc, bool accumulate) {
  using T = typename V::T;
  using Reg = typename V::Reg;
  constexpr int L = V::L;
  constexpr int Rows = 4;
  int64_t full = k / L * L;
  typename V::Mask tail = V::mask(static_cast<int>(k - full));
  for (int64_t j = 0; j < n; j += Rows) {
    int64_t rows = std::min<int64_t>(Rows, n - j);
    const T *br[Rows];
    for (int q = 0; q < Rows; ++q)
      br[q] = b + std::min<int64_t>(j + q, n - 1) * ldb;
    for (int64_t i = 0; i < m; ++i) {
      const T *ar = a + i * lda;
      Reg acc[Rows][2];
      for (int q = 0; q < Rows; ++q)
        acc[q][0] = acc[q][1] = V::zero();
      int64_t kk = 0;
      for (; kk + 2 * L <= full; kk += 2 * L) {
        Reg a0 = V::load(ar + kk), a1 = V::load(ar + kk + L);
        for (int q = 0; q < Rows; ++q) {
          acc[q][0] = V::fma(a0, V::load(br[q] + kk), acc[q][0]);
          acc[q][1] = V::fma(a1, V::load(br[q] + kk + L), acc[q][1]);
        }
      }
      if (kk < full) {
        Reg a0 = V::load(ar + kk);
        for (int q = 0; q < Rows; ++q)
          acc[q][0] = V::fma(a0, V::load(br[q] + kk), acc[q][0]);
        kk += L;
      }
      if (kk < k) {
        Reg a0 = V::loadMask(ar + kk, tail);
        for (int q = 0; q < Rows; ++q)
          acc[q][1] = V::fma(a0, V::loadMask(br[q] + kk, tail), acc[q][1]);
      }
      for (int q = 0; q < rows; ++q) {
        T sum = V::hsum(V::add(acc[q][0], acc[q][1]));
        T &dst = c[i * ldc + j + q];
        dst = accumulate ? dst + sum : sum;
      }
    }
  }
}

/// The micro-kernel for rows of A read in segments (MicroArgs::segLen): a
/// function of its own, so that the other kernels' code stays as it is.
template <class V, int MR, int NV>
void segmentedKernel(const MicroArgs<typename V::T> &p) {
  if (p.nr == NV * V::L)
    microBody<V, MR, NV, Operands::SegmentedA, true>(p);
  else
    microBody<V, MR, NV, Operands::SegmentedA, false>(p);
}

template <class V, int NV, int... H>
void fillRows(KernelSet<typename V::T> &ks, std::integer_sequence<int, H...>) {
  ((ks.micro[H + 1][NV] = &microKernel<V, H + 1, NV>), ...);
  ((ks.segmented[H + 1][NV] = &segmentedKernel<V, H + 1, NV>), ...);
}

template <class V, int MR, int... W>
void fillMicro(KernelSet<typename V::T> &ks, std::integer_sequence<int, W...>) {
  (fillRows<V, W + 1>(ks, std::make_integer_sequence<int, MR>()), ...);
}

/// ExpRowFn for the traits V: plain loops that the compiler vectorizes for
/// the file's instruction set. f32 takes exp as 2^k * p(r), r = x - k ln 2
/// in [-ln 2 / 2, ln 2 / 2] and p Cephes's polynomial of degree 7; arguments
/// below -87 give 0 rather than a denormal. f64 calls std::exp.
template <class V>
typename V::T expRowKernel(typename V::T *row, typename V::T shift, int64_t n) {
  using T = typename V::T;
  // The exponentials first, a loop without a reduction that vectorizes;
  // then their sum in vector registers.
  if constexpr (std::is_same_v<T, float>) {
    for (int64_t j = 0; j < n; ++j) {
      float y = row[j] - shift;
      float x = std::clamp(y, -87.0f, 88.0f);
      float k = __builtin_floorf(x * 1.44269504f + 0.5f);
      float r = x - k * 0.693359375f + k * 2.12194440e-4f;
      float p = 1.9875691500e-4f;
      p = p * r + 1.3981999507e-3f;
      p = p * r + 8.3334519073e-3f;
      p = p * r + 4.1665795894e-2f;
      p = p * r + 1.6666665459e-1f;
      p = p * r + 5.0000001201e-1f;
      p = p * r * r + r + 1.0f;
      int32_t bits = (static_cast<int32_t>(k) + 127) << 23;
      float scale;
      __builtin_memcpy(&scale, &bits, sizeof scale);
      row[j] = y < -87.0f ? 0.0f : p * scale;
    }
  } else {
    for (int64_t j = 0; j < n; ++j)
      row[j] = std::exp(row[j] - shift);
  }
  constexpr int L = V::L;
  typename V::Reg acc = V::zero();
  int64_t j = 0;
  for (; j + L <= n; j += L)
    acc = V::add(acc, V::load(row + j));
  if (j < n)
    acc = V::add(acc, V::loadMask(row + j, V::mask(static_cast<int>(n - j))));
  return V::hsum(acc);
}

/// The kernel set of traits V with register block MR x NV vectors, packed
/// panels kc deep and packed A blocks of mc rows, direct-convolution
/// blocks of DR output positions by DNV vectors of channels, and row
/// weight-gradient blocks of RGR output channels.
template <class V, int MR, int NV, int DR, int DNV, int RGR>
KernelSet<typename V::T> makeKernelSet(Isa isa, const char *name, int64_t kc,
                                       int64_t mc) {
  static_assert(MR <= MaxMr && NV <= MaxNv, "register block too large");
  KernelSet<typename V::T> ks{};
  ks.isa = isa;
  ks.name = name;
  ks.mr = MR;
  ks.nr = NV * V::L;
  ks.lanes = V::L;
  ks.kc = kc;
  ks.mc = mc / MR * MR;
  // Packing a small block costs about as much as the products that reuse
  // it. Measured on one Zen 5 core: the 100-64-10 MLP's products at batch
  // 32 (32 x 100 x 64, 64 x 32 x 100 and 32 x 64 x 10) took 2.27, 2.36 and
  // 0.67 us packed, 2.18, 1.99 and 0.42 read in place.
  ks.inPlaceA = 4096;
  fillMicro<V, MR>(ks, std::make_integer_sequence<int, NV>());
  fillDirect<V, DR, DNV>(ks, std::make_integer_sequence<int, DNV>());
  fillRowGrad<V, RGR>(ks, std::make_integer_sequence<int, RGR>());
  fillWinograd<V>(ks);
  ks.depthwiseRow = &depthwiseRowKernel<V>;
  ks.dot = &dotKernel<V>;
  ks.transpose = &transposeScalar<typename V::T>;
  ks.expRow = &expRowKernel<V>;
  return ks;
}

} // namespace adjoint::rt
