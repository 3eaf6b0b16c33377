//===- SimplifyAlgebra.cpp - Algebraic simplification ---------------------===//
#include "compiler/passes/SimplifyAlgebra.h"

#include "compiler/passes/FoldConstants.h"
#include "compiler/passes/Slabs.h"
#include "ir/Error.h"
#include "ir/GraphCopy.h"
#include "ir/Interpreter.h"
#include "ir/ShapeInference.h"
#include "ir/SymbolicDim.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace adjoint {

namespace {

/// The constant node defining `v`, if any.
const Tensor *constantOf(const Value *v) {
  const Node *def = v->definingNode();
  if (!def || def->op() != OpKind::Constant)
    return nullptr;
  return &def->attr().getTensor("value");
}

/// The literal data every element of `v` is drawn from: the tensor of the
/// constant defining `v`, looking through broadcast_to (a splat).
const Tensor *literalOf(const Value *v) {
  while (const Node *def = v->definingNode()) {
    if (def->op() == OpKind::Constant)
      return &def->attr().getTensor("value");
    if (def->op() != OpKind::BroadcastTo)
      return nullptr;
    v = def->operand(0);
  }
  return nullptr;
}

/// Whether `v` is a numeric literal whose every element satisfies `pred`.
bool allElements(const Value *v, const std::function<bool(double)> &pred) {
  const Tensor *t = literalOf(v);
  if (!t || !isNumeric(t->dtype()))
    return false;
  for (int64_t i = 0; i < t->numElements(); ++i)
    if (!pred(t->elementAsDouble(i)))
      return false;
  return true;
}

bool isOne(const Value *v) {
  return allElements(v, [](double x) { return x == 1; });
}

/// Which zeros a rule accepts; integers have one zero, which is both.
enum class Zero { Plus, Minus, Any };

bool isZero(const Value *v, Zero which) {
  return allElements(v, [which](double x) {
    return x == 0 &&
           (which == Zero::Any || std::signbit(x) == (which == Zero::Minus));
  });
}

bool isIdentityPerm(const std::vector<int64_t> &perm) {
  for (size_t i = 0; i < perm.size(); ++i)
    if (perm[i] != (int64_t)i)
      return false;
  return true;
}

class Simplifier {
public:
  Simplifier(const Graph &g, bool fastMath) : rb_(g), fastMath_(fastMath) {
    for (const auto &node : g.nodes())
      for (const Value *v : node->operands())
        ++uses_[v->name()];
    for (const Output &o : g.outputs())
      ++uses_[o.value->name()];
    for (const auto &node : g.nodes())
      for (const Value *v : node->operands())
        if (node->op() == OpKind::Add)
          addOperands_.insert(v->name());
    for (const auto &node : g.nodes())
      if (node->op() == OpKind::MaxPool2D)
        maxPools_.emplace(node->operand(0)->name(), node.get());
  }

  Graph run() {
    for (const auto &node : rb_.old().nodes()) {
      std::vector<Value *> operands = rb_.mappedOperands(*node);
      if (opDef(node->op()).has(Broadcasting))
        skipBroadcasts(*node, operands);
      if (Value *v = simplify(*node, operands))
        rb_.map(node->result(), v);
      else
        rb_.copy(*node, std::move(operands));
      done_.insert(node.get());
    }
    return rb_.finish();
  }

private:
  /// Rule: an operand made by broadcast_to is replaced by the value it
  /// broadcasts when the op's own broadcasting gives the same result type
  /// (each result element reads the same source element either way).
  void skipBroadcasts(const Node &node, std::vector<Value *> &operands) {
    for (size_t i = 0; i < operands.size(); ++i) {
      const Node *def = operands[i]->definingNode();
      if (!def || def->op() != OpKind::BroadcastTo)
        continue;
      std::vector<Value *> candidate = operands;
      candidate[i] = def->operand(0);
      if (typeOf(node.op(), candidate, node.attrs()) == node.result()->type())
        operands = std::move(candidate);
    }
  }

