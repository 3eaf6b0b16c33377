//===- GemmKernelsTest.cpp - Every kernel set, every tail, every operand form //
//
// The GEMM's kernels for each instruction set this CPU runs (AVX-512, AVX2
// compiled for a named CPU whatever the host, portable C++), against a
// double-precision triple loop: every tail of the register block, depths
// across the packed-panel boundary, transposed operands, accumulation, the
// per-tile epilogue, and the indirect and prepacked operand forms the
// convolutions use.
//
//===----------------------------------------------------------------------===//
#include "runtime/GemmKernels.h"
#include "runtime/Gemm.h"
#include "runtime/Runtime.h"
#include "tests/runtime/ForEachIsa.h"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using adjoint::rt::GemmProblem;
using adjoint::rt::Isa;
using adjoint::rt::testing::forEachIsa;

std::vector<float> randomVector(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1, 1);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(rng);
  return v;
}

/// C (+)= op(A) @ op(B) in double, the reference.
std::vector<double> reference(int64_t m, int64_t n, int64_t k,
                              const std::vector<float> &a, bool ta,
                              const std::vector<float> &b, bool tb,
                              const std::vector<float> &c0, bool accumulate) {
  std::vector<double> c(m * n);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double sum = accumulate ? c0[i * n + j] : 0;
      for (int64_t p = 0; p < k; ++p)
        sum += double(ta ? a[p * m + i] : a[i * k + p]) *
               double(tb ? b[j * k + p] : b[p * n + j]);
      c[i * n + j] = sum;
    }
  return c;
}

void expectNear(const std::vector<float> &got, const std::vector<double> &want,
                int64_t k, const std::string &what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want[i], 1e-5 * (k + 1)) << what << " element " << i;
}

TEST(GemmKernels, TheHostRunsItsWidestSet) {
  Isa host = adjoint::rt::hostIsa();
  EXPECT_TRUE(adjoint::rt::setKernelIsa(host));
  EXPECT_EQ(adjoint::rt::kernelIsa(), host);
  // Every x86-64 CPU this project targets has AVX2 with FMA.
#if defined(__x86_64__)
  if (!std::getenv("ADJOINT_ISA"))
    EXPECT_NE(host, Isa::Generic);
#endif
}

/// Every number of rows up to two register blocks and one, columns around
/// one and two register blocks of every set, depths below a vector, odd,
/// and across the packed-panel boundary (256).
TEST(GemmKernels, EveryTailOfEveryRegisterBlock) {
  forEachIsa([](Isa) {
    unsigned seed = 1;
    for (int64_t m = 1; m <= 17; ++m)
      for (int64_t n : {1, 7, 8, 15, 16, 17, 31, 33, 47, 48, 49, 97})
        for (int64_t k : {1, 5, 16, 19, 257})
          for (int t = 0; t < 4; ++t) {
            bool ta = t & 1, tb = t & 2;
            auto a = randomVector(m * k, seed++),
                 b = randomVector(k * n, seed++);
            std::vector<float> c(m * n, NAN);
            adjoint_rt_gemm_f32(m, n, k, a.data(), ta ? m : k, ta, b.data(),
                                tb ? k : n, tb, c.data(), n);
            expectNear(c, reference(m, n, k, a, ta, b, tb, c, false), k,
                       "m " + std::to_string(m) + " n " + std::to_string(n) +
                           " k " + std::to_string(k) + " ta " +
                           std::to_string(ta) + " tb " + std::to_string(tb));
          }
  });
}

TEST(GemmKernels, AccumulateAddsToC) {
  forEachIsa([](Isa) {
    for (int threads : {1, 2}) {
      adjoint_rt_set_num_threads(threads);
      for (auto [m, n, k] : {std::array<int64_t, 3>{13, 50, 300},
                             std::array<int64_t, 3>{200, 130, 70},
                             std::array<int64_t, 3>{3, 40, 9}})
        for (int tb = 0; tb < 2; ++tb) {
          auto a = randomVector(m * k, 3), b = randomVector(k * n, 4);
          std::vector<float> c = randomVector(m * n, 5), c0 = c;
          adjoint_rt_gemm_ex_f32(m, n, k, a.data(), k, 0, b.data(), tb ? k : n,
                                 tb, c.data(), n, 1, nullptr, nullptr);
          expectNear(c, reference(m, n, k, a, false, b, tb, c0, true), k,
                     "accumulate m " + std::to_string(m));
        }
    }
    adjoint_rt_set_num_threads(0);
  });
}

