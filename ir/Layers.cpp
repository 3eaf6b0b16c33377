//===- Layers.cpp - Transformer layers as builder composites --------------===//
#include "ir/Layers.h"

#include "ir/Error.h"
#include "ir/GraphCopy.h"
#include "ir/SymbolicDim.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace adjoint {

namespace {

/// x must be a float sequence [N, T, D] with static T and D.
void requireSequence(const char *layer, const Value *x) {
  const TensorType &t = x->type();
  if (!isFloat(t.dtype) || t.rank() != 3 || isSymbolic(t.shape[1]) ||
      isSymbolic(t.shape[2]))
    badInput(layer,
             ": needs a float sequence [batch, time, features] with "
             "a static time and feature count, not ",
             typeStr(t));
}

/// x @ w + bias with w [in, out] Glorot-uniform and bias zeros, named
/// PREFIX_w and PREFIX_b (PREFIX_wq/_bq with a `which` of "q").
Value *projection(Builder &b, Value *x, int64_t out, const std::string &prefix,
                  const std::string &which, uint64_t seed) {
  DType t = x->type().dtype;
  int64_t in = x->type().shape.back();
  Value *w =
      b.param(prefix + "_w" + which, {t, {in, out}}, glorotUniform(seed));
  Value *bias = b.param(prefix + "_b" + which, {t, {out}}, zerosInit());
  return b.dense(x, w, bias);
}

} // namespace

Value *gelu(Builder &b, Value *x) {
  if (!isFloat(x->type().dtype))
    badInput("gelu: needs a float operand, not ", typeStr(x->type()));
  DType t = x->type().dtype;
  Value *cdf = b.mul(
      b.scalar(t, 0.5),
      b.add(b.scalar(t, 1), b.erf(b.mul(x, b.scalar(t, 1 / std::sqrt(2.0))))));
  return b.mul(x, cdf);
}

Value *layerNorm(Builder &b, Value *x, const std::string &prefix,
                 double epsilon) {
  const TensorType &t = x->type();
  if (!isFloat(t.dtype) || t.rank() == 0 || isSymbolic(t.shape.back()))
    badInput("layerNorm ", prefix,
             ": needs a float operand of rank >= 1 "
             "with a static last axis, not ",
             typeStr(t));
  int64_t d = t.shape.back();
  std::vector<int64_t> last = {-1};
  Value *centered = b.sub(x, b.reduceMean(x, last, true));
  Value *variance = b.reduceMean(b.mul(centered, centered), last, true);
  Value *normalized =
      b.div(centered, b.sqrt(b.add(variance, b.scalar(t.dtype, epsilon))));
  Value *gamma = b.param(prefix + "_gamma", {t.dtype, {d}}, onesInit());
  Value *beta = b.param(prefix + "_beta", {t.dtype, {d}}, zerosInit());
  return b.add(b.mul(normalized, gamma), beta);
}

Value *embedding(Builder &b, Value *ids, int64_t vocabulary, int64_t dim,
                 const std::string &prefix, uint64_t seed) {
  DType t = ids->type().dtype;
  if ((t != DType::I32 && t != DType::I64) || vocabulary <= 0 || dim <= 0)
    badInput("embedding ", prefix,
             ": needs i32 or i64 ids and a positive "
             "vocabulary and width, not ids ",
             typeStr(ids->type()), ", vocabulary ", vocabulary, ", width ",
             dim);
  Value *table = b.param(prefix + "_table", {DType::F32, {vocabulary, dim}},
                         uniformInit(seed, -0.05, 0.05));
  return b.gather(table, ids, 0);
}

Value *addLearnedPositions(Builder &b, Value *x, const std::string &prefix,
                           uint64_t seed) {
  requireSequence("addLearnedPositions", x);
  const Shape &s = x->type().shape;
  Value *table = b.param(prefix + "_table", {x->type().dtype, {s[1], s[2]}},
                         uniformInit(seed, -0.05, 0.05));
  return b.add(x, table);
}

