//===- ScalarMathTest.cpp - Accuracy of exp, log, tanh, sigmoid, erf ------===//
//
// Checks compiler/codegen/ScalarMath.h against libm: f32 against the f64
// functions, f64 against the long double ones. Errors are in units in the
// last place of the correctly rounded result (denormal ulps below the smallest
// normal) and, for normal results, relative; infinities must match exactly,
// as must the sign of a zero result.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/ScalarMath.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <ostream>
#include <random>
#include <string>
#include <vector>

namespace {

template <typename T> struct Traits;
template <> struct Traits<float> {
  using Ref = double;
  static constexpr int kMantissa = 24;
  static constexpr int kMinExp = -126;
  static constexpr int kMaxExp = 128;
  static constexpr double kMinNormal = 0x1p-126;
  static constexpr double kOverflow = 0x1p128;
};
template <> struct Traits<double> {
  using Ref = long double;
  static constexpr int kMantissa = 53;
  static constexpr int kMinExp = -1022;
  static constexpr int kMaxExp = 1024;
  static constexpr long double kMinNormal = 0x1p-1022L;
  static constexpr long double kOverflow = 0x1p1024L;
};

/// 2^k, quickly for double.
template <typename R> R pow2(int k) {
  if constexpr (std::is_same_v<R, double>)
    return __builtin_bit_cast(double, static_cast<uint64_t>(k + 1023) << 52);
  else
    return std::ldexp(R(1), k);
}

/// The worst error of a function over the inputs recorded so far.
template <typename T> class Accuracy {
public:
  using Ref = typename Traits<T>::Ref;

  void record(T x, T got, Ref ref) {
    ++count;
    if (std::isnan(ref) || std::isnan(got)) {
      if (std::isnan(ref) != std::isnan(got))
        mismatch(x, got, ref);
      return;
    }
    if (std::isinf(ref)) {
      if (got != ref)
        mismatch(x, got, ref);
      return;
    }
    if (ref == 0 && (got != 0 || std::signbit(got) != std::signbit(ref))) {
      mismatch(x, got, ref);
      return;
    }
    // An overflowed result stands for 2^maxExp, the next value after the
    // largest finite one; a reference past it rounds to inf.
    const Ref top = Traits<T>::kOverflow;
    Ref refc = std::fabs(ref) > top ? std::copysign(top, ref) : ref;
    Ref gotc = std::isinf(got) ? std::copysign(top, Ref(got)) : Ref(got);
    Ref diff = std::fabs(gotc - refc);
    const Ref minNormal = Traits<T>::kMinNormal;
    int exp = std::fabs(refc) >= minNormal
                  ? std::min(std::ilogb(refc), Traits<T>::kMaxExp - 1)
                  : Traits<T>::kMinExp;
    double ulps =
        static_cast<double>(diff / pow2<Ref>(exp - Traits<T>::kMantissa + 1));
    if (ulps > maxUlp) {
      maxUlp = ulps;
      worstX = x, worstGot = got, worstRef = ref;
    }
    if (std::fabs(refc) >= minNormal)
      maxRel = std::max(maxRel, static_cast<double>(diff / std::fabs(refc)));
  }

  /// "max 0.93 ulp, max relative 1.1e-07 over N inputs; worst at x = ...".
  std::string describe() const {
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "max %.3f ulp, max relative %.3g over %llu inputs; worst at "
                  "x = %a: got %a, want %La",
                  maxUlp, maxRel, static_cast<unsigned long long>(count),
                  static_cast<double>(worstX), static_cast<double>(worstGot),
                  static_cast<long double>(worstRef));
    return buf + mismatches;
  }

