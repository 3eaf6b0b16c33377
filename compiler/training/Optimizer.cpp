//===- Optimizer.cpp - Optimizer updates as ordinary graph nodes ----------===//
#include "compiler/training/Optimizer.h"

#include "ir/Error.h"

namespace adjoint {

namespace {

using F = OptimizerField;

/// Checks the arguments of appendUpdate.
void checkUpdate(const OptimizerSpec &spec, const Value *param,
                 const Value *grad, const std::vector<Value *> &state,
                 const Value *step) {
  std::string what =
      strCat(optimizerKindName(spec.kind), " update of %", param->name());
  const TensorType &type = param->type();
  if (!isFloat(type.dtype))
    badInput(what, ": the parameter must be a float tensor, not ",
             typeStr(type));
  if (grad->type() != type)
    badInput(what, ": the gradient ", typeStr(grad->type()),
             " must have the parameter's type ", typeStr(type));
  std::vector<OptimizerSlot> slots = optimizerSlots(spec, type);
  if (state.size() != slots.size())
    badInput(what, ": expected ", slots.size(), " state values, got ",
             state.size());
  for (size_t i = 0; i < slots.size(); ++i)
    if (state[i]->type() != slots[i].type)
      badInput(what, ": state '", slots[i].suffix, "' must be ",
               typeStr(slots[i].type), ", not ", typeStr(state[i]->type()));
  if (usesStepCounter(spec) && (!step || step->type() != stepCounterType()))
    badInput(what, ": the step counter must be ", typeStr(stepCounterType()),
             step ? strCat(", not ", typeStr(step->type())) : "");
}

} // namespace

OptimizerSpec defaultOptimizer(OptimizerKind kind) {
  OptimizerConfig config;
  config.kind = kind;
  return resolveOptimizer(config);
}

OptimizerSpec resolveOptimizer(const std::optional<OptimizerConfig> &config) {
  OptimizerConfig c = config.value_or(OptimizerConfig{});
  OptimizerSpec s;
  s.kind = c.kind;
  // Fields the kind does not take keep OptimizerSpec's values, never read.
  auto value = [&](F field) { return c.valueOrDefault(field); };
  s.lr = value(F::Lr);
  s.weightDecay = value(F::WeightDecay);
  if (takesField(c.kind, F::Momentum)) {
    s.momentum = value(F::Momentum);
    s.nesterov = value(F::Nesterov) != 0;
  }
  if (takesField(c.kind, F::Beta1)) {
    s.beta1 = value(F::Beta1);
    s.beta2 = value(F::Beta2);
    s.epsilon = value(F::Epsilon);
  }
  return s;
}

std::vector<OptimizerSlot> optimizerSlots(const OptimizerSpec &spec,
                                          const TensorType &type) {
  switch (spec.kind) {
  case OptimizerKind::Sgd:
    return {};
  case OptimizerKind::Momentum:
    return {{"momentum", type, 0}};
  case OptimizerKind::Adam:
  case OptimizerKind::AdamW:
    return {{"m", type, 0}, {"v", type, 0}};
  }
  __builtin_unreachable();
}

bool usesStepCounter(const OptimizerSpec &spec) {
  return spec.kind == OptimizerKind::Adam || spec.kind == OptimizerKind::AdamW;
}

TensorType stepCounterType() { return {DType::I64, {}}; }

Value *appendStepIncrement(Builder &b, Value *step) {
  return b.add(step, b.scalar(DType::I64, 1));
}

ParamUpdate appendUpdate(Builder &b, const OptimizerSpec &spec, Value *param,
                         Value *grad, std::vector<Value *> state, Value *step,
                         Value *apply, Value *lr) {
  checkUpdate(spec, param, grad, state, step);
  if (lr && (!isFloat(lr->type().dtype) || lr->type().rank() != 0))
    badInput("update of %", param->name(),
             ": the learning rate must be a float scalar, not ",
             typeStr(lr->type()));
  if (apply && apply->type() != TensorType{DType::Bool, {}})
    badInput("update of %", param->name(), ": the guard must be bool[], not ",
             typeStr(apply->type()));
  DType dt = param->type().dtype;
  auto k = [&](double v) { return b.scalar(dt, v); };
  // The learning rate: the spec's constant, or the scheduled input.
  Value *rate = lr ? (lr->type().dtype == dt ? lr : b.cast(lr, dt)) : nullptr;
  auto lrTimes = [&](double factor) {
    return rate ? (factor == 1 ? rate : b.mul(rate, k(factor)))
                : k(spec.lr * factor);
  };
  // `updated` where `apply` holds, else `old`.
  auto guard = [&](Value *updated, Value *old) {
    return apply ? b.select(apply, updated, old) : updated;
  };
  Value *p = param, *g = grad;
  // L2 regularization: the decay joins the gradient (not in adamw).
  if (spec.weightDecay != 0 && spec.kind != OptimizerKind::AdamW)
    g = b.add(g, b.mul(k(spec.weightDecay), p));

  switch (spec.kind) {
  case OptimizerKind::Sgd:
    // p <- p - lr*g
    return {guard(b.sub(p, b.mul(lrTimes(1), g)), param), {}};
  case OptimizerKind::Momentum: {
    // buf <- mu*buf + g; p <- p - lr*(nesterov ? g + mu*buf : buf)
    Value *buf = guard(b.add(b.mul(k(spec.momentum), state[0]), g), state[0]);
    Value *dir = spec.nesterov ? b.add(g, b.mul(k(spec.momentum), buf)) : buf;
    return {guard(b.sub(p, b.mul(lrTimes(1), dir)), param), {buf}};
  }
  case OptimizerKind::Adam:
  case OptimizerKind::AdamW: {
    // m <- b1*m + (1-b1)*g; v <- b2*v + (1-b2)*g^2
    Value *m = guard(
        b.add(b.mul(k(spec.beta1), state[0]), b.mul(k(1 - spec.beta1), g)),
        state[0]);
    Value *v = guard(b.add(b.mul(k(spec.beta2), state[1]),
                           b.mul(k(1 - spec.beta2), b.mul(g, g))),
                     state[1]);
    // Bias correction with t = step + 1, c1 = 1-b1^t and c2 = 1-b2^t:
    //   p <- p - lr * (m/c1) / (sqrt(v/c2) + eps)
    //      = p - (lr/c1) * m / (sqrt(v) * (1/sqrt(c2)) + eps),
    // as PyTorch arranges it: the corrections are scalars computed once a
    // step, leaving one division and one square root per element.
    Value *t = b.cast(appendStepIncrement(b, step), dt);
    Value *c1 = b.sub(k(1), b.pow(k(spec.beta1), t));
    Value *c2 = b.sub(k(1), b.pow(k(spec.beta2), t));
    Value *stepSize = b.div(lrTimes(1), c1);
    Value *inverseRoot = b.div(k(1), b.sqrt(c2));
    Value *denom = b.add(b.mul(b.sqrt(v), inverseRoot), k(spec.epsilon));
    Value *delta = b.mul(stepSize, b.div(m, denom));
    // Decoupled decay: p <- p - lr*wd*p before the Adam step.
    if (spec.kind == OptimizerKind::AdamW && spec.weightDecay != 0)
      p = b.sub(p, b.mul(lrTimes(spec.weightDecay), p));
    return {guard(b.sub(p, delta), param), {m, v}};
  }
  }
  __builtin_unreachable();
}

} // namespace adjoint
