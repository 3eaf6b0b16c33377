//===- GraphCopy.cpp - Deep copies of graphs ------------------------------===//
#include "ir/GraphCopy.h"

#include "ir/Builder.h"
#include "ir/Error.h"
#include "ir/Scan.h"
#include "ir/ShapeInference.h"

#include <cassert>

namespace adjoint {

namespace {

/// `attrs` with every tensor value cloned, so the copy shares no storage.
Attributes cloneAttributes(const Attributes &attrs) {
  Attributes out;
  for (const auto &[name, value] : attrs) {
    if (const Tensor *t = std::get_if<Tensor>(&value))
      out.set(name, t->clone());
    else
      out.set(name, value);
  }
  return out;
}

} // namespace

Graph copyGraph(const Graph &g, ValueMap *map, bool withOutputs) {
  Graph out(g.name());
  ValueMap local;
  ValueMap &m = map ? *map : local;
  auto mapped = [&](const Value *v) {
    auto it = m.find(v);
    assert(it != m.end() && "operand used before its definition");
    return it->second;
  };

  for (const Value *v : g.inputs())
    m[v] = out.addInput(v->name(), v->type());
  for (const Param &p : g.params()) {
    // The data is copied as it is, not materialized again from the recipe:
    // a trained parameter keeps its recipe but no longer equals it.
    Value *v = out.addParam(p.value->name(), p.data.clone());
    out.params().back().init = p.init;
    m[p.value] = v;
  }
  for (const auto &node : g.nodes()) {
    std::vector<Value *> operands;
    for (const Value *v : node->operands())
      operands.push_back(mapped(v));
    Node *copy = out.addNode(node->op(), std::move(operands),
                             cloneAttributes(node->attrs()),
                             node->result()->name(), node->result()->type());
    m[node->result()] = copy->result();
  }
  if (withOutputs)
    for (const Output &o : g.outputs())
      out.addOutput(o.name, mapped(o.value));
  return out;
}

GraphRebuilder::GraphRebuilder(const Graph &old) : old_(old), out_(old.name()) {
  for (const Value *v : old.inputs())
    map_[v] = out_.addInput(v->name(), v->type());
  for (const Param &p : old.params()) {
    Value *v = out_.addParam(p.value->name(), p.data.clone());
    out_.params().back().init = p.init;
    map_[p.value] = v;
  }
}

Value *GraphRebuilder::mapped(const Value *v) const {
  auto it = map_.find(v);
  assert(it != map_.end() && "value used before it was mapped");
  return it->second;
}

std::vector<Value *> GraphRebuilder::mappedOperands(const Node &node) const {
  std::vector<Value *> operands;
  for (const Value *v : node.operands())
    operands.push_back(mapped(v));
  return operands;
}

void GraphRebuilder::map(const Value *v, Value *now) {
  assert(v->type() == now->type() && "a value replaced by another type");
  map_[v] = now;
}

Value *GraphRebuilder::copy(const Node &node) {
  return copy(node, mappedOperands(node));
}

Value *GraphRebuilder::copy(const Node &node, std::vector<Value *> operands) {
  Value *v = add(node.op(), std::move(operands), cloneAttributes(node.attrs()),
                 node.result()->type(), node.result()->name());
  map_[node.result()] = v;
  return v;
}

Value *GraphRebuilder::add(OpKind op, std::vector<Value *> operands,
                           Attributes attrs, const TensorType &type,
                           const std::string &name) {
  return out_
      .addNode(op, std::move(operands), std::move(attrs),
               name.empty() ? freshName() : name, type)
      ->result();
}

std::string GraphRebuilder::freshName() {
  // Graph::freshName never repeats itself, so this ends.
  std::string name = out_.freshName();
  while (old_.findValue(name))
    name = out_.freshName();
  return name;
}

Graph GraphRebuilder::finish() {
  for (const Output &o : old_.outputs())
    out_.addOutput(o.name, mapped(o.value));
  return std::move(out_);
}

void inlineNodes(Builder &b, const Graph &g, ValueMap &map) {
  for (const auto &node : g.nodes()) {
    std::vector<Value *> operands;
    for (const Value *v : node->operands())
      operands.push_back(map.at(v));
    map[node->result()] = b.op(node->op(), std::move(operands), node->attrs());
  }
}

Graph retypeGraph(const Graph &g, std::span<const TensorType> inputTypes) {
  assert(inputTypes.size() == g.inputs().size() && "one type per input");
  Graph out(g.name());
  ValueMap map;
  for (size_t i = 0; i < g.inputs().size(); ++i)
    map[g.inputs()[i]] = out.addInput(g.inputs()[i]->name(), inputTypes[i]);
  for (const Param &p : g.params()) {
    map[p.value] = out.addParam(p.value->name(), p.data.clone());
    out.params().back().init = p.init;
  }
  for (const auto &node : g.nodes()) {
    std::vector<Value *> operands;
    for (const Value *v : node->operands())
      operands.push_back(map.at(v));
    map[node->result()] = addRetyped(out, *node, std::move(operands),
                                     node->attrs(), node->describe());
  }
  for (const Output &o : g.outputs())
    out.addOutput(o.name, map.at(o.value));
  return out;
}

namespace {

/// A scan's attributes with its body retyped for operands of `types`,
/// when they differ from the body's inputs.
void retypeScanBody(Attributes &attrs, std::span<const TensorType> types) {
  AttrReader r(OpKind::Scan, attrs);
  const Graph &body = r.getGraph("body");
  if (body.inputs().size() != types.size())
    return; // inferType says what is wrong
  ScanRoles roles = scanRoles(r, types);
  std::vector<TensorType> want(types.begin(), types.end());
  bool same = true;
  for (size_t i = 0; i < types.size(); ++i) {
    if (i >= roles.firstSequence() && i < roles.firstInvariant())
      want[i] = sliceType(types[i]);
    same = same && want[i] == body.inputs()[i]->type();
  }
  if (!same)
    attrs.set("body", SubGraph(std::make_shared<Graph>(
                          withContext("scan: body " + body.name(), [&] {
                            return retypeGraph(body, want);
                          }))));
}

} // namespace

Value *addRetyped(Graph &out, const Node &node, std::vector<Value *> operands,
                  Attributes attrs, const std::string &context) {
  std::vector<TensorType> types;
  for (const Value *v : operands)
    types.push_back(v->type());
  if (node.op() == OpKind::Scan)
    withContext(context, [&] { retypeScanBody(attrs, types); });
  TensorType type =
      withContext(context, [&] { return inferType(node.op(), types, attrs); });
  return out
      .addNode(node.op(), std::move(operands), std::move(attrs),
               node.result()->name(), type)
      ->result();
}

} // namespace adjoint