  double maxUlp = 0;
  double maxRel = 0;
  uint64_t mismatchCount = 0;

private:
  void mismatch(T x, T got, Ref ref) {
    if (++mismatchCount > 8)
      return;
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "\n  wrong special value at x = %a: got %a, want %La",
                  static_cast<double>(x), static_cast<double>(got),
                  static_cast<long double>(ref));
    mismatches += buf;
  }

  uint64_t count = 0;
  T worstX = 0, worstGot = 0;
  Ref worstRef = 0;
  std::string mismatches;
};

/// Applies F to every element; inlined, so the loop vectorizes.
template <typename T, T (*F)(T)> void applyAll(const T *in, T *out, size_t n) {
  for (size_t i = 0; i < n; ++i)
    out[i] = F(in[i]);
}

/// The five functions under test with their references, for one type.
template <typename T> struct Function {
  const char *name;
  void (*apply)(const T *, T *, size_t);
  typename Traits<T>::Ref (*ref)(typename Traits<T>::Ref);
};

const Function<float> kF32[] = {
    {"exp", applyAll<float, adjoint_exp_f32>,
     [](double x) { return std::exp(x); }},
    {"log", applyAll<float, adjoint_log_f32>,
     [](double x) { return std::log(x); }},
    {"tanh", applyAll<float, adjoint_tanh_f32>,
     [](double x) { return std::tanh(x); }},
    {"sigmoid", applyAll<float, adjoint_sigmoid_f32>,
     [](double x) { return 1.0 / (1.0 + std::exp(-x)); }},
    {"erf", applyAll<float, adjoint_erf_f32>,
     [](double x) { return std::erf(x); }},
};

const Function<double> kF64[] = {
    {"exp", applyAll<double, adjoint_exp_f64>,
     [](long double x) { return expl(x); }},
    {"log", applyAll<double, adjoint_log_f64>,
     [](long double x) { return logl(x); }},
    {"tanh", applyAll<double, adjoint_tanh_f64>,
     [](long double x) { return tanhl(x); }},
    {"sigmoid", applyAll<double, adjoint_sigmoid_f64>,
     [](long double x) { return 1.0L / (1.0L + expl(-x)); }},
    {"erf", applyAll<double, adjoint_erf_f64>,
     [](long double x) { return erfl(x); }},
};

template <typename T> const Function<T> &find(const char *name) {
  if constexpr (std::is_same_v<T, float>) {
    for (const auto &f : kF32)
      if (std::string(f.name) == name)
        return f;
  } else {
    for (const auto &f : kF64)
      if (std::string(f.name) == name)
        return f;
  }
  std::abort();
}

/// Checks one function on the inputs added, a chunk at a time.
template <typename T> class Checker {
public:
  explicit Checker(const Function<T> &f) : f(f), in(kChunk), out(kChunk) {}

  void add(T x) {
    in[size++] = x;
    if (size == kChunk)
      flush();
  }

  /// Every float in [lo, hi], both ends included.
  void addRange(T lo, T hi) {
    for (T x = lo; x <= hi;
         x = std::nextafter(x, std::numeric_limits<T>::infinity()))
      add(x);
  }

  /// The accuracy over every input added.
  const Accuracy<T> &accuracy() {
    flush();
    return acc;
  }

private:
  static constexpr size_t kChunk = 4096;

  void flush() {
    f.apply(in.data(), out.data(), size);
    for (size_t i = 0; i < size; ++i)
      acc.record(in[i], out[i],
                 f.ref(static_cast<typename Traits<T>::Ref>(in[i])));
    size = 0;
  }

  const Function<T> &f;
  std::vector<T> in, out;
  size_t size = 0;
  Accuracy<T> acc;
};

//===----------------------------------------------------------------------===//
// f32: every 17th bit pattern of the whole range (17 is odd, so every low-bit
// pattern occurs), plus every float around the thresholds and breakpoints.
//===----------------------------------------------------------------------===//

struct F32Case {
  const char *name;
  double maxUlp;
  // Ranges checked exhaustively.
  std::vector<std::pair<float, float>> ranges;
};

void PrintTo(const F32Case &c, std::ostream *os) { *os << c.name; }

