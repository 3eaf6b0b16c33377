//===- ScalarMath.h - Branch-free exp, log, tanh, sigmoid and erf ---------===//
//
// The elementwise transcendentals of generated code, for f32 and f64. They are
// written so that, once inlined into a loop, LLVM's loop vectorizer turns them
// into straight vector code: only arithmetic, fma, comparisons feeding selects
// and bit casts; no libm calls, no tables, no loops and no data-dependent
// branches. Generated modules link them from the bitcode of
// ScalarMathBitcode.cpp; the tests check this header compiled natively.
//
// Method. Each function reduces its argument and evaluates a polynomial whose
// coefficients come from compiler/codegen/tools/fit_coefficients.py: a weighted
// minimax (Remez) fit in 80-digit decimal arithmetic, then the coefficients
// rounded to the target type one at a time, lowest order first, the others
// refitted after each rounding. Every fit below quotes its weighted error with
// the rounded coefficients as the script measures it; polynomials are
// evaluated in Horner form with fma (generated loops are throughput bound, and
// Horner needs the fewest operations). docs/math.md lists the measured
// accuracy of each function against libm, and the special values.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>

#define ADJOINT_MATH_INLINE static inline __attribute__((always_inline))

namespace adjoint::scalarmath {

ADJOINT_MATH_INLINE uint32_t bitsOf(float x) {
  return __builtin_bit_cast(uint32_t, x);
}
ADJOINT_MATH_INLINE uint64_t bitsOf(double x) {
  return __builtin_bit_cast(uint64_t, x);
}
ADJOINT_MATH_INLINE float f32FromBits(uint32_t b) {
  return __builtin_bit_cast(float, b);
}
ADJOINT_MATH_INLINE double f64FromBits(uint64_t b) {
  return __builtin_bit_cast(double, b);
}

/// a * b + c rounded once.
ADJOINT_MATH_INLINE float mulAdd(float a, float b, float c) {
  return __builtin_fmaf(a, b, c);
}
ADJOINT_MATH_INLINE double mulAdd(double a, double b, double c) {
  return __builtin_fma(a, b, c);
}

/// c0 + x (c1 + x (c2 + ...)).
template <typename T> ADJOINT_MATH_INLINE T horner(T, T c) { return c; }
template <typename T, typename... Rest>
ADJOINT_MATH_INLINE T horner(T x, T c0, Rest... rest) {
  return mulAdd(x, horner<T>(x, rest...), c0);
}

ADJOINT_MATH_INLINE float absOf(float x) {
  return f32FromBits(bitsOf(x) & 0x7fffffffu);
}
ADJOINT_MATH_INLINE double absOf(double x) {
  return f64FromBits(bitsOf(x) & 0x7fffffffffffffffull);
}
/// |mag| with the sign bit of `sign`.
ADJOINT_MATH_INLINE float copySign(float mag, float sign) {
  return f32FromBits((bitsOf(mag) & 0x7fffffffu) |
                     (bitsOf(sign) & 0x80000000u));
}
ADJOINT_MATH_INLINE double copySign(double mag, double sign) {
  return f64FromBits((bitsOf(mag) & 0x7fffffffffffffffull) |
                     (bitsOf(sign) & 0x8000000000000000ull));
}

} // namespace adjoint::scalarmath

//===----------------------------------------------------------------------===//
// exp
//
// x = n ln2 + r with n = round(x / ln2), |r| <= ln2 / 2 (Cody-Waite: ln2 in
// two parts; with fma the first step x - n ln2_hi is exact). exp(r) =
// 1 + r + r^2 q(r), q fitted for relative error (f32: degree 6 in all,
// 3.2e-9; f64: degree 11, 3.8e-18). The result p 2^n is scaled by two normal
// powers of two, 2^(n/2) and 2^(n - n/2), so that a result in the denormal
// range is rounded once, by the last multiply, and overflow gives inf.
//===----------------------------------------------------------------------===//

/// e^x in f32: exp(+-0) = 1, exp(-inf) = 0, exp(+inf) = inf, NaN -> NaN.
ADJOINT_MATH_INLINE float adjoint_exp_f32(float x) {
  using namespace adjoint::scalarmath;
  // Past these bounds the result is inf or 0 anyway; clamping keeps both
  // scale exponents in range. NaN fails both tests and passes through.
  x = x > 100.0f ? 100.0f : x;
  x = x < -110.0f ? -110.0f : x;
  // Adding 1.5 * 2^23 rounds x / ln2 to an integer held in t's low bits.
  const float shifter = 0x1.8p23f;
  float t = mulAdd(x, 0x1.715476p+0f, shifter);
  float n = t - shifter;
  float r = mulAdd(n, -0x1.62e43p-1f, x);
  r = mulAdd(n, 0x1.05c61p-29f, r);
  float q = horner(r, 0x1.fffffcp-2f, 0x1.55548cp-3f, 0x1.555858p-5f,
                   0x1.123dep-7f, 0x1.6ac71p-10f);
  float p = mulAdd(r * r, q, r) + 1.0f;
  int32_t k = static_cast<int32_t>(bitsOf(t) - bitsOf(shifter));
  int32_t k1 = k >> 1;
  int32_t k2 = k - k1;
  float s1 = f32FromBits(static_cast<uint32_t>(k1 + 127) << 23);
  float s2 = f32FromBits(static_cast<uint32_t>(k2 + 127) << 23);
  return p * s1 * s2;
}

