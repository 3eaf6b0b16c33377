//===- GroupEmitter.h - One fusion group as one LLVM kernel ---------------===//
#pragma once

#include "compiler/codegen/KernelEmitter.h"
#include "compiler/passes/FusionPlan.h"

#include <unordered_map>

namespace adjoint::codegen {

/// Emits the kernels of one group of a fusion plan: one loop nest for a
/// Loop or Reduction group, the node's own kernels for a Single group.
/// `nodeIndex` gives each node's position in the graph (kernel names, the
/// status block's node number).
std::vector<KernelCall>
emitGroupKernels(EmitContext &ec, const FusionGroup &group, int groupIndex,
                 const std::unordered_map<const Node *, int> &nodeIndex);

} // namespace adjoint::codegen