class ScalarMathF32 : public testing::TestWithParam<F32Case> {};

TEST_P(ScalarMathF32, SweepsWholeRangeAgainstLibm) {
  const F32Case &c = GetParam();
  const Function<float> &f = find<float>(c.name);
  Checker<float> checker(f);
  for (uint64_t bits = 0; bits <= UINT32_MAX; bits += 17)
    checker.add(__builtin_bit_cast(float, static_cast<uint32_t>(bits)));
  for (auto [lo, hi] : c.ranges)
    checker.addRange(lo, hi);
  const Accuracy<float> &acc = checker.accuracy();
  EXPECT_EQ(acc.mismatchCount, 0u) << acc.describe();
  EXPECT_LE(acc.maxUlp, c.maxUlp) << acc.describe();
  EXPECT_LE(acc.maxRel, 1e-6) << acc.describe();
  std::printf("%s_f32: %s\n", c.name, acc.describe().c_str());
}

INSTANTIATE_TEST_SUITE_P(
    Functions, ScalarMathF32,
    testing::Values(
        // Denormal results and the underflow to 0, the overflow to inf, and
        // the ends of the reduced range.
        F32Case{"exp",
                1.5,
                {{-104.0f, -87.0f},
                 {88.0f, 89.0f},
                 {0.34f, 0.35f},
                 {-0.35f, -0.34f}}},
        // Denormal inputs, and values next to 1.
        F32Case{"log",
                1.5,
                {{0x1p-149f, 0x1p-126f}, {0.5f, 2.0f}, {0x1p126f, FLT_MAX}}},
        // The breakpoint at 0.5625 and the saturation to 1 near 9.
        F32Case{"tanh", 2.0, {{0.5f, 0.625f}, {-0.625f, -0.5f}, {8.5f, 9.5f}}},
        // Denormal results for very negative x.
        F32Case{"sigmoid", 3.0, {{-104.0f, -87.0f}, {0.5f, 2.0f}}},
        // The breakpoint at 1.25 and the saturation to 1 near 4.
        F32Case{"erf", 2.5, {{1.125f, 1.375f}, {3.75f, 4.25f}}}),
    [](const auto &info) { return std::string(info.param.name); });

//===----------------------------------------------------------------------===//
// f64: a few million random values over the interesting ranges.
//===----------------------------------------------------------------------===//

/// Samples of one distribution: uniform in [lo, hi], or, when `logScale`, of
/// random sign and magnitude log-uniform in [lo, hi].
struct Range {
  double lo, hi;
  bool logScale = false;
};

struct F64Case {
  const char *name;
  double maxUlp;
  std::vector<Range> ranges;
};

void PrintTo(const F64Case &c, std::ostream *os) { *os << c.name; }

class ScalarMathF64 : public testing::TestWithParam<F64Case> {};

constexpr int kSamplesPerRange = 1 << 19;

TEST_P(ScalarMathF64, RandomValuesAgainstLibm) {
  const F64Case &c = GetParam();
  const Function<double> &f = find<double>(c.name);
  Checker<double> checker(f);
  std::mt19937_64 rng(12345);
  for (const Range &r : c.ranges) {
    if (r.logScale) {
      std::uniform_real_distribution<double> dist(std::log2(r.lo),
                                                  std::log2(r.hi));
      for (int i = 0; i < kSamplesPerRange; ++i) {
        double mag = std::exp2(dist(rng));
        checker.add((rng() & 1) ? -mag : mag);
      }
    } else {
      std::uniform_real_distribution<double> dist(r.lo, r.hi);
      for (int i = 0; i < kSamplesPerRange; ++i)
        checker.add(dist(rng));
    }
  }
  // Every positive double, by random bit pattern.
  for (int i = 0; i < kSamplesPerRange; ++i)
    checker.add(__builtin_bit_cast(double, rng() >> 1));
  const Accuracy<double> &acc = checker.accuracy();
  EXPECT_EQ(acc.mismatchCount, 0u) << acc.describe();
  EXPECT_LE(acc.maxUlp, c.maxUlp) << acc.describe();
  EXPECT_LE(acc.maxRel, 1e-14) << acc.describe();
  std::printf("%s_f64: %s\n", c.name, acc.describe().c_str());
}

