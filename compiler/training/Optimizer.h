//===- Optimizer.h - Optimizer updates as ordinary graph nodes --*- C++ -*-===//
//
// An optimizer step is built into the training graph from primitives, one
// parameter at a time: appendUpdate takes the parameter p, its gradient g and
// the parameter's optimizer state, and returns the new parameter and state.
// With lr, wd (weight decay), mu (momentum), t = step + 1 (steps counted from
// 1) and all state starting at zero:
//
//   sgd       g' = g + wd*p;  p <- p - lr*g'
//   momentum  g' = g + wd*p;  buf <- mu*buf + g'
//             p <- p - lr*(nesterov ? g' + mu*buf : buf)      (PyTorch's)
//   adam      g' = g + wd*p;  m <- beta1*m + (1-beta1)*g'
//             v <- beta2*v + (1-beta2)*g'^2
//             p <- p - lr * (m/(1-beta1^t)) / (sqrt(v/(1-beta2^t)) + epsilon)
//   adamw     as adam with g' = g, after the decoupled decay p <- p - lr*wd*p
//
// Weight decay is L2 regularization added to the gradient except in adamw.
// Every constant and intermediate has the parameter's dtype; the step counter
// is one i64 scalar shared by all parameters, incremented once per step by
// appendStepIncrement.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Builder.h"
#include "ir/TrainingSpec.h"

#include <optional>
#include <string>
#include <vector>

namespace adjoint {

/// An optimizer with every hyper-parameter resolved.
struct OptimizerSpec {
  OptimizerKind kind = OptimizerKind::Adam;
  double lr = 1e-3;
  double weightDecay = 0;
  double momentum = 0.9; ///< momentum only
  bool nesterov = false; ///< momentum only
  double beta1 = 0.9;    ///< adam and adamw
  double beta2 = 0.999;  ///< adam and adamw
  double epsilon = 1e-7; ///< adam and adamw; Keras's default
};

/// The optimizer a model's training spec names, each unset field taking
/// optimizerDefault (ir/TrainingSpec.h); no config at all gives Adam with
/// its defaults.
OptimizerSpec resolveOptimizer(const std::optional<OptimizerConfig> &config);

/// `kind` with every default (lr 0.01 for sgd and momentum, 0.001 for adam
/// and adamw; weight decay 0, but 0.01 for adamw).
OptimizerSpec defaultOptimizer(OptimizerKind kind);

/// One tensor of per-parameter optimizer state.
struct OptimizerSlot {
  std::string suffix; ///< a name to append to the parameter's: momentum, m, v
  TensorType type;    ///< the parameter's type
  double initial;     ///< the value of every element before the first step
};

/// The state one parameter of `type` needs, in the order appendUpdate takes
/// it: none for sgd; "momentum" for momentum; "m" and "v" for adam and
/// adamw. All start at zero.
std::vector<OptimizerSlot> optimizerSlots(const OptimizerSpec &spec,
                                          const TensorType &type);

/// True if the optimizer reads the step counter (adam and adamw).
bool usesStepCounter(const OptimizerSpec &spec);

/// The step counter's type, i64[]: the number of steps taken, initially 0.
TensorType stepCounterType();

/// The values a step gives one parameter.
struct ParamUpdate {
  Value *param;               ///< the updated parameter
  std::vector<Value *> state; ///< the updated state, in optimizerSlots order
};

/// Appends the update of `param` (a float tensor) given its gradient `grad`
/// (the same type), its `state` (in optimizerSlots order) and `step` (the
/// counter before this step; may be null when !usesStepCounter). When
/// `apply` (a bool scalar) is given, the parameter and its state keep their
/// values where it is false: each new state value is selected before the
/// parameter's update reads it, so the update stays one chain that fuses
/// into one loop. Throws BadInput for arguments whose types do not fit.
/// `lr`, when given (a float scalar, a graph input of a schedule), is the
/// learning rate in place of spec.lr.
ParamUpdate appendUpdate(Builder &b, const OptimizerSpec &spec, Value *param,
                         Value *grad, std::vector<Value *> state, Value *step,
                         Value *apply = nullptr, Value *lr = nullptr);

/// Appends step + 1: the counter after this step. Build it once per step.
Value *appendStepIncrement(Builder &b, Value *step);

} // namespace adjoint
