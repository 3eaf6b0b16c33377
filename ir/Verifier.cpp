//===- Verifier.cpp - Checks that a graph is well formed ------------------===//
#include "ir/Verifier.h"

#include "ir/Error.h"
#include "ir/Graph.h"
#include "ir/ShapeInference.h"
#include "ir/SymbolicDim.h"

#include <unordered_set>

namespace adjoint {

void verify(const Graph &g) {
  std::unordered_set<const Value *> defined;
  for (const Value *v : g.inputs()) {
    checkType(v->type(), "input %" + v->name());
    defined.insert(v);
  }
  std::unordered_set<SymbolId> inputSymbols;
  for (const Value *v : g.inputs())
    for (SymbolId s : shapeSymbols(v->type().shape))
      inputSymbols.insert(s);
  for (const Param &p : g.params()) {
    checkType(p.value->type(), "parameter %" + p.value->name());
    if (p.data.type() != p.value->type())
      badInput("parameter %", p.value->name(), ": data of type ",
               typeStr(p.data.type()), " does not match its declared type ",
               typeStr(p.value->type()));
    defined.insert(p.value);
  }
  for (const auto &node : g.nodes()) {
    std::vector<TensorType> operandTypes;
    for (const Value *operand : node->operands()) {
      if (!defined.count(operand))
        badInput(node->describe(), ": operand %", operand->name(),
                 " is used before it is defined");
      operandTypes.push_back(operand->type());
    }
    TensorType inferred = withContext(node->describe(), [&] {
      return inferType(node->op(), operandTypes, node->attrs());
    });
    if (inferred != node->result()->type())
      badInput(node->describe(), ": declared type ",
               typeStr(node->result()->type()), " but the operands give ",
               typeStr(inferred));
    // Symbols enter through the inputs only (a shape attribute may name
    // theirs, not others).
    for (SymbolId s : shapeSymbols(inferred.shape))
      if (!inputSymbols.count(s))
        badInput(node->describe(), ": its type ", typeStr(inferred),
                 " has the symbol ", symbolName(s),
                 ", which no input of the graph declares");
    defined.insert(node->result());
  }
  if (g.outputs().empty())
    badInput("graph ", g.name(), " has no outputs");
  for (const Output &o : g.outputs())
    if (!defined.count(o.value))
      badInput("output '", o.name, "' names a value that is not defined");
}

} // namespace adjoint
