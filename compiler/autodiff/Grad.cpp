//===- Grad.cpp - Symbolic differentiation of graphs ----------------------===//
//
// The driver of the gradient transform: it checks the request, finds the
// nodes that lie between the wrt values and the loss, and walks them in
// reverse, asking each op's rule (GradRules.cpp) for the gradients of its
// operands and summing what reaches each value (the gradients of slices
// that tile an axis are concatenated instead).
//
//===----------------------------------------------------------------------===//
#include "compiler/autodiff/Grad.h"

#include "compiler/autodiff/GradRules.h"
#include "compiler/passes/ScanBodies.h"
#include "compiler/passes/Slabs.h"
#include "ir/Error.h"
#include "ir/GraphCopy.h"
#include "ir/ShapeInference.h"
#include "ir/Specialize.h"

#include <algorithm>
#include <cassert>
#include <map>
#include <optional>
#include <unordered_map>
#include <unordered_set>

namespace adjoint {

namespace autodiff {

namespace {

/// "'name' (f32[2,3])" for errors.
std::string describeValue(const Value *v) {
  return strCat("'", v->name(), "' (", typeStr(v->type()), ")");
}

} // namespace

void checkLoss(const Value *loss, const std::string &label) {
  if (!isFloat(loss->type().dtype))
    badInput("grad: the loss ", label, " (", typeStr(loss->type()),
             ") must have a float type (f32, f64)");
  if (loss->type().rank() != 0)
    badInput("grad: the loss ", label, " (", typeStr(loss->type()),
             ") must be a scalar (reduce it to one value first, for instance "
             "with reduce_mean)");
}

void checkWrt(const Graph &g, const std::vector<Value *> &wrt) {
  for (const Value *v : wrt) {
    if (g.findValue(v->name()) != v)
      badInput("grad: the value ", describeValue(v),
               " to differentiate with respect to is not in graph '", g.name(),
               "'");
    if (!isFloat(v->type().dtype))
      badInput("grad: cannot differentiate with respect to ", describeValue(v),
               ": only float values have gradients");
  }
}

namespace {

/// The values that depend on a wrt value through float values: only they
/// can carry a gradient.
std::unordered_set<const Value *>
activeValues(const Graph &g, const std::vector<Value *> &wrt) {
  std::unordered_set<const Value *> active(wrt.begin(), wrt.end());
  for (const auto &node : g.nodes()) {
    if (!isFloat(node->result()->type().dtype))
      continue;
    for (const Value *v : node->operands())
      if (active.count(v)) {
        active.insert(node->result());
        break;
      }
  }
  return active;
}

/// The nodes whose result depends on a wrt value and that the loss depends
/// on, in graph order.
std::vector<const Node *>
pathNodes(const Graph &g, const Value *loss,
          const std::unordered_set<const Value *> &active) {
  std::unordered_set<const Value *> needed = {loss};
  std::vector<const Node *> path;
  for (auto it = g.nodes().rbegin(); it != g.nodes().rend(); ++it) {
    const Node *node = it->get();
    if (!needed.count(node->result()))
      continue;
    for (const Value *v : node->operands())
      needed.insert(v);
    if (active.count(node->result()))
      path.push_back(node);
  }
  return {path.rbegin(), path.rend()};
}

/// Throws one error naming every op on the path that has no rule, with the
/// nodes that use it.
void checkRules(const std::vector<const Node *> &path,
                const std::function<GradRule(OpKind)> &lookup) {
  std::map<std::string, std::vector<std::string>> missing; // op -> nodes
  for (const Node *node : path)
    if (!lookup(node->op()))
      missing[std::string(opName(node->op()))].push_back(
          "%" + node->result()->name());
  if (missing.empty())
    return;
  std::string list;
  for (const auto &[op, nodes] : missing) {
    list += strCat(list.empty() ? "" : "; ", op, " (node",
                   nodes.size() > 1 ? "s" : "", " ");
    for (size_t i = 0; i < nodes.size(); ++i)
      list += (i ? ", " : "") + nodes[i];
    list += ")";
  }
  badInput("grad: no gradient rule for ", missing.size(), " op",
           missing.size() > 1 ? "s" : "", " between the loss and the wrt ",
           "values: ", list);
}

void checkRequest(const Graph &g, const Value *loss,
                  const std::vector<Value *> &wrt) {
  checkLoss(loss, "%" + loss->name());
  checkWrt(g, wrt);
}

/// Where a slice's cotangent goes in its operand's: the slab of `axis`
/// it fills, zero elsewhere.
struct SliceSlab {
  size_t axis = 0;
  Slab<Value *> slab;
};

/// The slab of a slice `node` along one axis with unit steps, whose
/// cotangent is `dy`; none for other slices and other ops.
std::optional<SliceSlab> sliceSlab(const Node &node, Value *dy) {
  if (node.op() != OpKind::Slice)
    return std::nullopt;
  const Shape &shape = node.operand(0)->type().shape;
  SliceDims s = normalizeSlice(node.attr(), shape);
  std::optional<SliceSlab> slab;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (s.start[d] == 0 && s.step[d] == 1 && s.count[d] == shape[d])
      continue;
    if (slab || s.step[d] != 1 || s.count[d] == 0)
      return std::nullopt;
    slab = SliceSlab{d, {s.start[d], s.start[d] + s.count[d], dy}};
  }
  return slab;
}

/// The tensor of `type` that is each slab's cotangent on its part of their
/// common axis and zero elsewhere, as one concatenation; null unless the
/// slabs share the axis and do not overlap.
Value *concatOfSlabs(Builder &b, const TensorType &type,
                     const std::vector<SliceSlab> &slices) {
  size_t axis = slices[0].axis;
  std::vector<Slab<Value *>> slabs;
  for (const SliceSlab &s : slices) {
    if (s.axis != axis)
      return nullptr;
    slabs.push_back(s.slab);
  }
  if (!sortDisjoint(slabs))
    return nullptr;
  return b.concat(slabPieces<Value *>(
                      slabs, type, axis,
                      [&](const TensorType &t) { return zerosOf(b, t); },
                      [](const Slab<Value *> &slab) { return slab.inside; }),
                  (int64_t)axis);
}

/// The vector-Jacobian product: d(sum(seed * y))/d(v) for each v of `wrt`,
/// with `seed` of y's type, or 1 when null (for a loss; made once the
/// checks pass, so that an error appends nothing).
std::vector<Value *>
appendVjpWith(Graph &g, Value *y, Value *seed, const std::vector<Value *> &wrt,
              const std::function<GradRule(OpKind)> &lookup) {
  const Value *loss = y;
  std::unordered_set<const Value *> active = activeValues(g, wrt);
  std::vector<const Node *> path = pathNodes(g, loss, active);
  checkRules(path, lookup);

  Builder b(g);
  // What reaches each value, in order, kept apart until the value's
  // gradient is read (at the node that defines it, or at the end): a
  // gradient, or the cotangent of a slice along one axis, which is zero
  // outside the slab the slice took.
  struct Part {
    Value *grad = nullptr;
    const Node *slice = nullptr;
    SliceSlab slab;
  };
  std::unordered_map<const Value *, std::vector<Part>> parts;
  auto materialize = [&](const Part &p) {
    if (p.grad)
      return p.grad;
    GradContext ctx(g, *p.slice, p.slab.slab.inside);
    return lookup(OpKind::Slice)(ctx, 0);
  };
  // Slabs that tile an axis are one concatenation (zeros in the gaps): a
  // sum of zero-padded tensors would be a full pass per slab, and adding
  // the pads' zeros turns -0 into +0, so simplification cannot undo it.
  // Anything else is summed in the order it came.
  auto gradientOf = [&](const Value *v) -> Value * {
    auto it = parts.find(v);
    if (it == parts.end())
      return nullptr;
    std::vector<Part> &ps = it->second;
    if (ps.size() == 1 && ps[0].grad)
      return ps[0].grad;
    std::vector<SliceSlab> slabs;
    for (const Part &p : ps)
      if (p.slice)
        slabs.push_back(p.slab);
    Value *sum = nullptr;
    if (slabs.size() == ps.size() && slabs.size() > 1)
      sum = concatOfSlabs(b, v->type(), slabs);
    if (!sum)
      for (const Part &p : ps)
        sum = sum ? b.add(sum, materialize(p)) : materialize(p);
    ps = {Part{sum, nullptr, {}}};
    return sum;
  };
  parts[loss].push_back(
      {seed ? seed : b.scalar(loss->type().dtype, 1), nullptr, {}});

  // `path` was taken before any node was appended, so the walk only visits
  // the original nodes.
  for (auto it = path.rbegin(); it != path.rend(); ++it) {
    const Node *node = *it;
    Value *dy = gradientOf(node->result());
    if (!dy)
      continue; // no gradient reached it (cut by stop_gradient, say)
    GradRule rule = lookup(node->op());
    GradContext ctx(g, *node, dy);
    for (size_t i = 0; i < node->operands().size(); ++i) {
      const Value *operand = node->operand(i);
      if (!active.count(operand))
        continue;
      if (std::optional<SliceSlab> slab = sliceSlab(*node, dy)) {
        parts[operand].push_back({nullptr, node, *slab});
        continue;
      }
      Value *grad = withContext(strCat("grad: ", node->describe()),
                                [&] { return rule(ctx, i); });
      if (!grad)
        continue;
      if (grad->type().shape != operand->type().shape)
        grad = ctx.reduceTo(grad, operand->type().shape);
      assert(grad->type() == operand->type() &&
             "a gradient rule gave a gradient of the wrong type");
      parts[operand].push_back({grad, nullptr, {}});
    }
  }

  std::vector<Value *> result;
  for (Value *v : wrt) {
    if (Value *grad = gradientOf(v)) {
      result.push_back(grad);
    } else {
      // The loss does not depend on v: its gradient is zero.
      result.push_back(zerosOf(b, v->type()));
    }
  }
  return result;
}

} // namespace

std::vector<Value *>
appendGradientsWith(Graph &g, Value *loss, const std::vector<Value *> &wrt,
                    const std::function<GradRule(OpKind)> &lookup) {
  checkRequest(g, loss, wrt);
  // d(loss)/d(loss) = 1
  return appendVjpWith(g, loss, nullptr, wrt, lookup);
}

} // namespace autodiff

