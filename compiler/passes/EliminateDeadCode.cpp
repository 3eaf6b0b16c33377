//===- EliminateDeadCode.cpp - Removal of nodes no output needs -----------===//
#include "compiler/passes/EliminateDeadCode.h"

#include "ir/GraphCopy.h"

#include <unordered_set>
#include <vector>

namespace adjoint {

namespace {

/// The nodes that an output or a side effect needs.
std::unordered_set<const Node *> liveNodes(const Graph &g) {
  std::unordered_set<const Node *> live;
  std::vector<const Node *> work;
  auto need = [&](const Value *v) {
    const Node *def = v->definingNode();
    if (def && live.insert(def).second)
      work.push_back(def);
  };
  for (const Output &o : g.outputs())
    need(o.value);
  for (const auto &node : g.nodes())
    if (opDef(node->op()).has(HasSideEffect))
      need(node->result());
  while (!work.empty()) {
    const Node *node = work.back();
    work.pop_back();
    for (const Value *v : node->operands())
      need(v);
  }
  return live;
}

} // namespace

void eliminateDeadCode(Graph &g) {
  std::unordered_set<const Node *> live = liveNodes(g);
  if (live.size() == g.nodes().size())
    return;
  GraphRebuilder rb(g);
  for (const auto &node : g.nodes())
    if (live.count(node.get()))
      rb.copy(*node);
  g = rb.finish();
}

} // namespace adjoint
