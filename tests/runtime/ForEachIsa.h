//===- ForEachIsa.h - Run a check under every kernel set the CPU runs -----===//
#pragma once

#include "runtime/GemmKernels.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace adjoint::rt::testing {

inline const char *isaName(Isa isa) {
  switch (isa) {
  case Isa::Generic:
    return "generic";
  case Isa::Avx2:
    return "avx2";
  case Isa::Avx512:
    return "avx512";
  }
  return "?";
}

/// Runs fn(isa) under every kernel set the CPU runs (AVX-512, AVX2 and the
/// portable one; on an AVX-512 host the AVX2 kernels too), then restores
/// the host's. A set the CPU cannot run is reported, not counted as
/// passed.
template <typename Fn> void forEachIsa(Fn fn) {
  for (Isa isa : {Isa::Generic, Isa::Avx2, Isa::Avx512}) {
    if (!setKernelIsa(isa)) {
      std::printf("note: this CPU cannot run the %s kernels: not tested here\n",
                  isaName(isa));
      continue;
    }
    SCOPED_TRACE(isaName(isa));
    fn(isa);
  }
  setKernelIsa(hostIsa());
}

} // namespace adjoint::rt::testing
