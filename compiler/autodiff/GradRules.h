//===- GradRules.h - The vector-Jacobian product of every op ----*- C++ -*-===//
//
// The pieces of the gradient transform that its tests reach into: the
// context a rule builds in, the rule table, and the driver with a
// replaceable table (to show the error for ops without a rule).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Builder.h"

#include <functional>

namespace adjoint::autodiff {

/// Zeros of `type`: a scalar broadcast to its shape.
Value *zerosOf(Builder &b, const TensorType &type);

/// What a rule sees: a Builder appending to the graph, the node being
/// differentiated, its result `y` and the gradient `dy` of the loss with
/// respect to `y` (of y's type). Rules build with the Builder's methods.
class GradContext : public Builder {
public:
  GradContext(Graph &g, const Node &node, Value *dy)
      : Builder(g), node(node), y(node.result()), dy(dy) {}

  const Node &node;
  Value *const y;
  Value *const dy;
  /// The gradients of every operand, for a rule that computes them all at
  /// once (a scan's reverse scan) on its first call.
  std::vector<Value *> all;

  /// Operand `i` of the node.
  Value *x(size_t i) const { return node.operand(i); }
  /// The shape of operand `i`.
  const Shape &xShape(size_t i) const { return node.operand(i)->type().shape; }
  /// A rank-0 constant of y's dtype, which broadcasts against anything.
  Value *c(double value) { return scalar(y->type().dtype, value); }
  /// Zeros of `type`.
  Value *zeros(const TensorType &type) { return zerosOf(*this, type); }
  /// `v` reshaped to `shape`, or `v` itself if it has that shape.
  Value *reshapeTo(Value *v, const Shape &shape) {
    return v->type().shape == shape ? v : reshape(v, shape);
  }
  /// `v` summed over the axes along which `shape` was broadcast to v's
  /// shape, and reshaped to `shape`.
  Value *reduceTo(Value *v, const Shape &shape);
  /// `v` reshaped so that the reduced axes of this (reduce_*) node are kept
  /// as size 1, to broadcast against the operand.
  Value *keepReducedDims(Value *v);
  /// `v` with its last two axes swapped.
  Value *transposeLast2(Value *v);
};

/// The gradient flowing to operand `i` of the context's node: a value of
/// the operand's type or, for a broadcasting operand, of the result's shape
/// (the driver sums it back to the operand's shape); null when none flows
/// (the operand gets no contribution from this node).
using GradRule = Value *(*)(GradContext &c, size_t i);

/// The rule of `op`, or null if `op` has no rule.
GradRule gradientRule(OpKind op);

/// Throws BadInput unless every `wrt` value is a float value of `g`.
void checkWrt(const Graph &g, const std::vector<Value *> &wrt);

/// The gradients of every operand of the scan `c.node`, computed by one
/// reverse scan (ScanGrad.cpp); null for operands without one.
std::vector<Value *> scanGradients(GradContext &c);

/// Throws BadInput unless `loss` is a float scalar; `label` names it.
void checkLoss(const Value *loss, const std::string &label);

/// appendGradients (Grad.h) with rules found by `lookup` instead of
/// gradientRule.
std::vector<Value *>
appendGradientsWith(Graph &g, Value *loss, const std::vector<Value *> &wrt,
                    const std::function<GradRule(OpKind)> &lookup);

} // namespace adjoint::autodiff