/// The epilogue sees each element of C once, after it is final, from
/// tiles that do not overlap.
struct EpilogueLog {
  int64_t n;
  const float *c;
  std::vector<double> want;
  std::vector<std::atomic<int>> calls;
  std::atomic<bool> early{false};
};

void logTile(int64_t r0, int64_t r1, int64_t c0, int64_t c1, void *ctx) {
  auto &log = *static_cast<EpilogueLog *>(ctx);
  for (int64_t i = r0; i < r1; ++i)
    for (int64_t j = c0; j < c1; ++j) {
      log.calls[i * log.n + j]++;
      if (std::fabs(log.c[i * log.n + j] - log.want[i * log.n + j]) > 1e-3)
        log.early = true;
    }
}

TEST(GemmKernels, EpilogueRunsOnceOnEveryFinishedElement) {
  forEachIsa([](Isa) {
    for (int threads : {1, 2}) {
      adjoint_rt_set_num_threads(threads);
      for (auto [m, n, k] : {std::array<int64_t, 3>{1, 700, 300},
                             std::array<int64_t, 3>{300, 1100, 600},
                             std::array<int64_t, 3>{64, 64, 784}}) {
        auto a = randomVector(m * k, 7), b = randomVector(k * n, 8);
        std::vector<float> c(m * n, NAN);
        EpilogueLog log{n, c.data(),
                        reference(m, n, k, a, false, b, false, c, false),
                        std::vector<std::atomic<int>>(m * n)};
        adjoint_rt_gemm_ex_f32(m, n, k, a.data(), k, 0, b.data(), n, 0,
                               c.data(), n, 0, logTile, &log);
        EXPECT_FALSE(log.early) << "an epilogue saw an unfinished element";
        for (int64_t i = 0; i < m * n; ++i)
          ASSERT_EQ(log.calls[i].load(), 1) << "element " << i;
      }
    }
    adjoint_rt_set_num_threads(0);
  });
}

/// The indirect forms: rows of A or of B picked out of a larger array by
/// offsets, and A packed once for several products; the same values as
/// the plain form, bit for bit (the same sums in the same order).
TEST(GemmKernels, IndirectAndPrepackedOperandsGiveThePlainResult) {
  forEachIsa([](Isa) {
    const int64_t m = 21, n = 83, k = 300, stride = 311;
    auto pool = randomVector(stride * (k + 40), 11);
    auto dense = randomVector(k * n, 12);
    // Rows r of the pool at scattered offsets.
    std::vector<int64_t> rowsA(m), rowsB(k);
    for (int64_t i = 0; i < m; ++i)
      rowsA[i] = (i * 7919) % (stride * 30);
    for (int64_t p = 0; p < k; ++p)
      rowsB[p] = (p * 104729) % (stride * 30);
    // The same operands gathered into dense matrices.
    std::vector<float> a(m * k), b(k * n);
    for (int64_t i = 0; i < m; ++i)
      std::memcpy(&a[i * k], &pool[rowsA[i]], k * sizeof(float));
    for (int64_t p = 0; p < k; ++p)
      std::memcpy(&b[p * n], &pool[rowsB[p]], n * sizeof(float));

    std::vector<float> plainA(m * n), indirectA(m * n);
    adjoint::rt::gemmSerial(GemmProblem<float>{m, n, k, a.data(), k, false,
                                               dense.data(), n, false,
                                               plainA.data(), n, false});
    GemmProblem<float> pa{m,
                          n,
                          k,
                          pool.data(),
                          0,
                          false,
                          dense.data(),
                          n,
                          false,
                          indirectA.data(),
                          n,
                          false};
    pa.aRows = rowsA.data();
    adjoint::rt::gemmSerial(pa);
    EXPECT_EQ(0, std::memcmp(plainA.data(), indirectA.data(),
                             plainA.size() * sizeof(float)));

    std::vector<float> plainB(m * n), indirectB(m * n), prepacked(m * n);
    adjoint::rt::gemmSerial(GemmProblem<float>{m, n, k, a.data(), k, false,
                                               b.data(), n, false,
                                               plainB.data(), n, false});
    GemmProblem<float> pb{m,           n, k,     a.data(),         k, false,
                          pool.data(), 0, false, indirectB.data(), n, false};
    pb.bRows = rowsB.data();
    adjoint::rt::gemmSerial(pb);
    EXPECT_EQ(0, std::memcmp(plainB.data(), indirectB.data(),
                             plainB.size() * sizeof(float)));

    std::vector<float> packed(adjoint::rt::packedASize(m, k));
    GemmProblem<float> pp{m,        n, k,     a.data(),         k, false,
                          b.data(), n, false, prepacked.data(), n, false};
    adjoint::rt::prepackA(pp, packed.data());
    pp.aPacked = packed.data();
    adjoint::rt::gemmParallel(pp, nullptr, nullptr);
    EXPECT_EQ(0, std::memcmp(plainB.data(), prepacked.data(),
                             plainB.size() * sizeof(float)));
    expectNear(plainB, reference(m, n, k, a, false, b, false, plainB, false), k,
               "plain");
  });
}

