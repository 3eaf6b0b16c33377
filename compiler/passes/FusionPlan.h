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

#include "compiler/passes/StridedView.h"
#include "ir/Graph.h"

#include <functional>
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

/// An operand of a group's matmul anchor as its kernel reads it.
struct MatMulOperand {
  MatMulOperand() = default;
  /// `v` as it is stored.
  explicit MatMulOperand(const Value *v) : value(v) {}

  /// The stored value the GEMM reads: the operand, or what the views the
  /// matmul absorbed read (transposes, reshapes and slices: none moves an
  /// element, so the operand is a strided pattern of `value`).
  const Value *value = nullptr;
  /// The GEMM reads each matrix transposed: its rows are the columns of a
  /// matrix stored in `value`.
  bool transposed = false;
  /// The first matrix starts `offset` elements into `value`, and the
  /// stored rows of a matrix are `rowStride` elements apart (0: as stored,
  /// rows of the matrix's own width).
  int64_t offset = 0;
  int64_t rowStride = 0;
  /// When set, the matrices of the batch entries are not one after the
  /// other: batchModes[d] are the modes (StridedView.h) of batch axis d of
  /// the logical operand, whose index picks the entry's offset.
  bool stridedBatch = false;
  std::vector<std::vector<Mode>> batchModes;
};

/// How `matmul` reads its operand `k` through `views`, the view nodes
/// under it (the operand's defining node first, each reading the next
/// one's result): the last view's operand, read in place. Nullopt when the
/// GEMM cannot read it as one strided matrix per batch entry, or would read
/// it worse than a copy: a batch of products sharing b are one GEMM over
/// all rows of a (with an epilogue over them), so a must keep its rows one
/// stride apart, not transposed. Integer products read only whole matrices
/// one after the other, transposed or not.
std::optional<MatMulOperand>
readThroughViews(const Node &matmul, size_t k,
                 const std::vector<const Node *> &views);

/// The stride from each row of `o` (an operand a of `m` rows and `k`
/// columns) to the next, across all its batch entries, when it is one
/// stride (and `o` is not transposed): the entries of a product whose b
/// they share are then the rows of one GEMM with that leading dimension.
std::optional<int64_t> rowStrideAcrossBatch(const MatMulOperand &o, int64_t m,
                                            int64_t k);

/// The view nodes under operand `k` of `matmul` that it reads through
/// (readThroughViews), as deep as `usable` accepts each node, nearest
/// first: the deepest chain the GEMM reads.
std::vector<const Node *>
absorbableViews(const Node &matmul, size_t k,
                const std::function<bool(const Node &)> &usable);

/// Operand `k` of the matmul `anchor` of `group`: read through the view
/// nodes under it that are members of the group (absorbed: no kernel
/// computes them).
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
