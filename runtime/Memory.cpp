//===- Memory.cpp - Cache-line aligned allocation -------------------------===//
#include "runtime/Runtime.h"

#include <cstdlib>

namespace {

/// One cache line and one AVX-512 vector.
constexpr int64_t Alignment = 64;

} // namespace

extern "C" void *adjoint_rt_alloc(int64_t bytes) {
  if (bytes > INT64_MAX - Alignment)
    return nullptr;
  // std::aligned_alloc wants a multiple of the alignment; a zero-byte request
  // still gets a distinct pointer, as malloc(0) may not.
  int64_t rounded =
      bytes <= 0 ? Alignment : (bytes + Alignment - 1) / Alignment * Alignment;
  return std::aligned_alloc(Alignment, static_cast<size_t>(rounded));
}

extern "C" void adjoint_rt_free(void *p) { std::free(p); }