std::vector<Value *> appendVjp(Graph &g, Value *y, Value *seed,
                               const std::vector<Value *> &wrt) {
  if (seed->type() != y->type())
    badInput("vjp: the seed ", typeStr(seed->type()), " differs from %",
             y->name(), "'s type ", typeStr(y->type()));
  autodiff::checkWrt(g, wrt);
  return autodiff::appendVjpWith(g, y, seed, wrt, autodiff::gradientRule);
}

std::vector<Value *> appendGradients(Graph &g, Value *loss,
                                     const std::vector<Value *> &wrt) {
  return autodiff::appendGradientsWith(g, loss, wrt, autodiff::gradientRule);
}

Graph gradientGraph(const Graph &model, const std::string &lossOutput,
                    std::vector<std::string> wrt) {
  requireStatic(model, "differentiation");
  // Scans' invariant work hoisted first, as the trainer does
  // (hoistScanInvariants); every value keeps its name.
  std::optional<Graph> hoisted;
  if (hasScan(model)) {
    hoisted = copyGraph(model);
    hoistScanInvariants(*hoisted);
  }
  const Graph &g = hoisted ? *hoisted : model;
  const Output *loss = nullptr;
  std::string names;
  for (const Output &o : g.outputs()) {
    names += (names.empty() ? "" : ", ") + o.name;
    if (o.name == lossOutput)
      loss = &o;
  }
  if (!loss)
    badInput("grad: the loss '", lossOutput, "' is not an output of graph '",
             g.name(), "' (outputs: ", names, ")");
  if (wrt.empty()) {
    for (const Param &p : g.params())
      if (isFloat(p.value->type().dtype))
        wrt.push_back(p.value->name());
    if (wrt.empty())
      badInput("grad: graph '", g.name(),
               "' has no float parameter; name the inputs to differentiate "
               "with respect to");
  }

  ValueMap map;
  Graph out = copyGraph(g, &map, /*withOutputs=*/false);
  out.setName(g.name() + "_grad");
  std::vector<Value *> wrtValues;
  for (size_t i = 0; i < wrt.size(); ++i)
    if (std::find(wrt.begin(), wrt.begin() + i, wrt[i]) != wrt.begin() + i)
      badInput("grad: '", wrt[i],
               "' is named twice to differentiate with respect to");
  for (const std::string &name : wrt) {
    Value *v = out.findValue(name);
    if (!v || v->kind() == ValueKind::NodeResult)
      badInput("grad: cannot differentiate with respect to '", name,
               "': graph '", g.name(),
               "' has no input or parameter of that name");
    wrtValues.push_back(v);
  }
  Value *lossValue = map.at(loss->value);
  autodiff::checkLoss(lossValue, "'" + lossOutput + "'");
  std::vector<Value *> grads = appendGradients(out, lossValue, wrtValues);
  out.addOutput(lossOutput, lossValue);
  for (size_t i = 0; i < wrt.size(); ++i)
    out.addOutput("grad." + wrt[i], grads[i]);
  return out;
}

} // namespace adjoint
