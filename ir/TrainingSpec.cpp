//===- TrainingSpec.cpp - How a model trains ------------------------------===//
#include "ir/TrainingSpec.h"

#include "ir/Error.h"
#include "ir/Graph.h"
#include "ir/SymbolicDim.h"

#include <algorithm>
#include <cmath>

namespace adjoint {

namespace {

using F = OptimizerField;

constexpr std::pair<OptimizerKind, std::string_view> kKindNames[] = {
    {OptimizerKind::Sgd, "sgd"},
    {OptimizerKind::Momentum, "momentum"},
    {OptimizerKind::Adam, "adam"},
    {OptimizerKind::AdamW, "adamw"},
};

constexpr F kSgdFields[] = {F::Lr, F::WeightDecay};
constexpr F kMomentumFields[] = {F::Lr, F::Momentum, F::Nesterov,
                                 F::WeightDecay};
constexpr F kAdamFields[] = {F::Lr, F::Beta1, F::Beta2, F::Epsilon,
                             F::WeightDecay};

std::optional<double> flag(std::optional<bool> b) {
  if (!b)
    return std::nullopt;
  return *b ? 1.0 : 0.0;
}

/// "lr, beta1 and weight_decay".
std::string fieldList(OptimizerKind kind) {
  std::span<const F> fields = optimizerFields(kind);
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i)
    out += strCat(i == 0                   ? ""
                  : i + 1 == fields.size() ? " and "
                                           : ", ",
                  optimizerFieldName(fields[i]));
  return out;
}

void checkOptimizer(const OptimizerConfig &opt) {
  std::string_view kind = optimizerKindName(opt.kind);
  for (F field : {F::Lr, F::Momentum, F::Nesterov, F::Beta1, F::Beta2,
                  F::Epsilon, F::WeightDecay}) {
    std::optional<double> v = opt.get(field);
    if (!v)
      continue;
    std::string_view name = optimizerFieldName(field);
    if (!takesField(opt.kind, field))
      badInput("optimizer ", kind, " has no field '", name, "'; it takes ",
               fieldList(opt.kind));
    auto bad = [&](std::string_view range) {
      badInput("optimizer ", kind, ": ", name, " must be ", range, ", not ",
               *v);
    };
    switch (field) {
    case F::Lr:
    case F::Epsilon:
      if (!(std::isfinite(*v) && *v > 0))
        bad("a finite number > 0");
      break;
    case F::Momentum:
    case F::Beta1:
    case F::Beta2:
      if (!(*v >= 0 && *v < 1))
        bad("in [0, 1)");
      break;
    case F::WeightDecay:
      if (!(std::isfinite(*v) && *v >= 0))
        bad("a finite number >= 0");
      break;
    case F::Nesterov:
      break;
    }
  }
  if (opt.kind == OptimizerKind::Momentum &&
      opt.valueOrDefault(F::Nesterov) != 0 &&
      opt.valueOrDefault(F::Momentum) == 0)
    badInput("optimizer momentum: nesterov needs momentum > 0");
}

/// The input named `name` for field `field`; BadInput unless there is one.
const Value *findInput(const Graph &g, const std::string &name,
                       std::string_view field) {
  for (const Value *v : g.inputs())
    if (v->name() == name) {
      if (v->type().rank() == 0)
        badInput(field, " '", name, "' must have a leading (batch) dimension, ",
                 "not ", typeStr(v->type()));
      return v;
    }
  badInput(field, " '", name, "' is not an input of the graph");
}

const Output *findOutput(const Graph &g, const std::string &name) {
  for (const Output &o : g.outputs())
    if (o.name == name)
      return &o;
  return nullptr;
}

std::string describeValue(const std::string &field, const std::string &name,
                          const Value *v) {
  return strCat(field, " '", name, "' ", typeStr(v->type()));
}

} // namespace

std::string_view optimizerKindName(OptimizerKind kind) {
  for (auto &[k, name] : kKindNames)
    if (k == kind)
      return name;
  return "?";
}

std::optional<OptimizerKind> parseOptimizerKind(std::string_view name) {
  for (auto &[k, n] : kKindNames)
    if (n == name)
      return k;
  return std::nullopt;
}

std::string_view optimizerFieldName(OptimizerField field) {
  switch (field) {
  case F::Lr:
    return "lr";
  case F::Momentum:
    return "momentum";
  case F::Nesterov:
    return "nesterov";
  case F::Beta1:
    return "beta1";
  case F::Beta2:
    return "beta2";
  case F::Epsilon:
    return "epsilon";
  case F::WeightDecay:
    return "weight_decay";
  }
  __builtin_unreachable();
}

std::span<const OptimizerField> optimizerFields(OptimizerKind kind) {
  switch (kind) {
  case OptimizerKind::Sgd:
    return kSgdFields;
  case OptimizerKind::Momentum:
    return kMomentumFields;
  case OptimizerKind::Adam:
  case OptimizerKind::AdamW:
    return kAdamFields;
  }
  __builtin_unreachable();
}

