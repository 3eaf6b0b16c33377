//===- Builder.cpp - The C++ API for building graphs ----------------------===//
#include "ir/Builder.h"

#include "ir/Error.h"
#include "ir/SymbolicDim.h"

#include "ir/ShapeInference.h"
#include <algorithm>

namespace adjoint {

InitSpec glorotUniform(uint64_t seed) {
  return {InitSpec::Kind::GlorotUniform, seed};
}
InitSpec heNormal(uint64_t seed) { return {InitSpec::Kind::HeNormal, seed}; }
InitSpec heUniform(uint64_t seed) { return {InitSpec::Kind::HeUniform, seed}; }
InitSpec zerosInit() { return {InitSpec::Kind::Zeros, 0}; }
InitSpec onesInit() { return {InitSpec::Kind::Ones, 0}; }
InitSpec uniformInit(uint64_t seed, double low, double high) {
  InitSpec s{InitSpec::Kind::Uniform, seed};
  s.low = low;
  s.high = high;
  return s;
}

Value *Builder::input(const std::string &name, const TensorType &type) {
  return g_.addInput(name, type);
}

Value *Builder::param(const std::string &name, const TensorType &type,
                      const InitSpec &init) {
  return g_.addParam(name, type, init);
}

Value *Builder::param(const std::string &name, Tensor data) {
  return g_.addParam(name, std::move(data));
}

void Builder::output(const std::string &name, Value *v) {
  g_.addOutput(name, v);
}

Value *Builder::op(OpKind kind, std::vector<Value *> operands, Attributes attrs,
                   const std::string &name) {
  std::vector<TensorType> types;
  for (Value *v : operands)
    types.push_back(v->type());
  TensorType type = withContext(strCat("building ", opName(kind)),
                                [&] { return inferType(kind, types, attrs); });
  return g_.addNode(kind, std::move(operands), std::move(attrs), name, type)
      ->result();
}

Value *Builder::constant(Tensor value, const std::string &name) {
  Attributes a;
  a.set("value", std::move(value));
  return op(OpKind::Constant, {}, std::move(a), name);
}

Value *Builder::scalar(DType dtype, double value) {
  return constant(Tensor::scalar(dtype, value));
}

Value *Builder::iota(DType dtype, Shape shape, int64_t axis) {
  Attributes a;
  a.set("dtype", dtype);
  a.set("shape", std::move(shape));
  if (axis != 0)
    a.set("axis", axis);
  return op(OpKind::Iota, {}, std::move(a));
}

Value *Builder::cast(Value *x, DType to) {
  Attributes a;
  a.set("to", to);
  return op(OpKind::Cast, {x}, std::move(a));
}

Value *Builder::reduce(OpKind kind, Value *x,
                       std::optional<std::vector<int64_t>> axes,
                       bool keepdims) {
  Attributes a;
  if (axes)
    a.set("axes", std::move(*axes));
  if (keepdims)
    a.set("keepdims", true);
  return op(kind, {x}, std::move(a));
}

Value *Builder::reduceSum(Value *x, std::optional<std::vector<int64_t>> axes,
                          bool keepdims) {
  return reduce(OpKind::ReduceSum, x, std::move(axes), keepdims);
}
Value *Builder::reduceMax(Value *x, std::optional<std::vector<int64_t>> axes,
                          bool keepdims) {
  return reduce(OpKind::ReduceMax, x, std::move(axes), keepdims);
}
Value *Builder::reduceMin(Value *x, std::optional<std::vector<int64_t>> axes,
                          bool keepdims) {
  return reduce(OpKind::ReduceMin, x, std::move(axes), keepdims);
}

Value *Builder::argmax(Value *x, int64_t axis, bool keepdims) {
  Attributes a;
  a.set("axis", axis);
  if (keepdims)
    a.set("keepdims", true);
  return op(OpKind::Argmax, {x}, std::move(a));
}

Value *Builder::reshape(Value *x, Shape shape) {
  // An attribute holds numbers only: the one symbolic extent of a target
  // becomes the -1 that inference turns back into it ([N, 784] into
  // [-1, 784]).
  if (std::count_if(shape.begin(), shape.end(), isSymbolic) == 1) {
    auto minus = std::find(shape.begin(), shape.end(), -1);
    if (minus != shape.end()) {
      // [N, -1]: the -1 is what the symbolic extent leaves, if static.
      Shape known(shape.begin(), minus);
      known.insert(known.end(), minus + 1, shape.end());
      std::optional<int64_t> total = productOfDims(x->type().shape),
                             part = productOfDims(known);
      std::optional<int64_t> rest =
          total && part ? divDims(*total, *part) : std::nullopt;
      if (rest && !isSymbolic(*rest))
        *minus = *rest;
    }
    if (std::find(shape.begin(), shape.end(), -1) == shape.end())
      std::replace_if(shape.begin(), shape.end(), isSymbolic, -1);
  }
  Attributes a;
  a.set("shape", std::move(shape));
  return op(OpKind::Reshape, {x}, std::move(a));
}

Value *Builder::transpose(Value *x, std::vector<int64_t> perm) {
  Attributes a;
  if (!perm.empty()) // empty: the default, reversed axes
    a.set("perm", std::move(perm));
  return op(OpKind::Transpose, {x}, std::move(a));
}

Value *Builder::broadcastTo(Value *x, Shape shape) {
  Attributes a;
  a.set("shape", std::move(shape));
  return op(OpKind::BroadcastTo, {x}, std::move(a));
}

Value *Builder::slice(Value *x, std::vector<int64_t> starts,
                      std::vector<int64_t> ends, std::vector<int64_t> axes,
                      std::vector<int64_t> steps) {
  Attributes a;
  a.set("starts", std::move(starts));
  a.set("ends", std::move(ends));
  if (!axes.empty())
    a.set("axes", std::move(axes));
  if (!steps.empty())
    a.set("steps", std::move(steps));
  return op(OpKind::Slice, {x}, std::move(a));
}

Value *Builder::concat(std::vector<Value *> xs, int64_t axis) {
  Attributes a;
  a.set("axis", axis);
  return op(OpKind::Concat, std::move(xs), std::move(a));
}

Value *Builder::pad(Value *x, std::vector<int64_t> pads, double value) {
  Attributes a;
  a.set("pads", std::move(pads));
  if (value != 0)
    a.set("value", value);
  return op(OpKind::Pad, {x}, std::move(a));
}

Value *Builder::gather(Value *data, Value *indices, int64_t axis) {
  Attributes a;
  if (axis != 0)
    a.set("axis", axis);
  return op(OpKind::Gather, {data, indices}, std::move(a));
}

Value *Builder::oneHot(Value *indices, int64_t depth, DType dtype) {
  Attributes a;
  a.set("depth", depth);
  if (dtype != DType::F32)
    a.set("dtype", dtype);
  return op(OpKind::OneHot, {indices}, std::move(a));
}

namespace {
Attributes convAttrs(const Conv2DOptions &o) {
  Attributes a;
  const Conv2DOptions defaults;
  if (o.strides != defaults.strides)
    a.set("strides", o.strides);
  if (o.pads != defaults.pads)
    a.set("pads", o.pads);
  if (o.dilations != defaults.dilations)
    a.set("dilations", o.dilations);
  if (o.groups != defaults.groups)
    a.set("groups", o.groups);
  return a;
}
} // namespace

Value *Builder::conv2d(Value *x, Value *w, const Conv2DOptions &o) {
  Attributes a = convAttrs(o);
  if (o.dataFormat != Conv2DOptions().dataFormat)
    a.set("data_format", o.dataFormat);
  return op(OpKind::Conv2D, {x, w}, std::move(a));
}

Value *Builder::conv2dInputGrad(Value *dy, Value *w, Shape inputShape,
                                const Conv2DOptions &o) {
  Attributes a = convAttrs(o);
  a.set("input_shape", std::move(inputShape));
  return op(OpKind::Conv2DInputGrad, {dy, w}, std::move(a));
}

Value *Builder::conv2dWeightGrad(Value *x, Value *dy,
                                 std::vector<int64_t> kernel,
                                 const Conv2DOptions &o) {
  Attributes a = convAttrs(o);
  a.set("kernel", std::move(kernel));
  return op(OpKind::Conv2DWeightGrad, {x, dy}, std::move(a));
}

namespace {
Attributes poolAttrs(const Pool2DOptions &o) {
  Attributes a;
  const Pool2DOptions defaults;
  a.set("kernel", o.kernel);
  if (o.strides != defaults.strides)
    a.set("strides", o.strides);
  if (o.pads != defaults.pads)
    a.set("pads", o.pads);
  return a;
}
} // namespace

Value *Builder::maxPool2d(Value *x, const Pool2DOptions &o) {
  Attributes a = poolAttrs(o);
  if (o.dataFormat != Pool2DOptions().dataFormat)
    a.set("data_format", o.dataFormat);
  return op(OpKind::MaxPool2D, {x}, std::move(a));
}

Value *Builder::avgPool2d(Value *x, const Pool2DOptions &o) {
  Attributes a = poolAttrs(o);
  if (o.dataFormat != Pool2DOptions().dataFormat)
    a.set("data_format", o.dataFormat);
  if (o.countIncludePad)
    a.set("count_include_pad", true);
  return op(OpKind::AvgPool2D, {x}, std::move(a));
}

Value *Builder::maxPool2dGrad(Value *x, Value *dy, const Pool2DOptions &o) {
  return op(OpKind::MaxPool2DGrad, {x, dy}, poolAttrs(o));
}

Value *Builder::avgPool2dGrad(Value *dy, Shape inputShape,
                              const Pool2DOptions &o) {
  Attributes a = poolAttrs(o);
  if (o.countIncludePad)
    a.set("count_include_pad", true);
  a.set("input_shape", std::move(inputShape));
  return op(OpKind::AvgPool2DGrad, {dy}, std::move(a));
}

Value *Builder::scatterAdd(Value *indices, Value *updates, Shape shape,
                           int64_t axis) {
  Attributes a;
  if (axis != 0)
    a.set("axis", axis);
  a.set("shape", std::move(shape));
  return op(OpKind::ScatterAdd, {indices, updates}, std::move(a));
}

Value *Builder::attention(Value *q, Value *k, Value *v, double scale,
                          bool causal) {
  Attributes a;
  a.set("scale", scale);
  a.set("causal", causal);
  return op(OpKind::Attention, {q, k, v}, a);
}

/// The maximum along `axis`, which softmax and log_softmax subtract only to
/// keep exp in range: both are invariant to the shift, so it carries no
/// gradient, and the backward pass does not compute which elements hold
/// the maximum (a mask as large as x, and a sum of ties).
Value *Builder::softmaxShift(Value *x, int64_t axis) {
  return stopGradient(reduceMax(x, std::vector<int64_t>{axis}, true));
}

Value *Builder::softmax(Value *x, int64_t axis) {
  Value *shifted = sub(x, softmaxShift(x, axis));
  Value *e = exp(shifted);
  return div(e, reduceSum(e, std::vector<int64_t>{axis}, true));
}

Value *Builder::logSoftmax(Value *x, int64_t axis) {
  Value *shifted = sub(x, softmaxShift(x, axis));
  Value *sumExp = reduceSum(exp(shifted), std::vector<int64_t>{axis}, true);
  return sub(shifted, log(sumExp));
}

Value *Builder::reduceMean(Value *x, std::optional<std::vector<int64_t>> axes,
                           bool keepdims) {
  if (!isFloat(x->type().dtype))
    badInput("reduce_mean needs a float operand, not ", typeStr(x->type()));
  return reduce(OpKind::ReduceMean, x, std::move(axes), keepdims);
}

Value *Builder::dense(Value *x, Value *w, Value *b) {
  return add(matmul(x, w), b);
}

Value *Builder::flatten(Value *x, int64_t axis) {
  const Shape &s = x->type().shape;
  size_t rank = s.size();
  // flatten accepts axis == rank (everything in the first dimension).
  int64_t a = axis == (int64_t)rank ? axis : withContext("flatten", [&] {
    return normalizeAxis(axis, rank, "axis");
  });
  int64_t before = 1, after = 1;
  for (size_t d = 0; d < rank; ++d)
    ((int64_t)d < a ? before : after) *= s[d];
  return reshape(x, {before, after});
}

} // namespace adjoint
