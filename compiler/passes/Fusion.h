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

/// Gives each reader that fusion can let a GEMM read through its own copy
/// of a view it shares with other readers: a transpose of the last two
/// axes read by a matmul (the GEMM reads the transpose's operand with its
/// trans flag), a reshape or slice read by matmuls directly or through such
/// transposes and reshapes (the GEMM reads the bytes where they lie), so
/// that each copy is absorbed instead of the view being computed once in
/// memory. Likewise each elementwise op or reduction reading a view of a
/// value that is in memory whatever the plan (an input, a parameter, a
/// constant), which the reader's loop then reads through its index map.
/// Readers that cannot read through keep the original. In place: pointers
/// into `g` are invalidated when a copy is made.
void splitSharedViews(Graph &g);

/// Partitions the verified graph `g` into fused groups. When `inPlace` is
/// given, the plan also keeps each pair valid: the group writing a result
/// reads its input only element by element and runs after every other
/// group that reads the input (each pair must already hold for the graph
/// order, as CompileOptions::inPlace requires).
FusionPlan fuseGraph(const Graph &g, const InPlacePairs &inPlace = {});

} // namespace adjoint
