//===- Graph.h - The in-memory IR: graphs, nodes and values ---------------===//
//
// A Graph has named inputs, parameters (with initial values), nodes in
// topological order and named outputs. It is in SSA form: every Value is
// defined once, by an input, a parameter or a node, and carries a static
// TensorType.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Attribute.h"
#include "ir/Initializer.h"
#include "ir/OpTable.h"
#include "ir/TensorType.h"

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace adjoint {

class Node;

/// Where a value comes from.
enum class ValueKind { Input, Param, NodeResult };

/// An SSA value.
class Value {
public:
  const std::string &name() const { return name_; }
  const TensorType &type() const { return type_; }
  ValueKind kind() const { return kind_; }
  /// The node that defines this value, or null for inputs and parameters.
  Node *definingNode() const { return def_; }

private:
  friend class Graph;
  Value(std::string name, TensorType type, ValueKind kind, Node *def)
      : name_(std::move(name)), type_(std::move(type)), kind_(kind), def_(def) {
  }
  std::string name_;
  TensorType type_;
  ValueKind kind_;
  Node *def_;
};

/// One operation applied to operands, defining one result value.
class Node {
public:
  OpKind op() const { return op_; }
  const std::vector<Value *> &operands() const { return operands_; }
  Value *operand(size_t i) const { return operands_[i]; }
  const Attributes &attrs() const { return attrs_; }
  AttrReader attr() const { return AttrReader(op_, attrs_); }
  Value *result() const { return result_; }
  /// "%name (op)", for error messages.
  std::string describe() const;

private:
  friend class Graph;
  OpKind op_;
  std::vector<Value *> operands_;
  Attributes attrs_;
  Value *result_ = nullptr;
};

/// A parameter: a value with an initial value, kept as data and, when it was
/// given as a recipe, also as that recipe (so files round-trip unchanged).
struct Param {
  Value *value;
  Tensor data;
  std::optional<InitSpec> init;
};

/// A named graph output.
struct Output {
  std::string name;
  Value *value;
};

class Graph {
public:
  explicit Graph(std::string name = "main") : name_(std::move(name)) {}
  Graph(const Graph &) = delete;
  Graph &operator=(const Graph &) = delete;
  Graph(Graph &&) = default;
  Graph &operator=(Graph &&) = default;

  const std::string &name() const { return name_; }
  void setName(std::string name) { name_ = std::move(name); }

  /// Adds an input. Throws BadInput if the name is taken or the type invalid.
  Value *addInput(const std::string &name, const TensorType &type);
  /// Adds a parameter with literal data (whose type gives the value's type).
  Value *addParam(const std::string &name, Tensor data);
  /// Adds a parameter initialized by `init`.
  Value *addParam(const std::string &name, const TensorType &type,
                  const InitSpec &init);
  /// Appends a node defining `resultName` (a fresh name if empty) with type
  /// `resultType`. The types are not checked here: see inferType/verify.
  Node *addNode(OpKind op, std::vector<Value *> operands, Attributes attrs,
                const std::string &resultName, const TensorType &resultType);
  /// Adds a named output. Throws BadInput if the output name is taken.
  void addOutput(const std::string &name, Value *value);

  const std::vector<Value *> &inputs() const { return inputs_; }
  const std::vector<Param> &params() const { return params_; }
  std::vector<Param> &params() { return params_; }
  const std::vector<std::unique_ptr<Node>> &nodes() const { return nodes_; }
  const std::vector<Output> &outputs() const { return outputs_; }

  /// Makes every node operand and output that reads `from` read `to`
  /// instead (of the same type); `to` must be defined before every such
  /// node.
  void replaceUses(const Value *from, Value *to);
  /// Moves the nodes from index `first` to the end in front of `pos`,
  /// keeping their order. They must not read what `pos` and the nodes after
  /// it (before `first`) define.
  void moveNodesBefore(size_t first, const Node *pos);

  /// The value named `name`, or null.
  Value *findValue(const std::string &name) const;
  /// The parameter defining `v`, or null.
  const Param *findParam(const Value *v) const;
  /// A name not used by any value: the smallest free decimal number.
  std::string freshName();

private:
  Value *newValue(const std::string &name, const TensorType &type,
                  ValueKind kind, Node *def);

  std::string name_;
  std::vector<std::unique_ptr<Value>> values_;
  std::unordered_map<std::string, Value *> byName_;
  std::vector<Value *> inputs_;
  std::vector<Param> params_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<Output> outputs_;
  int64_t nextTemp_ = 0;
};

/// Whether `a` and `b` are the same graph: names, inputs, parameters (data
/// bitwise), nodes (ops, operands, attributes, results) and outputs alike.
/// Without `reshapeTargets`, a reshape's target may be spelled differently
/// ([-1, 784] or [2, 784]): its result type says what it is.
bool graphsIdentical(const Graph &a, const Graph &b,
                     bool reshapeTargets = true);

} // namespace adjoint