TEST(GemmKernels, PackedBGivesThePlainResult) {
  // B packed once (prepackB), and B stored [n, k], which a product of
  // several rows of tiles packs once for all of them (each thread a share
  // of its panels): the bits of B read in place, with row, column and depth
  // tails, two slices of k and rows enough for three rows of tiles, on one
  // thread and more. The second shape has few rows and a wide B, which
  // threads share by columns so that B is read once.
  struct Shape {
    int64_t m, n, k;
  };
  for (Shape s : {Shape{301, 83, 300}, Shape{37, 1000, 300}})
    forEachIsa([s](Isa) {
      const int64_t m = s.m, n = s.n, k = s.k;
      auto a = randomVector(m * k, 21);
      auto b = randomVector(k * n, 22);
      std::vector<float> bt(n * k);
      for (int64_t p = 0; p < k; ++p)
        for (int64_t j = 0; j < n; ++j)
          bt[j * k + p] = b[p * n + j];
      std::vector<float> plain(m * n), packed(m * n), stored(m * n);
      adjoint::rt::gemmSerial(GemmProblem<float>{m, n, k, a.data(), k, false,
                                                 b.data(), n, false,
                                                 plain.data(), n, false});
      std::vector<float> panels(adjoint::rt::packedBSize<float>(k, n));
      GemmProblem<float> pp{m,        n, k,     a.data(),      k, false,
                            b.data(), n, false, packed.data(), n, false};
      adjoint::rt::prepackB(pp, panels.data());
      pp.bPacked = panels.data();
      adjoint::rt::gemmSerial(pp);
      EXPECT_EQ(0, std::memcmp(plain.data(), packed.data(),
                               plain.size() * sizeof(float)))
          << m << " x " << k << " x " << n;
      for (int threads : {1, 2, 3}) {
        adjoint_rt_set_num_threads(threads);
        std::fill(stored.begin(), stored.end(), 0.0f);
        adjoint_rt_gemm_f32(m, n, k, a.data(), k, 0, bt.data(), k, 1,
                            stored.data(), n);
        EXPECT_EQ(0, std::memcmp(plain.data(), stored.data(),
                                 plain.size() * sizeof(float)))
            << m << " x " << k << " x " << n << ", " << threads << " threads";
      }
      adjoint_rt_set_num_threads(0);
    });
}

