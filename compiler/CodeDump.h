//===- CodeDump.h - The LLVM IR and assembly of a compiled graph ----------===//
#pragma once

#include "compiler/Executable.h"

#include <string>
#include <utility>
#include <vector>

namespace adjoint {

/// What the JIT makes of a graph, as text.
struct CodeDump {
  std::string llvmBefore; ///< LLVM IR as generated, before optimization
  std::string llvmAfter;  ///< after LLVM's O3 pipeline for the host CPU
  std::string assembly;   ///< host assembly of the optimized module
  /// Each kernel's LLVM IR (name, text) before and after optimization.
  /// After optimization, kernels inlined into the entry are gone.
  std::vector<std::pair<std::string, std::string>> kernelsBefore, kernelsAfter;
};

/// Generates and optimizes the code of the verified graph `g` for this
/// machine, exactly as compile() does with `options`, and returns it as text.
CodeDump dumpCode(const Graph &g, const CompileOptions &options = {});

} // namespace adjoint
