//===- Rebatch.cpp - A model at another batch size ------------------------===//
//
// One forward walk over the nodes. For each value it records which axis is
// the batch axis (kNone: none); for each node a rule gives the batch axis of
// the result from those of the operands and rewrites the attributes that
// spell the batch size out. Any case a rule cannot follow is an error.
//
//===----------------------------------------------------------------------===//
#include "compiler/training/Rebatch.h"

#include "ir/Error.h"
#include "ir/GraphCopy.h"
#include "ir/ShapeInference.h"
#include "ir/Specialize.h"
#include "ir/Verifier.h"

#include <algorithm>
#include <cassert>
#include <limits>
#include <unordered_map>

namespace adjoint {

namespace {

constexpr int64_t kNone = -1;

class Rebatcher {
public:
  Rebatcher(const Graph &g, int64_t oldBatch, int64_t newBatch)
      : g_(g), old_(oldBatch), new_(newBatch) {}

  /// The batch axis of `v` in the original graph, or kNone.
  int64_t axisOf(const Value *v) const {
    auto it = axis_.find(v);
    return it == axis_.end() ? kNone : it->second;
  }
  void setAxis(const Value *v, int64_t axis) { axis_[v] = axis; }

  /// The batch axis of `n`'s result; rewrites `attrs` (a copy of n's) to
  /// the new batch size.
  int64_t follow(const Node &n, Attributes &attrs);

private:
  [[noreturn]] void fail(const Node &n, const std::string &why) const;
  const Shape &shapeOf(const Node &n, size_t i) const {
    return n.operand(i)->type().shape;
  }
  /// Elementwise ops with numpy broadcasting: aligned from the right.
  int64_t elementwise(const Node &n);
  int64_t reduction(const Node &n, const std::vector<int64_t> &axes,
                    bool keepdims);
  int64_t reshape(const Node &n, Attributes &attrs);
  int64_t broadcastTo(const Node &n, Attributes &attrs);
  int64_t slice(const Node &n, Attributes &attrs);
  int64_t gather(const Node &n);
  int64_t matmul(const Node &n);
  int64_t scatterAdd(const Node &n, Attributes &attrs);
  /// Ops whose operands carry the batch on axis 0 only, if at all: the
  /// windows and their gradients. `batched` lists the operands that must
  /// carry it (all or none of them); the others must not.
  int64_t leadingOnly(const Node &n, std::vector<size_t> batched);
  /// Sets element `i` of the ints attribute `name` to the new batch.
  void rewrite(Attributes &attrs, const char *name, size_t i,
               const Node &n) const;

