//===- FuzzMain.cpp - One libFuzzer executable per target -----------------===//
//
// Compiled once per target with ADJOINT_FUZZ_TARGET naming it
// (fuzz/CMakeLists.txt).
//
//===----------------------------------------------------------------------===//
#include "fuzz/FuzzTargets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const adjoint::fuzz::FuzzTarget target =
      adjoint::fuzz::fuzzTargets().at(ADJOINT_FUZZ_TARGET);
  target(data, size);
  return 0;
}
