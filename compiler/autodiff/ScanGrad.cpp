//===- ScanGrad.cpp - The gradient of a scan: a reverse scan --------------===//
//
// The forward scan keeps the state after every step: its result. The
// gradient runs the steps in the opposite order as one scan whose body is
// the forward body's vector-Jacobian product:
//
//   carry_{T} = 0
//   g_t = dY[t] + carry_{t+1}.state      cotangent of the state after step t
//   (d state_t, d x_t, d w_t) = vjp(body at state_t, x_t, w)(g_t)
//   carry_t = pack(d state_t, d x_t, d w_t)
//
// The carry packs every gradient of a step into one tensor, as a scan has
// one state: row t of the reverse scan's result holds step t's. When every
// part has the state's leading rows (an RNN's batch), the parts sit side by
// side in each row, [R, width], so that the packed scans keep rows apart as
// the original did and still run a block of rows per thread
// (ir/ScanRows.h); otherwise they are packed flat. d init
// is the state part of the last row written, d seq the x parts stacked, and
// d w the w parts summed over the steps.
//
// The intermediates of the forward step that the product reads
// (residuals) are kept from the forward pass: the forward scan is rewritten
// to stack them beside its state, and the reverse scan reads each step's
// row of them as one sequence and slices it in its body, so no step runs
// twice and no residual is copied out of the rows. With `recompute`, each
// reverse step computes them again from the saved state instead.
//
// A weight used as x @ w in the body (the recurrent weight of an RNN) gets
// its gradient outside the loop: each step packs x_t and the cotangent g_t
// of x_t @ w instead of x_t^T g_t, and sum_t x_t^T g_t is one product of
// the stacked rows after the loop, [K, T*M] x [T*M, N]: one large matmul
// instead of T small ones, and no [T, K, N] of per-step gradients. A bias
// added to every row, x + b, likewise: each step packs the cotangent g_t of
// the sum, and the gradient of b is one sum over all the stacked rows. So
// every part of a step keeps the state's rows, and the packed scans still
// run a block of rows per thread.
//
//===----------------------------------------------------------------------===//
#include "compiler/autodiff/Grad.h"
#include "compiler/autodiff/GradRules.h"

#include "ir/Error.h"
#include "ir/GraphCopy.h"
#include "ir/Scan.h"
#include "ir/ShapeInference.h"

#include <algorithm>
#include <memory>
#include <span>
#include <unordered_map>
#include <unordered_set>

namespace adjoint::autodiff {

namespace {

/// `name`, or `name` with a number appended when `g` already has it.
std::string freeName(const Graph &g, const std::string &name) {
  std::string candidate = name;
  for (int i = 1; g.findValue(candidate); ++i)
    candidate = name + "." + std::to_string(i);
  return candidate;
}

/// An operand of a node read from another value.
struct Swap {
  size_t operand;
  Value *value;
};

/// Appends the nodes of `body` to `b`'s graph with its inputs bound to
/// `inputs`, except that the operand of each node in `swapped` reads the
/// value given there; returns the value of each node's copy and of the
/// output.
Value *inlineBody(Builder &b, const Graph &body,
                  const std::vector<Value *> &inputs,
                  const std::unordered_map<const Node *, Swap> &swapped,
                  std::unordered_map<const Node *, Value *> &copies) {
  ValueMap map;
  for (size_t i = 0; i < inputs.size(); ++i)
    map[body.inputs()[i]] = inputs[i];
  for (const auto &node : body.nodes()) {
    std::vector<Value *> operands;
    for (const Value *v : node->operands())
      operands.push_back(map.at(v));
    if (auto it = swapped.find(node.get()); it != swapped.end())
      operands[it->second.operand] = it->second.value;
    Value *copy = b.op(node->op(), std::move(operands), node->attrs());
    map[node->result()] = copy;
    copies[node.get()] = copy;
  }
  return map.at(body.outputs()[0].value);
}

/// How a use of an invariant w gets its gradient after the loop.
enum class Hoist {
  None,
  /// x @ w, w its operand 1, both matrices: one product of the stacked x
  /// and the stacked cotangents of the use.
  Product,
  /// x + w or w + x, x a matrix and w a vector of its columns (a bias
  /// added to every row): one sum of the stacked cotangents over the rows.
  RowSum,
};

Hoist hoisting(const Node &use, const Value *w) {
  if (use.op() == OpKind::MatMul && use.operand(1) == w &&
      use.operand(0) != w && w->type().rank() == 2 &&
      use.operand(0)->type().rank() == 2)
    return Hoist::Product;
  if (use.op() == OpKind::Add && use.operand(0) != use.operand(1)) {
    const Value *x = use.operand(use.operand(0) == w ? 1 : 0);
    const Shape &xs = x->type().shape;
    if (w->type().rank() == 1 && xs.size() == 2 &&
        w->type().shape[0] == xs[1] && use.result()->type().shape == xs)
      return Hoist::RowSum;
  }
  return Hoist::None;
}

/// A use of an invariant whose gradient is taken after the loop.
struct HoistedUse {
  size_t operand; ///< the scan operand (and body input) of the invariant
  const Node *use;
  Hoist kind;
  /// The parts of a step it packs: x and the cotangent (Product), or the
  /// cotangent (RowSum).
  size_t parts() const { return kind == Hoist::Product ? 2 : 1; }
};

/// How the parts of a step travel in one tensor: side by side along the
/// second axis of [rows, width] when every part has the same leading `rows`
/// (> 1), otherwise flat, [width]. Widths and offsets count elements per
/// row.
struct Packing {
  int64_t rows = 1;