  /// The type `op` gives operands of `types`, or an impossible one (rank
  /// above the maximum) when they do not fit together.
  static TensorType typeOf(OpKind op, const std::vector<TensorType> &types,
                           const Attributes &attrs) {
    try {
      return inferType(op, types, attrs);
    } catch (const Error &) {
      return TensorType{DType::F32, Shape(kMaxRank + 1, 1)};
    }
  }

  static TensorType typeOf(OpKind op, const std::vector<Value *> &operands,
                           const Attributes &attrs) {
    std::vector<TensorType> types;
    for (const Value *v : operands)
      types.push_back(v->type());
    return typeOf(op, types, attrs);
  }

  /// Whether the value of the new graph `v` has one use in the old graph
  /// (by name: copied nodes keep their names).
  bool hasOneUse(const Value *v) const {
    auto it = uses_.find(v->name());
    return it != uses_.end() && it->second == 1;
  }

  /// The replacement for `node` (with `operands`, already in the new
  /// graph), or null to keep it.
  Value *simplify(const Node &node, const std::vector<Value *> &operands) {
    const TensorType &type = node.result()->type();
    const std::string &name = node.result()->name();
    // Integers wrap, so their identities hold for every value.
    bool exact = fastMath_ || isInteger(type.dtype);
    auto unchanged = [&](Value *v) { return v->type() == type; };
    OpKind op = node.op();

    if (op == OpKind::Add)
      if (Value *v = concatOfPads(node))
        return v;
    if (opDef(op).has(Elementwise))
      if (Value *v = sinkTranspose(node, operands))
        return v;
    if (op == OpKind::Mul || op == OpKind::Add) {
      for (int i = 0; i < 2; ++i) {
        Value *x = operands[i], *c = operands[1 - i];
        // x*1 = x; x + -0 = x (and -0 + -0 = -0); x + +0 = x except
        // -0 + +0 = +0, hence only under fast math.
        bool neutral = op == OpKind::Mul
                           ? isOne(c)
                           : isZero(c, exact ? Zero::Any : Zero::Minus);
        if (neutral && unchanged(x))
          return x;
        // x*0 = 0 fails for NaN, infinities (NaN) and negative x (-0).
        if (op == OpKind::Mul && exact && isZero(c, Zero::Any))
          return zeros(c, type, name);
      }
      if (exact)
        return reassociate(node, operands);
      return nullptr;
    }
    if (op == OpKind::Div) {
      if (isOne(operands[1]) && unchanged(operands[0]))
        return operands[0];
      return nullptr;
    }
    if (op == OpKind::Sub) {
      // x - +0 = x for every x; x - -0 = x + +0, not for x = -0.
      if (isZero(operands[1], exact ? Zero::Any : Zero::Plus) &&
          unchanged(operands[0]))
        return operands[0];
      // x - x = 0 fails for NaN and infinities.
      if (exact && operands[0] == operands[1])
        return zeros(nullptr, type, name);
      return nullptr;
    }
    if (op == OpKind::Neg || op == OpKind::StopGradient) {
      // neg(neg(x)) flips the sign bit twice; stop_gradient(stop_gradient(x))
      // is one stop_gradient.
      const Node *inner = operands[0]->definingNode();
      if (inner && inner->op() == op)
        return op == OpKind::Neg ? inner->operand(0) : operands[0];
      return nullptr;
    }
    if (op == OpKind::Select) {
      if (operands[1] == operands[2] && unchanged(operands[1]))
        return operands[1];
      return maskBeforePoolGrad(node, operands);
    }
    if (op == OpKind::Cast)
      return unchanged(operands[0]) ? operands[0] : nullptr;
    if (op == OpKind::Transpose)
      return simplifyTranspose(node, operands[0]);
    if (op == OpKind::Reshape || op == OpKind::BroadcastTo) {
      // reshape(reshape(x)) = reshape(x); broadcast_to(broadcast_to(x)) =
      // broadcast_to(x), as broadcasting composes.
      if (unchanged(operands[0]))
        return operands[0];
      const Node *inner = operands[0]->definingNode();
      if (!inner || inner->op() != op)
        return nullptr;
      Value *x = inner->operand(0);
      if (unchanged(x))
        return x;
      Attributes attrs;
      attrs.set("shape", type.shape);
      return rb_.add(op, {x}, std::move(attrs), type, name);
    }
    if (op == OpKind::Concat)
      return flattenConcat(node, operands);
    if (op == OpKind::Gather)
      return gatherOfOneIndex(node, operands);
    if (op == OpKind::Slice) {
      if (!unchanged(operands[0]))
        return nullptr;
      // Same shape with step 1 (or a dimension of at most one element)
      // means start 0: the whole range.
      SliceDims s = normalizeSlice(node.attr(), type.shape);
      for (size_t d = 0; d < type.rank(); ++d)
        if (s.step[d] != 1 && type.shape[d] > 1)
          return nullptr;
      return operands[0];
    }
    return nullptr;
  }

