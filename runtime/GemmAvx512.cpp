//===- GemmAvx512.cpp - GEMM micro-kernels for AVX-512 ----------------------===//
//
// Compiled with -march=x86-64-v4 whatever the host (runtime/CMakeLists.txt);
// called only when the CPU has AVX-512 (Gemm.cpp). 32 vector registers hold
// an 8 x 48 block of f32 (8 x 24 of f64) in 24 accumulators, with three
// registers for the row of B; the broadcasts of A fold into the FMAs.
//
//===----------------------------------------------------------------------===//
#include "runtime/MicroKernel.h"

#include <immintrin.h>

namespace adjoint::rt {
namespace {

struct F32x16 {
  using T = float;
  using Reg = __m512;
  using Mask = __mmask16;
  static constexpr int L = 16;
  static Reg zero() { return _mm512_setzero_ps(); }
  static Reg load(const T *p) { return _mm512_loadu_ps(p); }
  static void store(T *p, Reg r) { _mm512_storeu_ps(p, r); }
  static Reg add(Reg x, Reg y) { return _mm512_add_ps(x, y); }
  static Reg fma(Reg a, Reg b, Reg c) { return _mm512_fmadd_ps(a, b, c); }
  static Reg bcast(const T *p) { return _mm512_set1_ps(*p); }
  static Mask mask(int count) {
    return static_cast<Mask>((uint32_t(1) << count) - 1);
  }
  static Reg loadMask(const T *p, Mask m) { return _mm512_maskz_loadu_ps(m, p); }
  static void storeMask(T *p, Reg r, Mask m) { _mm512_mask_storeu_ps(p, m, r); }
  static T hsum(Reg r) { return _mm512_reduce_add_ps(r); }
};

struct F64x8 {
  using T = double;
  using Reg = __m512d;
  using Mask = __mmask8;
  static constexpr int L = 8;
  static Reg zero() { return _mm512_setzero_pd(); }
  static Reg load(const T *p) { return _mm512_loadu_pd(p); }
  static void store(T *p, Reg r) { _mm512_storeu_pd(p, r); }
  static Reg add(Reg x, Reg y) { return _mm512_add_pd(x, y); }
  static Reg fma(Reg a, Reg b, Reg c) { return _mm512_fmadd_pd(a, b, c); }
  static Reg bcast(const T *p) { return _mm512_set1_pd(*p); }
  static Mask mask(int count) {
    return static_cast<Mask>((uint32_t(1) << count) - 1);
  }
  static Reg loadMask(const T *p, Mask m) { return _mm512_maskz_loadu_pd(m, p); }
  static void storeMask(T *p, Reg r, Mask m) { _mm512_mask_storeu_pd(p, m, r); }
  static T hsum(Reg r) { return _mm512_reduce_add_pd(r); }
};

} // namespace

template <> const KernelSet<float> &avx512Kernels<float>() {
  static const KernelSet<float> ks =
      makeKernelSet<F32x16, 8, 3>(Isa::Avx512, "avx512", 256, 144);
  return ks;
}

template <> const KernelSet<double> &avx512Kernels<double>() {
  static const KernelSet<double> ks =
      makeKernelSet<F64x8, 8, 3>(Isa::Avx512, "avx512", 128, 96);
  return ks;
}

} // namespace adjoint::rt
