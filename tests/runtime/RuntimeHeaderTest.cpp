//===- RuntimeHeaderTest.cpp - Runtime.h from C11 and C++17 ---------------===//
//
// This file is compiled as C++17 (the oldest C++ the header supports) and
// RuntimeFromC.c as C11, both with -pedantic.
//
//===----------------------------------------------------------------------===//
#include "runtime/Runtime.h"

#include <gtest/gtest.h>

extern "C" int adjoint_runtime_from_c(void);

namespace {

TEST(RuntimeHeader, WorksFromC) { EXPECT_EQ(adjoint_runtime_from_c(), 0); }

TEST(RuntimeHeader, DeclaresTheAbiWithCLinkage) {
  // The exact signatures generated code relies on.
  void (*pf)(int64_t, int64_t, adjoint_rt_task, void *) =
      adjoint_rt_parallel_for;
  void (*gemm)(int64_t, int64_t, int64_t, const float *, int64_t, int32_t,
               const float *, int64_t, int32_t, float *, int64_t) =
      adjoint_rt_gemm_f32;
  void *(*alloc)(int64_t) = adjoint_rt_alloc;
  using ConvF32 = void (*)(const float *, const float *, float *, int64_t,
                           int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                           int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                           int64_t, int64_t, int64_t, int64_t, int64_t);
  ConvF32 conv = adjoint_rt_conv2d_f32;
  ConvF32 inputGrad = adjoint_rt_conv2d_input_grad_f32;
  ConvF32 weightGrad = adjoint_rt_conv2d_weight_grad_f32;
  EXPECT_NE(pf, nullptr);
  EXPECT_NE(gemm, nullptr);
  EXPECT_NE(conv, nullptr);
  EXPECT_NE(inputGrad, nullptr);
  EXPECT_NE(weightGrad, nullptr);
  EXPECT_NE(alloc, nullptr);
}

} // namespace
