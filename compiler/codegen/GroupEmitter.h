//===- GroupEmitter.h - One fusion group as one LLVM kernel ---------------===//
#pragma once

#include "compiler/codegen/KernelEmitter.h"
#include "compiler/passes/FusionPlan.h"

#include <string>
#include <unordered_map>

namespace adjoint::codegen {

/// Emits the kernels of one group of a fusion plan: one loop nest for a
/// Loop or Reduction group, the node's own kernels for a Single group.
/// `nodeIndex` gives each node's position in the graph (kernel names, the
/// status block's node number).
std::vector<KernelCall>
emitGroupKernels(EmitContext &ec, const FusionGroup &group, int groupIndex,
                 const std::unordered_map<const Node *, int> &nodeIndex);

// Shared by the fused kernel families.

/// The kernel name of a group: g<index>.<op of its anchor or last node>.x<n>.
std::string groupName(const FusionGroup &group, int groupIndex);

/// The value a reduce_sum, reduce_max or reduce_min starts from in dtype t.
double reductionIdentity(OpKind op, DType t);

/// One step of reduction `op`: acc + x, max(acc, x) or min(acc, x). Float
/// sums may be reassociated; max and min are exact (NaN wins).
llvm::Value *emitAccumulate(EmitContext &ec, llvm::IRBuilder<> &b, OpKind op,
                            DType t, llvm::Value *acc, llvm::Value *x);

/// A Row group: per row, a sequence of inner loops (RowEmitter.cpp).
KernelCall emitRowGroup(EmitContext &ec, const FusionGroup &group,
                        int groupIndex);

} // namespace adjoint::codegen