  static bool isComparison(OpKind op) {
    return op == OpKind::Less || op == OpKind::LessEqual ||
           op == OpKind::Greater || op == OpKind::GreaterEqual ||
           op == OpKind::Equal;
  }

  /// Rule: select(cmp(x, c), max_pool2d_grad(x, dy), +0), with cmp a
  /// comparison of x with a scalar literal c (either side, either branch),
  /// is max_pool2d_grad(x, select(cmp(max_pool2d(x), c), dy, +0)). A
  /// window's dy goes to the position of its maximum, where x is the
  /// window's maximum, so masking dx there by cmp(x) masks each dy by
  /// cmp(max) (NaN included: a NaN is the maximum of its window); every
  /// other element of dx is +0 either way. The gradient of a relu before a
  /// max pool then reads and writes the pooled values, a quarter as many
  /// for a 2 x 2 pool, and reads the pool's result (the forward pass's)
  /// instead of the relu's. Exact.
  Value *maskBeforePoolGrad(const Node &node,
                            const std::vector<Value *> &operands) {
    const Node *cmp = operands[0]->definingNode();
    if (!cmp || !isComparison(cmp->op()))
      return nullptr;
    for (int branch = 1; branch <= 2; ++branch) {
      Value *grad = operands[branch], *zero = operands[3 - branch];
      const Node *pg = grad->definingNode();
      if (!pg || pg->op() != OpKind::MaxPool2DGrad || !hasOneUse(grad) ||
          grad->type() != node.result()->type() ||
          operands[0]->type().shape != grad->type().shape ||
          !isZero(zero, Zero::Plus))
        continue;
      Value *x = pg->operand(0), *dy = pg->operand(1);
      int xSide = cmp->operand(0) == x ? 0 : cmp->operand(1) == x ? 1 : -1;
      if (xSide < 0)
        continue;
      const Tensor *c = literalOf(cmp->operand(1 - xSide));
      if (!c || c->numElements() != 1)
        continue;
      Value *pooled = maxPoolOf(*pg);
      std::vector<Value *> compared(2);
      compared[xSide] = pooled;
      compared[1 - xSide] =
          constant(Tensor::scalar(c->dtype(), c->elementAsDouble(0)));
      TensorType mask{DType::Bool, dy->type().shape};
      Value *keep = rb_.add(cmp->op(), compared, {}, mask);
      Value *scalarZero = constant(Tensor::scalar(dy->type().dtype, 0));
      std::vector<Value *> picked = {keep, dy, scalarZero};
      if (branch == 2)
        std::swap(picked[1], picked[2]);
      Value *masked = rb_.add(OpKind::Select, picked, {}, dy->type());
      return rb_.add(OpKind::MaxPool2DGrad, {x, masked}, pg->attrs(),
                     node.result()->type(), node.result()->name());
    }
    return nullptr;
  }

