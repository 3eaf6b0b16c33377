//===- EmitContext.h - Shared state of LLVM code generation ---------------===//
//
// Internal to compiler/codegen: the LLVM module being built, the buffer slot
// of every value, and helpers to map Adjoint types to LLVM types. Generated
// kernels reach their buffers through one array of pointers ("slots"): one
// slot per input, parameter and node result, plus a status slot through
// which kernels report data-dependent errors (a gather index out of range).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Graph.h"

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace adjoint::codegen {

/// Where each value lives at run time.
struct SlotLayout {
  /// Slot index of every input, parameter and node result, except results of
  /// `constant` nodes, which are global data in the module.
  std::unordered_map<const Value *, int> slotOf;
  /// Slot holding an int64_t[2] status block: {failing node + 1, detail}.
  int statusSlot = 0;
  /// Slot holding a pointer to the int64_t batch of a graph compiled for
  /// every batch (compiler/codegen/LiftBatch.h); -1 for a static graph.
  int batchSlot = -1;
  /// Work space a scan's body needs in the arena: (slot, bytes), one per
  /// scan node (compiler/codegen/ScanEmitter.cpp).
  std::vector<std::pair<int, int64_t>> scratch;
  int numSlots = 0;
};

/// The signature of every kernel: void(int64_t begin, int64_t end, void
/// **slots), covering rows [begin, end) of the kernel's outermost loop, so
/// that the runtime's parallel-for can split it.
struct EmitContext {
  llvm::LLVMContext &ctx;
  llvm::Module &module;
  const Graph &graph;
  SlotLayout layout;
  /// Global data of each constant node's result.
  std::unordered_map<const Value *, llvm::GlobalVariable *> constants;
  /// Node results written in place into an input's buffer: their kernels
  /// may read that buffer while writing it, so they are not `noalias`.
  std::unordered_set<const Value *> inPlace;
  /// The inputs whose buffers those results take.
  std::unordered_set<const Value *> donors;
  /// Put before every kernel's and constant's name: a scan's body's kernels
  /// live in the same module as the graph's ("s3." for node 3's body).
  std::string prefix;
  /// The graph's parameters keep their values for the module's life
  /// (CompileOptions::packWeights): products read a weight as their B
  /// packed once (adjoint_rt_gemm_fixed_b_*).
  bool packWeights = false;

  llvm::Type *i1() { return llvm::Type::getInt1Ty(ctx); }
  llvm::Type *i8() { return llvm::Type::getInt8Ty(ctx); }
  llvm::Type *i32() { return llvm::Type::getInt32Ty(ctx); }
  llvm::Type *i64() { return llvm::Type::getInt64Ty(ctx); }
  llvm::Type *ptr() { return llvm::PointerType::getUnqual(ctx); }
  llvm::Type *voidTy() { return llvm::Type::getVoidTy(ctx); }
  /// The in-memory element type of `t` (bool is one byte).
  llvm::Type *storageType(DType t);
  /// The type computations use (bool is i1).
  llvm::Type *valueType(DType t);
  llvm::FunctionType *kernelType();
};

} // namespace adjoint::codegen
