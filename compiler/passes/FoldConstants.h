//===- FoldConstants.h - Constant folding ---------------------------------===//
//
// Evaluates, at compile time, the nodes whose operands are all constants.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Graph.h"

#include <cstdint>

namespace adjoint {

/// The largest result, in elements, that folding writes as a constant;
/// bigger results stay as nodes (a constant is stored in the model and the
/// compiled code, a node costs one loop).
inline constexpr int64_t kMaxFoldedElements = int64_t(1) << 20;
/// The most arithmetic (in FLOPs, as ir/Flops.h counts them) that folding
/// spends on one node in the reference interpreter, which is slow: a bigger
/// node stays, to run in compiled code.
inline constexpr int64_t kMaxFoldedFlops = int64_t(1) << 28;

/// Replaces each node whose operands are all `constant` or `iota` nodes by a
/// `constant` of the same name holding its value, computed by the reference
/// interpreter, so the result is bit-exact. Nodes stay as they are when the
/// op has a side effect, is a source (`constant`, `iota`), is `broadcast_to`
/// (a splat is cheaper than its copies, and simplifyAlgebra folds it into
/// its consumers), when the result has more than kMaxFoldedElements
/// elements or costs more than kMaxFoldedFlops, or when evaluating it fails (a
/// gather index out of range stays a run-time error).
///
/// Splats fold too, whatever their size: an elementwise op whose operands
/// are all splats (broadcast_to of a one-element constant) or one-element
/// constants becomes a splat of its value computed once, and a reshape,
/// transpose or slice of a splat becomes a splat of the result's shape.
///
/// Folded nodes that lose their last use are left for eliminateDeadCode.
/// In place: `g` is replaced by the rebuilt graph, so pointers into it are
/// invalidated; inputs, parameters and outputs keep their names, order and
/// types.
void foldConstants(Graph &g);

} // namespace adjoint