TEST(GemmKernels, FixedBPackedOnceGivesThePlainBits) {
  // adjoint_rt_gemm_fixed_b_f32 packs B into the caller's buffer on the
  // first call and reads it from there after: the bits of the plain
  // product on every call, for B stored either way, on 1-3 threads, with
  // accumulation. A buffer that holds another B (or B packed for another
  // kernel set: the buffer is shared across the sets below), one too
  // small, or a product of too few rows gives the plain product.
  struct Shape {
    int64_t m, n, k;
  };
  const int64_t header = ADJOINT_RT_FIXED_B_HEADER / sizeof(float);
  std::vector<float> buffer;
  for (Shape s : {Shape{301, 83, 300}, Shape{37, 1000, 300}, Shape{3, 50, 70}})
    for (int tb : {0, 1}) {
      const int64_t m = s.m, n = s.n, k = s.k;
      int64_t ldb = tb ? k : n;
      buffer.assign(header + 2 * k * (n + 64), 0.0f);
      unsigned sets = 0;
      forEachIsa([&](Isa) {
        auto a = randomVector(m * k, 41);
        auto c0 = randomVector(m * n, 43);
        // Both alive: a B at another address is another B.
        std::vector<float> bs[2] = {randomVector(k * n, 42),
                                    randomVector(k * n, 44)};
        // Each set starts with the B the last one ended with.
        for (unsigned pick : {0u, 1u}) {
          unsigned seed = (pick + sets) % 2;
          const std::vector<float> &b = bs[seed];
          int64_t capacity = adjoint_rt_packed_b_elements_f32(k, n);
          for (int accumulate : {0, 1}) {
            std::vector<float> plain = c0;
            adjoint_rt_gemm_ex_f32(m, n, k, a.data(), k, 0, b.data(), ldb, tb,
                                   plain.data(), n, accumulate, nullptr,
                                   nullptr);
            for (int threads : {1, 2, 3})
              for (int64_t room : {capacity, capacity - 1}) {
                adjoint_rt_set_num_threads(threads);
                std::vector<float> got = c0;
                adjoint_rt_gemm_fixed_b_f32(
                    m, n, k, a.data(), k, 0, b.data(), ldb, tb, got.data(), n,
                    accumulate, nullptr, nullptr, buffer.data(), room);
                EXPECT_EQ(0, std::memcmp(plain.data(), got.data(),
                                         plain.size() * sizeof(float)))
                    << m << " x " << k << " x " << n << ", tb " << tb << ", b "
                    << seed << ", accumulate " << accumulate << ", " << threads
                    << " threads, room " << room;
              }
          }
        }
        ++sets;
      });
      adjoint_rt_set_num_threads(0);
    }
}

TEST(GemmKernels, FixedBCallsMayOverlap) {
  // Calls on several threads at once with one buffer, as an ahead-of-time
  // library's runs on caller arenas: one packs, the others compute the
  // plain product meanwhile or read the panels once they are there.
  const int64_t m = 96, n = 200, k = 300;
  auto a = randomVector(m * k, 51);
  auto b = randomVector(k * n, 52);
  std::vector<float> plain(m * n);
  adjoint_rt_set_num_threads(1);
  adjoint_rt_gemm_f32(m, n, k, a.data(), k, 0, b.data(), n, 0, plain.data(), n);
  for (int round = 0; round < 5; ++round) {
    std::vector<float> buffer(ADJOINT_RT_FIXED_B_HEADER / sizeof(float) +
                              adjoint_rt_packed_b_elements_f32(k, n));
    std::atomic<int> differ{0};
    std::vector<std::thread> callers;
    for (int t = 0; t < 4; ++t)
      callers.emplace_back([&] {
        std::vector<float> c(m * n);
        for (int call = 0; call < 10; ++call) {
          adjoint_rt_gemm_fixed_b_f32(
              m, n, k, a.data(), k, 0, b.data(), n, 0, c.data(), n, 0, nullptr,
              nullptr, buffer.data(), adjoint_rt_packed_b_elements_f32(k, n));
          differ += std::memcmp(c.data(), plain.data(),
                                plain.size() * sizeof(float)) != 0;
        }
      });
    for (std::thread &t : callers)
      t.join();
    EXPECT_EQ(differ.load(), 0) << "round " << round;
  }
  adjoint_rt_set_num_threads(0);
}

TEST(GemmKernels, ProductsComputedTransposedGiveThePlainBits) {
  // C = A^T @ B with A stored [k, m], B stored [k, n], n well under m and k
  // deep, is computed as C^T = B^T @ A and transposed: the same chains of
  // multiply-adds, so the bits of the plain product (computed here by
  // accumulating into zeros, which never takes the transposed way), on one
  // thread and more, with row, column and depth tails.
  struct Shape {
    int64_t m, n, k;
  };
  for (Shape s : {Shape{384, 128, 1792}, Shape{384, 28, 1792},
                  Shape{97, 13, 300}, Shape{50, 49, 2000}})
    forEachIsa([s](Isa) {
      auto a = randomVector(s.k * s.m, 31);
      auto b = randomVector(s.k * s.n, 32);
      std::vector<float> plain(s.m * s.n, 0.0f), got(s.m * s.n);
      adjoint::rt::gemmSerial(GemmProblem<float>{s.m, s.n, s.k, a.data(), s.m,
                                                 true, b.data(), s.n, false,
                                                 plain.data(), s.n, true});
      for (int threads : {1, 2, 3}) {
        adjoint_rt_set_num_threads(threads);
        std::fill(got.begin(), got.end(), NAN);
        adjoint_rt_gemm_f32(s.m, s.n, s.k, a.data(), s.m, 1, b.data(), s.n, 0,
                            got.data(), s.n);
        EXPECT_EQ(0, std::memcmp(plain.data(), got.data(),
                                 plain.size() * sizeof(float)))
            << s.m << " x " << s.k << " x " << s.n << ", " << threads
            << " threads";
      }
      adjoint_rt_set_num_threads(0);
    });
}

