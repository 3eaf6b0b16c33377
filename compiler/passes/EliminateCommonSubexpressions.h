//===- EliminateCommonSubexpressions.h - Merging of equal nodes -----------===//
//
// Computes each distinct expression once.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Graph.h"

namespace adjoint {

/// Merges nodes that compute the same thing into the first of them: the
/// same op, the same operands in the same order (or swapped, for the two
/// operands of a commutative op other than maximum and minimum, which pick
/// their first operand between -0 and +0), equal attributes and the same
/// result type. Constants are equal when their tensors have the same type and
/// the same bytes (so -0.0 and +0.0 differ, and NaNs with equal bits match).
/// Attributes compare as the op reads them: defaults written out or not,
/// negative or positive axes, the default transpose permutation spelled out
/// or not. Nodes with a side effect are never merged. The merged-away nodes
/// are dropped and their uses (outputs too) read the kept node. In place:
/// `g` is replaced by the rebuilt graph, so pointers into it are
/// invalidated.
void eliminateCommonSubexpressions(Graph &g);

} // namespace adjoint