  /// The max_pool2d of the new graph that `grad` is the gradient of: the
  /// forward pass's when one reads the same x with the same windows,
  /// otherwise a new one.
  Value *maxPoolOf(const Node &grad) {
    Value *x = grad.operand(0);
    AttrReader g = grad.attr();
    auto [first, last] = maxPools_.equal_range(x->name());
    for (auto it = first; it != last; ++it) {
      AttrReader f = it->second->attr();
      if (done_.count(it->second) && f.getString("data_format") == "NCHW" &&
          f.getInts("kernel") == g.getInts("kernel") &&
          f.getInts("strides") == g.getInts("strides") &&
          f.getInts("pads") == g.getInts("pads") &&
          rb_.mapped(it->second->result())->type().shape ==
              grad.operand(1)->type().shape)
        return rb_.mapped(it->second->result());
    }
    // The gradient's attributes (kernel, strides, pads) are the pool's.
    return rb_.add(OpKind::MaxPool2D, {x}, grad.attrs(),
                   grad.operand(1)->type());
  }

  /// Rule: concat(a, concat(b, c), d) along one axis is concat(a, b, c,
  /// d): the pieces go where they belong in one copy. The inner concat is
  /// then computed only if something else reads it, which costs no more
  /// than reading it here.
  Value *flattenConcat(const Node &node, const std::vector<Value *> &operands) {
    const TensorType &type = node.result()->type();
    int64_t axis =
        normalizeAxis(node.attr().getInt("axis"), type.rank(), "concat");
    std::vector<Value *> pieces;
    bool flat = true;
    for (Value *v : operands) {
      const Node *inner = v->definingNode();
      if (inner && inner->op() == OpKind::Concat &&
          normalizeAxis(inner->attr().getInt("axis"), type.rank(), "concat") ==
              axis) {
        pieces.insert(pieces.end(), inner->operands().begin(),
                      inner->operands().end());
        flat = false;
      } else {
        pieces.push_back(v);
      }
    }
    if (flat)
      return nullptr;
    Attributes attrs;
    attrs.set("axis", axis);
    return rb_.add(OpKind::Concat, std::move(pieces), std::move(attrs), type,
                   node.result()->name());
  }

  /// Rule: gather(x, i) with i a constant scalar in range is the slice of
  /// x at i along the axis, without that axis: a view that the reader
  /// reads in place (an RNN's last state out of all of them), where a
  /// gather is a kernel of its own that copies its rows out.
  Value *gatherOfOneIndex(const Node &node,
                          const std::vector<Value *> &operands) {
    const Tensor *index = constantOf(operands[1]);
    if (!index || index->shape().size() != 0)
      return nullptr;
    const Shape &shape = operands[0]->type().shape;
    int64_t axis =
        normalizeAxis(node.attr().getInt("axis"), shape.size(), "gather");
    int64_t dim = shape[axis];
    auto at = (int64_t)index->elementAsDouble(0);
    if (at < -dim || at >= dim)
      return nullptr; // out of range: the gather's error at run time
    if (at < 0)
      at += dim;
    Shape kept = shape;
    kept[axis] = 1;
    Attributes attrs;
    attrs.set("starts", std::vector<int64_t>{at});
    attrs.set("ends", std::vector<int64_t>{at + 1});
    attrs.set("axes", std::vector<int64_t>{axis});
    Value *row = rb_.add(OpKind::Slice, {operands[0]}, std::move(attrs),
                         {node.result()->type().dtype, kept}, "");
    Attributes to;
    to.set("shape", node.result()->type().shape);
    return rb_.add(OpKind::Reshape, {row}, std::move(to), node.result()->type(),
                   node.result()->name());
  }

  Value *simplifyTranspose(const Node &node, Value *x) {
    const TensorType &type = node.result()->type();
    std::vector<int64_t> perm = transposePerm(node.attr(), type.rank());
    const Node *inner = x->definingNode();
    if (inner && inner->op() == OpKind::MatMul && type.rank() == 2 &&
        perm == std::vector<int64_t>{1, 0} &&
        inner->operand(0)->type().rank() == 2 &&
        inner->operand(1)->type().rank() == 2 && hasOneUse(x))
      return transposeProduct(*inner, type, node.result()->name());
    if (!inner || inner->op() != OpKind::Transpose)
      return isIdentityPerm(perm) ? x : nullptr;
    // out[j] reads inner's axis perm[j], which reads x's axis
    // innerPerm[perm[j]].
    std::vector<int64_t> innerPerm = transposePerm(inner->attr(), type.rank());
    std::vector<int64_t> combined;
    for (int64_t p : perm)
      combined.push_back(innerPerm[p]);
    Value *source = inner->operand(0);
    if (isIdentityPerm(combined))
      return source;
    Attributes attrs;
    attrs.set("perm", combined);
    return rb_.add(OpKind::Transpose, {source}, std::move(attrs), type,
                   node.result()->name());
  }