/// e^x in f64, with the special values of adjoint_exp_f32.
ADJOINT_MATH_INLINE double adjoint_exp_f64(double x) {
  using namespace adjoint::scalarmath;
  x = x > 720.0 ? 720.0 : x;
  x = x < -760.0 ? -760.0 : x;
  const double shifter = 0x1.8p52;
  double t = mulAdd(x, 0x1.71547652b82fep+0, shifter);
  double n = t - shifter;
  double r = mulAdd(n, -0x1.62e42fefa39efp-1, x);
  r = mulAdd(n, -0x1.abc9e3b39803fp-56, r);
  double q = horner(r, 0x1.000000000000ap-1, 0x1.5555555555502p-3,
                    0x1.55555555505ffp-5, 0x1.11111111251a9p-7,
                    0x1.6c16c184b7f19p-10, 0x1.a01a013bb0602p-13,
                    0x1.a019988381841p-16, 0x1.71def7b27c7e1p-19,
                    0x1.28aee5de31449p-22, 0x1.add2a05649572p-26);
  double p = mulAdd(r * r, q, r) + 1.0;
  int64_t k = static_cast<int64_t>(bitsOf(t) - bitsOf(shifter));
  int64_t k1 = k >> 1;
  int64_t k2 = k - k1;
  double s1 = f64FromBits(static_cast<uint64_t>(k1 + 1023) << 52);
  double s2 = f64FromBits(static_cast<uint64_t>(k2 + 1023) << 52);
  return p * s1 * s2;
}

//===----------------------------------------------------------------------===//
// log
//
// Denormals are first scaled by a power of two. Then x = 2^e m with m in
// [sqrt(1/2), sqrt(2)) (subtracting the bits of sqrt(1/2) moves the exponent
// boundary there), f = m - 1 exactly, s = f / (2 + f), and
// log(1 + f) = 2 atanh(s) = f - (f^2/2 - s (f^2/2 + R)), R = s^2 P(s^2),
// arranged so that the large terms are exact. P is fitted on s^2 <= 0.02945
// for the absolute error of s R weighted by 1/s: f32 degree 2, 1.6e-9;
// f64 degree 6, 2.5e-18. Finally log x = e ln2_hi + (log(1 + f) + e ln2_lo).
//===----------------------------------------------------------------------===//

/// Natural logarithm in f32: log(+-0) = -inf, log(x < 0) = NaN,
/// log(inf) = inf, NaN -> NaN; denormal inputs are exact-exponent.
ADJOINT_MATH_INLINE float adjoint_log_f32(float x) {
  using namespace adjoint::scalarmath;
  bool denormal = x < 0x1p-126f;
  float xs = denormal ? x * 0x1p23f : x;
  uint32_t ix = bitsOf(xs) - 0x3f3504f3u;
  int32_t e = static_cast<int32_t>(ix) >> 23;
  float m = f32FromBits((ix & 0x007fffffu) + 0x3f3504f3u);
  float ef = static_cast<float>(e) - (denormal ? 23.0f : 0.0f);
  float f = m - 1.0f;
  float s = f / (2.0f + f);
  float z = s * s;
  float hfsq = 0.5f * f * f;
  float big = mulAdd(z * z, horner(z, 0x1.995ed2p-2f, 0x1.31e132p-2f),
                     mulAdd(z, 0x1.55557ap-1f, hfsq));
  float y = f - (hfsq - mulAdd(s, big, ef * -0x1.05c61p-29f));
  float result = mulAdd(ef, 0x1.62e43p-1f, y);
  bool finitePositive = (x > 0.0f) & (x < __builtin_inff());
  float special =
      x == 0.0f ? -__builtin_inff() : (x < 0.0f ? __builtin_nanf("") : x);
  return finitePositive ? result : special;
}

