//===- EigenCore.h - Eigen under a name of the runtime's own ----*- C++ -*-===//
//
// The runtime is compiled for the host's vector ISA (-march=native) while
// other code in the same program may include Eigen with other flags. Eigen's
// templates are inline, so two differently compiled copies of, say, its GEMM
// kernel would be merged by the linker and one of them picked at random.
// Renaming the namespace for the runtime's translation units (as TensorFlow
// Lite does) keeps the runtime's instantiations its own. Include this header
// instead of <Eigen/Core>, and only from .cpp files of runtime/.
//
// It also turns off Eigen's coefficient-wise evaluation of very small
// products: that path peels scalar iterations until the destination is
// vector-aligned, so the rounding of an element would depend on where the
// output buffer happens to lie. Such products go to GEMV or GEMM instead,
// whose results do not depend on addresses.
//
//===----------------------------------------------------------------------===//
#pragma once

#define Eigen AdjointRtEigen
#define EIGEN_GEMM_TO_COEFFBASED_THRESHOLD 1
#include <Eigen/Core>