  /// Whether transposing `shape` by `perm` keeps the order of the axes
  /// longer than 1, and so moves no element (NHWC to NCHW of one channel, a
  /// bias [1,1,1,C] to [1,C,1,1]).
  static bool movesNoElement(const Shape &shape,
                             const std::vector<int64_t> &perm) {
    int64_t last = -1;
    for (int64_t p : perm) {
      if (shape[p] == 1)
        continue;
      if (p < last)
        return false;
      last = p;
    }
    return true;
  }

  Value *reshaped(Value *v, const Shape &shape) {
    Attributes attrs;
    attrs.set("shape", shape);
    return rb_.add(OpKind::Reshape, {v}, std::move(attrs),
                   {v->type().dtype, shape});
  }

  /// `v` transposed by `perm`, as a reshape when that moves no element
  /// (a kernel may read it without a copy).
  Value *transposed(Value *v, const std::vector<int64_t> &perm) {
    Shape shape = permuteShape(v->type().shape, perm);
    if (movesNoElement(v->type().shape, perm))
      return reshaped(v, shape);
    Attributes attrs;
    attrs.set("perm", perm);
    return rb_.add(OpKind::Transpose, {v}, std::move(attrs),
                   {v->type().dtype, shape});
  }

  /// Rule: an elementwise op whose full-size operands are transposes by one
  /// perm (each with no other use), its other operands scalars or at most
  /// an eighth of its size, is the transpose of the op on the untransposed
  /// operands, the small ones transposed the other way: transposes move
  /// down to those that undo them and cancel there. A channels-last
  /// model's bias and relu between NCHW convolutions and pools then run
  /// in NCHW, and fuse with them. Exact: the same elements meet.
  Value *sinkTranspose(const Node &node, const std::vector<Value *> &operands) {
    const TensorType &type = node.result()->type();
    size_t rank = type.rank();
    if (rank < 2 || !isStatic(type.shape))
      return nullptr;
    std::vector<int64_t> perm;
    auto transposedSource = [&](Value *v) -> Value * {
      const Node *def = v->definingNode();
      if (!def || def->op() != OpKind::Transpose ||
          v->type().shape != type.shape || !hasOneUse(v))
        return nullptr;
      std::vector<int64_t> p = transposePerm(def->attr(), rank);
      if (!perm.empty() && p != perm)
        return nullptr;
      perm = p;
      return def->operand(0);
    };
    for (Value *v : operands)
      if (v->type().shape == type.shape)
        transposedSource(v);
    if (perm.empty())
      return nullptr;
    std::vector<int64_t> inverse(rank);
    for (size_t j = 0; j < rank; ++j)
      inverse[perm[j]] = (int64_t)j;
    std::vector<Value *> inner;
    for (Value *v : operands) {
      if (v->type().shape == type.shape) {
        Value *source = transposedSource(v);
        if (!source)
          return nullptr;
        inner.push_back(source);
        continue;
      }
      if (v->type().rank() == 0) {
        inner.push_back(v);
        continue;
      }
      if (v->type().numElements() * 8 > type.numElements())
        return nullptr;
      // Aligned from the right as broadcasting does, then permuted back.
      Shape full(rank - v->type().rank(), 1);
      full.insert(full.end(), v->type().shape.begin(), v->type().shape.end());
      Value *b = v;
      if (full != v->type().shape && !movesNoElement(full, inverse)) {
        Attributes shape;
        shape.set("shape", full);
        b = rb_.add(OpKind::Reshape, {b}, std::move(shape),
                    {v->type().dtype, full});
      }
      // One reshape when the transpose moves no element either.
      inner.push_back(b == v && full != v->type().shape
                          ? reshaped(v, permuteShape(full, inverse))
                          : transposed(b, inverse));
    }
    Value *e = rb_.add(node.op(), std::move(inner), node.attrs(),
                       {type.dtype, permuteShape(type.shape, inverse)});
    Attributes attrs;
    attrs.set("perm", perm);
    return rb_.add(OpKind::Transpose, {e}, std::move(attrs), type,
                   node.result()->name());
  }