Value *addSinusoidalPositions(Builder &b, Value *x) {
  requireSequence("addSinusoidalPositions", x);
  int64_t time = x->type().shape[1], d = x->type().shape[2];
  std::vector<double> table((size_t)(time * d));
  for (int64_t p = 0; p < time; ++p)
    for (int64_t i = 0; i < d; ++i) {
      double angle =
          (double)p / std::pow(10000.0, (double)(i / 2 * 2) / (double)d);
      table[(size_t)(p * d + i)] = i % 2 ? std::cos(angle) : std::sin(angle);
    }
  return b.add(
      x, b.constant(Tensor::fromDoubles(x->type().dtype, {time, d}, table)));
}

Value *multiHeadAttention(Builder &b, Value *x, int64_t heads,
                          const std::string &prefix, uint64_t seed,
                          bool causal) {
  requireSequence("multiHeadAttention", x);
  const Shape &s = x->type().shape;
  int64_t n = s[0], time = s[1], d = s[2];
  if (heads <= 0 || d % heads != 0)
    badInput("multiHeadAttention ", prefix, ": ", heads,
             " heads do not divide the ", d, " features of ",
             typeStr(x->type()));
  int64_t width = d / heads;
  // [N, T, D] -> [N, heads, T, width].
  auto split = [&](Value *v) {
    return b.transpose(b.reshape(v, {n, time, heads, width}), {0, 2, 1, 3});
  };
  Value *q = split(projection(b, x, d, prefix, "q", seed));
  Value *k = split(projection(b, x, d, prefix, "k", seed + 1));
  Value *v = split(projection(b, x, d, prefix, "v", seed + 2));
  // One attention op: compiled, the [T, T] scores of a head are never
  // stored whole (position t sees positions <= t when causal).
  Value *context = b.attention(q, k, v, 1 / std::sqrt((double)width),
                               causal); // [N, heads, T, width]
  Value *merged = b.reshape(b.transpose(context, {0, 2, 1, 3}), {n, time, d});
  return projection(b, merged, d, prefix, "o", seed + 3);
}

Value *transformerEncoderLayer(Builder &b, Value *x, const std::string &prefix,
                               const TransformerOptions &o) {
  requireSequence("transformerEncoderLayer", x);
  if (o.feedForward <= 0)
    badInput("transformerEncoderLayer ", prefix,
             ": the feed-forward width must be positive, not ", o.feedForward);
  int64_t d = x->type().shape[2];
  auto attention = [&](Value *in) {
    return multiHeadAttention(b, in, o.heads, prefix + "_attn", o.seed,
                              o.causal);
  };
  auto feedForward = [&](Value *in) {
    Value *h =
        projection(b, in, o.feedForward, prefix + "_ff1", "", o.seed + 4);
    h = o.gelu ? gelu(b, h) : b.relu(h);
    return projection(b, h, d, prefix + "_ff2", "", o.seed + 5);
  };
  auto norm = [&](Value *in, const char *which) {
    return layerNorm(b, in, prefix + "_" + which, o.epsilon);
  };
  if (o.normFirst) {
    Value *h = b.add(x, attention(norm(x, "ln1")));
    return b.add(h, feedForward(norm(h, "ln2")));
  }
  Value *h = norm(b.add(x, attention(x)), "ln1");
  return norm(b.add(h, feedForward(h)), "ln2");
}

Value *trainingStep(Builder &b) {
  Graph &g = b.graph();
  TensorType type{DType::I64, {}};
  if (Value *v = g.findValue(kStepInput)) {
    if (v->kind() != ValueKind::Input || v->type() != type)
      badInput("dropout: the graph's value %", kStepInput, " (",
               typeStr(v->type()), ") is not the step input, an i64[] input");
    return v;
  }
  return b.input(kStepInput, type);
}

Value *dropout(Builder &b, Value *x, double rate, uint64_t seed) {
  if (!isFloat(x->type().dtype))
    badInput("dropout: needs a float operand, not ", typeStr(x->type()));
  if (!(rate >= 0 && rate < 1))
    badInput("dropout: the rate is ", rate, " but must be in [0, 1)");
  Attributes a;
  a.set("rate", rate);
  a.set("seed", (int64_t)seed);
  return b.op(OpKind::Dropout, {x, trainingStep(b)}, std::move(a));
}

