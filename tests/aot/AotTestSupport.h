//===- AotTestSupport.h - Building programs around compiled models --------===//
//
// The AOT tests compile models with the built `adjoint compile`, write a small
// C driver for each, link it with the object and libadjoint_runtime.a using
// the system's C compiler, and compare what the program writes with the JIT.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "tests/cli/CliTestSupport.h"

#include "ir/Graph.h"
#include "ir/Tensor.h"

#include <map>
#include <string>
#include <vector>

namespace adjoint::test {

/// The C compiler the tests build programs with.
inline const char *cCompiler() { return "/usr/bin/clang-19"; }

/// What a program built around a compiled model links: the runtime library,
/// and in a sanitized build (scripts/test.sh --sanitize, whose runtime is
/// instrumented) the sanitizers' run-time.
inline std::vector<std::string> runtimeLinkArgs() {
  std::vector<std::string> args = {ADJOINT_RUNTIME_LIBRARY};
#ifdef ADJOINT_SANITIZE
  args.push_back("-fsanitize=address,undefined");
#endif
  return args;
}

/// The dense bytes of tensors, concatenated.
inline std::string bytesOf(const std::vector<Tensor> &tensors) {
  std::string s;
  for (const Tensor &t : tensors)
    s.append(reinterpret_cast<const char *>(t.bytes()), (size_t)t.byteSize());
  return s;
}

/// Random inputs for an example: features in [-1, 1), labels (i64) in
/// [0, 10), one-hot float labels for f32 labels of rank 2.
std::map<std::string, Tensor> exampleBatch(const Graph &g, uint64_t seed);

/// Writes a C driver for model NAME (header NAME.h) that reads, from the
/// file argv[1], `steps` batches for NAME_step and then one input set for
/// NAME_run, and writes to argv[2] each step's outputs, then every
/// parameter (when steps > 0), then the run's outputs. With `weights`, it
/// first calls NAME_load_weights(argv[3]).
std::string driverSource(const std::string &name,
                         const std::vector<int64_t> &runIn,
                         const std::vector<int64_t> &runOut,
                         const std::vector<int64_t> &stepIn,
                         const std::vector<int64_t> &stepOut, int steps,
                         bool weights);

/// Compiles the C++17 `source` (warnings as errors) with `objects` into the
/// program `out` linked with the runtime; returns the compiler's result.
ProcessResult buildCxxProgram(const std::string &source, const std::string &out,
                              const std::vector<std::string> &objects,
                              const std::string &includeDir);

/// Compiles `source` with `objects` into the program `out` linked with the
/// runtime; returns the compiler's result.
ProcessResult buildProgram(const std::string &source, const std::string &out,
                           const std::vector<std::string> &objects,
                           const std::string &includeDir);

} // namespace adjoint::test
