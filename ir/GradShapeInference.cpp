//===- GradShapeInference.cpp - Result types of the gradient ops ----------===//
//
// Each gradient op is the adjoint of a forward op, so its rule checks that
// its operands are what the forward op's result and operands would be: dy
// must have exactly the shape the forward op gives for the described input.
//
//===----------------------------------------------------------------------===//
#include "ir/Error.h"
#include "ir/ShapeChecks.h"

namespace adjoint::detail {

namespace {

/// The `input_shape` attribute: the [N,C,H,W] of the forward op's input.
Shape inputShapeAttr(OpKind op, const AttrReader &r, DType t) {
  const Shape &x = r.getInts("input_shape");
  requireLength(op, "input_shape", x, 4);
  requireNonNegative(op, "input_shape", x);
  checkShape(x, dtypeSize(t), strCat(opName(op), ": 'input_shape'"));
  return x;
}

/// Throws unless dy has the shape `want` of the forward op's result.
void requireDyShape(OpKind op, const TensorType &dy, const Shape &want,
                    std::string_view forward) {
  if (dy.shape != want)
    badInput(opName(op), ": dy has type ", typeStr(dy), " but ", forward,
             " gives ", shapeStr(want));
}

} // namespace

TensorType inferConv2DInputGrad(std::span<const TensorType> ops,
                                const AttrReader &r) {
  const OpKind op = r.op();
  requireSameDType(op, ops);
  requireDType(op, ops[0], Allowed::Float, "operands");
  requireRank(op, ops[0], 4, "dy (N,O,outH,outW)");
  requireRank(op, ops[1], 4, "weight (O,C/groups,kH,kW)");
  Shape x = inputShapeAttr(op, r, ops[0].dtype);
  std::string forward = strCat("conv2d of an input of shape ", shapeStr(x),
                               " with a weight of type ", typeStr(ops[1]));
  Shape y = convOutputShape(op, r, x, ops[1].shape,
                            strCat(forward, ", dy ", typeStr(ops[0])));
  requireDyShape(op, ops[0], y, forward);
  return {ops[0].dtype, x};
}

TensorType inferConv2DWeightGrad(std::span<const TensorType> ops,
                                 const AttrReader &r) {
  const OpKind op = r.op();
  requireSameDType(op, ops);
  requireDType(op, ops[0], Allowed::Float, "operands");
  requireRank(op, ops[0], 4, "input (N,C,H,W)");
  requireRank(op, ops[1], 4, "dy (N,O,outH,outW)");
  requireStaticDims(op, ops[0], 1, "input (N,C,H,W)");
  requireStaticDims(op, ops[1], 1, "dy (N,O,outH,outW)");
  const Shape &kernel = r.getInts("kernel");
  requireLength(op, "kernel", kernel, 2);
  requirePositive(op, "kernel", kernel);
  const Shape &x = ops[0].shape;
  int64_t groups = r.getInt("groups");
  // A bad group count is reported by convOutputShape.
  int64_t perGroup = groups > 0 ? x[1] / groups : 0;
  Shape w = {ops[1].shape[1], perGroup, kernel[0], kernel[1]};
  checkShape(w, dtypeSize(ops[0].dtype), strCat(opName(op), ": result"));
  std::string forward = strCat("conv2d of ", typeStr(ops[0]),
                               " with a weight of shape ", shapeStr(w));
  Shape y =
      convOutputShape(op, r, x, w, strCat(forward, ", dy ", typeStr(ops[1])));
  requireDyShape(op, ops[1], y, forward);
  return {ops[0].dtype, w};
}

TensorType inferMaxPool2DGrad(std::span<const TensorType> ops,
                              const AttrReader &r) {
  const OpKind op = r.op();
  requireSameDType(op, ops);
  requireDType(op, ops[0], Allowed::Float, "operands");
  requireRank(op, ops[0], 4, "input (N,C,H,W)");
  requireRank(op, ops[1], 4, "dy (N,C,outH,outW)");
  requireStaticDims(op, ops[0], 1, "input (N,C,H,W)");
  const Shape &x = ops[0].shape;
  Window2D win = poolWindow(r, x);
  requireDyShape(op, ops[1], {x[0], x[1], win.outH, win.outW},
                 strCat("max_pool2d of ", typeStr(ops[0])));
  return ops[0];
}

TensorType inferAvgPool2DGrad(std::span<const TensorType> ops,
                              const AttrReader &r) {
  const OpKind op = r.op();
  requireDType(op, ops[0], Allowed::Float, "dy");
  requireRank(op, ops[0], 4, "dy (N,C,outH,outW)");
  Shape x = inputShapeAttr(op, r, ops[0].dtype);
  Window2D win = poolWindow(r, x);
  requireDyShape(op, ops[0], {x[0], x[1], win.outH, win.outW},
                 strCat("avg_pool2d of an input of shape ", shapeStr(x)));
  return {ops[0].dtype, x};
}

TensorType inferScatterAdd(std::span<const TensorType> ops,
                           const AttrReader &r) {
  const OpKind op = r.op();
  const TensorType &indices = ops[0], &updates = ops[1];
  if (indices.dtype != DType::I32 && indices.dtype != DType::I64)
    badInput("scatter_add: indices must be i32 or i64, not ", typeStr(indices));
  requireDType(op, updates, Allowed::Numeric, "updates");
  const Shape &shape = r.getInts("shape");
  requireShapeAttr(op, "shape", shape);
  checkShape(shape, dtypeSize(updates.dtype), "scatter_add: 'shape'");
  if (shape.empty())
    badInput("scatter_add: 'shape' must have rank >= 1");
  int64_t axis =
      normalizeAxis(r.getInt("axis"), shape.size(), "scatter_add: 'axis'");
  Shape want(shape.begin(), shape.begin() + axis);
  want.insert(want.end(), indices.shape.begin(), indices.shape.end());
  want.insert(want.end(), shape.begin() + axis + 1, shape.end());
  if (updates.shape != want)
    badInput("scatter_add: updates have type ", typeStr(updates),
             " but indices ", typeStr(indices), " into axis ", axis,
             " of shape ", shapeStr(shape), " need updates of shape ",
             shapeStr(want));
  if (shape[axis] == 0 && indices.numElements() > 0)
    badInput("scatter_add: indices into an empty axis ", axis, " of shape ",
             shapeStr(shape));
  return {updates.dtype, shape};
}

} // namespace adjoint::detail
