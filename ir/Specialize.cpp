//===- Specialize.cpp - Graphs with their symbols bound -------------------===//
#include "ir/Specialize.h"

#include "ir/Error.h"
#include "ir/GraphCopy.h"
#include "ir/ShapeInference.h"
#include "ir/Verifier.h"

#include <algorithm>

namespace adjoint {

bool hasSymbols(const Graph &g) {
  for (const Value *v : g.inputs())
    if (!isStatic(v->type().shape))
      return true;
  return false;
}

std::vector<SymbolId> graphSymbols(const Graph &g) {
  std::vector<SymbolId> out;
  for (const Value *v : g.inputs())
    for (SymbolId s : shapeSymbols(v->type().shape))
      if (std::find(out.begin(), out.end(), s) == out.end())
        out.push_back(s);
  return out;
}

SymbolValues bindSymbols(const Graph &g,
                         const std::map<std::string, Tensor> &inputs) {
  SymbolValues values;
  for (const Value *v : g.inputs()) {
    auto it = inputs.find(v->name());
    if (it == inputs.end())
      continue;
    const TensorType &declared = v->type(), &got = it->second.type();
    std::string what = strCat("input %", v->name());
    if (got.dtype != declared.dtype)
      badInput(what, " expects ", typeStr(declared), ", got ", typeStr(got));
    unifyShape(declared.shape, got.shape, values, what);
  }
  return values;
}

Graph specialize(const Graph &g, const SymbolValues &values) {
  for (const auto &[symbol, value] : values)
    if (value <= 0)
      badInput("symbol ", symbolName(symbol), " = ", value,
               ": a symbolic dimension takes a positive value");
  Graph out(g.name());
  ValueMap map;
  for (const Value *v : g.inputs()) {
    TensorType t = v->type();
    t.shape = withContext(strCat("input %", v->name(), " (", typeStr(t), ")"),
                          [&] { return bindShape(t.shape, values); });
    withContext(strCat("input %", v->name()), [&] {
      checkType(t, "its type with " + symbolValuesStr(values));
    });
    map[v] = out.addInput(v->name(), t);
  }
  for (const Param &p : g.params()) {
    map[p.value] = out.addParam(p.value->name(), p.data.clone());
    out.params().back().init = p.init;
  }
  for (const auto &node : g.nodes()) {
    std::vector<Value *> operands;
    for (const Value *v : node->operands())
      operands.push_back(map.at(v));
    map[node->result()] =
        addRetyped(out, *node, std::move(operands), node->attrs(),
                   strCat(node->describe(), " with ", symbolValuesStr(values)));
  }
  for (const Output &o : g.outputs())
    out.addOutput(o.name, map.at(o.value));
  verify(out);
  return out;
}

void requireStatic(const Graph &g, const std::string &stage) {
  for (const Value *v : g.inputs())
    if (!isStatic(v->type().shape))
      badInput("model ", g.name(), " has symbolic dimensions (input %",
               v->name(), ": ", typeStr(v->type()), "); ", stage,
               " needs them bound: give a batch (--batch B, or inputs "
               "whose shapes bind them; specialize() in C++)");
}

std::string symbolValuesStr(const SymbolValues &values) {
  std::string out;
  for (const auto &[symbol, value] : values)
    out += (out.empty() ? "" : ", ") + symbolName(symbol) + " = " +
           std::to_string(value);
  return out;
}

} // namespace adjoint
