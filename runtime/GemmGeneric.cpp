//===- GemmGeneric.cpp - Portable GEMM micro-kernels
//------------------------===//
//
// Scalar "vectors" of one lane for CPUs without AVX2 (and for other
// architectures): the same blocking, with a 4 x 4 register block that the
// compiler is free to vectorize for the base instruction set.
//
//===----------------------------------------------------------------------===//
#include "runtime/MicroKernel.h"

#include <cmath>

namespace adjoint::rt {
namespace {

template <typename E> struct Scalar {
  using T = E;
  using Reg = E;
  using Mask = bool;
  static constexpr int L = 1;
  static Reg zero() { return E(0); }
  static Reg load(const T *p) { return *p; }
  static void store(T *p, Reg r) { *p = r; }
  static Reg add(Reg x, Reg y) { return x + y; }
  // One rounding, as the vector kernels: the same sums on every ISA's
  // reference path.
  static Reg fma(Reg a, Reg b, Reg c) { return std::fma(a, b, c); }
  static Reg bcast(const T *p) { return *p; }
  static Mask mask(int count) { return count > 0; }
  static Reg loadMask(const T *p, Mask m) { return m ? *p : E(0); }
  static void storeMask(T *p, Reg r, Mask m) {
    if (m)
      *p = r;
  }
  static T hsum(Reg r) { return r; }
};

} // namespace

template <> const KernelSet<float> &genericKernels<float>() {
  static const KernelSet<float> ks =
      makeKernelSet<Scalar<float>, 4, 4, 4, 4, 2>(Isa::Generic, "generic", 128,
                                                  64);
  return ks;
}

template <> const KernelSet<double> &genericKernels<double>() {
  static const KernelSet<double> ks =
      makeKernelSet<Scalar<double>, 4, 4, 4, 4, 2>(Isa::Generic, "generic", 128,
                                                   64);
  return ks;
}

} // namespace adjoint::rt
