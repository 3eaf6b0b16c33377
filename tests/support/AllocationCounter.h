//===- AllocationCounter.h - Count heap allocations in a test program -----===//
//
// Interposes glibc's allocation functions (each forwards to glibc's own entry
// point) and counts the calls, so that a test can check that code allocates
// nothing. Include it in exactly ONE source file of a test program: it
// defines malloc and friends for the whole program.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <atomic>
#include <cerrno>
#include <cstddef>

// Sanitizers replace the allocator themselves.
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||     \
    __has_feature(memory_sanitizer)
#define ADJOINT_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ADJOINT_SANITIZED 1
#endif
#if defined(__GLIBC__) && !defined(ADJOINT_SANITIZED)
#define ADJOINT_COUNT_ALLOCATIONS 1
#endif

#if ADJOINT_COUNT_ALLOCATIONS

namespace adjoint::testing {
/// Heap allocations so far (0 when ADJOINT_COUNT_ALLOCATIONS is not set).
inline std::atomic<long> gAllocations{0};
} // namespace adjoint::testing
using adjoint::testing::gAllocations;

extern "C" {
void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void *__libc_memalign(size_t, size_t);

void *malloc(size_t size) {
  gAllocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_malloc(size);
}
void *calloc(size_t count, size_t size) {
  gAllocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_calloc(count, size);
}
void *realloc(void *p, size_t size) {
  gAllocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_realloc(p, size);
}
void *aligned_alloc(size_t alignment, size_t size) {
  gAllocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_memalign(alignment, size);
}
void *memalign(size_t alignment, size_t size) {
  gAllocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_memalign(alignment, size);
}
int posix_memalign(void **out, size_t alignment, size_t size) {
  gAllocations.fetch_add(1, std::memory_order_relaxed);
  void *p = __libc_memalign(alignment, size);
  if (!p)
    return ENOMEM;
  *out = p;
  return 0;
}
}

#endif
