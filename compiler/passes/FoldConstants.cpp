//===- FoldConstants.cpp - Constant folding -------------------------------===//
#include "compiler/passes/FoldConstants.h"

#include "ir/Error.h"
#include "ir/GraphCopy.h"
#include "ir/Interpreter.h"

#include <optional>
#include <unordered_map>
#include <vector>

namespace adjoint {

namespace {

/// Whether folding `node` could pay off, before looking at its operands.
bool isFoldableOp(const Node &node) {
  OpKind op = node.op();
  if (opDef(op).has(HasSideEffect))
    return false;
  // Sources are already as constant as they get; a splat materialized
  // would only be bigger.
  return op != OpKind::Constant && op != OpKind::Iota &&
         op != OpKind::BroadcastTo;
}

class Folder {
public:
  explicit Folder(const Graph &g) : rb_(g) {}

  Graph run() {
    for (const auto &node : rb_.old().nodes())
      visit(*node);
    return rb_.finish();
  }

private:
  /// The value of `v` if a constant or an iota defines it.
  std::optional<Tensor> knownValue(const Value *v) {
    const Node *def = v->definingNode();
    if (!def)
      return std::nullopt;
    if (def->op() == OpKind::Constant)
      return def->attr().getTensor("value");
    if (def->op() != OpKind::Iota)
      return std::nullopt;
    auto it = iotas_.find(v);
    if (it != iotas_.end())
      return it->second;
    if (v->type().numElements() > kMaxFoldedElements)
      return std::nullopt;
    Tensor t = evaluate(OpKind::Iota, {}, def->attrs(), v->type());
    iotas_.emplace(v, t);
    return t;
  }

  void visit(const Node &node) {
    std::vector<Value *> operands = rb_.mappedOperands(node);
    const TensorType &type = node.result()->type();
    if (!isFoldableOp(node) || type.numElements() > kMaxFoldedElements) {
      rb_.copy(node, std::move(operands));
      return;
    }
    std::vector<Tensor> values;
    for (const Value *v : operands) {
      std::optional<Tensor> t = knownValue(v);
      if (!t) {
        rb_.copy(node, std::move(operands));
        return;
      }
      values.push_back(std::move(*t));
    }
    Tensor result;
    try {
      result = evaluate(node.op(), values, node.attrs(), type);
    } catch (const Error &) {
      // The same error is raised when the node runs.
      rb_.copy(node, std::move(operands));
      return;
    }
    Attributes attrs;
    attrs.set("value", std::move(result));
    rb_.map(node.result(), rb_.add(OpKind::Constant, {}, std::move(attrs),
                                   type, node.result()->name()));
  }

  GraphRebuilder rb_;
  std::unordered_map<const Value *, Tensor> iotas_;
};

} // namespace

void foldConstants(Graph &g) { g = Folder(g).run(); }

} // namespace adjoint
