//===- GraphCopy.cpp - Deep copies of graphs ------------------------------===//
#include "ir/GraphCopy.h"

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

} // namespace adjoint
