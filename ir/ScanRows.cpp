//===- ScanRows.cpp - A scan body on a block of its state's rows ----------===//
//
// One walk over the body: a value either carries the rows (its leading
// axis is the state's R rows, row i computed from row i of the inputs) or
// is free of them (computed from invariants and constants alone). A node
// that reads a value with rows must keep them on its leading axis, row by
// row; any other use of the rows (a reduction over them, a product that
// contracts them, a reshape that flattens them, a random op whose pattern
// depends on element positions) makes the body unsplittable.
//
//===----------------------------------------------------------------------===//
#include "ir/ScanRows.h"

#include "ir/Error.h"
#include "ir/GraphCopy.h"
#include "ir/ShapeInference.h"
#include "ir/SymbolicDim.h"

#include <algorithm>
#include <unordered_set>

namespace adjoint {

namespace {

class RowSplitter {
public:
  RowSplitter(int64_t all, int64_t rows) : all_(all), rows_(rows) {}

  /// The attributes of `n` for the block of rows, or empty when `n` does
  /// not keep the rows apart. `withRows[i]` tells whether operand i carries
  /// the rows.
  std::optional<Attributes> attrsFor(const Node &n,
                                     const std::vector<bool> &withRows) const {
    const OpDef &def = opDef(n.op());
    AttrReader r = n.attr();
    const TensorType &result = n.result()->type();
    if (result.rank() == 0 || result.shape[0] != all_)
      return std::nullopt;
    Attributes attrs = n.attrs();
    auto operand = [&](size_t i) -> const TensorType & {
      return n.operand(i)->type();
    };
    if (def.has(Elementwise)) {
      // Every operand with rows has them where the result does; the
      // others broadcast along them.
      for (size_t i = 0; i < n.operands().size(); ++i) {
        const TensorType &t = operand(i);
        if (withRows[i] ? t.rank() != result.rank()
                        : t.rank() == result.rank() && t.shape[0] != 1)
          return std::nullopt;
      }
      return attrs;
    }
    switch (n.op()) {
    case OpKind::ReduceSum:
    case OpKind::ReduceMean:
    case OpKind::ReduceMax:
    case OpKind::ReduceMin: {
      std::vector<int64_t> axes = reductionAxes(r, operand(0).rank());
      if (std::find(axes.begin(), axes.end(), 0) != axes.end())
        return std::nullopt;
      return attrs;
    }
    case OpKind::Argmax:
      if (normalizeAxis(r.getInt("axis"), operand(0).rank(), "argmax") == 0)
        return std::nullopt;
      return attrs;
    case OpKind::Transpose: {
      const std::vector<int64_t> *perm = r.findInts("perm");
      if (operand(0).rank() > 1 && (!perm || (*perm)[0] != 0))
        return std::nullopt;
      return attrs;
    }
    case OpKind::Reshape:
    case OpKind::BroadcastTo: {
      // Rows stay rows when the leading axis is kept as it is.
      if (operand(0).rank() == 0 || operand(0).shape[0] != all_)
        return std::nullopt;
      if (n.op() == OpKind::BroadcastTo && operand(0).rank() != result.rank())
        return std::nullopt;
      Shape shape = result.shape;
      shape[0] = rows_;
      attrs.set("shape", std::vector<int64_t>(shape.begin(), shape.end()));
      return attrs;
    }
    case OpKind::Slice: {
      // Along other axes, or all rows in order along the leading one.
      size_t count = r.getInts("starts").size();
      std::vector<int64_t> axes(count);
      for (size_t i = 0; i < count; ++i)
        axes[i] = i;
      if (const std::vector<int64_t> *given = r.findInts("axes"))
        axes = *given;
      std::vector<int64_t> starts = r.getInts("starts"),
                           ends = r.getInts("ends");
      for (size_t i = 0; i < count; ++i) {
        if (normalizeAxis(axes[i], operand(0).rank(), "slice") != 0)
          continue;
        const std::vector<int64_t> *steps = r.findInts("steps");
        if (steps && (*steps)[i] != 1)
          return std::nullopt;
        starts[i] = 0;
        ends[i] = rows_;
      }
      attrs.set("starts", starts);
      attrs.set("ends", ends);
      return attrs;
    }
    case OpKind::Concat:
      if (std::find(withRows.begin(), withRows.end(), false) !=
              withRows.end() ||
          normalizeAxis(r.getInt("axis"), result.rank(), "concat") == 0)
        return std::nullopt;
      return attrs;
    case OpKind::Pad: {
      const std::vector<int64_t> &pads = r.getInts("pads");
      if (pads[0] != 0 || pads[operand(0).rank()] != 0)
        return std::nullopt;
      return attrs;
    }
    case OpKind::Gather:
      if (!withRows[0] || withRows[1] ||
          normalizeAxis(r.getInt("axis"), operand(0).rank(), "gather") == 0)
        return std::nullopt;
      return attrs;
    case OpKind::MatMul: {
      // Rows of a times a matrix free of rows, or a product batched over
      // the rows (both operands with them, on a leading batch axis).
      const TensorType &a = operand(0), &b = operand(1);
      if (!withRows[0] || a.rank() < 2)
        return std::nullopt;
      if (withRows[1])
        return a.rank() >= 3 && b.rank() == a.rank() ? std::optional(attrs)
                                                     : std::nullopt;
      if (b.rank() == result.rank() && b.rank() >= 3 && b.shape[0] != 1)
        return std::nullopt;
      return attrs;
    }
    default:
      return std::nullopt;
    }
  }

private:
  int64_t all_, rows_;
};

} // namespace

std::optional<Graph> bodyForRows(const Graph &body, size_t sequences,
                                 int64_t rows) {
  if (body.inputs().empty() || body.outputs().size() != 1 ||
      !body.params().empty())
    return std::nullopt;
  const TensorType &state = body.inputs()[0]->type();
  if (state.rank() == 0)
    return std::nullopt;
  int64_t all = state.shape[0];
  if (isSymbolic(all) || all < 1 || rows < 1 || rows > all)
    return std::nullopt;

  Graph out(body.name());
  ValueMap map;
  std::unordered_set<const Value *> withRows;
  for (size_t i = 0; i < body.inputs().size(); ++i) {
    const Value *in = body.inputs()[i];
    TensorType t = in->type();
    if (i <= sequences) {
      if (t.rank() == 0 || t.shape[0] != all)
        return std::nullopt;
      t.shape[0] = rows;
      withRows.insert(in);
    }
    map[in] = out.addInput(in->name(), t);
  }
  RowSplitter splitter(all, rows);
  for (const auto &node : body.nodes()) {
    std::vector<Value *> operands;
    std::vector<bool> flags;
    for (const Value *v : node->operands()) {
      operands.push_back(map.at(v));
      flags.push_back(withRows.count(v) > 0);
    }
    bool any = std::find(flags.begin(), flags.end(), true) != flags.end();
    std::optional<Attributes> attrs =
        any ? splitter.attrsFor(*node, flags) : node->attrs();
    if (!attrs)
      return std::nullopt;
    Value *copy = addRetyped(out, *node, std::move(operands), std::move(*attrs),
                             "scan body for rows");
    if (any) {
      if (copy->type().rank() == 0 || copy->type().shape[0] != rows)
        return std::nullopt;
      withRows.insert(node->result());
    }
    map[node->result()] = copy;
  }
  const Value *next = body.outputs()[0].value;
  if (!withRows.count(next))
    return std::nullopt;
  out.addOutput(body.outputs()[0].name, map.at(next));
  return out;
}

} // namespace adjoint
