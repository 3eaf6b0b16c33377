//===- Transpose8x8.h - An 8 x 8 f32 transpose in AVX registers -*- C++ -*-===//
//
// Included by the per-ISA GEMM files that run AVX2 or wider (GemmAvx2.cpp,
// GemmAvx512.cpp), each compiling it for its own instruction set: the
// packing of transposed operands moves 8 x 8 blocks through registers.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <immintrin.h>

namespace adjoint::rt {
namespace {

/// Transposes the `rows` x `cols` block at src (rows lds apart, both at
/// most 8) into dst (rows ldd apart): 32-bit and 64-bit interleaves within
/// 128-bit lanes, then a swap of the lanes. Nothing past the block is read
/// or written (masked loads and stores at its edges).
inline void transpose8x8(const float *src, int64_t lds, float *dst, int64_t ldd,
                         int rows = 8, int cols = 8) {
  __m256 r[8], t[8], u[8];
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  __m256i colMask = _mm256_cmpgt_epi32(_mm256_set1_epi32(cols), lane);
  for (int i = 0; i < 8; ++i)
    r[i] = i >= rows   ? _mm256_setzero_ps()
           : cols == 8 ? _mm256_loadu_ps(src + i * lds)
                       : _mm256_maskload_ps(src + i * lds, colMask);
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  // u[4g + c], lane L: rows 4g..4g+3 of column 4L + c.
  for (int g = 0; g < 8; g += 4) {
    auto pd = [](__m256 x) { return _mm256_castps_pd(x); };
    u[g] = _mm256_castpd_ps(_mm256_unpacklo_pd(pd(t[g]), pd(t[g + 2])));
    u[g + 1] = _mm256_castpd_ps(_mm256_unpackhi_pd(pd(t[g]), pd(t[g + 2])));
    u[g + 2] = _mm256_castpd_ps(_mm256_unpacklo_pd(pd(t[g + 1]), pd(t[g + 3])));
    u[g + 3] = _mm256_castpd_ps(_mm256_unpackhi_pd(pd(t[g + 1]), pd(t[g + 3])));
  }
  __m256i rowMask = _mm256_cmpgt_epi32(_mm256_set1_epi32(rows), lane);
  auto store = [&](int c, __m256 v) {
    if (c >= cols)
      return;
    if (rows == 8)
      _mm256_storeu_ps(dst + c * ldd, v);
    else
      _mm256_maskstore_ps(dst + c * ldd, rowMask, v);
  };
  for (int c = 0; c < 4; ++c) {
    store(c, _mm256_permute2f128_ps(u[c], u[4 + c], 0x20));
    store(4 + c, _mm256_permute2f128_ps(u[c], u[4 + c], 0x31));
  }
}

} // namespace
} // namespace adjoint::rt