namespace {

/// `g` copied with input `dropped` (if any) left out of the inputs, and
/// `replace` deciding each node: it returns the value that stands for the
/// node's result in `out` (its operand, say), or null to copy the node.
/// `seed` runs first, to map `dropped` to a value of `out`.
Graph copyRewriting(
    const Graph &g, const Value *dropped,
    const std::function<void(Graph &, ValueMap &)> &seed,
    const std::function<Value *(const Node &, ValueMap &)> &replace) {
  Graph out(g.name());
  ValueMap map;
  for (const Value *v : g.inputs())
    if (v != dropped)
      map[v] = out.addInput(v->name(), v->type());
  for (const Param &p : g.params()) {
    map[p.value] = out.addParam(p.value->name(), p.data.clone());
    out.params().back().init = p.init;
  }
  seed(out, map);
  for (const auto &n : g.nodes()) {
    if (Value *v = replace(*n, map)) {
      map[n->result()] = v;
      continue;
    }
    std::vector<Value *> operands;
    for (const Value *v : n->operands())
      operands.push_back(map.at(v));
    map[n->result()] = out.addNode(n->op(), std::move(operands), n->attrs(),
                                   n->result()->name(), n->result()->type())
                           ->result();
  }
  for (const Output &o : g.outputs())
    out.addOutput(o.name, map.at(o.value));
  return out;
}

} // namespace

namespace {

/// Whether `g`, or the body of a scan in it, has a dropout.
bool hasDropout(const Graph &g) {
  return std::any_of(g.nodes().begin(), g.nodes().end(), [](const auto &n) {
    return n->op() == OpKind::Dropout ||
           (n->op() == OpKind::Scan && hasDropout(n->attr().getGraph("body")));
  });
}

Graph identityDropouts(const Graph &g, const Value *dropped);

/// The scan `n` (operands mapped by `map`) added to `out` with the
/// dropouts of its body the identity, and the invariant operands its body
/// then no longer reads (a dropout's step) left out.
Value *scanWithoutDropout(Graph &out, const Node &n, ValueMap &map) {
  const Graph stripped = identityDropouts(n.attr().getGraph("body"), nullptr);
  size_t firstInvariant = 1 + (size_t)n.attr().getInt("sequences");
  std::vector<bool> keep(stripped.inputs().size(), true);
  for (size_t i = firstInvariant; i < keep.size(); ++i) {
    const Value *in = stripped.inputs()[i];
    keep[i] =
        std::any_of(stripped.outputs().begin(), stripped.outputs().end(),
                    [&](const Output &o) { return o.value == in; }) ||
        std::any_of(stripped.nodes().begin(), stripped.nodes().end(),
                    [&](const auto &node) {
                      const auto &ops = node->operands();
                      return std::find(ops.begin(), ops.end(), in) != ops.end();
                    });
  }
  auto body = std::make_shared<Graph>(stripped.name());
  ValueMap inner;
  std::vector<Value *> operands;
  for (size_t i = 0; i < keep.size(); ++i)
    if (keep[i]) {
      const Value *in = stripped.inputs()[i];
      inner[in] = body->addInput(in->name(), in->type());
      operands.push_back(map.at(n.operand(i)));
    }
  Builder bb(*body);
  inlineNodes(bb, stripped, inner);
  for (const Output &o : stripped.outputs())
    body->addOutput(o.name, inner.at(o.value));
  Attributes attrs = n.attrs();
  attrs.set("body", SubGraph(body));
  return out
      .addNode(OpKind::Scan, std::move(operands), std::move(attrs),
               n.result()->name(), n.result()->type())
      ->result();
}

/// `g` with every dropout the identity, in scan bodies too, and input
/// `dropped` (if any) left out.
Graph identityDropouts(const Graph &g, const Value *dropped) {
  Graph *target = nullptr;
  return copyRewriting(
      g, dropped, [&](Graph &out, ValueMap &) { target = &out; },
      [&](const Node &n, ValueMap &map) -> Value * {
        if (n.op() == OpKind::Dropout)
          return map.at(n.operand(0));
        if (n.op() == OpKind::Scan && hasDropout(n.attr().getGraph("body")))
          return scanWithoutDropout(*target, n, map);
        return nullptr;
      });
}

} // namespace

