//===- GemmAvx2.cpp - GEMM micro-kernels for AVX2 with FMA3
//-----------------===//
//
// Compiled with -march=x86-64-v3 whatever the host (runtime/CMakeLists.txt),
// so that an AVX-512 host builds and tests these kernels too. 16 vector
// registers hold a 6 x 16 block of f32 (6 x 8 of f64) in 12 accumulators,
// two registers for the row of B and one for the broadcast of A.
//
//===----------------------------------------------------------------------===//
#include "runtime/MicroKernel.h"
#include "runtime/Transpose8x8.h"

#include <immintrin.h>

namespace adjoint::rt {
namespace {

/// The first `count` lanes of an 8-lane (4-lane for f64) vector.
__m256i laneMask(int count, int lanes) {
  const __m256i iota = lanes == 8 ? _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)
                                  : _mm256_setr_epi64x(0, 1, 2, 3);
  return lanes == 8 ? _mm256_cmpgt_epi32(_mm256_set1_epi32(count), iota)
                    : _mm256_cmpgt_epi64(_mm256_set1_epi64x(count), iota);
}

struct F32x8 {
  using T = float;
  using Reg = __m256;
  using Mask = __m256i;
  static constexpr int L = 8;
  static Reg zero() { return _mm256_setzero_ps(); }
  static Reg load(const T *p) { return _mm256_loadu_ps(p); }
  static void store(T *p, Reg r) { _mm256_storeu_ps(p, r); }
  static Reg add(Reg x, Reg y) { return _mm256_add_ps(x, y); }
  static Reg fma(Reg a, Reg b, Reg c) { return _mm256_fmadd_ps(a, b, c); }
  static Reg bcast(const T *p) { return _mm256_broadcast_ss(p); }
  static Mask mask(int count) { return laneMask(count, 8); }
  static Reg loadMask(const T *p, Mask m) { return _mm256_maskload_ps(p, m); }
  static void storeMask(T *p, Reg r, Mask m) { _mm256_maskstore_ps(p, m, r); }
  static T hsum(Reg r) {
    __m128 s =
        _mm_add_ps(_mm256_castps256_ps128(r), _mm256_extractf128_ps(r, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
};

struct F64x4 {
  using T = double;
  using Reg = __m256d;
  using Mask = __m256i;
  static constexpr int L = 4;
  static Reg zero() { return _mm256_setzero_pd(); }
  static Reg load(const T *p) { return _mm256_loadu_pd(p); }
  static void store(T *p, Reg r) { _mm256_storeu_pd(p, r); }
  static Reg add(Reg x, Reg y) { return _mm256_add_pd(x, y); }
  static Reg fma(Reg a, Reg b, Reg c) { return _mm256_fmadd_pd(a, b, c); }
  static Reg bcast(const T *p) { return _mm256_broadcast_sd(p); }
  static Mask mask(int count) { return laneMask(count, 4); }
  static Reg loadMask(const T *p, Mask m) { return _mm256_maskload_pd(p, m); }
  static void storeMask(T *p, Reg r, Mask m) { _mm256_maskstore_pd(p, m, r); }
  static T hsum(Reg r) {
    __m128d s =
        _mm_add_pd(_mm256_castpd256_pd128(r), _mm256_extractf128_pd(r, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
  }
};

/// The TransposeFn of f32: bands of 8 rows in 8 x 8 blocks, the last band
/// and the last block of each as narrow as what is left.
void transposeF32(const float *src, int64_t lds, int64_t rows, int64_t cols,
                  float *dst, int64_t ldd) {
  transposeBands<8>(src, lds, 0, rows, cols, dst, ldd,
                    [](const float *s, int64_t ls, float *d, int64_t ld, int r,
                       int c) { transpose8x8(s, ls, d, ld, r, c); });
}

} // namespace

template <> const KernelSet<float> &avx2Kernels<float>() {
  static const KernelSet<float> ks = [] {
    KernelSet<float> k =
        makeKernelSet<F32x8, 6, 2, 6, 2, 2>(Isa::Avx2, "avx2", 256, 144);
    k.transpose = &transposeF32;
    return k;
  }();
  return ks;
}

template <> const KernelSet<double> &avx2Kernels<double>() {
  static const KernelSet<double> ks =
      makeKernelSet<F64x4, 6, 2, 6, 2, 2>(Isa::Avx2, "avx2", 128, 96);
  return ks;
}

} // namespace adjoint::rt
