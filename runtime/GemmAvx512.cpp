//===- GemmAvx512.cpp - GEMM micro-kernels for AVX-512
//----------------------===//
//
// Compiled with -march=x86-64-v4 whatever the host (runtime/CMakeLists.txt);
// called only when the CPU has AVX-512 (Gemm.cpp). 32 vector registers hold
// an 8 x 48 block of f32 (8 x 24 of f64) in 24 accumulators, with three
// registers for the row of B; the broadcasts of A fold into the FMAs.
//
//===----------------------------------------------------------------------===//
#include "runtime/MicroKernel.h"
#include "runtime/Transpose8x8.h"

#include <immintrin.h>
#include <limits>

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
  static Reg loadMask(const T *p, Mask m) {
    return _mm512_maskz_loadu_ps(m, p);
  }
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
  static Reg loadMask(const T *p, Mask m) {
    return _mm512_maskz_loadu_pd(m, p);
  }
  static void storeMask(T *p, Reg r, Mask m) { _mm512_mask_storeu_pd(p, m, r); }
  static T hsum(Reg r) { return _mm512_reduce_add_pd(r); }
};

/// Transposes the `rows` x `cols` block at src (rows lds apart, both at
/// most 16) into dst (rows ldd apart): 32-bit and 64-bit interleaves within
/// 128-bit lanes, then a 4 x 4 transpose of the lanes. Nothing past the
/// block is read or written (masked loads and stores at its edges).
void transpose16x16(const float *src, int64_t lds, float *dst, int64_t ldd,
                    int rows, int cols) {
  __m512 r[16], t[16], u[16];
  __mmask16 colMask = __mmask16((1u << cols) - 1);
  for (int i = 0; i < 16; ++i)
    r[i] = i < rows ? _mm512_maskz_loadu_ps(colMask, src + i * lds)
                    : _mm512_setzero_ps();
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  // u[4g + c], lane L: rows 4g..4g+3 of column 4L + c.
  for (int g = 0; g < 16; g += 4) {
    auto pd = [](__m512 x) { return _mm512_castps_pd(x); };
    u[g] = _mm512_castpd_ps(_mm512_unpacklo_pd(pd(t[g]), pd(t[g + 2])));
    u[g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(pd(t[g]), pd(t[g + 2])));
    u[g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(pd(t[g + 1]), pd(t[g + 3])));
    u[g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(pd(t[g + 1]), pd(t[g + 3])));
  }
  __mmask16 rowMask = __mmask16((1u << rows) - 1);
  for (int c = 0; c < 4; ++c) {
    __m512 v0 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x44);
    __m512 v1 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xEE);
    __m512 v2 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x44);
    __m512 v3 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xEE);
    __m512 out[4] = {
        _mm512_shuffle_f32x4(v0, v2, 0x88), _mm512_shuffle_f32x4(v0, v2, 0xDD),
        _mm512_shuffle_f32x4(v1, v3, 0x88), _mm512_shuffle_f32x4(v1, v3, 0xDD)};
    for (int q = 0; q < 4; ++q)
      if (4 * q + c < cols)
        _mm512_mask_storeu_ps(dst + (4 * q + c) * ldd, rowMask, out[q]);
  }
}

/// The TransposeFn of f32: bands of 16 rows in 16 x 16 blocks, the last
/// band and the last block of each as narrow as what is left; a last band
/// of at most 8 rows (as when A's eight rows are packed) in 8 x 8 blocks.
void transposeF32(const float *src, int64_t lds, int64_t rows, int64_t cols,
                  float *dst, int64_t ldd) {
  int64_t last = rows % 16 <= 8 ? rows / 16 * 16 : rows;
  transposeBands<16>(src, lds, 0, last, cols, dst, ldd, transpose16x16);
  transposeBands<8>(src, lds, last, rows, cols, dst, ldd,
                    [](const float *s, int64_t ls, float *d, int64_t ld, int r,
                       int c) { transpose8x8(s, ls, d, ld, r, c); });
}

} // namespace

template <> const KernelSet<float> &avx512Kernels<float>() {
  static const KernelSet<float> ks = [] {
    KernelSet<float> k =
        makeKernelSet<F32x16, 8, 3, 14, 2, 4>(Isa::Avx512, "avx512", 256, 144);
    k.transpose = &transposeF32;
    // A read in place at any size: eight rows streamed side by side (or
    // an A stored [k, m] stepped through lda apart) beat packing it on Zen
    // 5, where a panel of B is three cache lines a step. Measured in turn
    // (adjoint_gemm_bench, one core): 1024 x 512 x 128 695 -> 653 us,
    // 64 x 3136 x 1024 2.72 -> 2.56 ms, 384 x 1792 x 128 with A^T 905 ->
    // 862 us; the training steps of the MLP (b) 5-7%, the CNN (c) 5% and
    // the Transformer block (e) 3-4% faster. With the AVX2 kernels, whose
    // panel of B is one line a step, an A^T read in place was 13-17%
    // slower on the same core, so they keep packing.
    k.inPlaceA = std::numeric_limits<int64_t>::max();
    return k;
  }();
  return ks;
}

template <> const KernelSet<double> &avx512Kernels<double>() {
  static const KernelSet<double> ks =
      makeKernelSet<F64x8, 8, 3, 12, 2, 4>(Isa::Avx512, "avx512", 128, 96);
  return ks;
}

} // namespace adjoint::rt