bool takesField(OptimizerKind kind, OptimizerField field) {
  std::span<const F> fields = optimizerFields(kind);
  return std::find(fields.begin(), fields.end(), field) != fields.end();
}

double optimizerDefault(OptimizerKind kind, OptimizerField field) {
  bool adam = kind == OptimizerKind::Adam || kind == OptimizerKind::AdamW;
  switch (field) {
  case F::Lr:
    return adam ? 1e-3 : 1e-2;
  case F::Momentum:
    return 0.9;
  case F::Nesterov:
    return 0;
  case F::Beta1:
    return 0.9;
  case F::Beta2:
    return 0.999;
  case F::Epsilon:
    return 1e-7;
  case F::WeightDecay:
    return kind == OptimizerKind::AdamW ? 1e-2 : 0;
  }
  __builtin_unreachable();
}

std::optional<double> OptimizerConfig::get(OptimizerField field) const {
  switch (field) {
  case F::Lr:
    return lr;
  case F::Momentum:
    return momentum;
  case F::Nesterov:
    return flag(nesterov);
  case F::Beta1:
    return beta1;
  case F::Beta2:
    return beta2;
  case F::Epsilon:
    return epsilon;
  case F::WeightDecay:
    return weightDecay;
  }
  __builtin_unreachable();
}

void OptimizerConfig::set(OptimizerField field, double value) {
  switch (field) {
  case F::Lr:
    lr = value;
    return;
  case F::Momentum:
    momentum = value;
    return;
  case F::Nesterov:
    nesterov = value != 0;
    return;
  case F::Beta1:
    beta1 = value;
    return;
  case F::Beta2:
    beta2 = value;
    return;
  case F::Epsilon:
    epsilon = value;
    return;
  case F::WeightDecay:
    weightDecay = value;
    return;
  }
}

double OptimizerConfig::valueOrDefault(OptimizerField field) const {
  std::optional<double> v = get(field);
  return v ? *v : optimizerDefault(kind, field);
}

void verifyTrainingSpec(const TrainingSpec &spec, const Graph &g) {
  if (spec.loss.empty())
    badInput("the loss names no output");
  const Output *loss = findOutput(g, spec.loss);
  if (!loss)
    badInput("the loss '", spec.loss, "' is not an output of the graph");
  const TensorType &lossType = loss->value->type();
  if (lossType.rank() != 0 || !isFloat(lossType.dtype))
    badInput("the loss '", spec.loss, "' must be a float scalar, not ",
             typeStr(lossType));

  if (spec.optimizer)
    checkOptimizer(*spec.optimizer);
  if (spec.batchSize < 0)
    badInput("batch_size must be positive, not ", spec.batchSize);
  if (spec.epochs < 0)
    badInput("epochs must be positive, not ", spec.epochs);

  const Value *features = nullptr;
  if (!spec.features.empty()) {
    features = findInput(g, spec.features, "features");
    int64_t batch = features->type().shape[0];
    // A symbolic batch takes any batch_size.
    if (spec.batchSize != 0 && spec.batchSize != batch && !isSymbolic(batch))
      badInput("batch_size ", spec.batchSize,
               " differs from the leading (batch) dimension of ",
               describeValue("features", spec.features, features));
  }
  if (!spec.labels.empty()) {
    const Value *labels = findInput(g, spec.labels, "labels");
    if (labels == features)
      badInput("features and labels name the same input '", spec.labels, "'");
    if (features && labels->type().shape[0] != features->type().shape[0])
      badInput(describeValue("labels", spec.labels, labels), " and ",
               describeValue("features", spec.features, features),
               " differ in their leading (batch) dimension");
  }
  std::vector<std::string> updated;
  for (const StateUpdate &u : spec.stateUpdates) {
    const Value *v = g.findValue(u.param);
    if (!v || v->kind() != ValueKind::Param || !isFloat(v->type().dtype))
      badInput("state update of '", u.param,
               "': not a float parameter of the graph");
    if (std::find(updated.begin(), updated.end(), u.param) != updated.end())
      badInput("state update of '", u.param, "' is given twice");
    updated.push_back(u.param);
    const Output *o = findOutput(g, u.output);
    if (!o)
      badInput("state update of '", u.param, "': '", u.output,
               "' is not an output of the graph");
    if (o->value->type() != v->type())
      badInput("state update of '", u.param, "' (", typeStr(v->type()),
               ") from output '", u.output, "' of another type, ",
               typeStr(o->value->type()));
  }
  if (!spec.predictions.empty()) {
    const Output *p = findOutput(g, spec.predictions);
    if (!p)
      badInput("predictions '", spec.predictions,
               "' is not an output of the graph");
    const TensorType &t = p->value->type();
    if (t.rank() != 2 || !isFloat(t.dtype))
      badInput("predictions '", spec.predictions,
               "' must be a float matrix [batch, classes], not ", typeStr(t));
    if (features && t.shape[0] != features->type().shape[0])
      badInput(describeValue("predictions", spec.predictions, p->value),
               " and ", describeValue("features", spec.features, features),
               " differ in their leading (batch) dimension");
  }
}

} // namespace adjoint
