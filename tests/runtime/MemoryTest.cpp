//===- MemoryTest.cpp - adjoint_rt_alloc and adjoint_rt_free --------------===//
#include "runtime/Runtime.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

namespace {

TEST(Memory, AllocationsAreCacheLineAligned) {
  for (int64_t bytes : {1, 3, 63, 64, 65, 1000, 4096, 1 << 20, 12345678}) {
    void *p = adjoint_rt_alloc(bytes);
    ASSERT_NE(p, nullptr) << bytes << " bytes";
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u) << bytes << " bytes";
    std::memset(p, 0xab, bytes); // the whole request is usable
    adjoint_rt_free(p);
  }
}

TEST(Memory, EmptyRequestsGiveFreeablePointers) {
  for (int64_t bytes : {int64_t(0), int64_t(-1), INT64_MIN}) {
    void *p = adjoint_rt_alloc(bytes);
    EXPECT_NE(p, nullptr) << bytes << " bytes";
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u);
    adjoint_rt_free(p);
  }
  adjoint_rt_free(nullptr);
}

TEST(Memory, ImpossibleRequestsGiveNull) {
  EXPECT_EQ(adjoint_rt_alloc(INT64_MAX), nullptr);
  EXPECT_EQ(adjoint_rt_alloc(INT64_MAX - 64), nullptr);
  EXPECT_EQ(adjoint_rt_alloc(int64_t(1) << 62), nullptr);
}

} // namespace
