//===- RowFusion.h - Row groups: softmax-like kernels ---------------------===//
//
// A Row group runs over the rows of a tensor (its outer dimensions O) and,
// for each row, over a sequence of inner loops (its inner dimensions I):
// reductions over exactly the inner axes accumulate in one loop, and the
// elementwise nodes that use their per-row results run in a later loop.
// Values of the full shape O++I that a later loop reads are kept in a
// one-row scratch buffer (or their output buffer); per-row values stay in
// registers. Softmax is one such kernel of three loops per row.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "compiler/passes/FusionPlan.h"
#include "compiler/passes/IndexMap.h"

#include <unordered_set>
#include <vector>

namespace adjoint {

/// The row structure of a Row group.
struct RowLayout {
  /// The full shape O ++ I and the rank of O.
  Shape full;
  size_t outerRank = 0;
};

/// The layout of a Row group (from its first reduction).
RowLayout rowLayout(const FusionGroup &group);

/// True when `v` has one value per row of `layout`: O followed by ones, or
/// O alone.
bool isRowValue(const RowLayout &layout, const Value *v);

/// The map through which a Row kernel visits `v` over the full space: the
/// identity for a full value, the outer indices alone for a row value.
IndexMap rowMap(const RowLayout &layout, const Value *v);

/// The most elements of a row that a Row group forms for (each value that
/// crosses inner loops takes one row of scratch on the stack).
inline constexpr int64_t kMaxRowElements = 8192;

/// Finds the Row groups of `g`: connected, convex sets of nodes around
/// reductions over innermost axes (all axes make one row) that save a
/// kernel: two reductions, or a node computed from a per-row result.
/// Nodes whose results are in `donated` stay out.
std::vector<std::vector<const Node *>>
findRowGroups(const Graph &g, const std::unordered_set<const Value *> &donated);

} // namespace adjoint
