//===- FoldConstants.cpp - Constant folding -------------------------------===//
#include "compiler/passes/FoldConstants.h"

#include "ir/Error.h"
#include "ir/Flops.h"
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

  /// The one value of `v` as a scalar if `v` is a splat (a broadcast_to
  /// of a one-element constant) or a one-element constant.
  static std::optional<Tensor> splatValue(const Value *v) {
    const Node *def = v->definingNode();
    if (def && def->op() == OpKind::BroadcastTo)
      def = def->operand(0)->definingNode();
    if (!def || def->op() != OpKind::Constant)
      return std::nullopt;
    const Tensor &t = def->attr().getTensor("value");
    if (t.numElements() != 1)
      return std::nullopt;
    return t.reshaped({});
  }

  /// Folds a node over splats: an elementwise op computes its one value
  /// from theirs, a reshape, transpose or slice moves copies of it; either
  /// way the result is a splat of a new scalar constant. True if it did.
  bool foldSplats(const Node &node, const std::vector<Value *> &operands) {
    OpKind op = node.op();
    bool moves =
        op == OpKind::Reshape || op == OpKind::Transpose || op == OpKind::Slice;
    if (!moves && !opDef(op).has(Elementwise))
      return false;
    std::vector<Tensor> scalars;
    for (const Value *v : operands) {
      std::optional<Tensor> t = splatValue(v);
      if (!t)
        return false;
      scalars.push_back(std::move(*t));
    }
    const TensorType &type = node.result()->type();
    TensorType scalarType{type.dtype, {}};
    Tensor value;
    try {
      value = moves ? scalars[0].clone()
                    : evaluate(op, scalars, node.attrs(), scalarType);
    } catch (const Error &) {
      return false;
    }
    const std::string &name = node.result()->name();
    Attributes attrs;
    attrs.set("value", std::move(value));
    if (type.rank() == 0) {
      rb_.map(node.result(),
              rb_.add(OpKind::Constant, {}, std::move(attrs), type, name));
      return true;
    }
    Value *c = rb_.add(OpKind::Constant, {}, std::move(attrs), scalarType);
    Attributes shape;
    shape.set("shape", type.shape);
    rb_.map(node.result(),
            rb_.add(OpKind::BroadcastTo, {c}, std::move(shape), type, name));
    return true;
  }

  void visit(const Node &node) {
    std::vector<Value *> operands = rb_.mappedOperands(node);
    const TensorType &type = node.result()->type();
    if (!isFoldableOp(node)) {
      rb_.copy(node, std::move(operands));
      return;
    }
    bool cheap = type.numElements() <= kMaxFoldedElements &&
                 nodeFlops(node) <= kMaxFoldedFlops;
    std::vector<Tensor> values;
    for (const Value *v : operands) {
      std::optional<Tensor> t = cheap ? knownValue(v) : std::nullopt;
      if (!t) {
        if (!foldSplats(node, operands))
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
    rb_.map(node.result(), rb_.add(OpKind::Constant, {}, std::move(attrs), type,
                                   node.result()->name()));
  }

  GraphRebuilder rb_;
  std::unordered_map<const Value *, Tensor> iotas_;
};

} // namespace

void foldConstants(Graph &g) { g = Folder(g).run(); }

} // namespace adjoint