  /// Rule: transpose(matmul(a, b)) = matmul(transpose(b), transpose(a))
  /// for matrices, when the product has no other use. Each element is the
  /// same sum of the same products; the transposes are read by the GEMM
  /// through its flags (a transpose of a transpose cancels), so a gradient
  /// computed transposed, as for a weight stored [out, in], is computed in
  /// the weight's own layout instead of being transposed in memory.
  Value *transposeProduct(const Node &product, const TensorType &type,
                          const std::string &name) {
    auto transposed = [&](Value *v) -> Value * {
      const Node *def = v->definingNode();
      if (def && def->op() == OpKind::Transpose &&
          transposePerm(def->attr(), 2) == std::vector<int64_t>{1, 0})
        return def->operand(0);
      Attributes attrs;
      attrs.set("perm", std::vector<int64_t>{1, 0});
      TensorType t{v->type().dtype, {v->type().shape[1], v->type().shape[0]}};
      return rb_.add(OpKind::Transpose, {v}, std::move(attrs), t, "");
    };
    Value *a = product.operand(0), *b = product.operand(1);
    return rb_.add(OpKind::MatMul, {transposed(b), transposed(a)}, {}, type,
                   name);
  }

  /// A zero pad of `type` that pads one axis only: that axis and the slab
  /// [first, last) it fills from its operand; false for anything else.
  static bool padSlab(const Node *def, const TensorType &type, size_t &axis,
                      int64_t &first, int64_t &last) {
    if (!def || def->op() != OpKind::Pad || def->result()->type() != type)
      return false;
    AttrReader attrs = def->attr();
    if (attrs.getFloat("value") != 0.0 || std::signbit(attrs.getFloat("value")))
      return false;
    const std::vector<int64_t> &pads = attrs.getInts("pads");
    size_t rank = type.rank(), padded = rank;
    if (pads.size() != 2 * rank)
      return false;
    for (size_t d = 0; d < rank; ++d) {
      if (pads[d] < 0 || pads[rank + d] < 0)
        return false;
      if (pads[d] == 0 && pads[rank + d] == 0)
        continue;
      if (padded != rank)
        return false; // two padded axes
      padded = d;
    }
    if (padded == rank)
      return false;
    axis = padded;
    first = pads[axis];
    last = type.shape[axis] - pads[rank + axis];
    return first < last;
  }

  /// Rule: a tree of adds (each with no other use) whose leaves are zero
  /// pads of one axis, each filling its own slab, is the concatenation of
  /// the slabs (and zeros between them): the gradient of the steps of an
  /// unrolled sequence, each a slice of one tensor, is one write instead of
  /// a sum of full tensors. Applied at the tree's root only. The sum adds
  /// +0 to each element of a slab, which turns -0 into +0; the slabs are
  /// added to +0 too, except under fast math.
  Value *concatOfPads(const Node &node) {
    const TensorType &type = node.result()->type();
    if (addOperands_.count(node.result()->name()) && hasOneUse(node.result()))
      return nullptr; // not the root of its tree
    std::vector<Slab<const Value *>> slabs;
    size_t axis = type.rank();
    std::vector<const Node *> stack = {&node};
    while (!stack.empty()) {
      const Node *add = stack.back();
      stack.pop_back();
      for (const Value *v : add->operands()) {
        const Node *def = v->definingNode();
        if (def && def->op() == OpKind::Add && hasOneUse(v) &&
            v->type() == type) {
          stack.push_back(def);
          continue;
        }
        size_t a;
        int64_t first, last;
        if (!padSlab(def, type, a, first, last) ||
            (axis != type.rank() && a != axis))
          return nullptr;
        axis = a;
        slabs.push_back({first, last, def->operand(0)});
      }
    }
    if (slabs.size() < 2)
      return nullptr;
    if (!sortDisjoint(slabs))
      return nullptr; // overlapping slabs add up
    bool exact = fastMath_ || isInteger(type.dtype);
    Value *plusZero = exact ? nullptr : constant(Tensor::scalar(type.dtype, 0));
    std::vector<Value *> pieces = slabPieces<const Value *>(
        slabs, type, axis,
        [&](const TensorType &t) { return zeros(nullptr, t, ""); },
        [&](const Slab<const Value *> &slab) {
          Value *piece = rb_.mapped(slab.inside);
          return plusZero ? rb_.add(OpKind::Add, {piece, plusZero}, {},
                                    piece->type())
                          : piece;
        });
    Attributes attrs;
    attrs.set("axis", (int64_t)axis);
    return rb_.add(OpKind::Concat, std::move(pieces), std::move(attrs), type,
                   node.result()->name());
  }

