//===- ModuleEmitter.h - A whole graph as one LLVM module -----------------===//
#pragma once

#include "compiler/codegen/EmitContext.h"
#include "compiler/passes/FusionPlan.h"
#include "compiler/passes/Pipeline.h"

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

/// How to emit a module.
struct EmitOptions {
  /// The entry calls adjoint_profile_mark (compiler/Profile.h) with each
  /// group's number before its kernels and with -1 at the end.
  bool profile = false;
  /// A sample of a graph compiled for every batch (compiler/codegen/
  /// LiftBatch.h): the layout gets a batch slot, and the entry decides at
  /// run time whether a kernel's rows are worth splitting between threads
  /// (a static graph's entry decides when it is emitted).
  bool forEveryBatch = false;
  /// The context to build the module in (samples of one graph share one);
  /// a new one, owned by the result, when null.
  llvm::LLVMContext *context = nullptr;
  /// The passes a scan's body goes through before its kernels are emitted
  /// (the graph's own options, without buffer donation).
  PipelineOptions bodyPipeline;
  /// The most blocks of rows a scan is split into (EntryContext::scanBlocks):
  /// the threads the code is compiled for.
  int scanBlocks = 1;
  /// The graph's parameters never change (EmitContext::packWeights).
  bool packWeights = false;
};

/// Emits one kernel per group of `plan` (a plan of `g`), called in plan
/// order. Only values the plan materializes get slots.
EmittedModule emitModule(const Graph &g, const FusionPlan &plan,
                         const InPlaceMap &inPlace = {},
                         const EmitOptions &options = {});

} // namespace adjoint::codegen
