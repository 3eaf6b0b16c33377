//===- TransposeParameters.cpp - Parameters transposed once, when compiled ===//
#include "compiler/passes/TransposeParameters.h"

#include "ir/GraphCopy.h"
#include "ir/Interpreter.h"
#include "runtime/Gemm.h"

#include <string>
#include <unordered_map>
#include <unordered_set>

namespace adjoint {

void transposeParameters(Graph &g) {
  std::unordered_map<const Value *, const Param *> params;
  for (const Param &p : g.params())
    if (p.data.hasStorage())
      params[p.value] = &p;
  // A transpose that is itself a graph output stays a node.
  std::unordered_set<const Value *> outputs;
  for (const Output &o : g.outputs())
    outputs.insert(o.value);
  // A product of a few rows reads a transposed weight faster as it is
  // (dot products along its rows, no packing) than the transposed copy:
  // such a transpose stays, as for a batch-1 dense layer.
  std::unordered_set<const Value *> fewRows;
  for (const auto &node : g.nodes())
    if (node->op() == OpKind::MatMul) {
      const Shape &a = node->operand(0)->type().shape;
      int64_t rows = a.size() >= 2 ? a[a.size() - 2] : 1;
      if (rows <= rt::kDotRows)
        fewRows.insert(node->operand(1));
    }
  auto folds = [&](const Node &node) {
    return node.op() == OpKind::Transpose && params.count(node.operand(0)) &&
           !outputs.count(node.result()) && !fewRows.count(node.result());
  };
  bool any = false;
  for (const auto &node : g.nodes())
    any |= folds(*node);
  if (!any)
    return;
  GraphRebuilder rb(g);
  for (const auto &node : g.nodes()) {
    if (!folds(*node)) {
      rb.copy(*node);
      continue;
    }
    auto it = params.find(node->operand(0));
    const Tensor operands[] = {it->second->data};
    Tensor data = evaluate(OpKind::Transpose, operands, node->attrs(),
                           node->result()->type());
    std::string name = it->second->value->name() + ".T";
    while (rb.graph().findValue(name) || g.findValue(name))
      name += "'";
    rb.map(node->result(), rb.graph().addParam(name, std::move(data)));
  }
  g = rb.finish();
}

} // namespace adjoint
