//===- ScalarMathBitcode.cpp - Scalar math exported for generated code ----===//
//
// Compiled to LLVM bitcode (compiler/codegen/CMakeLists.txt) and linked into
// every generated module, whose kernels call these functions. They keep the
// always_inline attribute, so the functions inline into the kernels' loops
// and the loop vectorizer sees straight-line code.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/ScalarMath.h"

#define ADJOINT_EXPORT(name, type)                                             \
  __attribute__((always_inline)) type adjoint_math_##name(type x) {            \
    return adjoint_##name(x);                                                  \
  }

extern "C" {
ADJOINT_EXPORT(exp_f32, float)
ADJOINT_EXPORT(exp_f64, double)
ADJOINT_EXPORT(log_f32, float)
ADJOINT_EXPORT(log_f64, double)
ADJOINT_EXPORT(tanh_f32, float)
ADJOINT_EXPORT(tanh_f64, double)
ADJOINT_EXPORT(sigmoid_f32, float)
ADJOINT_EXPORT(sigmoid_f64, double)
ADJOINT_EXPORT(erf_f32, float)
ADJOINT_EXPORT(erf_f64, double)
}