INSTANTIATE_TEST_SUITE_P(
    Functions, ScalarMathF64,
    testing::Values(
        F64Case{"exp",
                1.5,
                {{-746.0, 710.0},
                 {-1.0, 1.0},
                 {0x1p-60, 1024.0, true},
                 {-745.2, -708.0},
                 {709.0, 709.8}}},
        F64Case{"log",
                1.5,
                {{0.5, 2.0},
                 {1.0 - 1e-6, 1.0 + 1e-6},
                 {0x1p-1074, 0x1p-1022},
                 {0.0, 1e300}}},
        F64Case{
            "tanh",
            2.0,
            {{-1.0, 1.0}, {0x1p-40, 32.0, true}, {0.5, 0.625}, {18.0, 20.0}}},
        F64Case{
            "sigmoid", 3.0, {{-750.0, 40.0}, {-5.0, 5.0}, {-745.2, -708.0}}},
        F64Case{"erf",
                3.0,
                {{-6.5, 6.5}, {0x1p-40, 8.0, true}, {1.4, 1.6}, {5.8, 6.1}}}),
    [](const auto &info) { return std::string(info.param.name); });

//===----------------------------------------------------------------------===//
// Special values: zeros, infinities, NaN, extremes, denormals, thresholds.
//===----------------------------------------------------------------------===//

template <typename T> std::vector<T> specialInputs() {
  using L = std::numeric_limits<T>;
  std::vector<T> xs = {
      T(0),           -T(0),           L::infinity(),   -L::infinity(),
      L::quiet_NaN(), -L::quiet_NaN(), L::max(),        -L::max(),
      L::min(),       -L::min(),       L::denorm_min(), -L::denorm_min(),
      T(1),           T(-1),           T(0.5),          T(-0.5)};
  // Powers of two across the whole range, both signs, with neighbours.
  for (int e = L::min_exponent - L::digits; e < L::max_exponent; ++e) {
    T p = std::ldexp(T(1), e);
    for (T v : {p, std::nextafter(p, T(0)), std::nextafter(p, L::infinity())}) {
      xs.push_back(v);
      xs.push_back(-v);
    }
  }
  // Each side of the exp overflow and underflow thresholds and the
  // breakpoints of tanh and erf.
  for (T t : {std::log(L::max()), std::log(L::min()), std::log(L::denorm_min()),
              std::log(L::denorm_min() / 2), T(0.5625), T(1.25), T(1.5), T(4),
              T(6)}) {
    T v = t;
    for (int i = 0; i < 40; ++i) {
      xs.push_back(v), xs.push_back(-v);
      v = std::nextafter(v, L::infinity());
    }
    v = t;
    for (int i = 0; i < 40; ++i) {
      xs.push_back(v), xs.push_back(-v);
      v = std::nextafter(v, T(0));
    }
  }
  return xs;
}

template <typename T> void checkSpecials(const Function<T> &f, double maxUlp) {
  Checker<T> checker(f);
  for (T x : specialInputs<T>())
    checker.add(x);
  const Accuracy<T> &acc = checker.accuracy();
  EXPECT_EQ(acc.mismatchCount, 0u) << f.name << ": " << acc.describe();
  EXPECT_LE(acc.maxUlp, maxUlp) << f.name << ": " << acc.describe();
}

TEST(ScalarMath, SpecialValuesMatchLibmF32) {
  for (const auto &f : kF32)
    checkSpecials(f, 2.0);
}

TEST(ScalarMath, SpecialValuesMatchLibmF64) {
  for (const auto &f : kF64)
    checkSpecials(f, 2.0);
}

