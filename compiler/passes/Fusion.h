//===- Fusion.h - Partition a graph into fused kernels --------------------===//
//
// fuseGraph groups the nodes of a graph into kernels (FusionPlan.h) after
// TVM's pattern kinds and XLA's FusionDecision: elementwise, broadcasting
// and index-map nodes (broadcast_to, transpose, slice, reshape of a value
// read from memory) form Loop groups, which may write several outputs of
// one shape; elementwise producers fuse into the reduction that consumes
// them (Reduction groups); reductions over innermost axes and the nodes
// around them run row by row (Row groups, RowFusion.h); elementwise
// consumers of a matmul or conv2d run on its blocks (Epilogue groups);
// everything else is a Single group. Every edge between two groups carries
// the reason it was not fused. docs/fusion.md states the rules.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "compiler/passes/FusionPlan.h"

#include <utility>
#include <vector>

namespace adjoint {

/// Pairs (result, input) where the result is written over the input's
/// buffer (buffer donation).
using InPlacePairs = std::vector<std::pair<const Value *, const Value *>>;

/// Gives each matmul its own copy of a transpose (of the last two axes)
/// that several matmuls and nothing else read, so that fusion can absorb
/// each copy into its GEMM (which reads the transpose's operand with its
/// trans flag) instead of computing the transpose once in memory; and each
/// reader its own copy of a reshape that only matmuls read, directly or
/// through such transposes (the GEMM reads the reshape's operand in place).
/// In place: pointers into `g` are invalidated when a copy is made.
void splitSharedTransposes(Graph &g);

/// Partitions the verified graph `g` into fused groups. When `inPlace` is
/// given, the plan also keeps each pair valid: the group writing a result
/// reads its input only element by element and runs after every other
/// group that reads the input (each pair must already hold for the graph
/// order, as CompileOptions::inPlace requires).
FusionPlan fuseGraph(const Graph &g, const InPlacePairs &inPlace = {});

} // namespace adjoint
