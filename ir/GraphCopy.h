//===- GraphCopy.h - Deep copies of graphs --------------------------------===//
//
// Transforms that build a new graph from an old one (the gradient graph, the
// training step) start from a copy: the same inputs, parameters (data and
// initializer recipes), nodes and outputs, with no storage shared with the
// original. A ValueMap tells which new value stands for each old one.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Graph.h"

#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace adjoint {

class Builder;

/// The values of one graph mapped to the values of another.
using ValueMap = std::unordered_map<const Value *, Value *>;

/// A deep copy of `g`: same name, inputs, parameters (their data cloned and
/// their recipes kept), nodes (constant tensors cloned), and outputs, in the
/// same order and with the same value names. When `map` is given, it
/// receives every value of `g` mapped to its copy. With `withOutputs` false
/// the copy has no outputs yet, for a transform that declares its own.
Graph copyGraph(const Graph &g, ValueMap *map = nullptr,
                bool withOutputs = true);

/// Adds to `out` the node `node` of another graph with `operands` (values
/// of `out`) and `attrs`, keeping its op and name, its type inferred again
/// from theirs: for transforms that change input types (binding a symbol,
/// another batch size). A scan's body is retyped to match. Type errors are
/// prefixed by `context`.
Value *addRetyped(Graph &out, const Node &node, std::vector<Value *> operands,
                  Attributes attrs, const std::string &context);

/// Appends every node of `g` to `b`'s graph (fresh names), each operand
/// read through `map`, which must hold `g`'s inputs and receives each
/// node's result: a body inlined into another graph.
void inlineNodes(Builder &b, const Graph &g, ValueMap &map);

/// `g` with inputs of types `inputTypes` (one per input), every node's type
/// inferred again (addRetyped): a scan's body for operands of new types.
Graph retypeGraph(const Graph &g, std::span<const TensorType> inputTypes);

/// Builds a new graph from an old one node by node, for transforms that
/// drop, replace or merge nodes. The new graph starts with the old one's
/// name, inputs and parameters (data cloned, recipes kept); the transform
/// then walks the old nodes in order, copying each, adding replacements, or
/// mapping its result to a value already in the new graph (which must have
/// the same type). finish() adds the old outputs, mapped, in their order, so
/// inputs, parameters and outputs never change.
///
/// Names: a copied node keeps its result's name, a node that replaces one
/// old node may take that node's name, and every other new node gets a
/// fresh name used by neither graph, so no name is ever taken twice.
class GraphRebuilder {
public:
  explicit GraphRebuilder(const Graph &old);

  const Graph &old() const { return old_; }
  /// The graph being built.
  Graph &graph() { return out_; }
  /// The new value standing for the old value `v` (which must be mapped).
  Value *mapped(const Value *v) const;
  /// The new values standing for the operands of the old `node`.
  std::vector<Value *> mappedOperands(const Node &node) const;
  /// Makes `now` (a value of the new graph) stand for the old value `v`.
  void map(const Value *v, Value *now);
  /// Copies the old `node` with `operands` (new values; default: its
  /// operands mapped), keeping its name, attributes and type, and maps its
  /// result to the copy's.
  Value *copy(const Node &node);
  Value *copy(const Node &node, std::vector<Value *> operands);
  /// Adds a node named `name`, or a fresh name when empty. `name` may only
  /// be the name of the one old node this node replaces.
  Value *add(OpKind op, std::vector<Value *> operands, Attributes attrs,
             const TensorType &type, const std::string &name = "");
  /// A name used by neither graph.
  std::string freshName();
  /// Adds the old graph's outputs, mapped, and returns the new graph.
  Graph finish();

private:
  const Graph &old_;
  Graph out_;
  ValueMap map_;
};

} // namespace adjoint