/// Small blocks of A are read where they are stored (row pointers, or an A
/// stored [k, m] stepped through as a packed panel): the same bits as A
/// packed, for both layouts of A and B, with row, column and depth tails
/// and two slices of k.
TEST(GemmKernels, BlocksReadInPlaceGiveThePackedResult) {
  forEachIsa([](Isa) {
    struct Shape {
      int64_t m, k, n;
    };
    unsigned seed = 61;
    for (Shape s : {Shape{32, 100, 64}, Shape{13, 37, 70}, Shape{64, 32, 100},
                    Shape{9, 5, 17}, Shape{17, 300, 10}})
      for (bool ta : {false, true})
        for (bool tb : {false, true}) {
          auto a = randomVector(s.m * s.k, seed++),
               b = randomVector(s.k * s.n, seed++);
          int64_t lda = ta ? s.m : s.k, ldb = tb ? s.k : s.n;
          std::vector<float> inPlace(s.m * s.n), packedC(s.m * s.n);
          GemmProblem<float> g{s.m,      s.n, s.k, a.data(),       lda, ta,
                               b.data(), ldb, tb,  inPlace.data(), s.n, false};
          adjoint::rt::gemmSerial(g);
          std::vector<float> packed(adjoint::rt::packedASize(s.m, s.k));
          adjoint::rt::prepackA(g, packed.data());
          g.aPacked = packed.data();
          g.c = packedC.data();
          adjoint::rt::gemmSerial(g);
          std::string what = std::to_string(s.m) + "x" + std::to_string(s.k) +
                             "x" + std::to_string(s.n) + (ta ? " A^T" : " A") +
                             (tb ? " B^T" : " B");
          ASSERT_EQ(0, std::memcmp(inPlace.data(), packedC.data(),
                                   inPlace.size() * sizeof(float)))
              << what;
          expectNear(inPlace,
                     reference(s.m, s.n, s.k, a, ta, b, tb, inPlace, false),
                     s.k, what);
        }
  });
}

/// Columns in groups (a convolution's output rows as whole vectors): the
/// same bits as the plain product of the gathered columns, on 1 and 2
/// threads, with the columns between groups left alone.
TEST(GemmKernels, GroupedColumnsGiveThePlainResult) {
  forEachIsa([](Isa) {
    const int64_t m = 19, k = 70, groups = 7, width = 32, stride = 37;
    const int64_t n = groups * width, physical = groups * stride;
    auto a = randomVector(m * k, 31), b = randomVector(k * physical, 32);
    std::vector<float> gathered(k * n);
    for (int64_t p = 0; p < k; ++p)
      for (int64_t j = 0; j < n; ++j)
        gathered[p * n + j] = b[p * physical + j / width * stride + j % width];
    std::vector<float> plain(m * n);
    adjoint::rt::gemmSerial(GemmProblem<float>{m, n, k, a.data(), k, false,
                                               gathered.data(), n, false,
                                               plain.data(), n, false});
    for (int threads : {1, 2}) {
      adjoint_rt_set_num_threads(threads);
      std::vector<float> c(m * physical, -7.0f);
      GemmProblem<float> g{m,     n,        k,        a.data(),
                           k,     false,    b.data(), physical,
                           false, c.data(), physical, false};
      g.groupCols = width;
      g.groupStride = stride;
      adjoint::rt::gemmParallel(g, nullptr, nullptr);
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < physical; ++j) {
          float got = c[i * physical + j];
          if (j % stride >= width) {
            ASSERT_EQ(got, -7.0f) << "between groups at " << i << ", " << j;
            continue;
          }
          float want = plain[i * n + j / stride * width + j % stride];
          ASSERT_EQ(0, std::memcmp(&got, &want, sizeof(float)))
              << i << ", " << j << " threads " << threads;
        }
    }
    adjoint_rt_set_num_threads(0);
  });
}

