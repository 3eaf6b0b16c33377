//===- Jit.h - In-process compilation with ORC LLJIT ----------------------===//
//
// The only place that includes LLVM's ORC headers.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <memory>
#include <string>

namespace llvm {
class LLVMContext;
class Module;
} // namespace llvm

namespace adjoint::jit {

/// Machine code for one module, alive as long as this object.
class JitModule {
public:
  /// Compiles `module` (already optimized) for the host. The runtime's
  /// functions (adjoint_rt_*) and the C library resolve in the JIT.
  static std::unique_ptr<JitModule>
  compile(std::unique_ptr<llvm::LLVMContext> ctx,
          std::unique_ptr<llvm::Module> module);
  ~JitModule();

  /// The address of the function `name`; Failed if it is absent.
  void *lookup(const std::string &name);

private:
  struct Impl;
  explicit JitModule(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace adjoint::jit