/// Natural logarithm in f64, with the special values of adjoint_log_f32.
ADJOINT_MATH_INLINE double adjoint_log_f64(double x) {
  using namespace adjoint::scalarmath;
  bool denormal = x < 0x1p-1022;
  double xs = denormal ? x * 0x1p54 : x;
  uint64_t ix = bitsOf(xs) - 0x3fe6a09e667f3bcdull;
  int32_t e = static_cast<int32_t>(static_cast<int64_t>(ix) >> 52);
  double m = f64FromBits((ix & 0x000fffffffffffffull) + 0x3fe6a09e667f3bcdull);
  double ef = static_cast<double>(e) - (denormal ? 54.0 : 0.0);
  double f = m - 1.0;
  double s = f / (2.0 + f);
  double z = s * s;
  double hfsq = 0.5 * f * f;
  double big = mulAdd(z * z,
                      horner(z, 0x1.999999997fed7p-2, 0x1.24924941e74ep-2,
                             0x1.c71c520e0fad6p-3, 0x1.74663e71f07b5p-3,
                             0x1.39a1bc6f4113dp-3, 0x1.2f05a792bdd27p-3),
                      mulAdd(z, 0x1.5555555555592p-1, hfsq));
  double y = f - (hfsq - mulAdd(s, big, ef * 0x1.abc9e3b39803fp-56));
  double result = mulAdd(ef, 0x1.62e42fefa39efp-1, y);
  bool finitePositive = (x > 0.0) & (x < __builtin_inf());
  double special =
      x == 0.0 ? -__builtin_inf() : (x < 0.0 ? __builtin_nan("") : x);
  return finitePositive ? result : special;
}

//===----------------------------------------------------------------------===//
// tanh
//
// |x| < 0.5625: tanh x = x + x z P(z), z = x^2, fitted for relative error
// (f32: degree 4, 1.4e-9; f64: degree 10, 9.9e-19); exact for tiny x.
// Otherwise tanh |x| = 1 - 2 / (exp(2|x|) + 1), where tanh >= 0.5 so nothing
// cancels; exp overflows to inf for large |x|, giving exactly 1. The sign is
// copied from x, so tanh(-0) = -0.
//===----------------------------------------------------------------------===//

/// Hyperbolic tangent in f32: tanh(+-0) = +-0, tanh(+-inf) = +-1, NaN -> NaN.
ADJOINT_MATH_INLINE float adjoint_tanh_f32(float x) {
  using namespace adjoint::scalarmath;
  float ax = absOf(x);
  float z = ax * ax;
  float small = mulAdd(ax * z,
                       horner(z, -0x1.555548p-2f, 0x1.110c5ep-3f,
                              -0x1.b905c4p-5f, 0x1.5811f6p-6f, -0x1.9454f2p-8f),
                       ax);
  float large = 1.0f - 2.0f / (adjoint_exp_f32(2.0f * ax) + 1.0f);
  return copySign(ax < 0.5625f ? small : large, x);
}

/// Hyperbolic tangent in f64, with the special values of adjoint_tanh_f32.
ADJOINT_MATH_INLINE double adjoint_tanh_f64(double x) {
  using namespace adjoint::scalarmath;
  double ax = absOf(x);
  double z = ax * ax;
  double small = mulAdd(ax * z,
                        horner(z, -0x1.555555555554bp-2, 0x1.1111111110246p-3,
                               -0x1.ba1ba1b92fa42p-5, 0x1.664f4847f69e8p-6,
                               -0x1.226e2cd621857p-7, 0x1.d6d240b8e053ap-9,
                               -0x1.7d8b3f440ba9ap-10, 0x1.345df2063481p-11,
                               -0x1.e7ef61cd7103bp-13, 0x1.59261c2053a6p-14,
                               -0x1.3c6fbf408bcb3p-16),
                        ax);
  double large = 1.0 - 2.0 / (adjoint_exp_f64(2.0 * ax) + 1.0);
  return copySign(ax < 0.5625 ? small : large, x);
}

//===----------------------------------------------------------------------===//
// sigmoid
//
// With e = exp(-|x|) <= 1, sigmoid x = 1 / (1 + e) for x >= 0 and
// e / (1 + e) for x < 0: no overflow, and for very negative x the result is
// exp(x) itself, accurate down to the denormals.
//===----------------------------------------------------------------------===//

/// 1 / (1 + e^-x) in f32: sigmoid(+inf) = 1, sigmoid(-inf) = 0, NaN -> NaN.
ADJOINT_MATH_INLINE float adjoint_sigmoid_f32(float x) {
  using namespace adjoint::scalarmath;
  float e = adjoint_exp_f32(-absOf(x));
  return (x >= 0.0f ? 1.0f : e) / (1.0f + e);
}

