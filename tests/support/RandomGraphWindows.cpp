//===- RandomGraphWindows.cpp - Random window ops and scatter_add ---------===//
//
// conv2d, the pools and their gradients draw a window first, then an input
// it fits; a gradient's dy has exactly the shape its forward op gives.
// scatter_add's indices are data in range, like gather's.
//
//===----------------------------------------------------------------------===//
#include "ir/ShapeInference.h"
#include "tests/support/RandomGraphGenerator.h"

#include <algorithm>

namespace adjoint::testing::detail {

Value *Generator::windowOp(OpKind op) {
  bool conv = op == OpKind::Conv2D || op == OpKind::Conv2DInputGrad ||
              op == OpKind::Conv2DWeightGrad;
  int64_t groups = conv && rng_.chance(1, 3) ? rng_.range(2, 3) : 1;
  int64_t k[2], stride[2], dil[2] = {1, 1}, padBegin[2], padEnd[2];
  for (int i = 0; i < 2; ++i) {
    k[i] = rng_.range(1, 3);
    stride[i] = rng_.range(1, 2);
    if (conv && rng_.chance(1, 3))
      dil[i] = 2;
    // Pools need each pad smaller than the kernel.
    int64_t maxPad = conv ? 2 : k[i] - 1;
    padBegin[i] = rng_.range(0, maxPad);
    padEnd[i] = rng_.range(0, maxPad);
  }
  auto fits = [&](const Shape &s) {
    for (int i = 0; i < 2; ++i) {
      if (s[2 + i] + padBegin[i] + padEnd[i] < dil[i] * (k[i] - 1) + 1)
        return false;
      // A pool's windows must hold at least one image element.
      if (!conv && s[2 + i] == 0)
        return false;
    }
    return s[1] % groups == 0;
  };
  Need need = op == OpKind::MaxPool2D ? Need::Numeric : Need::Float;
  auto makeX = [&] {
    Shape s = {rng_.range(1, 2), groups * rng_.range(1, 2), 0, 0};
    for (int i = 0; i < 2; ++i)
      s[2 + i] = std::max<int64_t>(conv ? 0 : 1, dil[i] * (k[i] - 1) + 1 -
                                                     padBegin[i] - padEnd[i]) +
                 rng_.range(0, 3);
    return TensorType{dtype(need), s};
  };
  // The input: an operand, or only a shape for the gradients that take one.
  Value *x = nullptr;
  TensorType xt;
  if (op == OpKind::Conv2DInputGrad || op == OpKind::AvgPool2DGrad) {
    xt = makeX();
  } else {
    x = pickOr(
        [&](const Value *v) {
          return satisfies(v->type().dtype, need) && v->type().rank() == 4 &&
                 fits(v->type().shape);
        },
        makeX);
    xt = x->type();
  }
  Attributes a;
  std::vector<int64_t> strides = {stride[0], stride[1]};
  std::vector<int64_t> pads = {padBegin[0], padBegin[1], padEnd[0], padEnd[1]};
  // Defaults are left out mostly, but sometimes written out.
  bool explicitDefaults = rng_.chance(1, 5);
  if (explicitDefaults || strides != std::vector<int64_t>{1, 1})
    a.set("strides", strides);
  if (explicitDefaults || pads != std::vector<int64_t>{0, 0, 0, 0})
    a.set("pads", pads);
  std::vector<int64_t> kernel = {k[0], k[1]};

  if (!conv) {
    a.set("kernel", kernel);
    bool avg = op == OpKind::AvgPool2D || op == OpKind::AvgPool2DGrad;
    if (avg && rng_.chance(1, 2))
      a.set("count_include_pad", rng_.chance(1, 2));
    if (op == OpKind::MaxPool2D || op == OpKind::AvgPool2D)
      return add(op, {x}, a);
    std::vector<TensorType> forwardOperands = {xt};
    TensorType yt = inferType(avg ? OpKind::AvgPool2D : OpKind::MaxPool2D,
                              forwardOperands, a);
    Value *dy = ofType(yt);
    if (op == OpKind::MaxPool2DGrad)
      return add(op, {x, dy}, a);
    a.set("input_shape", xt.shape);
    return add(op, {dy}, a);
  }

  if (explicitDefaults || dil[0] != 1 || dil[1] != 1)
    a.set("dilations", std::vector<int64_t>{dil[0], dil[1]});
  if (explicitDefaults || groups != 1)
    a.set("groups", groups);
  int64_t channels = xt.shape[1];
  TensorType wt{xt.dtype,
                {groups * rng_.range(1, 2), channels / groups, k[0], k[1]}};
  if (op == OpKind::Conv2D) {
    Value *w = source(wt);
    return add(op, {x, w}, a);
  }
  std::vector<TensorType> forwardOperands = {xt, wt};
  TensorType yt = inferType(OpKind::Conv2D, forwardOperands, a);
  if (op == OpKind::Conv2DInputGrad) {
    Value *w = source(wt);
    Value *dy = ofType(yt);
    a.set("input_shape", xt.shape);
    return add(op, {dy, w}, a);
  }
  Value *dy = ofType(yt);
  a.set("kernel", kernel);
  return add(op, {x, dy}, a);
}

Value *Generator::scatterAdd() {
  DType t = dtype(Need::Numeric);
  Shape s = shape(1, 3);
  int64_t r = (int64_t)s.size(), axis = rng_.range(-r, r - 1);
  int64_t at = axis < 0 ? axis + r : axis;
  TensorType it{rng_.chance(1, 2) ? DType::I32 : DType::I64, shape(0, 2)};
  Value *indices = indexSource(it, s[at]);
  Shape us(s.begin(), s.begin() + at);
  us.insert(us.end(), indices->type().shape.begin(),
            indices->type().shape.end());
  us.insert(us.end(), s.begin() + at + 1, s.end());
  Value *updates = ofType({t, us});
  Attributes a;
  if (axis != 0 || rng_.chance(1, 4))
    a.set("axis", axis);
  a.set("shape", s);
  return add(OpKind::ScatterAdd, {indices, updates}, a);
}

Value *Generator::scan() {
  DType t = dtype(Need::Float);
  Shape s = shape(0, 2);
  Shape seq = s;
  seq.insert(seq.begin(), rng_.range(1, 3));
  Value *init = ofType({t, s});
  Value *xs = ofType({t, seq});
  bool invariant = rng_.chance(1, 2);
  // The body: next = tanh(state [* w] + x), its names the generator's own.
  auto body = std::make_shared<Graph>(name("step", 3));
  Builder bb(*body);
  Value *h = bb.input(name("h", 3), {t, s});
  std::string xName = name("x", 3);
  while (body->findValue(xName))
    xName += "_";
  Value *x = bb.input(xName, {t, s});
  Value *acc = h;
  if (invariant) {
    std::string wName = name("w", 3);
    while (body->findValue(wName))
      wName += "_";
    acc = bb.mul(h, bb.input(wName, {t, s}));
  }
  bb.output(name("next", 3), bb.tanh(bb.add(acc, x)));
  Attributes a;
  a.set("body", SubGraph(body));
  if (rng_.chance(1, 3))
    a.set("sequences", int64_t{1});
  if (rng_.chance(1, 3))
    a.set("reverse", rng_.chance(1, 2));
  std::vector<Value *> operands = {init, xs};
  if (invariant)
    operands.push_back(ofType({t, s}));
  return add(OpKind::Scan, operands, a);
}

} // namespace adjoint::testing::detail
