//===- MathLibrary.h - The inline math library as embedded bitcode --------===//
//
// ScalarMathBitcode.cpp compiled by clang to LLVM bitcode at build time and
// embedded in the compiler (MathLibraryData.cpp is generated).
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstddef>

namespace adjoint::codegen {

extern const unsigned char kMathLibraryBitcode[];
extern const size_t kMathLibraryBitcodeSize;

} // namespace adjoint::codegen
