//===- AllocationTest.cpp - Kernels allocate nothing once warmed up -------===//
//
// Counts the calls of glibc's allocation functions by interposing them in
// this program (each forwards to glibc's own entry point), then checks that
// repeated GEMM and conv2d calls make none: their scratch buffers (packed
// panels, phase planes, product tiles) grow once and are reused.
//
//===----------------------------------------------------------------------===//
#include "runtime/Runtime.h"
#include "tests/support/AllocationCounter.h"

#include <gtest/gtest.h>

#include <vector>

namespace {

TEST(Allocation, RepeatedKernelCallsAllocateNothing) {
#if !ADJOINT_COUNT_ALLOCATIONS
  GTEST_SKIP() << "counting allocations needs glibc and no sanitizer";
#else
  // One thread: which worker runs which block varies between calls, so only
  // the calling thread's buffers are certain to be warm after one call.
  adjoint_rt_set_num_threads(1);
  const int64_t m = 300, n = 1000, k = 200; // cut into blocks; panels > 128 KiB
  std::vector<float> a(m * k, 0.5f), b(k * n, 0.25f), c(m * n);
  std::vector<double> ad(m * k, 0.5), bd(k * n, 0.25), cd(m * n);
  // A 3x3 padded conv (im2col), one wide enough to be tiled, and a 1x1.
  std::vector<float> x(2 * 16 * 100 * 100, 1.0f), w(32 * 16 * 3 * 3, 0.5f);
  std::vector<float> y(2 * 32 * 100 * 100);
  auto calls = [&] {
    adjoint_rt_gemm_f32(m, n, k, a.data(), k, 0, b.data(), n, 0, c.data(), n);
    adjoint_rt_gemm_f32(n, m, k, b.data(), n, 1, a.data(), k, 1, c.data(), m);
    adjoint_rt_gemm_f64(m, n, k, ad.data(), k, 0, bd.data(), n, 0, cd.data(),
                        n);
    adjoint_rt_conv2d_f32(x.data(), w.data(), y.data(), 2, 16, 100, 100, 32, 3,
                          3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 100, 100);
    adjoint_rt_conv2d_f32(x.data(), w.data(), y.data(), 2, 16, 100, 100, 32, 1,
                          1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 100, 100);
  };
  calls();
  long before = gAllocations.load();
  for (int i = 0; i < 3; ++i)
    calls();
  EXPECT_EQ(gAllocations.load() - before, 0);
  adjoint_rt_set_num_threads(0);
#endif
}

} // namespace
