//===- ScalarMathLoops.cpp - Loops over the scalar math, for vectorizing --===//
//
// Compiled to assembly for an AVX-512 target by tests/CMakeLists.txt;
// ScalarMathCodegenTest checks that every loop below uses zmm registers and
// calls nothing, as the code generator's kernels will.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/ScalarMath.h"

#include <cstddef>

#define ADJOINT_LOOP(name, type)                                               \
  extern "C" void adjoint_loop_##name(type *__restrict out,                    \
                                      const type *__restrict in, size_t n) {   \
    for (size_t i = 0; i < n; ++i)                                             \
      out[i] = adjoint_##name(in[i]);                                          \
  }

ADJOINT_LOOP(exp_f32, float)
ADJOINT_LOOP(exp_f64, double)
ADJOINT_LOOP(log_f32, float)
ADJOINT_LOOP(log_f64, double)
ADJOINT_LOOP(tanh_f32, float)
ADJOINT_LOOP(tanh_f64, double)
ADJOINT_LOOP(sigmoid_f32, float)
ADJOINT_LOOP(sigmoid_f64, double)
ADJOINT_LOOP(erf_f32, float)
ADJOINT_LOOP(erf_f64, double)
