//===- Specialize.cpp - Graphs with their symbols bound -------------------===//
#include "ir/Specialize.h"

#include "ir/Error.h"
#include "ir/GraphCopy.h"
#include "ir/ShapeInference.h"
#include "ir/Verifier.h"

#include <algorithm>
#include <limits>

namespace adjoint {

namespace {

/// Copies the parameters of `g` into `out` (data and recipe), mapped.
void copyParams(const Graph &g, Graph &out, ValueMap &map) {
  for (const Param &p : g.params()) {
    map[p.value] = out.addParam(p.value->name(), p.data.clone());
    out.params().back().init = p.init;
  }
}

} // namespace

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
  copyParams(g, out, map);
  for (const auto &node : g.nodes()) {
    std::vector<Value *> operands;
    for (const Value *v : node->operands())
      operands.push_back(map.at(v));
    // A shape attribute may name the inputs' symbols (rebatch() writes
    // them): it is bound too.
    Attributes attrs = node->attrs();
    if (const AttrValue *shape = attrs.find("shape");
        shape && std::holds_alternative<std::vector<int64_t>>(*shape) &&
        node->op() != OpKind::Reshape) {
      std::vector<int64_t> dims = std::get<std::vector<int64_t>>(*shape);
      attrs.set("shape", bindShape(dims, values));
    }
    map[node->result()] =
        addRetyped(out, *node, std::move(operands), std::move(attrs),
                   strCat(node->describe(), " with ", symbolValuesStr(values)));
  }
  for (const Output &o : g.outputs())
    out.addOutput(o.name, map.at(o.value));
  verify(out);
  return out;
}

namespace {

/// Rewrites the attributes of `node` that spell the old batch `b` as `n`:
/// a slice's ends past any extent; a shape attribute's extent where the old
/// result has the batch becomes the symbol (-1 in a reshape's target, whose
/// other extents are spelled out). False when none does.
bool spellBatch(const Node &node, Attributes &attrs, int64_t b, int64_t n) {
  const Shape &was = node.result()->type().shape;
  auto at = std::find(was.begin(), was.end(), b);
  if (node.op() == OpKind::Slice) {
    std::vector<int64_t> ends = node.attr().getInts("ends");
    std::replace(ends.begin(), ends.end(), b,
                 std::numeric_limits<int64_t>::max());
    attrs.set("ends", ends);
    return ends != node.attr().getInts("ends");
  }
  if (!attrs.find("shape") || at == was.end())
    return false;
  Shape shape = was;
  shape[at - was.begin()] = node.op() == OpKind::Reshape ? -1 : n;
  attrs.set("shape", shape);
  return true;
}

} // namespace

Graph generalizeBatch(const Graph &g, const std::string &features,
                      SymbolId symbol) {
  requireStatic(g, strCat("making the batch of %", features, " symbolic"));
  const Value *f = g.findValue(features);
  if (!f || f->kind() != ValueKind::Input || f->type().rank() == 0)
    badInput("model ", g.name(), " has no input %", features,
             " of rank >= 1 to take the batch from");
  int64_t b = f->type().shape[0], n = symbolicDim(symbol);
  Graph out(g.name());
  ValueMap map;
  for (const Value *v : g.inputs()) {
    TensorType t = v->type();
    if (t.rank() >= 1 && t.shape[0] == b)
      t.shape[0] = n;
    map[v] = out.addInput(v->name(), t);
  }
  copyParams(g, out, map);
  for (const auto &node : g.nodes()) {
    std::vector<Value *> operands;
    std::string types;
    for (const Value *v : node->operands()) {
      operands.push_back(map.at(v));
      types += (types.empty() ? "" : ", ") + typeStr(v->type());
    }
    std::string where = strCat(node->describe(), " on (", types, ") giving ",
                               typeStr(node->result()->type()));
    Attributes attrs = node->attrs();
    if (node->op() == OpKind::Iota && b != 1)
      spellBatch(*node, attrs, b, n);
    try {
      map[node->result()] = addRetyped(out, *node, operands, attrs, where);
    } catch (const Error &) {
      if (!spellBatch(*node, attrs, b, n))
        throw;
      map[node->result()] = addRetyped(out, *node, operands, attrs, where);
    }
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
