//===- TrainingSpec.h - How a model trains ----------------------*- C++ -*-===//
//
// A model may say how it trains: which output is the loss, which optimizer
// with which hyper-parameters, the batch size and number of epochs, and which
// graph inputs receive the examples and their targets. The spec keeps exactly
// what the model file says (a hyper-parameter the file leaves out stays
// unset and takes its default when training starts), so files round-trip
// unchanged. docs/model-format.md lists every field and default.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace adjoint {

class Graph;

/// The optimizers a training spec may name.
enum class OptimizerKind { Sgd, Momentum, Adam, AdamW };

/// Every optimizer kind, in declaration order.
inline constexpr OptimizerKind kAllOptimizerKinds[] = {
    OptimizerKind::Sgd, OptimizerKind::Momentum, OptimizerKind::Adam,
    OptimizerKind::AdamW};

/// The text name of a kind: sgd, momentum, adam, adamw.
std::string_view optimizerKindName(OptimizerKind kind);
/// The kind named `name`, if any.
std::optional<OptimizerKind> parseOptimizerKind(std::string_view name);

/// A hyper-parameter of an optimizer.
enum class OptimizerField {
  Lr,
  Momentum,
  Nesterov, ///< a flag: 0 or 1 where a number is needed
  Beta1,
  Beta2,
  Epsilon,
  WeightDecay,
};

/// The text name of a field: lr, momentum, nesterov, beta1, beta2, epsilon,
/// weight_decay.
std::string_view optimizerFieldName(OptimizerField field);
/// The fields `kind` takes, in the order they are printed.
std::span<const OptimizerField> optimizerFields(OptimizerKind kind);
/// True if `kind` takes `field`.
bool takesField(OptimizerKind kind, OptimizerField field);
/// The value a field takes when the model leaves it out: lr 0.01 for sgd and
/// momentum, 0.001 for adam and adamw; momentum 0.9; nesterov false (0);
/// beta1 0.9; beta2 0.999; epsilon 1e-7 (Keras's); weight_decay 0, but 0.01
/// for adamw (PyTorch's). Only for fields the kind takes.
double optimizerDefault(OptimizerKind kind, OptimizerField field);

/// The optimizer as a model file names it: its kind and the hyper-parameters
/// the file sets. An unset one takes optimizerDefault.
struct OptimizerConfig {
  OptimizerKind kind = OptimizerKind::Adam;
  std::optional<double> lr;
  std::optional<double> momentum;
  std::optional<bool> nesterov;
  std::optional<double> beta1;
  std::optional<double> beta2;
  std::optional<double> epsilon;
  std::optional<double> weightDecay;

  /// Field `field` if set, as a number (a flag gives 0 or 1).
  std::optional<double> get(OptimizerField field) const;
  /// Sets `field` to `value` (a flag is set to value != 0).
  void set(OptimizerField field, double value);
  /// Field `field`, or its default when unset.
  double valueOrDefault(OptimizerField field) const;
  bool operator==(const OptimizerConfig &) const = default;
};

/// A parameter that a training step sets to the value of an output, not by
/// its gradient: a batch normalization's moving mean, say.
struct StateUpdate {
  std::string param;  ///< a float parameter
  std::string output; ///< an output of the parameter's type
  bool operator==(const StateUpdate &) const = default;
};

/// How a model trains. Every field but `loss` is optional.
struct TrainingSpec {
  TrainingSpec() = default;
  /// A spec that names only the loss.
  explicit TrainingSpec(std::string lossName) : loss(std::move(lossName)) {}

  std::string loss; ///< the name of a scalar float output
  /// The optimizer; unset means Adam with its defaults.
  std::optional<OptimizerConfig> optimizer;
  int64_t batchSize = 0; ///< examples per step; 0: unset
  int64_t epochs = 0;    ///< passes over the training data; 0: unset
  std::string features;  ///< the input that receives the examples x
  std::string labels;    ///< the input that receives the targets y
  /// The output compared with the labels for accuracy: logits or
  /// probabilities [batch, classes].
  std::string predictions;
  /// Parameters each step sets from outputs, in place (none trains by its
  /// gradient).
  std::vector<StateUpdate> stateUpdates;
  bool operator==(const TrainingSpec &) const = default;
};

/// Checks `spec` against the graph it belongs to: the loss names a float
/// scalar output; the optimizer sets only the fields its kind takes, each in
/// range (lr > 0, momentum and betas in [0, 1), epsilon > 0, weight_decay
/// >= 0, all finite; nesterov needs momentum > 0); batch_size and epochs are
/// not negative; features and labels name two different inputs with the
/// same leading (batch) dimension, which batch_size equals when set;
/// predictions names a float output [batch, classes]. Throws BadInput with a
/// message that names the field (callers put "training: " in front).
void verifyTrainingSpec(const TrainingSpec &spec, const Graph &g);

} // namespace adjoint
