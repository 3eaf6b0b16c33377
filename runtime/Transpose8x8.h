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

/// Transposes the 8 x 8 block at src (rows lds apart) into dst (rows ldd
/// apart): 32-bit and 64-bit interleaves within 128-bit lanes, then a swap
/// of the lanes.
inline void transpose8x8(const float *src, int64_t lds, float *dst,
                         int64_t ldd) {
  __m256 r[8], t[8], u[8];
  for (int i = 0; i < 8; ++i)
    r[i] = _mm256_loadu_ps(src + i * lds);
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
  for (int c = 0; c < 4; ++c) {
    _mm256_storeu_ps(dst + c * ldd,
                     _mm256_permute2f128_ps(u[c], u[4 + c], 0x20));
    _mm256_storeu_ps(dst + (4 + c) * ldd,
                     _mm256_permute2f128_ps(u[c], u[4 + c], 0x31));
  }
}

} // namespace
} // namespace adjoint::rt
