//===- ShapeChecks.h - Checks shared by the type rules ---------*- C++ -*-===//
//
// Private to shape inference (ShapeInference.cpp and GradShapeInference.cpp):
// the requirements type rules state about dtypes, ranks and attributes, each
// throwing BadInput with a message that names the op and the types.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/OpTable.h"
#include "ir/ShapeInference.h"

#include <span>
#include <string>
#include <vector>

namespace adjoint::detail {

/// "f32[2,3], f32[3]".
std::string typesStr(std::span<const TensorType> types);

/// Throws unless every operand has the same dtype.
void requireSameDType(OpKind op, std::span<const TensorType> ts);

/// The dtype classes of docs/ops.md.
enum class Allowed { Float, Numeric, SignedNumeric, Bool, Any };

/// Throws unless `t` belongs to `a`; `what` names the operand.
void requireDType(OpKind op, const TensorType &t, Allowed a,
                  const char *what = "operand");
void requireRank(OpKind op, const TensorType &t, size_t rank, const char *what);
/// Dimensions [from, rank) of `t` must be static (windows, channels and
/// kernels: only a batch may be symbolic).
void requireStaticDims(OpKind op, const TensorType &t, size_t from,
                       const char *what);

/// Attribute `attr` must have `n` values.
void requireLength(OpKind op, const char *attr, const std::vector<int64_t> &v,
                   size_t n);
void requirePositive(OpKind op, const char *attr,
                     const std::vector<int64_t> &v);
void requireNonNegative(OpKind op, const char *attr,
                        const std::vector<int64_t> &v);
/// A shape attribute (iota's, broadcast_to's, scatter_add's): extents that
/// are not negative, or symbolic dimensions (ir/SymbolicDim.h) of the
/// graph's inputs, which the verifier checks.
void requireShapeAttr(OpKind op, const char *attr,
                      const std::vector<int64_t> &v);

/// Output extent of a window along one dimension, or throws.
int64_t windowOut(OpKind op, int64_t in, int64_t padBegin, int64_t padEnd,
                  int64_t kernel, int64_t stride, int64_t dilation);

/// The checks of conv2d on an input of shape `x` ([N,C,H,W]) and a weight
/// of shape `w` ([O,C/groups,kH,kW]), for `op` (conv2d or one of its
/// gradients, whose attributes `r` hold); `types` describes the operands in
/// messages. Returns conv2d's output shape [N,O,outH,outW].
Shape convOutputShape(OpKind op, const AttrReader &r, const Shape &x,
                      const Shape &w, const std::string &types);

// The type rules of the gradient ops (GradShapeInference.cpp), for operands
// whose count and attributes have been checked; `r` holds the op.
TensorType inferConv2DInputGrad(std::span<const TensorType> ops,
                                const AttrReader &r);
TensorType inferConv2DWeightGrad(std::span<const TensorType> ops,
                                 const AttrReader &r);
TensorType inferMaxPool2DGrad(std::span<const TensorType> ops,
                              const AttrReader &r);
TensorType inferAvgPool2DGrad(std::span<const TensorType> ops,
                              const AttrReader &r);
TensorType inferScatterAdd(std::span<const TensorType> ops,
                           const AttrReader &r);

} // namespace adjoint::detail