  /// The packing of parts of these shapes.
  static Packing of(std::span<const Shape> parts) {
    Packing p;
    if (parts.empty() || parts[0].empty() || parts[0][0] <= 1)
      return p;
    for (const Shape &s : parts)
      if (s.empty() || s[0] != parts[0][0])
        return p;
    p.rows = parts[0][0];
    return p;
  }
  int64_t axis() const { return rows > 1 ? 1 : 0; }
  int64_t width(const TensorType &t) const { return t.numElements() / rows; }
  Shape shape(int64_t width) const {
    return rows > 1 ? Shape{rows, width} : Shape{width};
  }
  /// `v` as one part: [rows, width] or flat.
  Value *part(Builder &b, Value *v) const {
    Shape s = shape(width(v->type()));
    return v->type().shape == s ? v : b.reshape(v, s);
  }
  Value *pack(Builder &b, const std::vector<Value *> &parts) const {
    std::vector<Value *> each;
    for (Value *v : parts)
      each.push_back(part(b, v));
    return each.size() == 1 ? each[0] : b.concat(each, axis());
  }
  /// The part at [begin, begin + width) of each row of `packed`, whose
  /// packed axes follow `lead` others (the steps), reshaped to `lead`'s
  /// extents then `shape`.
  Value *unpack(Builder &b, Value *packed, size_t lead, int64_t begin,
                const TensorType &t) const {
    int64_t axis = (int64_t)lead + this->axis();
    Value *cols = b.slice(packed, {begin}, {begin + width(t)}, {axis});
    Shape shape(packed->type().shape.begin(),
                packed->type().shape.begin() + lead);
    shape.insert(shape.end(), t.shape.begin(), t.shape.end());
    return b.reshape(cols, shape);
  }
};

} // namespace

std::vector<Value *> scanGradients(GradContext &c) {
  const Node &node = c.node;
  AttrReader r = node.attr();
  const Graph &body = r.getGraph("body");
  std::vector<TensorType> types;
  for (const Value *v : node.operands())
    types.push_back(v->type());
  ScanRoles roles = scanRoles(r, types);
  const TensorType &state = types[0];
  const DType dtype = state.dtype;
  auto isSequence = [&](size_t i) {
    return i >= roles.firstSequence() && i < roles.firstInvariant();
  };

  // The operands that get a gradient: the float ones, all of the state's
  // dtype (the carry packs them into one vector).
  std::vector<size_t> wrt;
  for (size_t i = 0; i < types.size(); ++i) {
    if (!isFloat(types[i].dtype))
      continue;
    if (types[i].dtype != dtype)
      badInput(node.describe(), ": operand ", i, " is ", typeStr(types[i]),
               " but the state is ", typeStr(state),
               "; a scan's gradient needs its float operands in one dtype");
    wrt.push_back(i);
  }
  // The uses of invariant weights w whose gradient is hoisted out of the
  // loop (x @ w, x + w); `inLoop` tells the invariants with other uses.
  std::vector<HoistedUse> hoisted;
  std::vector<bool> inLoop(types.size(), true);
  for (size_t i : wrt) {
    if (isSequence(i) || i == 0)
      continue;
    const Value *w = body.inputs()[i];
    bool other = std::any_of(body.outputs().begin(), body.outputs().end(),
                             [&](const Output &o) { return o.value == w; });
    for (const auto &n : body.nodes())
      for (const Value *v : n->operands())
        if (v == w) {
          if (Hoist kind = hoisting(*n, w); kind != Hoist::None)
            hoisted.push_back({i, n.get(), kind});
          else
            other = true;
        }
    inLoop[i] = other;
  }

  // What each step packs into the carry, in order: the gradients computed
  // in the loop (the state's first), then for each hoisted use x and the
  // cotangent of x @ w. A value packed twice (the cotangent of h @ u is
  // often the gradient of the step's input too) is packed once.
  std::vector<size_t> loopWrt;
  std::vector<Shape> candidates;
  int64_t most = 0;
  auto candidate = [&](const TensorType &t) {
    candidates.push_back(t.shape);
    most += t.numElements();
  };
  for (size_t i : wrt)
    if (inLoop[i]) {
      loopWrt.push_back(i);
      candidate(isSequence(i) ? sliceType(types[i]) : types[i]);
    }
  for (const HoistedUse &h : hoisted) {
    if (h.kind == Hoist::Product)
      candidate(h.use->operand(0)->type());
    candidate(h.use->result()->type());
  }
  const Packing carryPacking = Packing::of(candidates);

  // The reverse body: (carry, dY[t], state_t, x_t..., w..., w per hoisted
  // use) -> carry, built with a carry of every part, then retyped to the
  // distinct ones.
  auto draft = std::make_shared<Graph>(body.name() + "_grad");
  Builder gb(*draft);
  Value *carry =
      gb.input("carry", {dtype, carryPacking.shape(most / carryPacking.rows)});
  Value *next = gb.input(freeName(*draft, "d_next"), state);
  std::vector<Value *> step;
  for (size_t i = 0; i < types.size(); ++i)
    step.push_back(gb.input(freeName(*draft, body.inputs()[i]->name()),
                            body.inputs()[i]->type()));
  std::unordered_map<const Node *, Swap> proxies;
  std::unordered_map<const Node *, Value *> copies;
  for (const HoistedUse &h : hoisted) {
    const Value *w = body.inputs()[h.operand];
    proxies[h.use] = {
        h.use->operand(1) == w ? size_t(1) : size_t(0),
        gb.input(freeName(*draft, w->name() + ".use"), types[h.operand])};
  }
  Value *y = inlineBody(gb, body, step, proxies, copies);
  Value *seed = gb.add(next, carryPacking.unpack(gb, carry, 0, 0, state));
  std::vector<Value *> wrtValues;
  for (size_t i : loopWrt)
    wrtValues.push_back(step[i]);
  for (const HoistedUse &h : hoisted)
    wrtValues.push_back(copies.at(h.use));
  std::vector<Value *> grads = appendVjp(*draft, y, seed, wrtValues);
  std::vector<Value *> parts(grads.begin(), grads.begin() + loopWrt.size());
  for (size_t k = 0; k < hoisted.size(); ++k) {
    if (hoisted[k].kind == Hoist::Product)
      parts.push_back(copies.at(hoisted[k].use)->definingNode()->operand(0));
    parts.push_back(grads[loopWrt.size() + k]);
  }
  // Unless the scan recomputes, the forward values a reverse step needs
  // (residuals) come from the forward pass, which stacks them beside the
  // states; a hoisted x that is one of them is not packed again.
  bool save = !r.getBool("recompute");
  std::unordered_set<std::string> forward;
  for (const auto &[node, copy] : copies)
    forward.insert(copy->name());
  auto isForward = [&](const Value *v) {
    return v->kind() == ValueKind::NodeResult && forward.count(v->name());
  };
  std::vector<int64_t> offsets;
  std::vector<const Value *> external(parts.size(), nullptr);
  std::vector<Value *> distinct;
  std::unordered_map<const Value *, int64_t> offsetOf;
  int64_t packed = 0;
  // A hoisted x that is the state the step started from (a GRU's h, whose
  // rows the recurrent weight's gradient reads) is read from the saved
  // rows, which then hold it, rather than packed into every step's carry:
  // when the rows hold residuals beyond the next state anyway (so they
  // hold the state before the step too). A simple RNN's rows, its states
  // alone, are left as they are.
  const Value *stateIn = step[0];
  // Whether `v` is a slice of that state with unit steps (an LSTM's h): a
  // view of the rows' copy of the state, read there (below).
  auto stateSlice = [&](const Value *v) {
    const Node *def = v ? v->definingNode() : nullptr;
    if (!def || def->op() != OpKind::Slice || def->operand(0) != stateIn)
      return false;
    SliceDims s = normalizeSlice(def->attr(), state.shape);
    return std::all_of(s.step.begin(), s.step.end(),
                       [](int64_t step) { return step == 1; });
  };
  bool rowsHoldMore = false;
  if (save) {
    const Node *nextNode = body.outputs()[0].value->definingNode();
    const Value *nextCopy =
        nextNode && copies.count(nextNode) ? copies.at(nextNode) : nullptr;
    for (const auto &n : draft->nodes())
      if (!forward.count(n->result()->name()))
        for (const Value *v : n->operands())
          rowsHoldMore |= isForward(v) && v != nextCopy && !stateSlice(v);
  }
  bool stateExternal = false;
  for (size_t pi = 0; pi < parts.size(); ++pi) {
    Value *p = parts[pi];
    if (save && (isForward(p) || (p == stateIn && rowsHoldMore))) {
      external[pi] = p;
      offsets.push_back(-1);
      stateExternal |= p == stateIn;
      continue;
    }
    auto [it, fresh] = offsetOf.try_emplace(p, packed);
    if (fresh) {
      distinct.push_back(p);
      packed += carryPacking.width(p->type());
    }
    offsets.push_back(it->second);
  }
  gb.output("carry", carryPacking.pack(gb, distinct));
  std::vector<TensorType> inputTypes;
  for (const Value *in : draft->inputs())
    inputTypes.push_back(in->type());
  inputTypes[0] = {dtype, carryPacking.shape(packed)};
  auto grad = std::make_shared<Graph>(retypeGraph(*draft, inputTypes));

  // The residuals: forward values that a gradient node reads, and the
  // hoisted x's left out of the carry.
  std::vector<std::string> residuals;
  auto addResidual = [&](const std::string &name) {
    if (std::find(residuals.begin(), residuals.end(), name) == residuals.end())
      residuals.push_back(name);
  };
  if (save) {
    for (const auto &n : grad->nodes())
      if (!forward.count(n->result()->name()))
        for (const Value *v : n->operands())
          if (isForward(v))
            addResidual(v->name());
    for (const Value *v : external)
      if (v && v != stateIn)
        addResidual(v->name());
  }
  // Residuals cheap to compute again from the others, the step's state,
  // its inputs and constants are computed again by the reverse step
  // instead: every saved column costs a write in the forward step and a
  // read in the reverse one, from memory once the rows outgrow the cache.
  // A slice of the state (an LSTM's c, which the rows hold whole), 1 - z
  // of a GRU. Residuals read after the loop (a hoisted product's x), and
  // the next state, stay.
  std::unordered_set<std::string> recomputed;
  if (save) {
    // The next state is saved whatever happens (the forward result): never
    // computed again.
    std::unordered_set<std::string> afterLoop;
    const Node *nextNode = body.outputs()[0].value->definingNode();
    if (nextNode && copies.count(nextNode))
      afterLoop.insert(copies.at(nextNode)->name());
    for (const Value *v : external)
      if (v)
        afterLoop.insert(v->name());
    // A slice of the state the step started from that a product after the
    // loop reads (an LSTM's h in h @ U), when the rows hold that state: the
    // product reads the slice of the rows' states, the reverse step slices
    // its own row's.
    auto beforeSlice = [&](const std::string &name) {
      return rowsHoldMore && stateSlice(draft->findValue(name));
    };
    auto cheap = [](OpKind op) {
      return op == OpKind::Slice || op == OpKind::Reshape ||
             op == OpKind::Transpose || op == OpKind::BroadcastTo ||
             op == OpKind::Add || op == OpKind::Sub || op == OpKind::Mul ||
             op == OpKind::Neg;
    };
    auto kept = [&](const std::string &name) {
      return std::find(residuals.begin(), residuals.end(), name) !=
             residuals.end();
    };
    auto available = [&](const Value *v, const std::string &self) {
      if (!isForward(v) || recomputed.count(v->name()))
        return true;
      const Node *def = v->definingNode();
      return def->op() == OpKind::Constant ||
             (v->name() != self && kept(v->name()));
    };
    for (size_t j = 0; j < residuals.size();) {
      const std::string name = residuals[j];
      const Node *def = grad->findValue(name)->definingNode();
      bool again =
          (!afterLoop.count(name) || beforeSlice(name)) && cheap(def->op());
      for (const Value *v : def->operands())
        again = again && available(v, name);
      if (!again) {
        ++j;
        continue;
      }
      recomputed.insert(name);
      residuals.erase(residuals.begin() + j);
      j = 0; // what the others need may have changed
    }
    for (const Value *v : external)
      stateExternal |= v && recomputed.count(v->name());
    // The constants they read are computed again with them.
    for (const std::string &name :
         std::vector<std::string>(recomputed.begin(), recomputed.end()))
      for (const Value *v : grad->findValue(name)->definingNode()->operands())
        if (isForward(v) && v->definingNode()->op() == OpKind::Constant)
          recomputed.insert(v->name());
  }

  Value *all = c.y;
  int64_t length = roles.length;
  // Each residual's rows [T, ...] (read by the products after the loop),
  // and the rows of every step that hold them all (the reverse scan's
  // sequence).
  std::vector<Value *> residualRows;
  Value *savedRows = nullptr;
  // Where in those rows each step's state before the step is, when they
  // hold it (-1: the states before the steps are a sequence of their own).
  int64_t beforeAt = -1;
  // The rows [T, ...] of the states the steps started from, when a hoisted
  // product reads them from the saved rows.
  Value *beforeRows = nullptr;
  if (!residuals.empty() || stateExternal) {
    // The forward scan again, with the residuals of each step packed after
    // its state: [T, S + R] (or [T, rows, ...] packed by rows). It takes the
    // place of the scan being differentiated (which is then dead), so the steps
    // run once.
    std::unordered_map<std::string, const Value *> original;
    for (const auto &[node, copy] : copies)
      original[copy->name()] = node->result();
    // A residual that is the next state itself is the state's rows.
    const Value *next = body.outputs()[0].value;
    std::vector<Shape> savedShapes = {state.shape};
    for (const std::string &name : residuals)
      savedShapes.push_back(grad->findValue(name)->type().shape);
    const Packing saved = Packing::of(savedShapes);
    int64_t stateWidth = saved.width(state), extra = 0;
    std::vector<int64_t> residualAt;
    for (const std::string &name : residuals) {
      residualAt.push_back(original.at(name) == next ? -1 : stateWidth + extra);
      if (original.at(name) != next)
        extra += saved.width(grad->findValue(name)->type());
    }
    // Rows that hold more than the state hold the state the step started
    // from too: the reverse step reads it there, where the states before
    // the steps would be copied out of the rows, shifted by one step and
    // copied again behind the initial state.
    if (extra > 0 || stateExternal) {
      beforeAt = stateWidth + extra;
      extra += stateWidth;
    }
    // Residuals beyond the state: a forward scan that stacks them too.
    Value *rowsSaved = nullptr;
    if (extra > 0) {
      auto saving = std::make_shared<Graph>(body.name());
      Builder sb(*saving);
      Value *packedState = sb.input(freeName(*saving, "state.saved"),
                                    {dtype, saved.shape(stateWidth + extra)});
      ValueMap map;
      map[body.inputs()[0]] = saved.unpack(sb, packedState, 0, 0, state);
      for (size_t i = 1; i < body.inputs().size(); ++i)
        map[body.inputs()[i]] =
            sb.input(freeName(*saving, body.inputs()[i]->name()),
                     body.inputs()[i]->type());
      inlineNodes(sb, body, map);
      std::vector<Value *> out = {map.at(next)};
      for (const std::string &name : residuals)
        if (original.at(name) != next)
          out.push_back(map.at(original.at(name)));
      out.push_back(map.at(body.inputs()[0]));
      sb.output("saved", saved.pack(sb, out));

      size_t first = c.graph().nodes().size();
      Value *init =
          saved.pack(c, {c.x(0), c.zeros({dtype, saved.shape(extra)})});
      std::vector<Value *> operands = {init};
      for (size_t i = 1; i < types.size(); ++i)
        operands.push_back(c.x(i));
      Attributes attrs = node.attrs();
      attrs.set("body", SubGraph(saving));
      rowsSaved = c.op(OpKind::Scan, operands, attrs);
      all = saved.unpack(c, rowsSaved, 1, 0, state);
      c.graph().moveNodesBefore(first, &node);
      c.graph().replaceUses(node.result(), all);
    }
    for (size_t j = 0; j < residuals.size(); ++j) {
      const TensorType &t = grad->findValue(residuals[j])->type();
      if (residualAt[j] < 0) {
        residualRows.push_back(all);
        continue;
      }
      residualRows.push_back(saved.unpack(c, rowsSaved, 1, residualAt[j], t));
    }
    if (stateExternal)
      beforeRows = saved.unpack(c, rowsSaved, 1, beforeAt, state);
    savedRows = rowsSaved ? rowsSaved : all;

    // The reverse body reads the forward's rows of each step as one
    // sequence, after the forward's, and takes the residuals apart inside,
    // as views of the row that its kernels read in place; a sequence of
    // each residual would be a copy of the rows' columns, made before the
    // loop. The forward nodes that computed them go.
    auto lean = std::make_shared<Graph>(grad->name());
    Builder lb(*lean);
    ValueMap lm;
    size_t firstInvariant = 2 + roles.firstInvariant(); // carry, d_next
    const Value *before = grad->inputs()[2];            // after them
    Value *row = nullptr;
    for (size_t i = 0; i <= grad->inputs().size(); ++i) {
      if (i == firstInvariant)
        row = lean->addInput(freeName(*grad, "saved"),
                             sliceType(savedRows->type()));
      if (i == grad->inputs().size())
        break;
      const Value *in = grad->inputs()[i];
      if (in != before || beforeAt < 0)
        lm[in] = lean->addInput(in->name(), in->type());
    }
    // The views of the row, made once every input has its name (a view
    // takes a fresh one).
    for (size_t j = 0; j < residuals.size(); ++j) {
      const TensorType &t = grad->findValue(residuals[j])->type();
      lm[grad->findValue(residuals[j])] =
          !rowsSaved ? row
                     : saved.unpack(lb, row, 0,
                                    residualAt[j] < 0 ? 0 : residualAt[j], t);
    }
    if (beforeAt >= 0)
      lm[before] = saved.unpack(lb, row, 0, beforeAt, state);
    for (const auto &n : grad->nodes()) {
      if (forward.count(n->result()->name()) &&
          !recomputed.count(n->result()->name()))
        continue;
      std::vector<Value *> operands;
      for (const Value *v : n->operands())
        operands.push_back(lm.at(v));
      // Named anew where a view of the saved row took the name.
      lm[n->result()] = lean->addNode(n->op(), std::move(operands), n->attrs(),
                                      freeName(*lean, n->result()->name()),
                                      n->result()->type())
                            ->result();
    }
    lean->addOutput(grad->outputs()[0].name, lm.at(grad->outputs()[0].value));
    grad = lean;
  }

  // The states before each step (state_t for the step that writes row t),
  // unless the saved rows hold them.
  std::vector<Value *> operands = {c.zeros({dtype, carryPacking.shape(packed)}),
                                   c.dy};
  if (beforeAt < 0) {
    Shape one = state.shape;
    one.insert(one.begin(), 1);
    Value *first = c.reshape(c.x(0), one);
    if (length == 1)
      operands.push_back(first);
    else if (!roles.reverse)
      operands.push_back(c.concat({first, c.slice(all, {0}, {length - 1})}, 0));
    else
      operands.push_back(c.concat({c.slice(all, {1}, {length}), first}, 0));
  }
  for (size_t i = 1; i < roles.firstInvariant(); ++i)
    operands.push_back(c.x(i));
  if (savedRows)
    operands.push_back(savedRows);
  for (size_t i = roles.firstInvariant(); i < types.size(); ++i)
    operands.push_back(c.x(i));
  for (const HoistedUse &h : hoisted)
    operands.push_back(c.x(h.operand));
  Attributes attrs;
  attrs.set("body", SubGraph(grad));
  attrs.set("sequences", (int64_t)((beforeAt < 0 ? 2 : 1) + roles.sequences +
                                   (savedRows ? 1 : 0)));
  attrs.set("reverse", !roles.reverse);
  Value *rows = c.op(OpKind::Scan, operands, attrs);

  std::vector<Value *> result(types.size(), nullptr);
  auto add = [&](size_t i, Value *g) {
    result[i] = result[i] ? c.add(result[i], g) : g;
  };
  // Each step's part at `begin` of its carry: [T, t...].
  auto stepsOf = [&](int64_t begin, const TensorType &t) {
    return carryPacking.unpack(c, rows, 1, begin, t);
  };
  for (size_t k = 0; k < loopWrt.size(); ++k) {
    size_t i = loopWrt[k];
    int64_t begin = offsets[k];
    if (i == 0) {
      // The reverse scan's last step writes row 0 (row T-1 in reverse).
      int64_t row = roles.reverse ? length - 1 : 0;
      Value *last = carryPacking.unpack(c, c.slice(rows, {row}, {row + 1}), 1,
                                        begin, state);
      add(i, c.reshape(last, state.shape));
    } else if (isSequence(i)) {
      add(i, stepsOf(begin, sliceType(types[i])));
    } else {
      add(i, c.reduceSum(stepsOf(begin, types[i]), std::vector<int64_t>{0}));
    }
  }
  // sum over t of x_t^T g_t: one product of all steps' rows (x from the
  // forward pass's rows when it is a residual); sum over t and rows of g_t:
  // one sum of all steps' rows.
  // Every step's part pi, [T, shape...]: the forward pass's rows when it
  // is a residual, otherwise the carry's.
  auto everyStep = [&](size_t pi, const Shape &shape) {
    if (const Value *v = external[pi]) {
      if (v == stateIn)
        return beforeRows;
      if (recomputed.count(v->name())) {
        // A slice of the state before the step, taken of every step's.
        SliceDims s = normalizeSlice(v->definingNode()->attr(), state.shape);
        std::vector<int64_t> starts, ends, axes;
        for (size_t d = 0; d < state.shape.size(); ++d) {
          starts.push_back(s.start[d]);
          ends.push_back(s.start[d] + s.count[d]);
          axes.push_back((int64_t)d + 1);
        }
        return c.slice(beforeRows, starts, ends, axes);
      }
      size_t j = std::find(residuals.begin(), residuals.end(), v->name()) -
                 residuals.begin();
      return residualRows[j];
    }
    return stepsOf(offsets[pi], {dtype, shape});
  };
  auto stackedPart = [&](size_t pi, const Shape &shape) {
    return c.reshape(everyStep(pi, shape), {length * shape[0], shape[1]});
  };
  size_t at = loopWrt.size();
  for (const HoistedUse &h : hoisted) {
    if (h.kind == Hoist::Product) {
      Value *xs = stackedPart(at, h.use->operand(0)->type().shape);
      Value *gs = stackedPart(at + 1, h.use->result()->type().shape);
      add(h.operand, c.matmul(c.transpose(xs), gs));
    } else {
      // Summed over the steps and the rows at once, [T, rows, n] as the
      // carry holds it: a sum of a reshape would copy the carry's columns
      // out first (2.75 MB for a GRU of 28 steps of 64 x 384).
      Value *gs = everyStep(at, h.use->result()->type().shape);
      add(h.operand, c.reduceSum(gs, std::vector<int64_t>{0, 1}));
    }
    at += h.parts();
  }
  return result;
}

} // namespace adjoint::autodiff
