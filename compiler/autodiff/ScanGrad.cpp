//===- ScanGrad.cpp - The gradient of a scan: a reverse scan --------------===//
//
// The forward scan keeps the state after every step: its result. The
// gradient runs the steps again in the opposite order as one scan whose
// body is the forward body followed by its vector-Jacobian product:
//
//   carry_{T} = 0
//   g_t = dY[t] + carry_{t+1}.state      cotangent of the state after step t
//   (d state_t, d x_t, d w_t) = vjp(body at state_t, x_t, w)(g_t)
//   carry_t = pack(d state_t, d x_t, d w_t)
//
// The carry packs every gradient of a step flat into one vector, as a scan
// has one state: row t of the reverse scan's result holds step t's. d init
// is the state part of the last row written, d seq the x parts stacked, and
// d w the w parts summed over the steps. The body's intermediates are
// recomputed from the saved state in each reverse step (one forward step
// more per step); the states themselves are never recomputed.
//
//===----------------------------------------------------------------------===//
#include "compiler/autodiff/Grad.h"
#include "compiler/autodiff/GradRules.h"

#include "ir/Error.h"
#include "ir/GraphCopy.h"
#include "ir/Scan.h"

#include <memory>

namespace adjoint::autodiff {

namespace {

/// `name`, or `name` with a number appended when `g` already has it.
std::string freeName(const Graph &g, const std::string &name) {
  std::string candidate = name;
  for (int i = 1; g.findValue(candidate); ++i)
    candidate = name + "." + std::to_string(i);
  return candidate;
}

/// Appends the nodes of `body` to `b`'s graph with its inputs bound to
/// `inputs`; returns the value of its one output.
Value *inlineBody(Builder &b, const Graph &body,
                  const std::vector<Value *> &inputs) {
  ValueMap map;
  for (size_t i = 0; i < inputs.size(); ++i)
    map[body.inputs()[i]] = inputs[i];
  for (const auto &node : body.nodes()) {
    std::vector<Value *> operands;
    for (const Value *v : node->operands())
      operands.push_back(map.at(v));
    map[node->result()] = b.op(node->op(), std::move(operands), node->attrs());
  }
  return map.at(body.outputs()[0].value);
}

/// `v` flattened to one axis.
Value *flat(Builder &b, Value *v) {
  int64_t n = v->type().numElements();
  return v->type().shape == Shape{n} ? v : b.reshape(v, {n});
}

} // namespace

std::vector<Value *> scanGradients(GradContext &c) {
  const Node &node = c.node;
  AttrReader r = node.attr();
  const Graph &body = r.getGraph("body");
  std::vector<TensorType> types;
  for (const Value *v : node.operands())
    types.push_back(v->type());
  ScanRoles roles = scanRoles(r, types);
  const TensorType &state = types[0];
  const DType dtype = state.dtype;
  auto isSequence = [&](size_t i) {
    return i >= roles.firstSequence() && i < roles.firstInvariant();
  };

  // The operands that get a gradient: the float ones, all of the state's
  // dtype (the carry packs them into one vector).
  std::vector<size_t> wrt;
  std::vector<int64_t> offsets;
  int64_t packed = 0;
  for (size_t i = 0; i < types.size(); ++i) {
    if (!isFloat(types[i].dtype))
      continue;
    if (types[i].dtype != dtype)
      badInput(node.describe(), ": operand ", i, " is ", typeStr(types[i]),
               " but the state is ", typeStr(state),
               "; a scan's gradient needs its float operands in one dtype");
    wrt.push_back(i);
    offsets.push_back(packed);
    packed += (isSequence(i) ? sliceType(types[i]) : types[i]).numElements();
  }

  // The reverse body: (carry, dY[t], state_t, x_t..., w...) -> carry.
  auto grad = std::make_shared<Graph>(body.name() + "_grad");
  Builder gb(*grad);
  Value *carry = gb.input("carry", {dtype, {packed}});
  Value *next = gb.input(freeName(*grad, "d_next"), state);
  std::vector<Value *> step;
  for (size_t i = 0; i < types.size(); ++i)
    step.push_back(gb.input(freeName(*grad, body.inputs()[i]->name()),
                            body.inputs()[i]->type()));
  Value *y = inlineBody(gb, body, step);
  Value *carried = gb.slice(carry, {0}, {state.numElements()});
  Value *seed = gb.add(next, gb.reshape(carried, state.shape));
  std::vector<Value *> wrtValues;
  for (size_t i : wrt)
    wrtValues.push_back(step[i]);
  std::vector<Value *> parts = appendVjp(*grad, y, seed, wrtValues);
  for (Value *&p : parts)
    p = flat(gb, p);
  gb.output("carry", parts.size() == 1 ? parts[0] : gb.concat(parts, 0));

  // The states before each step: state_t for the step that writes row t.
  Value *all = c.y;
  int64_t length = roles.length;
  Shape one = state.shape;
  one.insert(one.begin(), 1);
  Value *first = c.reshape(c.x(0), one);
  Value *before;
  if (length == 1)
    before = first;
  else if (!roles.reverse)
    before = c.concat({first, c.slice(all, {0}, {length - 1})}, 0);
  else
    before = c.concat({c.slice(all, {1}, {length}), first}, 0);

  std::vector<Value *> operands = {c.zeros({dtype, {packed}}), c.dy, before};
  for (size_t i = 1; i < types.size(); ++i)
    operands.push_back(c.x(i));
  Attributes attrs;
  attrs.set("body", SubGraph(grad));
  attrs.set("sequences", (int64_t)(2 + roles.sequences));
  attrs.set("reverse", !roles.reverse);
  Value *rows = c.op(OpKind::Scan, operands, attrs);

  std::vector<Value *> grads(types.size(), nullptr);
  for (size_t k = 0; k < wrt.size(); ++k) {
    size_t i = wrt[k];
    int64_t n = (isSequence(i) ? sliceType(types[i]) : types[i]).numElements();
    int64_t begin = offsets[k];
    if (i == 0) {
      // The reverse scan's last step writes row 0 (row T-1 in reverse).
      int64_t row = roles.reverse ? length - 1 : 0;
      Value *last = c.slice(rows, {row, begin}, {row + 1, begin + n});
      grads[i] = c.reshape(last, state.shape);
      continue;
    }
    Value *part = c.slice(rows, {0, begin}, {length, begin + n});
    if (isSequence(i))
      grads[i] = c.reshape(part, types[i].shape);
    else
      grads[i] =
          c.reshape(c.reduceSum(part, std::vector<int64_t>{0}), types[i].shape);
  }
  return grads;
}

} // namespace adjoint::autodiff
