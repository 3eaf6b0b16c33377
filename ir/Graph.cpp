//===- Graph.cpp - The in-memory IR: graphs, nodes and values -------------===//
#include "ir/Graph.h"

#include "ir/Error.h"

#include <algorithm>

namespace adjoint {

std::string Node::describe() const {
  return strCat("node %", result_->name(), " (", opName(op_), ")");
}

Value *Graph::newValue(const std::string &name, const TensorType &type,
                       ValueKind kind, Node *def) {
  if (name.empty())
    badInput("a value must have a name");
  if (byName_.count(name))
    badInput("value %", name, " is defined twice");
  values_.push_back(std::unique_ptr<Value>(new Value(name, type, kind, def)));
  Value *v = values_.back().get();
  byName_[name] = v;
  return v;
}

Value *Graph::addInput(const std::string &name, const TensorType &type) {
  checkType(type, "input %" + name);
  Value *v = newValue(name, type, ValueKind::Input, nullptr);
  inputs_.push_back(v);
  return v;
}

Value *Graph::addParam(const std::string &name, Tensor data) {
  checkType(data.type(), "parameter %" + name);
  Value *v = newValue(name, data.type(), ValueKind::Param, nullptr);
  params_.push_back(Param{v, std::move(data), std::nullopt});
  return v;
}

Value *Graph::addParam(const std::string &name, const TensorType &type,
                       const InitSpec &init) {
  checkType(type, "parameter %" + name);
  // The initializer is materialized now: a parameter larger than the
  // machine's memory is an error that says so, not an allocation failure
  // (found by fuzz_LoadTextIr).
  uint64_t memory = physicalMemory();
  if ((uint64_t)type.byteSize() > memory)
    badInput("parameter %", name, ": initializing ", typeStr(type), " (",
             type.byteSize(), " bytes) would exceed this machine's ", memory,
             " bytes of memory");
  Tensor data = withContext("parameter %" + name,
                            [&] { return materialize(init, type); });
  Value *v = newValue(name, type, ValueKind::Param, nullptr);
  params_.push_back(Param{v, std::move(data), init});
  return v;
}

Node *Graph::addNode(OpKind op, std::vector<Value *> operands, Attributes attrs,
                     const std::string &resultName,
                     const TensorType &resultType) {
  auto node = std::make_unique<Node>();
  node->op_ = op;
  node->operands_ = std::move(operands);
  node->attrs_ = std::move(attrs);
  std::string name = resultName.empty() ? freshName() : resultName;
  node->result_ = newValue(name, resultType, ValueKind::NodeResult, node.get());
  nodes_.push_back(std::move(node));
  return nodes_.back().get();
}

void Graph::addOutput(const std::string &name, Value *value) {
  if (name.empty())
    badInput("an output must have a name");
  for (const Output &o : outputs_)
    if (o.name == name)
      badInput("output '", name, "' is declared twice");
  outputs_.push_back(Output{name, value});
}

Value *Graph::findValue(const std::string &name) const {
  auto it = byName_.find(name);
  return it == byName_.end() ? nullptr : it->second;
}

const Param *Graph::findParam(const Value *v) const {
  for (const Param &p : params_)
    if (p.value == v)
      return &p;
  return nullptr;
}

std::string Graph::freshName() {
  while (byName_.count(std::to_string(nextTemp_)))
    ++nextTemp_;
  return std::to_string(nextTemp_++);
}

void Graph::replaceUses(const Value *from, Value *to) {
  for (auto &node : nodes_)
    for (Value *&v : node->operands_)
      if (v == from)
        v = to;
  for (Output &o : outputs_)
    if (o.value == from)
      o.value = to;
}

void Graph::moveNodesBefore(size_t first, const Node *pos) {
  auto at = std::find_if(nodes_.begin(), nodes_.end(),
                         [&](const auto &n) { return n.get() == pos; });
  std::rotate(at, nodes_.begin() + (std::ptrdiff_t)first, nodes_.end());
}

namespace {

bool sameValue(const Value *a, const Value *b) {
  return a->name() == b->name() && a->type() == b->type();
}

} // namespace

bool graphsIdentical(const Graph &a, const Graph &b, bool reshapeTargets) {
  if (a.name() != b.name() || a.inputs().size() != b.inputs().size() ||
      a.params().size() != b.params().size() ||
      a.nodes().size() != b.nodes().size() ||
      a.outputs().size() != b.outputs().size())
    return false;
  for (size_t i = 0; i < a.inputs().size(); ++i)
    if (!sameValue(a.inputs()[i], b.inputs()[i]))
      return false;
  for (size_t i = 0; i < a.params().size(); ++i)
    if (!sameValue(a.params()[i].value, b.params()[i].value) ||
        !a.params()[i].data.identical(b.params()[i].data))
      return false;
  for (size_t i = 0; i < a.nodes().size(); ++i) {
    const Node &x = *a.nodes()[i], &y = *b.nodes()[i];
    if (x.op() != y.op() || !sameValue(x.result(), y.result()) ||
        x.operands().size() != y.operands().size())
      return false;
    if ((reshapeTargets || x.op() != OpKind::Reshape) &&
        !(x.attrs() == y.attrs()))
      return false;
    for (size_t j = 0; j < x.operands().size(); ++j)
      if (x.operand(j)->name() != y.operand(j)->name())
        return false;
  }
  for (size_t i = 0; i < a.outputs().size(); ++i)
    if (a.outputs()[i].name != b.outputs()[i].name ||
        a.outputs()[i].value->name() != b.outputs()[i].value->name())
      return false;
  return true;
}

} // namespace adjoint