/// 1 / (1 + e^-x) in f64, with the special values of adjoint_sigmoid_f32.
ADJOINT_MATH_INLINE double adjoint_sigmoid_f64(double x) {
  using namespace adjoint::scalarmath;
  double e = adjoint_exp_f64(-absOf(x));
  return (x >= 0.0 ? 1.0 : e) / (1.0 + e);
}

//===----------------------------------------------------------------------===//
// erf
//
// Small |x|: erf x = x + x P(x^2), fitted for relative error, so tiny x give
// 2x / sqrt(pi) (f32: |x| < 1.25, degree 7, 1.3e-9; f64: |x| < 1.5, degree 14,
// 1.4e-17). Larger |x|: erf x = 1 - exp(-x^2) Q(|x| - c), Q fitted for the
// absolute error of exp(-x^2) Q, the error that reaches the result (f32: up to
// 4, c = 2, degree 7, 3.1e-9; f64: up to 6, c = 2.5, degree 17, 8.8e-18);
// beyond those bounds erf rounds to 1. x^2 is split into x^2 + lo exactly, and
// exp(-x^2 - lo) = exp(-x^2) (1 - lo). The sign is copied from x.
//===----------------------------------------------------------------------===//

/// Error function in f32: erf(+-0) = +-0, erf(+-inf) = +-1, NaN -> NaN.
ADJOINT_MATH_INLINE float adjoint_erf_f32(float x) {
  using namespace adjoint::scalarmath;
  float ax = absOf(x);
  float small =
      mulAdd(ax,
             horner(ax * ax, 0x1.06eba8p-3f, -0x1.81274p-2f, 0x1.ce2dbcp-4f,
                    -0x1.b810e8p-6f, 0x1.554768p-8f, -0x1.b46e6ap-11f,
                    0x1.b0c774p-14f, -0x1.f27546p-18f),
             ax);
  float xc = ax > 4.0f ? 4.0f : ax;
  float z = xc * xc;
  float zlo = mulAdd(xc, xc, -z);
  float e = adjoint_exp_f32(-z);
  e = mulAdd(-e, zlo, e);
  float q = horner(xc - 2.0f, 0x1.058676p-2f, -0x1.b56e56p-4f, 0x1.567902p-5f,
                   -0x1.fb5d68p-7f, 0x1.614194p-8f, -0x1.d5504cp-10f,
                   0x1.725dbp-11f, -0x1.ab939p-13f);
  float large = mulAdd(-e, q, 1.0f);
  return copySign(ax < 1.25f ? small : large, x);
}

/// Error function in f64, with the special values of adjoint_erf_f32.
ADJOINT_MATH_INLINE double adjoint_erf_f64(double x) {
  using namespace adjoint::scalarmath;
  double ax = absOf(x);
  double small = mulAdd(ax,
                        horner(ax * ax, 0x1.06eba8214db68p-3,
                               -0x1.812746b0379b5p-2, 0x1.ce2f21a04149ep-4,
                               -0x1.b82ce31243b6p-6, 0x1.565bcd07b0e9bp-8,
                               -0x1.c02db3357d3f7p-11, 0x1.f9a31756a5052p-14,
                               -0x1.f4d187e932dd7p-17, 0x1.b9decdc960b37p-20,
                               -0x1.5f3cc19d22952p-23, 0x1.fa973a9ae1a84p-27,
                               -0x1.49e8c2bf68f0bp-30, 0x1.7566a8e7358f1p-34,
                               -0x1.45ed6f2358f9bp-38, 0x1.3dfb77b6fe8e1p-43),
                        ax);
  double xc = ax > 6.0 ? 6.0 : ax;
  double z = xc * xc;
  double zlo = mulAdd(xc, xc, -z);
  double e = adjoint_exp_f64(-z);
  e = mulAdd(-e, zlo, e);
  double q = horner(
      xc - 2.5, 0x1.afbb3f3b73456p-3, -0x1.3086d7f01bb79p-4,
      0x1.98958a7a7557ap-6, -0x1.063207675d7dep-7, 0x1.435c04f744a7ap-9,
      -0x1.809ce8ac89539p-11, 0x1.ba8a5e21b6212p-13, -0x1.edd442b68bb4ap-15,
      0x1.0bcc85ab8b79cp-16, -0x1.1acd0cbad3ceap-18, 0x1.233b8bc1cf0cdp-20,
      -0x1.257d177970b93p-22, 0x1.216e44ebc14dep-24, -0x1.109e85f38aa0dp-26,
      0x1.f90c7c1b10058p-29, -0x1.122d45cc471b9p-30, 0x1.19eb2345c352cp-32,
      -0x1.1ba0977f794ep-35);
  double large = mulAdd(-e, q, 1.0);
  return copySign(ax < 1.5 ? small : large, x);
}

#undef ADJOINT_MATH_INLINE