/// The documented special values, spelled out.
template <typename T> void checkDocumentedValues() {
  using L = std::numeric_limits<T>;
  const T inf = L::infinity(), nan = L::quiet_NaN(), tiny = L::denorm_min();
  T (*exp)(T), (*log)(T), (*tanh)(T), (*sigmoid)(T), (*erf)(T);
  if constexpr (std::is_same_v<T, float>) {
    exp = adjoint_exp_f32, log = adjoint_log_f32, tanh = adjoint_tanh_f32;
    sigmoid = adjoint_sigmoid_f32, erf = adjoint_erf_f32;
  } else {
    exp = adjoint_exp_f64, log = adjoint_log_f64, tanh = adjoint_tanh_f64;
    sigmoid = adjoint_sigmoid_f64, erf = adjoint_erf_f64;
  }
  EXPECT_EQ(exp(T(0)), T(1));
  EXPECT_EQ(exp(-T(0)), T(1));
  EXPECT_EQ(exp(-inf), T(0));
  EXPECT_FALSE(std::signbit(exp(-inf)));
  EXPECT_EQ(exp(inf), inf);
  EXPECT_TRUE(std::isnan(exp(nan)));
  EXPECT_EQ(exp(L::max()), inf);
  EXPECT_EQ(exp(-L::max()), T(0));
  EXPECT_EQ(exp(std::log(tiny)), tiny);

  EXPECT_EQ(log(T(0)), -inf);
  EXPECT_EQ(log(-T(0)), -inf);
  EXPECT_TRUE(std::isnan(log(T(-1))));
  EXPECT_TRUE(std::isnan(log(-tiny)));
  EXPECT_TRUE(std::isnan(log(-inf)));
  EXPECT_EQ(log(inf), inf);
  EXPECT_TRUE(std::isnan(log(nan)));
  EXPECT_EQ(log(T(1)), T(0));
  EXPECT_FALSE(std::signbit(log(T(1))));
  EXPECT_EQ(log(T(2)), std::log(T(2)));

  EXPECT_EQ(tanh(T(0)), T(0));
  EXPECT_FALSE(std::signbit(tanh(T(0))));
  EXPECT_TRUE(std::signbit(tanh(-T(0))));
  EXPECT_EQ(tanh(inf), T(1));
  EXPECT_EQ(tanh(-inf), T(-1));
  EXPECT_EQ(tanh(tiny), tiny);
  EXPECT_EQ(tanh(-tiny), -tiny);
  EXPECT_TRUE(std::isnan(tanh(nan)));

  EXPECT_EQ(sigmoid(T(0)), T(0.5));
  EXPECT_EQ(sigmoid(inf), T(1));
  EXPECT_EQ(sigmoid(L::max()), T(1));
  EXPECT_EQ(sigmoid(-inf), T(0));
  EXPECT_EQ(sigmoid(-L::max()), T(0));
  EXPECT_EQ(sigmoid(std::log(tiny)), tiny);
  EXPECT_TRUE(std::isnan(sigmoid(nan)));

  EXPECT_EQ(erf(T(0)), T(0));
  EXPECT_FALSE(std::signbit(erf(T(0))));
  EXPECT_TRUE(std::signbit(erf(-T(0))));
  EXPECT_EQ(erf(inf), T(1));
  EXPECT_EQ(erf(-inf), T(-1));
  EXPECT_EQ(erf(L::max()), T(1));
  EXPECT_TRUE(std::isnan(erf(nan)));
  T small = L::min() * 64;
  EXPECT_NEAR(erf(small) / small, T(1.1283791670955126), 2 * L::epsilon());
}

TEST(ScalarMath, DocumentedSpecialValuesF32) { checkDocumentedValues<float>(); }

TEST(ScalarMath, DocumentedSpecialValuesF64) {
  checkDocumentedValues<double>();
}

} // namespace
