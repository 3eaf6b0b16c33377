//===- Scratch.h - Grow-only per-thread scratch buffers ---------*- C++ -*-===//
//
// Kernels that need temporary memory (GEMM packing, phase planes, patches)
// take it
// from a thread_local Scratch of their own: the buffer only grows, so once a
// model has run, repeated calls allocate nothing.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "runtime/Runtime.h"

#include <cstdint>

namespace adjoint::rt {

/// A 64-byte aligned buffer that grows to the largest request seen.
class Scratch {
public:
  Scratch() = default;
  Scratch(const Scratch &) = delete;
  Scratch &operator=(const Scratch &) = delete;
  ~Scratch() { adjoint_rt_free(data_); }

  /// At least `bytes` bytes, or nullptr if they cannot be allocated; a
  /// request of 0 bytes gets a pointer too (so that a caller needing no
  /// memory does not take its out-of-memory way). The contents are not
  /// kept when the buffer grows.
  void *get(int64_t bytes) {
    if (bytes > size_ || !data_) {
      adjoint_rt_free(data_);
      data_ = adjoint_rt_alloc(bytes);
      size_ = data_ && bytes > 0 ? bytes : 0;
    }
    return data_;
  }

private:
  void *data_ = nullptr;
  int64_t size_ = 0;
};

} // namespace adjoint::rt
