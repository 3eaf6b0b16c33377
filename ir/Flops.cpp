//===- Flops.cpp - Floating-point operation counts of graphs --------------===//
#include "ir/Flops.h"

#include "ir/Graph.h"
#include "ir/ShapeInference.h"

#include <limits>

namespace adjoint {

namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

/// a * b, saturating at INT64_MAX (both are >= 0).
int64_t mulSat(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_mul_overflow(a, b, &r) ? kMax : r;
}

int64_t addSat(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_add_overflow(a, b, &r) ? kMax : r;
}

int64_t product(const Shape &s) {
  int64_t n = 1;
  for (int64_t d : s)
    n = mulSat(n, d);
  return n;
}

int64_t matmulFlops(const Node &node) {
  MatMulDims d =
      matmulDims(node.operand(0)->type().shape, node.operand(1)->type().shape);
  int64_t f = mulSat(2, product(d.batch));
  for (int64_t x : {d.m, d.n, d.k})
    f = mulSat(f, x);
  return f;
}

/// conv2d of an input of shape `x` with a weight of shape `w`; its two
/// gradients do the same multiply-adds.
int64_t conv2dFlops(const Node &node, const Shape &x, const Shape &w) {
  Window2D win = convWindow(node.attr(), x, w);
  // w is [O, C/groups, kH, kW]: its element count is O*(C/groups)*kH*kW.
  int64_t f = mulSat(2, x[0]);
  for (int64_t v : {product(w), win.outH, win.outW})
    f = mulSat(f, v);
  return f;
}

/// A pool over an input of shape `x`, or its gradient: one operation per
/// window element.
int64_t poolFlops(const Node &node, const Shape &x) {
  Window2D win = poolWindow(node.attr(), x);
  int64_t f = 1;
  for (int64_t v : {x[0], x[1], win.outH, win.outW, win.kernelH, win.kernelW})
    f = mulSat(f, v);
  return f;
}

} // namespace

int64_t nodeFlops(const Node &node) {
  int64_t outElements = product(node.result()->type().shape);
  auto operandShape = [&](size_t i) -> const Shape & {
    return node.operand(i)->type().shape;
  };
  switch (node.op()) {
  case OpKind::Neg:
  case OpKind::Abs:
  case OpKind::Sign:
  case OpKind::Exp:
  case OpKind::Log:
  case OpKind::Sqrt:
  case OpKind::Tanh:
  case OpKind::Sigmoid:
  case OpKind::Relu:
  case OpKind::Erf:
  case OpKind::Add:
  case OpKind::Sub:
  case OpKind::Mul:
  case OpKind::Div:
  case OpKind::Pow:
  case OpKind::Maximum:
  case OpKind::Minimum:
  case OpKind::Equal:
  case OpKind::Less:
  case OpKind::LessEqual:
  case OpKind::Greater:
  case OpKind::GreaterEqual:
  case OpKind::LogicalAnd:
  case OpKind::LogicalOr:
  case OpKind::LogicalNot:
  case OpKind::Select:
  case OpKind::Cast:
    return outElements;
  case OpKind::ReduceSum:
  case OpKind::ReduceMax:
  case OpKind::ReduceMin:
  case OpKind::Argmax:
    return product(node.operand(0)->type().shape);
  case OpKind::ReduceMean: // the sum, then one division per output element
    return product(node.operand(0)->type().shape) + outElements;
  case OpKind::Constant:
  case OpKind::Iota:
  case OpKind::Reshape:
  case OpKind::Transpose:
  case OpKind::BroadcastTo:
  case OpKind::Slice:
  case OpKind::Concat:
  case OpKind::Pad:
  case OpKind::Gather:
  case OpKind::OneHot:
    return 0;
  case OpKind::MatMul:
    return matmulFlops(node);
  case OpKind::Attention: {
    // Two products and the softmax's exponentials, over every (query, key).
    const Shape &q = operandShape(0), &k = operandShape(1);
    int64_t keys = k[k.size() - 2], depth = k.back();
    int64_t queries = product(Shape(q.begin(), q.end() - 1));
    int64_t dv = node.result()->type().shape.back();
    return queries * keys * (2 * depth + 2 * dv + 4);
  }
  case OpKind::Conv2D:
    if (isChannelsLast(node.attr()))
      return conv2dFlops(node, permuteShape(operandShape(0), kNhwcToNchw),
                         permuteShape(operandShape(1), kHwioToOihw));
    return conv2dFlops(node, operandShape(0), operandShape(1));
  case OpKind::MaxPool2D:
  case OpKind::AvgPool2D:
    if (isChannelsLast(node.attr()))
      return poolFlops(node, permuteShape(operandShape(0), kNhwcToNchw));
    return poolFlops(node, operandShape(0));
  case OpKind::MaxPool2DGrad:
    return poolFlops(node, operandShape(0));

  case OpKind::StopGradient:
    return 0;
  case OpKind::Conv2DInputGrad:
    return conv2dFlops(node, node.result()->type().shape, operandShape(1));
  case OpKind::Conv2DWeightGrad:
    return conv2dFlops(node, operandShape(0), node.result()->type().shape);
  case OpKind::AvgPool2DGrad:
    return poolFlops(node, node.result()->type().shape);
  case OpKind::ScatterAdd:
    return product(operandShape(1));
  case OpKind::Dropout:
    return outElements;
  case OpKind::Scan: // the body's, once per step
    return mulSat(graphFlops(node.attr().getGraph("body")),
                  node.result()->type().shape[0]);
  }
  __builtin_unreachable();
}

int64_t graphFlops(const Graph &g) {
  int64_t total = 0;
  for (const auto &node : g.nodes())
    total = addSat(total, nodeFlops(*node));
  return total;
}

} // namespace adjoint