Graph withoutDropout(const Graph &g) {
  if (!hasDropout(g))
    return copyGraph(g);
  // The step input goes when only dropouts read it (in scan bodies, through
  // the invariant operands the stripped scans leave out).
  Graph stripped = identityDropouts(g, nullptr);
  const Value *step = stripped.findValue(kStepInput);
  if (!step || step->kind() != ValueKind::Input)
    return stripped;
  bool read = std::any_of(stripped.outputs().begin(), stripped.outputs().end(),
                          [&](const Output &o) { return o.value == step; });
  for (const auto &n : stripped.nodes())
    for (const Value *v : n->operands())
      read = read || v == step;
  return read ? std::move(stripped) : identityDropouts(stripped, step);
}

Value *trainingFlag(Builder &b) {
  Graph &g = b.graph();
  TensorType type{DType::Bool, {}};
  if (Value *v = g.findValue(kTrainingInput)) {
    if (v->kind() != ValueKind::Input || v->type() != type)
      badInput("the graph's value %", kTrainingInput, " (", typeStr(v->type()),
               ") is not the training input, a bool[] "
               "input");
    return v;
  }
  return b.input(kTrainingInput, type);
}

Graph withTrainingFlag(const Graph &g, bool training) {
  const Value *flag = g.findValue(kTrainingInput);
  if (!flag || flag->kind() != ValueKind::Input)
    return copyGraph(g);
  return copyRewriting(
      g, flag,
      [&](Graph &out, ValueMap &map) {
        map[flag] = Builder(out).constant(
            Tensor::scalar(DType::Bool, training ? 1 : 0), kTrainingInput);
      },
      [](const Node &, ValueMap &) -> Value * { return nullptr; });
}

Graph forInference(const Graph &g) {
  Graph out = withoutDropout(g);
  // One copy, not two, for the common model without a training input.
  return out.findValue(kTrainingInput) ? withTrainingFlag(out, false)
                                       : std::move(out);
}

Value *batchNorm(Builder &b, Value *x, const std::string &prefix,
                 double momentum, double epsilon, bool frozen) {
  const TensorType &t = x->type();
  if (!isFloat(t.dtype) || t.rank() < 2 || isSymbolic(t.shape.back()))
    badInput("batchNorm ", prefix, ": needs a float x [..., channels], not ",
             typeStr(t));
  if (!(momentum >= 0 && momentum < 1) || !(epsilon > 0))
    badInput("batchNorm ", prefix, ": momentum ", momentum,
             " must be in [0, 1) and epsilon ", epsilon, " positive");
  int64_t c = t.shape.back();
  TensorType channels{t.dtype, {c}};
  Value *gamma = b.param(prefix + "_gamma", channels, onesInit());
  Value *beta = b.param(prefix + "_beta", channels, zerosInit());
  Value *movingMean = b.param(prefix + "_moving_mean", channels, zerosInit());
  Value *movingVar = b.param(prefix + "_moving_variance", channels, onesInit());
  auto k = [&](double v) { return b.scalar(t.dtype, v); };
  auto normalize = [&](Value *m, Value *v) {
    Value *scale = b.div(gamma, b.sqrt(b.add(v, k(epsilon))));
    return b.add(b.mul(b.sub(x, m), scale), beta);
  };
  if (frozen) // inference mode, in training too
    return normalize(movingMean, movingVar);
  std::vector<int64_t> axes;
  for (int64_t a = 0; a + 1 < (int64_t)t.rank(); ++a)
    axes.push_back(a);
  Value *mean = b.reduceMean(x, axes);
  Value *centered = b.sub(x, mean);
  Value *var = b.reduceMean(b.mul(centered, centered), axes);
  Value *y = b.select(trainingFlag(b), normalize(mean, var),
                      normalize(movingMean, movingVar));
  // The moving statistics after this step; no gradient flows into them.
  auto next = [&](Value *moving, Value *batch) {
    return b.add(b.mul(k(momentum), moving),
                 b.mul(k(1 - momentum), b.stopGradient(batch)));
  };
  b.output(prefix + "_moving_mean_next", next(movingMean, mean));
  b.output(prefix + "_moving_variance_next", next(movingVar, var));
  return y;
}

std::vector<StateUpdate> batchNormStateUpdates(const std::string &prefix) {
  return {{prefix + "_moving_mean", prefix + "_moving_mean_next"},
          {prefix + "_moving_variance", prefix + "_moving_variance_next"}};
}

} // namespace adjoint
