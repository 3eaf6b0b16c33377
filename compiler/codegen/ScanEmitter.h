//===- ScanEmitter.h - A scan as a loop around its body's kernels ---------===//
//
// Internal to compiler/codegen. The entry function calls the kernels of a
// fusion plan in order (emitPlanCalls, ModuleEmitter.cpp); a scan is a loop
// in that sequence (emitScanLoop, ScanEmitter.cpp) whose body calls the
// kernels of the scan's lowered body graph, which emitPlanCalls emits in
// turn, so that scans nest.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "compiler/codegen/EmitContext.h"
#include "compiler/passes/FusionPlan.h"
#include "compiler/passes/Pipeline.h"

namespace adjoint::codegen {

/// What every call site in the entry shares.
struct EntryContext {
  /// Where a kernel that reports an error branches to (the entry returns).
  llvm::BasicBlock *failed;
  llvm::FunctionCallee parallelFor;
  llvm::FunctionCallee mark;
  /// Kernels decide at run time whether to split their rows.
  bool forEveryBatch;
  const PipelineOptions &bodyPipeline;
  /// For a body's kernels, the index of the scan node their errors name;
  /// -1 for the graph's own.
  int nodeIndex;
  /// The most blocks of rows a scan whose rows stay apart runs as, side by
  /// side on the pool's threads (ir/ScanRows.h); 1 runs every scan whole.
  int scanBlocks = 1;
  /// Every kernel is called on the calling thread: the steps of a block of
  /// rows, which already is one thread's share.
  bool serial = false;
};

/// One slot per input, parameter and materialized node result of `g`, then
/// the status slot, the batch slot (with `batchSlot`) and each scan's work
/// space.
SlotLayout
assignSlots(const Graph &g, const FusionPlan &plan,
            const std::unordered_map<const Value *, const Value *> &inPlace,
            bool batchSlot);

/// The global holding a constant node's value.
llvm::GlobalVariable *emitConstantData(EmitContext &ec, const Node &node,
                                       int idx);

/// Emits the kernels of `plan` (a plan of ec.graph) and calls them in order
/// at `b`, each reading its buffers through `slots`; a kernel that reports
/// an error branches to entry.failed. With `profile`, each group's calls
/// follow a call of entry.mark with the group's number.
void emitPlanCalls(EmitContext &ec, const FusionPlan &plan,
                   llvm::IRBuilder<> &b, llvm::Value *slots,
                   const EntryContext &entry, bool profile);

/// Emits at `b` the loop of `scan` (node `nodeIndex` of ec.graph, its
/// `ordinal`-th scan, whose work space is ec.layout.scratch[ordinal]): the
/// body lowered by entry.bodyPipeline, its slots filled for each step.
void emitScanLoop(EmitContext &ec, const Node &scan, int nodeIndex, int ordinal,
                  llvm::IRBuilder<> &b, llvm::Value *slots,
                  const EntryContext &entry);

} // namespace adjoint::codegen
