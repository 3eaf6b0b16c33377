//===- GemmTest.cpp - adjoint_rt_gemm against a naive triple loop ---------===//
#include "runtime/Runtime.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace {

/// True when the two arrays hold the same bits (NaNs included).
template <typename T>
bool sameBits(const std::vector<T> &a, const std::vector<T> &b) {
  return a.size() == b.size() &&
         (a.empty() ||
          std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

struct Shape {
  int64_t m, n, k;
};

/// Shapes covering vectors, empty products, odd sizes (not multiples of the
/// vector width) and products large enough to be cut into blocks (the last
/// three).
const Shape Shapes[] = {
    {1, 1, 1},
    {1, 17, 5},
    {17, 1, 5},
    {1, 1, 300},
    {3, 4, 0},
    {0, 5, 3},
    {5, 0, 3},
    {7, 9, 13},
    {16, 16, 16},
    {31, 33, 35},
    {64, 64, 64},
    {65, 63, 129},
    {100, 1, 77},
    {1, 100, 77},
    {300, 200, 50},
    {800, 900, 40},
    {900, 90, 120},
    {90, 1100, 100},
    // Depths cut into slices that are no multiple of the packing's runs,
    // over tiles with a tail of rows.
    {150, 70, 530},
    {37, 50, 300},
};

template <typename T>
void gemm(const Shape &s, const T *a, int64_t lda, bool ta, const T *b,
          int64_t ldb, bool tb, T *c, int64_t ldc);

template <>
void gemm<float>(const Shape &s, const float *a, int64_t lda, bool ta,
                 const float *b, int64_t ldb, bool tb, float *c, int64_t ldc) {
  adjoint_rt_gemm_f32(s.m, s.n, s.k, a, lda, ta, b, ldb, tb, c, ldc);
}

template <>
void gemm<double>(const Shape &s, const double *a, int64_t lda, bool ta,
                  const double *b, int64_t ldb, bool tb, double *c,
                  int64_t ldc) {
  adjoint_rt_gemm_f64(s.m, s.n, s.k, a, lda, ta, b, ldb, tb, c, ldc);
}

/// One product with stored operands (A is [k, m] when transposed, B [n, k])
/// whose rows are padded beyond their widths.
template <typename T> struct Problem {
  Shape s;
  bool ta, tb;
  int64_t lda, ldb, ldc;
  std::vector<T> a, b;

  Problem(Shape shape, bool transA, bool transB, unsigned seed)
      : s(shape), ta(transA), tb(transB) {
    int64_t aRows = ta ? s.k : s.m, aCols = ta ? s.m : s.k;
    int64_t bRows = tb ? s.n : s.k, bCols = tb ? s.k : s.n;
    lda = aCols + 3;
    ldb = bCols + 5;
    ldc = s.n + 2;
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> dist(-1, 1);
    a.resize(aRows * lda);
    b.resize(bRows * ldb);
    for (T &v : a)
      v = static_cast<T>(dist(rng));
    for (T &v : b)
      v = static_cast<T>(dist(rng));
  }

  T opA(int64_t i, int64_t l) const {
    return ta ? a[l * lda + i] : a[i * lda + l];
  }
  T opB(int64_t l, int64_t j) const {
    return tb ? b[j * ldb + l] : b[l * ldb + j];
  }

  /// C with NaN in the result (which must be overwritten) and a sentinel in
  /// the padding (which must stay).
  std::vector<T> run() const {
    std::vector<T> c(s.m * ldc, T(-777));
    for (int64_t i = 0; i < s.m; ++i)
      for (int64_t j = 0; j < s.n; ++j)
        c[i * ldc + j] = std::numeric_limits<T>::quiet_NaN();
    gemm<T>(s, a.data(), lda, ta, b.data(), ldb, tb, c.data(), ldc);
    return c;
  }

  /// C computed with A, B and C placed offA, offB and offC elements into
  /// their buffers, which moves them across vector alignments.
  std::vector<T> runAt(int64_t offA, int64_t offB, int64_t offC) const {
    std::vector<T> a2(offA + a.size()), b2(offB + b.size());
    std::vector<T> c2(offC + s.m * ldc, T(0));
    std::copy(a.begin(), a.end(), a2.begin() + offA);
    std::copy(b.begin(), b.end(), b2.begin() + offB);
    gemm<T>(s, a2.data() + offA, lda, ta, b2.data() + offB, ldb, tb,
            c2.data() + offC, ldc);
    return std::vector<T>(c2.begin() + offC, c2.end());
  }

  /// Checks C against a double-precision triple loop: each element within
  /// rtol of the sum of the magnitudes of its terms.
  void check(const std::vector<T> &c, double rtol) const {
    for (int64_t i = 0; i < s.m; ++i) {
      for (int64_t j = 0; j < s.n; ++j) {
        double sum = 0, mag = 0;
        for (int64_t l = 0; l < s.k; ++l) {
          double term = static_cast<double>(opA(i, l)) * opB(l, j);
          sum += term;
          mag += std::fabs(term);
        }
        ASSERT_NEAR(c[i * ldc + j], sum, rtol * mag + 1e-300)
            << "at (" << i << ", " << j << ")";
      }
      for (int64_t j = s.n; j < ldc; ++j)
        ASSERT_EQ(c[i * ldc + j], T(-777))
            << "padding at (" << i << ", " << j << ") written";
    }
  }
};

template <typename T> void checkAllShapes(double rtol) {
  unsigned seed = 1;
  for (int threads : {1, 2}) {
    adjoint_rt_set_num_threads(threads);
    for (const Shape &s : Shapes)
      for (bool ta : {false, true})
        for (bool tb : {false, true}) {
          SCOPED_TRACE(testing::Message()
                       << "m " << s.m << " n " << s.n << " k " << s.k
                       << " trans_a " << ta << " trans_b " << tb << " threads "
                       << threads);
          Problem<T> p(s, ta, tb, seed++);
          p.check(p.run(), rtol);
        }
  }
  adjoint_rt_set_num_threads(0);
}

TEST(Gemm, F32MatchesTripleLoop) { checkAllShapes<float>(1e-5); }

TEST(Gemm, F64MatchesTripleLoop) { checkAllShapes<double>(1e-12); }

TEST(Gemm, ZeroDepthGivesZeros) {
  std::vector<float> c(6, 5.0f);
  adjoint_rt_gemm_f32(2, 3, 0, nullptr, 1, 0, nullptr, 3, 0, c.data(), 3);
  EXPECT_EQ(c, std::vector<float>(6, 0.0f));
  std::vector<double> d(6, 5.0);
  adjoint_rt_gemm_f64(3, 2, 0, nullptr, 1, 1, nullptr, 3, 1, d.data(), 2);
  EXPECT_EQ(d, std::vector<double>(6, 0.0));
}

/// Runs every shape on 1, 2 and 3 threads and compares the bits.
template <typename T> void checkThreadInvariance() {
  unsigned seed = 100;
  // Shapes cut into 4, 2, 2 and 2 blocks, and one that is not cut.
  const Shape big[] = {{800, 900, 40},
                       {900, 90, 120},
                       {90, 1100, 100},
                       {1024, 600, 64},
                       {300, 200, 50}};
  for (const Shape &s : big)
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        Problem<T> p(s, ta, tb, seed++);
        adjoint_rt_set_num_threads(1);
        std::vector<T> one = p.run();
        for (int threads : {2, 3}) {
          adjoint_rt_set_num_threads(threads);
          std::vector<T> many = p.run();
          EXPECT_TRUE(sameBits(one, many))
              << "m " << s.m << " n " << s.n << " k " << s.k << " trans_a "
              << ta << " trans_b " << tb << " threads " << threads;
        }
      }
  adjoint_rt_set_num_threads(0);
}

/// Compiled models place their buffers anywhere (and differently from one
/// process to the next), so the bits of C must not depend on addresses.
template <typename T> void checkAddressInvariance() {
  const Shape shapes[] = {{1, 9, 9},    {9, 1, 9},    {1, 1, 13},
                          {1, 1, 300},  {2, 3, 4},    {1, 100, 77},
                          {100, 1, 77}, {16, 16, 16}, {33, 47, 29}};
  const int64_t offsets[][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {3, 5, 7},
                                {2, 6, 3}, {7, 7, 5}, {4, 2, 6}};
  unsigned seed = 200;
  for (const Shape &s : shapes)
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        Problem<T> p(s, ta, tb, seed++);
        std::vector<T> base = p.runAt(0, 0, 0);
        for (const auto &off : offsets) {
          std::vector<T> moved = p.runAt(off[0], off[1], off[2]);
          EXPECT_TRUE(sameBits(base, moved))
              << "m " << s.m << " n " << s.n << " k " << s.k << " trans_a "
              << ta << " trans_b " << tb << " offsets " << off[0] << ","
              << off[1] << "," << off[2];
        }
      }
}

TEST(Gemm, F32DoesNotDependOnAddresses) { checkAddressInvariance<float>(); }

TEST(Gemm, F64DoesNotDependOnAddresses) { checkAddressInvariance<double>(); }

TEST(Gemm, F32IsBitwiseTheSameOnAnyThreadCount) {
  checkThreadInvariance<float>();
}

TEST(Gemm, F64IsBitwiseTheSameOnAnyThreadCount) {
  checkThreadInvariance<double>();
}

} // namespace