/// Rows of A picked by offsets and read in segments (a convolution's output
/// rows in its planes' rows): the same bits as the plain product of the
/// gathered A, with depths across the packed-panel boundary, so that
/// slices start inside a segment.
TEST(GemmKernels, SegmentedRowsGiveThePlainResult) {
  forEachIsa([](Isa) {
    const int64_t m = 13, n = 70, segment = 14, stride = 18, segments = 30;
    const int64_t k = segment * segments;
    auto pool = randomVector(stride * segments + 400, 41);
    auto b = randomVector(k * n, 42);
    std::vector<int64_t> rows(m);
    for (int64_t i = 0; i < m; ++i)
      rows[i] = (i * 29) % 300;
    std::vector<float> a(m * k);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t p = 0; p < k; ++p)
        a[i * k + p] = pool[rows[i] + p / segment * stride + p % segment];
    std::vector<float> plain(m * n), segmented(m * n);
    adjoint::rt::gemmSerial(GemmProblem<float>{m, n, k, a.data(), k, false,
                                               b.data(), n, false, plain.data(),
                                               n, false});
    GemmProblem<float> g{m,        n, k,     pool.data(),      0, false,
                         b.data(), n, false, segmented.data(), n, false};
    g.aRows = rows.data();
    g.aSegment = segment;
    g.aSegmentStride = stride;
    adjoint::rt::gemmSerial(g);
    EXPECT_EQ(0, std::memcmp(plain.data(), segmented.data(),
                             plain.size() * sizeof(float)));
  });
}

/// Each kernel set computes the same products on 1, 2 and 3 threads.
TEST(GemmKernels, EverySetIsBitwiseTheSameOnAnyThreadCount) {
  forEachIsa([](Isa) {
    for (auto [m, n, k] : {std::array<int64_t, 3>{1, 700, 300},
                           std::array<int64_t, 3>{300, 1100, 600},
                           std::array<int64_t, 3>{4, 333, 100}})
      for (int t = 0; t < 4; ++t) {
        bool ta = t & 1, tb = t & 2;
        auto a = randomVector(m * k, 21), b = randomVector(k * n, 22);
        std::vector<float> one(m * n), many(m * n);
        adjoint_rt_set_num_threads(1);
        adjoint_rt_gemm_f32(m, n, k, a.data(), ta ? m : k, ta, b.data(),
                            tb ? k : n, tb, one.data(), n);
        for (int threads : {2, 3}) {
          adjoint_rt_set_num_threads(threads);
          adjoint_rt_gemm_f32(m, n, k, a.data(), ta ? m : k, ta, b.data(),
                              tb ? k : n, tb, many.data(), n);
          EXPECT_EQ(0, std::memcmp(one.data(), many.data(),
                                   one.size() * sizeof(float)))
              << "m " << m << " ta " << ta << " tb " << tb << " threads "
              << threads;
        }
      }
    adjoint_rt_set_num_threads(0);
  });
}

/// Every kernel set's transpose on every shape up to two bands and two
/// blocks of 16, strides wider than the block: the elements of the block
/// land in place and nothing around them is read into it or written.
TEST(GemmKernels, TransposeHandlesEveryRowAndColumnTail) {
  forEachIsa([](Isa) {
    const auto &ks = adjoint::rt::kernels<float>();
    for (int64_t rows = 1; rows <= 35; ++rows)
      for (int64_t cols = 1; cols <= 35; ++cols) {
        int64_t lds = cols + 3, ldd = rows + 5;
        std::vector<float> src =
            randomVector(rows * lds, unsigned(rows * 64 + cols));
        std::vector<float> dst(cols * ldd + 1, -7.0f);
        ks.transpose(src.data(), lds, rows, cols, dst.data(), ldd);
        for (int64_t p = 0; p < cols; ++p)
          for (int64_t j = 0; j < ldd; ++j)
            ASSERT_EQ(dst[p * ldd + j], j < rows ? src[j * lds + p] : -7.0f)
                << rows << " x " << cols << ": column " << p << ", row " << j;
        ASSERT_EQ(dst.back(), -7.0f) << rows << " x " << cols;
      }
  });
}

} // namespace