  /// Zeros of `type`: `zero` itself when it is a constant of that type,
  /// otherwise a scalar constant (`zero` when it is one) broadcast to the
  /// shape.
  Value *zeros(Value *zero, const TensorType &type, const std::string &name) {
    bool isConstant = zero && constantOf(zero);
    if (isConstant && zero->type() == type)
      return zero;
    TensorType scalar{type.dtype, {}};
    Value *c = zero;
    if (!isConstant || zero->type() != scalar) {
      if (type.rank() == 0)
        return constant(Tensor::scalar(type.dtype, 0), name);
      c = constant(Tensor::scalar(type.dtype, 0));
    }
    Attributes shape;
    shape.set("shape", type.shape);
    return rb_.add(OpKind::BroadcastTo, {c}, std::move(shape), type, name);
  }

  /// A new constant node holding `value`.
  Value *constant(Tensor value, const std::string &name = "") {
    TensorType type = value.type();
    Attributes attrs;
    attrs.set("value", std::move(value));
    return rb_.add(OpKind::Constant, {}, std::move(attrs), type, name);
  }

  /// (x op c1) op c2 -> x op (c1 op c2) for add and mul with constants c1
  /// and c2: exact for integers, a change of rounding for floats. Only
  /// when (x op c1) has no other use, so no node is added.
  Value *reassociate(const Node &node, const std::vector<Value *> &operands) {
    OpKind op = node.op();
    const TensorType &type = node.result()->type();
    for (int i = 0; i < 2; ++i) {
      const Tensor *c2 = constantOf(operands[1 - i]);
      const Node *inner = operands[i]->definingNode();
      if (!c2 || !inner || inner->op() != op || !hasOneUse(operands[i]))
        continue;
      for (int j = 0; j < 2; ++j) {
        const Tensor *c1 = constantOf(inner->operand(1 - j));
        Value *x = inner->operand(j);
        if (!c1)
          continue;
        TensorType folded = typeOf(op, {c1->type(), c2->type()}, {});
        if (folded.rank() > kMaxRank ||
            typeOf(op, {x->type(), folded}, {}) != type ||
            folded.numElements() > kMaxFoldedElements)
          continue;
        Value *c =
            constant(evaluate(op, std::vector<Tensor>{*c1, *c2}, {}, folded));
        return rb_.add(op, {x, c}, {}, type, node.result()->name());
      }
    }
    return nullptr;
  }

  GraphRebuilder rb_;
  bool fastMath_;
  std::unordered_map<std::string, int> uses_;
  /// Values that some add reads.
  std::unordered_set<std::string> addOperands_;
  /// The max_pool2d nodes of the old graph by the name of their input.
  std::unordered_multimap<std::string, const Node *> maxPools_;
  /// The old nodes already copied or replaced (whose results are mapped).
  std::unordered_set<const Node *> done_;
};

} // namespace

void simplifyAlgebra(Graph &g, bool fastMath) {
  g = Simplifier(g, fastMath).run();
}

} // namespace adjoint
