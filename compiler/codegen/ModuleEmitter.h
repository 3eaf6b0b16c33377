//===- ModuleEmitter.h - A whole graph as one LLVM module -----------------===//
#pragma once

#include "compiler/codegen/EmitContext.h"

#include <memory>

namespace adjoint::codegen {

/// The name of the entry function: void adjoint_entry(void **slots). It runs
/// every kernel in order and returns early when a kernel reports an error
/// in the status block.
inline constexpr const char *kEntryName = "adjoint_entry";

/// An LLVM module for a graph and the slot layout its entry expects.
struct EmittedModule {
  std::unique_ptr<llvm::LLVMContext> ctx;
  std::unique_ptr<llvm::Module> module;
  SlotLayout layout;
};

/// Emits the kernels and the entry function of the verified graph `g`.
EmittedModule emitModule(const Graph &g);

} // namespace adjoint::codegen
