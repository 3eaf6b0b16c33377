//===- ModuleEmitter.h - A whole graph as one LLVM module -----------------===//
#pragma once

#include "compiler/codegen/EmitContext.h"
#include "compiler/passes/FusionPlan.h"

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

/// A node result stored in an input's buffer (buffer donation): the input's
/// value is dead once the result is written.
using InPlaceMap = std::unordered_map<const Value *, const Value *>;

/// Emits the kernels and the entry function of the verified graph `g`, one
/// kernel per node (the unfused plan); each result in `inPlace` shares the
/// slot of its input.
EmittedModule emitModule(const Graph &g, const InPlaceMap &inPlace = {});

/// Emits one kernel per group of `plan` (a plan of `g`), called in plan
/// order. Only values the plan materializes get slots. With `profile`, the
/// entry calls adjoint_profile_mark (compiler/Profile.h) with each group's
/// number before its kernels and with -1 at the end.
EmittedModule emitModule(const Graph &g, const FusionPlan &plan,
                         const InPlaceMap &inPlace = {}, bool profile = false);

} // namespace adjoint::codegen
