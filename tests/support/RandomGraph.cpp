//===- RandomGraph.cpp - Random valid models for property tests -----------===//
#include "tests/support/RandomGraph.h"

#include "ir/ShapeInference.h"
#include "tests/support/RandomGraphGenerator.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

namespace adjoint::testing {

namespace detail {

bool satisfies(DType t, Need need) {
  switch (need) {
  case Need::Float:
    return isFloat(t);
  case Need::Numeric:
    return isNumeric(t);
  case Need::SignedNumeric:
    return isSignedNumeric(t);
  case Need::Bool:
    return t == DType::Bool;
  case Need::Any:
    return true;
  }
  __builtin_unreachable();
}

namespace {

bool broadcasts(const Shape &a, const Shape &b) {
  for (size_t i = 1; i <= std::min(a.size(), b.size()); ++i) {
    int64_t x = a[a.size() - i], y = b[b.size() - i];
    if (x != y && x != 1 && y != 1)
      return false;
  }
  return true;
}

/// Values above this many elements are not reused as operands.
constexpr int64_t kMaxReused = 512;

/// Names that the text form must quote.
const std::vector<std::string> kOddNames = {
    "a b",        "x\"y",  "tab\there", "back\\slash", "\xc3\xbc",
    "semi;colon", "#hash", "new\nline", "p%q",         "1+2",
};

} // namespace

std::string Generator::name(const char *stem, int oddOneIn) {
  std::string n = rng_.chance(1, oddOneIn) ? rng_.pick(kOddNames)
                                           : stem + std::to_string(counter_);
  ++counter_;
  while (m_.graph.findValue(n))
    n += "_";
  return n;
}

DType Generator::dtype(Need need) {
  for (;;) {
    // f32 is drawn most often, as in real models.
    DType t = rng_.chance(1, 2) ? DType::F32 : kAllDTypes[rng_.range(0, 5)];
    if (satisfies(t, need))
      return t;
  }
}

Shape Generator::shape(size_t minRank, size_t maxRank) {
  static const std::vector<size_t> kRanks = {0, 1, 1, 1, 2, 2, 2,
                                             2, 3, 3, 3, 4, 4};
  size_t rank = std::clamp(rng_.pick(kRanks), minRank, maxRank);
  bool high = maxRank >= 5 && rng_.chance(1, 30);
  if (high)
    rank = (size_t)rng_.range(5, (int64_t)maxRank);
  Shape s(rank);
  for (int64_t &d : s)
    d = high ? rng_.range(1, 2) : rng_.chance(1, 25) ? 0 : rng_.range(1, 4);
  return s;
}

/// A shape that broadcasts with `s`: equal, a suffix, with 1s, or longer.
Shape Generator::partnerShape(const Shape &s) {
  int mode = (int)rng_.range(0, 9);
  if (mode < 4)
    return s;
  if (mode == 4)
    return {};
  int64_t drop = mode >= 8 ? 0 : rng_.range(0, (int64_t)s.size());
  Shape out(s.begin() + drop, s.end());
  for (int64_t &d : out)
    d = d == 1 ? rng_.range(1, 3) : rng_.chance(1, 3) ? 1 : d;
  // Only a whole shape may grow on the left, or the new extent would meet
  // one of `s`.
  if (mode >= 8 && s.size() < 6)
    out.insert(out.begin(), rng_.range(1, 3));
  return out;
}

Tensor Generator::data(const TensorType &type) {
  return randomTensor(rng_, type);
}

InitSpec Generator::recipe(DType t) {
  using K = InitSpec::Kind;
  InitSpec s;
  s.kind = isFloat(t) ? (K)rng_.range(0, 8) : (K)rng_.range(0, 2);
  uint64_t seed = rng_.chance(1, 5) ? rng_.next() : (uint64_t)rng_.range(0, 99);
  double a = rng_.range(-8, 8) / 4.0, bOffset = rng_.range(1, 8) / 4.0;
  switch (s.kind) {
  case K::Zeros:
  case K::Ones:
    break;
  case K::Constant:
    s.value = isFloat(t) && rng_.chance(1, 2) ? rng_.unit() * 10 - 5 : a;
    break;
  case K::Uniform:
    s.seed = seed;
    s.low = a;
    s.high = a + bOffset;
    break;
  case K::Normal:
    s.seed = seed;
    s.mean = a;
    s.stddev = bOffset;
    break;
  case K::GlorotUniform:
  case K::GlorotNormal:
  case K::HeUniform:
  case K::HeNormal:
    s.seed = seed;
    break;
  }
  return s;
}

Value *Generator::source(const TensorType &type) {
  Value *v;
  int kind = (int)rng_.range(0, 9);
  // Each draw is its own statement: argument evaluation order is unspecified.
  if (kind < 4) {
    v = b_.input(name("x", 8), type);
  } else if (kind < 6) {
    std::string n = name("w", 8);
    v = b_.param(n, data(type));
  } else if (kind < 8) {
    std::string n = name("w", 8);
    v = b_.param(n, type, recipe(type.dtype));
  } else {
    Tensor t = data(type);
    v = b_.constant(t, rng_.chance(1, 2) ? name("c", 8) : "");
  }
  pool_.push_back(v);
  return v;
}

/// Indices for gather or scatter_add into an axis of `extent`, all in
/// [-extent, extent).
Value *Generator::indexSource(TensorType type, int64_t extent) {
  if (extent == 0 && type.numElements() != 0)
    type.shape.insert(type.shape.begin(), 0);
  Tensor t(type);
  for (int64_t i = 0; i < t.numElements(); ++i)
    t.setElementFromDouble(i, (double)rng_.range(-extent, extent - 1));
  return rng_.chance(1, 2)
             ? b_.param(name("idx", 8), t)
             : b_.constant(t, rng_.chance(1, 2) ? name("c", 8) : "");
}

Value *Generator::pickOr(const std::function<bool(const Value *)> &fits,
                         const std::function<TensorType()> &make) {
  std::vector<Value *> candidates;
  for (Value *v : pool_)
    if (v->type().numElements() <= kMaxReused && fits(v))
      candidates.push_back(v);
  if (!candidates.empty() && rng_.chance(2, 3))
    return rng_.pick(candidates);
  return source(make());
}

Value *Generator::ofType(const TensorType &type) {
  return pickOr([&](const Value *v) { return v->type() == type; },
                [&] { return type; });
}

Value *Generator::operand(Need need, size_t minRank, size_t maxRank) {
  return pickOr(
      [&](const Value *v) {
        return satisfies(v->type().dtype, need) &&
               v->type().rank() >= minRank && v->type().rank() <= maxRank;
      },
      [&] {
        return TensorType{dtype(need), shape(minRank, maxRank)};
      });
}

Value *Generator::partner(const Shape &s, DType t) {
  return pickOr(
      [&](const Value *v) {
        return v->type().dtype == t && broadcasts(v->type().shape, s);
      },
      [&] {
        return TensorType{t, partnerShape(s)};
      });
}

/// Random distinct axes of a tensor of `rank`, some written negative, in
/// random order.
std::vector<int64_t> Generator::axesOf(size_t rank) {
  std::vector<int64_t> axes;
  for (size_t d = 0; d < rank; ++d)
    if (rng_.chance(1, 2))
      axes.push_back(rng_.chance(1, 3) ? (int64_t)d - (int64_t)rank
                                       : (int64_t)d);
  for (size_t i = axes.size(); i > 1; --i)
    std::swap(axes[i - 1], axes[(size_t)rng_.range(0, (int64_t)i - 1)]);
  return axes;
}

Value *Generator::node(OpKind op) {
  Attributes a;
  switch (op) {
  case OpKind::Exp:
  case OpKind::Log:
  case OpKind::Sqrt:
  case OpKind::Tanh:
  case OpKind::Sigmoid:
  case OpKind::Erf:
    return add(op, {operand(Need::Float)});
  case OpKind::Neg:
    return add(op, {operand(Need::SignedNumeric)});
  case OpKind::Abs:
  case OpKind::Sign:
  case OpKind::Relu:
    return add(op, {operand(Need::Numeric)});
  case OpKind::LogicalNot:
    return add(op, {operand(Need::Bool)});

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
  case OpKind::LogicalOr: {
    Need need = op == OpKind::Pow     ? Need::Float
                : op == OpKind::Equal ? Need::Any
                : op == OpKind::LogicalAnd || op == OpKind::LogicalOr
                    ? Need::Bool
                    : Need::Numeric;
    Value *x = operand(need);
    Value *y = partner(x->type().shape, x->type().dtype);
    if (rng_.chance(1, 2))
      std::swap(x, y);
    return add(op, {x, y});
  }
  case OpKind::Select: {
    Value *cond = operand(Need::Bool);
    Value *x = partner(cond->type().shape, dtype(Need::Any));
    Shape both = broadcastShapes(cond->type().shape, x->type().shape);
    return add(op, {cond, x, partner(both, x->type().dtype)});
  }

  case OpKind::Cast:
    a.set("to", dtype(Need::Any));
    return add(op, {operand(Need::Any)}, a);
  case OpKind::Constant:
    a.set("value", data({dtype(Need::Any), shape(0, 8)}));
    return add(op, {}, a);
  case OpKind::Iota: {
    Shape s = shape(1, 4);
    a.set("dtype", dtype(Need::Numeric));
    a.set("shape", s);
    if (rng_.chance(2, 3))
      a.set("axis", rng_.range(-(int64_t)s.size(), (int64_t)s.size() - 1));
    return add(op, {}, a);
  }

  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
  case OpKind::ReduceMax:
  case OpKind::ReduceMin: {
    Value *x = operand(op == OpKind::ReduceMean ? Need::Float : Need::Numeric);
    if (rng_.chance(2, 3))
      a.set("axes", axesOf(x->type().rank()));
    if (rng_.chance(1, 2))
      a.set("keepdims", rng_.chance(2, 3));
    return add(op, {x}, a);
  }
  case OpKind::Argmax: {
    Value *x = pickOr(
        [](const Value *v) {
          return isNumeric(v->type().dtype) && v->type().numElements() > 0 &&
                 v->type().rank() >= 1;
        },
        [&] {
          Shape s = shape(1, 4);
          for (int64_t &d : s)
            d = std::max<int64_t>(d, 1);
          return TensorType{dtype(Need::Numeric), s};
        });
    int64_t r = (int64_t)x->type().rank();
    a.set("axis", rng_.range(-r, r - 1));
    if (rng_.chance(1, 2))
      a.set("keepdims", rng_.chance(1, 2));
    return add(op, {x}, a);
  }

  case OpKind::Reshape: {
    Value *x = operand(Need::Any, 0, 8);
    // Merge neighbouring extents, insert 1s, and maybe write one as -1.
    const Shape &from = x->type().shape;
    Shape s;
    for (size_t i = 0; i < from.size(); ++i) {
      if (!s.empty() && rng_.chance(1, 2))
        s.back() *= from[i];
      else
        s.push_back(from[i]);
      if (s.size() + (from.size() - i - 1) < kMaxRank && rng_.chance(1, 8))
        s.push_back(1);
    }
    int64_t n = x->type().numElements();
    if (!s.empty() && n > 0 && rng_.chance(1, 3))
      s[(size_t)rng_.range(0, (int64_t)s.size() - 1)] = -1;
    a.set("shape", s);
    return add(op, {x}, a);
  }
  case OpKind::Transpose: {
    Value *x = operand(Need::Any, 0, 8);
    if (rng_.chance(2, 3)) {
      int64_t r = (int64_t)x->type().rank();
      std::vector<int64_t> perm(r);
      for (int64_t i = 0; i < r; ++i)
        perm[i] = i;
      for (int64_t i = r; i > 1; --i)
        std::swap(perm[i - 1], perm[rng_.range(0, i - 1)]);
      for (int64_t &p : perm)
        p -= rng_.chance(1, 4) ? r : 0;
      a.set("perm", perm);
    }
    return add(op, {x}, a);
  }
  case OpKind::BroadcastTo: {
    Value *x = operand(Need::Any);
    Shape s = x->type().shape;
    for (int64_t &d : s)
      d = d == 1 ? rng_.range(0, 3) : d;
    for (int64_t i = rng_.range(0, 2); i > 0; --i)
      s.insert(s.begin(), rng_.range(1, 3));
    a.set("shape", s);
    return add(op, {x}, a);
  }
  case OpKind::Slice: {
    Value *x = operand(Need::Any, 1, 4);
    std::vector<int64_t> axes = axesOf(x->type().rank());
    if (axes.empty())
      axes.push_back(0);
    std::vector<int64_t> starts, ends, steps;
    for (int64_t axis : axes) {
      int64_t dim = x->type().shape[axis < 0 ? axis + x->type().rank() : axis];
      auto index = [&] {
        return rng_.chance(1, 12) ? (rng_.chance(1, 2) ? INT64_MIN : INT64_MAX)
                                  : rng_.range(-dim - 2, dim + 2);
      };
      starts.push_back(index());
      ends.push_back(index());
      steps.push_back(rng_.chance(1, 2) ? rng_.range(1, 3)
                                        : rng_.range(-3, -1));
    }
    bool defaultAxes = rng_.chance(1, 3);
    if (defaultAxes)
      for (size_t i = 0; i < axes.size(); ++i)
        axes[i] = (int64_t)i;
    a.set("starts", starts);
    a.set("ends", ends);
    if (!defaultAxes || rng_.chance(1, 4))
      a.set("axes", axes);
    if (rng_.chance(2, 3))
      a.set("steps", steps);
    else if (rng_.chance(1, 2))
      a.set("steps", std::vector<int64_t>(axes.size(), 1));
    return add(op, {x}, a);
  }
  case OpKind::Concat: {
    Value *x = operand(Need::Any, 1, 4);
    int64_t r = (int64_t)x->type().rank(), axis = rng_.range(-r, r - 1);
    std::vector<Value *> xs = {x};
    for (int64_t i = rng_.range(0, 2); i > 0; --i) {
      TensorType t = x->type();
      t.shape[axis < 0 ? axis + r : axis] = rng_.range(0, 3);
      xs.push_back(rng_.chance(1, 3) ? x : source(t));
    }
    a.set("axis", axis);
    return add(op, xs, a);
  }
  case OpKind::Pad: {
    Value *x = operand(Need::Any);
    std::vector<int64_t> pads(2 * x->type().rank());
    for (int64_t &p : pads)
      p = rng_.chance(1, 2) ? 0 : rng_.range(1, 2);
    a.set("pads", pads);
    if (rng_.chance(1, 2))
      a.set("value",
            rng_.chance(1, 4) ? std::nan("") : rng_.range(-8, 8) / 2.0);
    return add(op, {x}, a);
  }
  case OpKind::OneHot: {
    // Classes in [0, depth): one outside is an error of both engines.
    int64_t depth = rng_.range(1, 5);
    Tensor t(
        TensorType{rng_.chance(1, 2) ? DType::I32 : DType::I64, shape(0, 2)});
    for (int64_t i = 0; i < t.numElements(); ++i)
      t.setElementFromDouble(i, (double)rng_.range(0, depth - 1));
    Value *idx =
        rng_.chance(1, 2) ? b_.param(name("idx", 8), t) : b_.constant(t, "");
    a.set("depth", depth);
    if (rng_.chance(1, 2))
      a.set("dtype", dtype(Need::Any));
    return add(op, {idx}, a);
  }
  case OpKind::Gather: {
    Value *x = operand(Need::Any, 1, 4);
    int64_t r = (int64_t)x->type().rank(), axis = rng_.range(-r, r - 1);
    TensorType it{rng_.chance(1, 2) ? DType::I32 : DType::I64, shape(0, 2)};
    Value *idx = indexSource(it, x->type().shape[axis < 0 ? axis + r : axis]);
    if (axis != 0 || rng_.chance(1, 4))
      a.set("axis", axis);
    return add(op, {x, idx}, a);
  }

  case OpKind::MatMul: {
    Value *x = operand(Need::Numeric, 1, 4);
    const Shape &s = x->type().shape;
    int64_t k = s.back();
    Shape w;
    if (s.size() > 1 && rng_.chance(1, 5)) {
      w = {k};
    } else {
      if (s.size() > 2 && rng_.chance(1, 2)) {
        Shape batch(s.begin(), s.end() - 2);
        w = partnerShape(batch);
      }
      w.push_back(k);
      w.push_back(rng_.range(0, 4));
    }
    Value *y = source({x->type().dtype, w});
    if (s.size() == 1 && rng_.chance(1, 2))
      return add(op, {source({x->type().dtype, {rng_.range(1, 3), k}}), x});
    return add(op, {x, y});
  }
  case OpKind::Conv2D:
  case OpKind::MaxPool2D:
  case OpKind::AvgPool2D:
  case OpKind::Conv2DInputGrad:
  case OpKind::Conv2DWeightGrad:
  case OpKind::MaxPool2DGrad:
  case OpKind::AvgPool2DGrad:
    return windowOp(op);
  case OpKind::StopGradient:
    return add(op, {operand(Need::Any)});
  case OpKind::ScatterAdd:
    return scatterAdd();
  case OpKind::Scan:
    return scan();
  case OpKind::Attention: {
    // q, then k and v with its batch axes and depth.
    Value *q = operand(Need::Float, 2, 4);
    Shape ks = q->type().shape;
    ks[ks.size() - 2] = rng_.range(1, 5);
    Shape vs = ks;
    vs.back() = rng_.range(1, 5);
    a.set("scale", rng_.chance(1, 2) ? 0.5 : 1.0);
    a.set("causal", rng_.chance(1, 2));
    return add(
        op, {q, ofType({q->type().dtype, ks}), ofType({q->type().dtype, vs})},
        a);
  }
  case OpKind::Dropout: {
    Value *x = operand(Need::Float);
    Value *step = ofType({DType::I64, {}});
    a.set("rate", rng_.chance(1, 4) ? 0.0 : 0.5);
    if (rng_.chance(1, 2))
      a.set("seed", rng_.range(0, 100));
    return add(op, {x, step}, a);
  }
  }
  __builtin_unreachable();
}

void Generator::outputs() {
  std::vector<std::string> names;
  auto output = [&](std::string n, Value *v) {
    while (std::find(names.begin(), names.end(), n) != names.end())
      n += "_";
    names.push_back(n);
    b_.output(n, v);
  };
  auto nameFor = [&](Value *v) {
    int kind = (int)rng_.range(0, 9);
    return kind < 5   ? v->name()
           : kind < 9 ? "out" + std::to_string(names.size())
                      : rng_.pick(kOddNames);
  };
  Value *last = pool_.back();
  output(nameFor(last), last);
  for (int64_t i = rng_.range(0, 2); i > 0; --i) {
    Value *v = rng_.pick(pool_);
    output(nameFor(v), v);
  }
  if (!rng_.chance(1, 4))
    return;
  Value *x = operand(Need::Float);
  Value *loss = b_.reduceSum(x, std::nullopt);
  output("loss", loss);
  TrainingSpec spec(names.back());
  if (rng_.chance(1, 2))
    spec.optimizer = optimizer();
  if (rng_.chance(1, 3))
    spec.epochs = rng_.range(1, 100);
  if (rng_.chance(1, 2)) {
    // Features [B, C], labels [B] or [B, C], and predictions: the features
    // themselves, an output of the right type.
    int64_t batch = rng_.range(1, 4), classes = rng_.range(1, 5);
    Value *features =
        b_.input(name("x", 3), {dtype(Need::Float), {batch, classes}});
    spec.features = features->name();
    if (rng_.chance(1, 2))
      spec.batchSize = batch;
    if (rng_.chance(2, 3)) {
      TensorType labels =
          rng_.chance(1, 2)
              ? TensorType{rng_.chance(1, 2) ? DType::I64 : DType::I32, {batch}}
              : features->type();
      spec.labels = b_.input(name("y", 3), labels)->name();
    }
    if (rng_.chance(2, 3)) {
      output(nameFor(features), features);
      spec.predictions = names.back();
    }
  }
  m_.training = std::move(spec);
}

OptimizerConfig Generator::optimizer() {
  OptimizerConfig opt;
  opt.kind = kAllOptimizerKinds[rng_.range(0, 3)];
  for (OptimizerField f : optimizerFields(opt.kind)) {
    if (rng_.chance(1, 2))
      continue;
    switch (f) {
    case OptimizerField::Lr:
      opt.lr = rng_.chance(1, 2) ? 1e-3 : 1e-5 + rng_.unit();
      break;
    case OptimizerField::Momentum:
      // Never 0, so that nesterov is always allowed.
      opt.momentum = 0.01 + 0.98 * rng_.unit();
      break;
    case OptimizerField::Nesterov:
      opt.nesterov = rng_.chance(1, 2);
      break;
    case OptimizerField::Beta1:
    case OptimizerField::Beta2:
      opt.set(f, rng_.chance(1, 2) ? 0.5 : rng_.unit());
      break;
    case OptimizerField::Epsilon:
      opt.epsilon = rng_.chance(1, 2) ? 1e-8 : 1e-12 + rng_.unit();
      break;
    case OptimizerField::WeightDecay:
      opt.weightDecay = rng_.chance(1, 3) ? 0 : rng_.unit();
      break;
    }
  }
  return opt;
}

Model Generator::run() {
  if (rng_.chance(1, 10))
    m_.graph.setName(rng_.pick(kOddNames));
  else
    m_.graph.setName("g" + std::to_string(seed_));
  std::span<const OpKind> ops = allOps();
  node(ops[seed_ % ops.size()]);
  for (int64_t i = rng_.range(0, 10); i > 0; --i)
    node(ops[(size_t)rng_.range(0, (int64_t)ops.size() - 1)]);
  outputs();
  return std::move(m_);
}

} // namespace detail

Model randomModel(uint64_t seed) { return detail::Generator(seed).run(); }

} // namespace adjoint::testing
