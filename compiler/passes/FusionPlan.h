//===- FusionPlan.h - Kernels of a graph: groups of fused nodes -----------===//
//
// The result of fusion: the nodes of a graph partitioned into groups, each
// compiled into one kernel (one LLVM function, one loop nest). Values that
// cross a group boundary, and graph outputs, are materialized in memory;
// every other value of a group lives in registers. A plan refers to the
// nodes of one graph and stays valid while that graph lives.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Graph.h"

#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace adjoint {

/// The shape of the loop nest a group compiles to.
enum class GroupKind {
  /// Elementwise, broadcast and index-map (reshape, transpose, slice,
  /// broadcast_to) nodes over one iteration space: the shape of its outputs.
  Loop,
  /// A reduction with the elementwise nodes that feed it; its iteration
  /// space is the reduction's operand's shape.
  Reduction,
  /// Reductions over the innermost axes and the elementwise nodes around
  /// them, run row by row (softmax, log-softmax, cross-entropy, layer norm).
  Row,
  /// A matmul or convolution (the anchor) with an elementwise epilogue
  /// applied to its output while it is in cache.
  Epilogue,
  /// One node compiled on its own (pooling, gather, concat, pad, ...); a
  /// matmul (the anchor) with the transposes of its operands it absorbed.
  Single,
};

/// One kernel.
struct FusionGroup {
  GroupKind kind = GroupKind::Single;
  /// The nodes of the group in graph order.
  std::vector<const Node *> nodes;
  /// The matmul/conv of an Epilogue group; the reduction of a Reduction
  /// group; the matmul of a Single group; otherwise null.
  const Node *anchor = nullptr;
  /// Values the group reads from memory: graph inputs, parameters, constant
  /// results, and results of earlier groups. In first-use order.
  std::vector<const Value *> inputs;
  /// Values the group writes to memory: results used by a later group or
  /// named as a graph output. In graph order.
  std::vector<const Value *> outputs;
  /// Pairs (output, input) where output element i depends on input element
  /// i only (same shape, identity index map), so that the output may be
  /// written over the input's buffer when the input dies in this group.
  std::vector<std::pair<const Value *, const Value *>> inPlaceCandidates;
  /// In an Epilogue group of a conv2d: a max or average pool of one of the
  /// group's results, run on each image as soon as the epilogue has
  /// finished it, while it is in cache. Not in `nodes`; the value it reads
  /// is written to memory (an output of the group) all the same.
  const Node *trailing = nullptr;
};

/// Why a producer was not fused into a consumer (shown in dumps).
struct FusionDecision {
  const Node *producer = nullptr;
  const Node *consumer = nullptr;
  std::string reason;
};

/// Every node of a graph (constants included) in exactly one group; groups
/// in an order that respects every dependence.
struct FusionPlan {
  std::vector<FusionGroup> groups;
  /// Index into `groups` of each node's group.
  std::unordered_map<const Node *, int> groupOf;
  /// Edges that were not fused, with their reasons.
  std::vector<FusionDecision> rejected;

  /// Number of groups that run code (every group except those made only of
  /// `constant` nodes).
  int kernelCount() const;
};

/// True when `n` is a `transpose` of a value of rank >= 2 that swaps the
/// last two axes and keeps the others: a matmul reads it as a transposed
/// operand.
bool swapsLastTwoAxes(const Node &n);

/// An operand of a group's matmul anchor as its kernel reads it.
struct MatMulOperand {
  /// The stored value the GEMM reads: the operand, or what the transpose
  /// and reshape the matmul absorbed read. Its bytes are the logical
  /// operand's (transposed if `transposed`): a reshape moves no element.
  const Value *value = nullptr;
  /// The GEMM reads `value` transposed (its last two axes swapped).
  bool transposed = false;
  /// A slice absorbed under them: the matrix starts `offset` elements into
  /// `value` and its rows are `rowStride` elements apart (0: as stored,
  /// rows of the matrix's own width).
  int64_t offset = 0;
  int64_t rowStride = 0;
};

/// Where the rows of a slice lie in its operand, when a GEMM can read its
/// result, seen as a matrix of `cols` columns, in place: the first
/// element's offset and the rows' stride, in elements.
struct SliceRows {
  int64_t offset = 0;
  int64_t rowStride = 0;
};

/// Whether the matmul `n` can read a slice's rows in place (sliceRows): a
/// float product of rank 2, one GEMM with row strides.
bool readsSlicesInPlace(const Node &n);

/// The rows of `slice` (unit steps) when it takes a range of the last axis
/// only, of width `cols` (rows `rowStride` = the operand's last extent
/// apart), or a range of the first axis only (one contiguous block); else
/// nullopt.
std::optional<SliceRows> sliceRows(const Node &slice, int64_t cols);

/// Operand `k` of the matmul `anchor` of `group`. Members of the group that
/// no kernel computes (absorbed) are looked through: a transpose that swaps
/// the last two axes, read with the GEMM's trans flag; under it (or
/// without it) a reshape, whose operand holds the same bytes in the same
/// order; and under that, for a float rank-2 product, a slice whose rows
/// the GEMM reads where they are (sliceRows).
MatMulOperand matmulOperand(const FusionGroup &group, const Node &anchor,
                            size_t k);

/// True when `n` is a transpose or reshape absorbed by the matmul anchor of
/// `group` (see matmulOperand): a member that no kernel computes.
bool isAbsorbedOperand(const FusionGroup &group, const Node &n);

/// The name of a group kind as dumps print it ("loop", "reduction", ...).
const char *groupKindName(GroupKind kind);

/// The plan as `#` comment lines that follow a graph's text IR: each group
/// with its kind, nodes, inputs and outputs, then every rejected fusion
/// with its reason.
std::string printFusionPlan(const FusionPlan &plan);

/// One group per node, in graph order, with each node's inputs, outputs and
/// in-place candidates filled in: the plan of an unfused graph.
FusionPlan unfusedPlan(const Graph &g);

/// Fills groupOf, and each group's inputs, outputs and in-place candidates,
/// from the nodes of each group (used by every planner).
void completePlan(const Graph &g, FusionPlan &plan);

/// Throws an internal error unless every node is in exactly one group, the
/// group order respects dependences, and inputs/outputs are consistent.
void checkPlan(const Graph &g, const FusionPlan &plan);

} // namespace adjoint