  const Graph &g_;
  int64_t old_, new_;
  std::unordered_map<const Value *, int64_t> axis_;
};

void Rebatcher::fail(const Node &n, const std::string &why) const {
  std::string types;
  for (const Value *v : n.operands())
    types += (types.empty() ? "" : ", ") + typeStr(v->type());
  badInput("model ", g_.name(), " cannot be re-batched to ", new_, ": ",
           n.describe(), " on (", types, ") giving ",
           typeStr(n.result()->type()), " ", why);
}

void Rebatcher::rewrite(Attributes &attrs, const char *name, size_t i,
                        const Node &n) const {
  std::vector<int64_t> values = n.attr().getInts(name);
  values.at(i) = new_;
  attrs.set(name, std::move(values));
}

int64_t Rebatcher::elementwise(const Node &n) {
  size_t rank = n.result()->type().rank();
  int64_t at = kNone;
  for (size_t i = 0; i < n.operands().size(); ++i) {
    int64_t a = axisOf(n.operand(i));
    if (a == kNone)
      continue;
    int64_t p = a + (int64_t)(rank - shapeOf(n, i).size());
    if (at != kNone && at != p)
      fail(n, strCat("combines batch axes that do not line up (result axes ",
                     at, " and ", p, ")"));
    at = p;
  }
  if (at == kNone)
    return kNone;
  for (size_t i = 0; i < n.operands().size(); ++i) {
    if (axisOf(n.operand(i)) != kNone)
      continue;
    const Shape &s = shapeOf(n, i);
    int64_t q = at - (int64_t)(rank - s.size());
    if (q >= 0 && s[q] != 1)
      fail(n, strCat("combines the examples with operand ", i, " (",
                     typeStr(n.operand(i)->type()), "), whose axis ", q,
                     " of extent ", s[q],
                     " lines up with the batch axis but does not follow "
                     "the batch"));
  }
  return at;
}

int64_t Rebatcher::reduction(const Node &n, const std::vector<int64_t> &axes,
                             bool keepdims) {
  int64_t a = axisOf(n.operand(0));
  if (a == kNone || std::find(axes.begin(), axes.end(), a) != axes.end())
    return kNone; // a reduction over the batch ends it
  if (keepdims)
    return a;
  return a - std::count_if(axes.begin(), axes.end(),
                           [a](int64_t r) { return r < a; });
}

int64_t Rebatcher::reshape(const Node &n, Attributes &attrs) {
  int64_t a = axisOf(n.operand(0));
  if (a == kNone)
    return kNone;
  const Shape &in = shapeOf(n, 0), &out = n.result()->type().shape;
  auto perExample = [](const Shape &s) {
    int64_t p = 1;
    for (size_t d = 1; d < s.size(); ++d)
      p *= s[d];
    return p;
  };
  if (a != 0 || out.empty() || out[0] != old_ ||
      perExample(in) != perExample(out))
    fail(n, strCat("moves the batch axis ", a,
                   " or merges it with other axes (the batch must stay "
                   "axis 0 of extent ",
                   old_, ")"));
  if (n.attr().getInts("shape")[0] != -1)
    rewrite(attrs, "shape", 0, n);
  return 0;
}

int64_t Rebatcher::broadcastTo(const Node &n, Attributes &attrs) {
  int64_t a = axisOf(n.operand(0));
  if (a == kNone)
    return kNone;
  const Shape &out = n.result()->type().shape;
  int64_t p = a + (int64_t)(out.size() - shapeOf(n, 0).size());
  if (out[p] != old_)
    fail(n, strCat("broadcasts the batch axis ", a, " to extent ", out[p]));
  rewrite(attrs, "shape", (size_t)p, n);
  return p;
}

int64_t Rebatcher::slice(const Node &n, Attributes &attrs) {
  int64_t a = axisOf(n.operand(0));
  if (a == kNone)
    return kNone;
  SliceDims s = normalizeSlice(n.attr(), shapeOf(n, 0));
  if (s.start[a] != 0 || s.step[a] != 1 || s.count[a] != old_)
    fail(n, strCat("takes a part of the batch axis ", a));
  // Keep the whole axis whatever its extent.
  AttrReader r = n.attr();
  std::vector<int64_t> axes;
  if (attrs.find("axes"))
    axes = r.getInts("axes");
  else
    for (size_t d = 0; d < r.getInts("starts").size(); ++d)
      axes.push_back((int64_t)d);
  int64_t rank = (int64_t)shapeOf(n, 0).size();
  for (size_t j = 0; j < axes.size(); ++j) {
    if ((axes[j] < 0 ? axes[j] + rank : axes[j]) != a)
      continue;
    std::vector<int64_t> starts = r.getInts("starts"), ends = r.getInts("ends");
    starts[j] = 0;
    ends[j] = std::numeric_limits<int64_t>::max();
    attrs.set("starts", std::move(starts));
    attrs.set("ends", std::move(ends));
  }
  return a;
}

int64_t Rebatcher::gather(const Node &n) {
  int64_t da = axisOf(n.operand(0)), ia = axisOf(n.operand(1));
  int64_t rank = (int64_t)shapeOf(n, 0).size();
  int64_t ir = (int64_t)shapeOf(n, 1).size();
  int64_t ax = normalizeAxis(n.attr().getInt("axis"), rank, "gather: 'axis'");
  if (da != kNone && ia != kNone)
    fail(n, "indexes examples with indices that are examples themselves");
  if (ia != kNone)
    return ax + ia;
  if (da == kNone)
    return kNone;
  if (da == ax)
    fail(n, strCat("gathers along the batch axis ", da));
  return da < ax ? da : da + ir - 1;
}

int64_t Rebatcher::matmul(const Node &n) {
  const Shape &sa = shapeOf(n, 0), &sb = shapeOf(n, 1);
  int64_t ra = (int64_t)sa.size(), rb = (int64_t)sb.size();
  int64_t rank = (int64_t)n.result()->type().rank();
  int64_t aa = axisOf(n.operand(0)), ab = axisOf(n.operand(1));
  // Result axes of the batch axis of a and of b.
  int64_t pa = kNone, pb = kNone;
  if (aa != kNone) {
    if (aa == ra - 1)
      fail(n, strCat("contracts the batch axis ", aa, " of its first operand"));
    if (aa == ra - 2)
      pa = rb == 1 ? rank - 1 : rank - 2;
    else
      pa = aa + (rank - (rb == 1 ? 1 : 2)) - (ra - 2);
  }
  if (ab != kNone) {
    if (rb == 1 || ab == rb - 2)
      fail(n,
           strCat("contracts the batch axis ", ab, " of its second operand"));
    if (ab == rb - 1)
      pb = rank - 1;
    else
      pb = ab + (rank - (ra == 1 ? 1 : 2)) - (rb - 2);
  }
  if (pa != kNone && pb != kNone && pa != pb)
    fail(n, strCat("combines batch axes that do not line up (result axes ", pa,
                   " and ", pb, ")"));
  int64_t p = pa != kNone ? pa : pb;
  if (p == kNone)
    return kNone;
  // On a broadcast batch dimension, the other operand must broadcast too.
  int64_t batchDims = rank - (ra == 1 || rb == 1 ? 1 : 2);
  if (p < batchDims)
    for (int64_t i = 0; i < 2; ++i) {
      if ((i == 0 ? aa : ab) != kNone)
        continue;
      const Shape &s = i == 0 ? sa : sb;
      int64_t q = p - (batchDims - ((int64_t)s.size() - 2));
      if (s.size() > 2 && q >= 0 && s[q] != 1)
        fail(n, strCat("multiplies the examples with operand ", i,
                       ", whose batch dimension ", q, " of extent ", s[q],
                       " does not follow the batch"));
    }
  return p;
}

int64_t Rebatcher::scatterAdd(const Node &n, Attributes &attrs) {
  int64_t ia = axisOf(n.operand(0)), ua = axisOf(n.operand(1));
  int64_t ir = (int64_t)shapeOf(n, 0).size();
  int64_t rank = (int64_t)n.result()->type().rank();
  int64_t ax =
      normalizeAxis(n.attr().getInt("axis"), rank, "scatter_add: 'axis'");
  if (ua == kNone) {
    if (ia != kNone)
      fail(n, "scatters updates that do not follow the batch of the indices");
    return kNone;
  }
  if (ua >= ax && ua < ax + ir) {
    // The updates of each example go to the rows its indices name: the
    // result sums over the examples.
    if (ia != ua - ax)
      fail(n, strCat("scatters the batch axis ", ua,
                     " of the updates with indices that do not follow it"));
    return kNone;
  }
  if (ia != kNone)
    fail(n, "scatters with indices and updates whose batch axes differ");
  int64_t p = ua < ax ? ua : ua - ir + 1;
  rewrite(attrs, "shape", (size_t)p, n);
  return p;
}

int64_t Rebatcher::leadingOnly(const Node &n, std::vector<size_t> batched) {
  size_t carrying = 0;
  for (size_t i = 0; i < n.operands().size(); ++i) {
    int64_t a = axisOf(n.operand(i));
    bool expected =
        std::find(batched.begin(), batched.end(), i) != batched.end();
    if (a != kNone && (!expected || a != 0))
      fail(n, strCat("has the batch on axis ", a, " of operand ", i,
                     " (only axis 0 of the data can carry it)"));
    carrying += a != kNone;
  }
  if (carrying != 0 && carrying != batched.size())
    fail(n, "mixes operands with and without the batch");
  return carrying ? 0 : kNone;
}

int64_t Rebatcher::follow(const Node &n, Attributes &attrs) {
  AttrReader r = n.attr();
  switch (n.op()) {
  case OpKind::Neg:
  case OpKind::Abs:
  case OpKind::Sign:
  case OpKind::Exp:
  case OpKind::Log:
  case OpKind::Sqrt:
  case OpKind::Tanh:
  case OpKind::Sigmoid:
  case OpKind::Relu:
  case OpKind::Erf:
  case OpKind::Add:
  case OpKind::Sub:
  case OpKind::Mul:
  case OpKind::Div:
  case OpKind::Pow:
  case OpKind::Maximum:
  case OpKind::Minimum:
  case OpKind::Equal:
  case OpKind::Less:
  case OpKind::LessEqual:
  case OpKind::Greater:
  case OpKind::GreaterEqual:
  case OpKind::LogicalAnd:
  case OpKind::LogicalOr:
  case OpKind::LogicalNot:
  case OpKind::Select:
  case OpKind::Cast:
  case OpKind::StopGradient:
    return elementwise(n);
  case OpKind::Constant:
    return kNone;
  case OpKind::Iota: {
    // An iota as long as the batch counts the examples (unless the batch
    // is 1, where a leading 1 is as likely a broadcast axis).
    const Shape &s = n.result()->type().shape;
    if (old_ == 1 || s.empty() || s[0] != old_)
      return kNone;
    rewrite(attrs, "shape", 0, n);
    return 0;
  }
  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
  case OpKind::ReduceMax:
  case OpKind::ReduceMin:
    return reduction(n, reductionAxes(r, shapeOf(n, 0).size()),
                     r.getBool("keepdims"));
  case OpKind::Argmax:
    return reduction(n,
                     {normalizeAxis(r.getInt("axis"), shapeOf(n, 0).size(),
                                    "argmax: 'axis'")},
                     r.getBool("keepdims"));
  case OpKind::Reshape:
    return reshape(n, attrs);
  case OpKind::Transpose: {
    int64_t a = axisOf(n.operand(0));
    if (a == kNone)
      return kNone;
    std::vector<int64_t> perm = transposePerm(r, shapeOf(n, 0).size());
    return std::find(perm.begin(), perm.end(), a) - perm.begin();
  }
  case OpKind::BroadcastTo:
    return broadcastTo(n, attrs);
  case OpKind::Slice:
    return slice(n, attrs);
  case OpKind::Concat: {
    int64_t a = axisOf(n.operand(0));
    for (const Value *v : n.operands())
      if (axisOf(v) != a)
        fail(n, "joins operands with and without the batch, or with "
                "different batch axes");
    if (a != kNone &&
        a == normalizeAxis(r.getInt("axis"), shapeOf(n, 0).size(), "concat"))
      fail(n, strCat("joins along the batch axis ", a));
    return a;
  }
  case OpKind::Pad: {
    int64_t a = axisOf(n.operand(0));
    size_t rank = shapeOf(n, 0).size();
    const std::vector<int64_t> &pads = r.getInts("pads");
    if (a != kNone && (pads[a] != 0 || pads[a + rank] != 0))
      fail(n, strCat("pads the batch axis ", a));
    return a;
  }
  case OpKind::Gather:
    return gather(n);
  case OpKind::OneHot:
    return axisOf(n.operand(0)); // the classes axis is appended

  case OpKind::MatMul:
    return matmul(n);
  case OpKind::Conv2D:
  case OpKind::MaxPool2D:
  case OpKind::AvgPool2D:
    return leadingOnly(n, {0});
  case OpKind::Conv2DInputGrad:
  case OpKind::AvgPool2DGrad: {
    int64_t a = leadingOnly(n, {0});
    if (a != kNone)
      rewrite(attrs, "input_shape", 0, n);
    return a;
  }
  case OpKind::Conv2DWeightGrad:
    leadingOnly(n, {0, 1});
    return kNone; // summed over the examples
  case OpKind::MaxPool2DGrad:
    return leadingOnly(n, {0, 1});
  case OpKind::ScatterAdd:
    return scatterAdd(n, attrs);
  }
  __builtin_unreachable();
}

} // namespace

Graph rebatch(const Graph &g, const std::string &features, int64_t batch) {
  if (batch <= 0)
    badInput("the batch size must be positive, not ", batch);
  const Value *f = g.findValue(features);
  if (!f || f->kind() != ValueKind::Input || f->type().rank() == 0)
    badInput("model ", g.name(), " has no input %", features,
             " of rank >= 1 to take the batch from");
  int64_t oldBatch = f->type().shape[0];
  if (isSymbolic(oldBatch)) {
    // A symbolic batch is given its value; nothing is rewritten.
    int64_t c = dimCoefficient(oldBatch);
    if (batch % c != 0)
      badInput("the batch of model ", g.name(), " is ", dimStr(oldBatch), ": ",
               batch, " is no multiple of ", c);
    return specialize(g, {{dimSymbol(oldBatch), batch / c}});
  }
  if (hasSymbols(g))
    requireStatic(g, strCat("re-batching along %", features));
  Rebatcher rb(g, oldBatch, batch);

  Graph out(g.name());
  std::unordered_map<const Value *, Value *> map;
  for (const Value *v : g.inputs()) {
    TensorType t = v->type();
    if (t.rank() >= 1 && t.shape[0] == oldBatch) {
      t.shape[0] = batch;
      rb.setAxis(v, 0);
    }
    map[v] = out.addInput(v->name(), t);
  }
  for (const Param &p : g.params()) {
    map[p.value] = out.addParam(p.value->name(), p.data.clone());
    out.params().back().init = p.init;
  }
  for (const auto &node : g.nodes()) {
    Attributes attrs = node->attrs();
    int64_t axis = rb.follow(*node, attrs);
    rb.setAxis(node->result(), axis);
    std::vector<Value *> operands;
    for (const Value *v : node->operands())
      operands.push_back(map.at(v));
    Value *result =
        addRetyped(out, *node, std::move(operands), std::move(attrs),
                   strCat("model ", g.name(), " cannot be re-batched to ",
                          batch, ": ", node->describe()));
    assert((axis == -1 || result->type().shape.at(axis) == batch) &&
           "the batch axis lost track of the batch");
    map[node->result()] = result;
  }
  for (const Output &o : g.outputs())
    out.addOutput(o.name, map.at(o.value));
  verify(out);
  return out;
}

std::string batchInput(const Model &m) {
  std::string name;
  if (m.training && !m.training->features.empty())
    name = m.training->features;
  else if (!m.graph.inputs().empty())
    name = m.graph.inputs()[0]->name();
  const Value *v = name.empty() ? nullptr : m.graph.findValue(name);
  if (!v || v->kind() != ValueKind::Input || v->type().rank() == 0)
    badInput("model ", m.graph.name(),
             " has no input with a batch dimension (a features input of "
             "rank >= 1)");
  return name;
}

Model rebatch(const Model &m, int64_t batch) {
  Model out;
  out.graph = rebatch(m.graph, batchInput(m), batch);
  out.training = m.training;
  if (out.training && out.training->batchSize != 0)
    out.training->batchSize = batch;
  return out;
}

} // namespace adjoint
