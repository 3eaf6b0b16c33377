//===- IndexMap.h - Affine element maps inside a fusion group -------------===//
//
// Inside a fused kernel every value is computed at points of the group's
// iteration space. A value's IndexMap says which of its elements a point
// visits: index[d] = offset[d] + sum_k coef[d][k] * i_k. Broadcasting,
// broadcast_to, transpose and slice compose these maps; reshape turns them
// into a flat element offset, which only a value read from memory can take.
// Fusion (Fusion.cpp) and code generation derive the same maps from a group.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "compiler/passes/FusionPlan.h"

#include <cstdint>
#include <vector>

namespace adjoint {

/// An affine map from the iteration indices to a value's element index.
struct IndexMap {
  /// One row per dimension of the value (one row when `flat`), one column
  /// per dimension of the iteration space.
  std::vector<std::vector<int64_t>> coef;
  std::vector<int64_t> offset;
  /// The single row is the flat (row-major) element offset.
  bool flat = false;
  /// The rank of the iteration space (the number of columns).
  size_t cols = 0;

  bool operator==(const IndexMap &) const = default;
};

/// The element offset of a contiguous buffer as strides over the iteration
/// dimensions plus a constant.
struct FlatMap {
  std::vector<int64_t> strides;
  int64_t offset = 0;
};

/// The identity map of an iteration space of rank `rank`.
IndexMap identityMap(size_t rank);

/// The map of operand `i` of the Loop-fusible `consumer` when its result
/// is visited through `resultMap`.
IndexMap operandMap(const Node &consumer, size_t i, const IndexMap &resultMap);

/// `m` as a flat offset into a contiguous buffer of `shape`.
FlatMap flatten(const IndexMap &m, const Shape &shape);

/// True when some iteration dimension of extent > 1 leaves the element
/// index unchanged: the value would be computed more than once.
bool repeats(const IndexMap &m, const std::vector<int64_t> &dims);

/// True for elementwise and index-map ops (broadcast_to, transpose, slice,
/// reshape): the nodes a Loop group may hold.
bool isLoopFusible(OpKind op);

/// The iteration space of a Loop or Reduction group: for Loop, the shape of
/// its last node; for Reduction, the anchor's operand dimensions with the
/// kept ones first (`keptRank` of them) and the reduced ones after.
struct IterationSpace {
  std::vector<int64_t> dims;
  size_t keptRank = 0;
  /// For Reduction: the iteration dimension of each operand dimension.
  std::vector<int64_t> position;
};
IterationSpace iterationSpace(const FusionGroup &group);

/// The map of the operand of a reduction anchor over its iteration space.
IndexMap reductionOperandMap(const IterationSpace &space);

/// Every distinct map through which a member's result is visited, for each
/// member of a Loop or Reduction group. Members that no member reads get
/// the identity (Loop groups); the anchor of a Reduction group gets none.
std::vector<std::vector<IndexMap>> memberMaps(const FusionGroup &group,
                                              const IterationSpace &space);

} // namespace adjoint
