//===- ShapeInference.h - Result types of operations ----------------------===//
//
// The type rules of every op (docs/ops.md states them in prose), plus the
// normalized forms of attributes (axes, slices, windows) that the
// interpreter and later backends share so that they agree on meaning.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Attribute.h"
#include "ir/OpTable.h"
#include "ir/TensorType.h"

#include <span>
#include <vector>

namespace adjoint {

/// The result type of `op` applied to operands of types `operands`. Throws
/// BadInput with a message naming the op, the operand types and the rule
/// that fails; callers add the node's name.
TensorType inferType(OpKind op, std::span<const TensorType> operands,
                     const Attributes &attrs);

/// The numpy broadcast of `a` and `b`; throws BadInput if they don't.
Shape broadcastShapes(const Shape &a, const Shape &b);

/// Reduction axes of `reduce_*` normalized, sorted and unique (all axes when
/// the attribute is absent).
std::vector<int64_t> reductionAxes(const AttrReader &attrs, size_t rank);

/// A slice in normalized form: for each dimension of the operand, the first
/// index, the step and the number of elements taken.
struct SliceDims {
  std::vector<int64_t> start, step, count;
};
SliceDims normalizeSlice(const AttrReader &attrs, const Shape &operand);

/// The permutation of `transpose` (the reverse when absent).
std::vector<int64_t> transposePerm(const AttrReader &attrs, size_t rank);

/// The target shape of `reshape`, with -1 resolved.
Shape reshapeTarget(const AttrReader &attrs, const Shape &operand);

/// The window of conv2d and pooling in normalized form.
struct Window2D {
  int64_t kernelH, kernelW, strideH, strideW;
  int64_t padTop, padLeft, padBottom, padRight;
  int64_t dilationH = 1, dilationW = 1;
  int64_t outH, outW;
};
/// For conv2d and its gradients: `x` is the [N,C,H,W] of conv2d's input,
/// `w` the [O,C/groups,kH,kW] of its weight. Errors name attrs.op().
Window2D convWindow(const AttrReader &attrs, const Shape &x, const Shape &w);
/// For max_pool2d, avg_pool2d and their gradients: `x` is the [N,C,H,W] of
/// the pool's input.
Window2D poolWindow(const AttrReader &attrs, const Shape &x);

/// Whether conv2d, max_pool2d or avg_pool2d with these attributes is
/// channels-last (data_format "NHWC": input [N,H,W,C], conv2d's weight
/// [kH,kW,C/groups,O] as TensorFlow's HWIO, result [N,outH,outW,O]) rather
/// than the default "NCHW"; throws for any other data_format.
bool isChannelsLast(const AttrReader &attrs);
/// The permutations between the two layouts (as transpose's perm: result
/// dimension i is operand dimension perm[i]).
inline constexpr int64_t kNhwcToNchw[] = {0, 3, 1, 2};
inline constexpr int64_t kNchwToNhwc[] = {0, 2, 3, 1};
inline constexpr int64_t kHwioToOihw[] = {3, 2, 0, 1};
/// `s` permuted as transpose with `perm` would.
Shape permuteShape(const Shape &s, std::span<const int64_t> perm);

/// Shapes of a matmul in normalized form: batch shape (broadcast), M, K, N,
/// and whether each operand was 1-D.
struct MatMulDims {
  Shape batch;
  Shape batchA, batchB; // operand batch shapes, left-padded with 1s
  int64_t m, k, n;
  bool aVector, bVector;
};
MatMulDims matmulDims(const Shape &a, const Shape &b);

} // namespace adjoint
