//===- ModelImpl.h - What a keras::Model holds ------------------*- C++ -*-===//
//
// A model is its layers' graph (inputs, nodes, one output) or, loaded from
// a file, that file's graph whose weights are grouped into layers. Either
// way trainingGraph() gives the whole model as an Adjoint graph with the
// weights' current values: the output, the labels input, the loss. The
// Trainer compiles it for fit and evaluate; predict compiles its forward
// part with the weights as inputs, so that it follows the training.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "keras/KerasImpl.h"

#include "compiler/Executable.h"
#include "compiler/training/Trainer.h"
#include "ir/Model.h"

#include <optional>
#include <random>
#include <set>

namespace adjoint::keras::detail {

/// The loss a model compiles with.
enum class LossKind { SparseCategorical, Categorical, Binary, Mse };

/// Names the graphs of every model share.
inline constexpr const char *kOutputName = "output";
inline constexpr const char *kLabelsName = "labels";
inline constexpr const char *kLossName = "loss";
/// A last softmax's operand, which accuracy reads.
inline constexpr const char *kLogitsName = "logits";

struct ModelImpl {
  std::string name;
  bool sequential = false;
  /// Every layer, once, in the order it was added or first called.
  std::vector<Layer> layers;
  std::vector<std::shared_ptr<Node>> inputs;
  std::shared_ptr<Node> output;
  /// A Sequential's layers added before its input shape was known.
  std::vector<Layer> pending;

  /// A loaded model's graph and training spec (its parameters' values are
  /// its layers' weights).
  std::optional<adjoint::Model> loaded;
  /// The output predict returns.
  std::string outputName = kOutputName;

  /// What compile() set (a loaded model starts compiled with its spec).
  bool compiled = false;
  LossKind loss = LossKind::SparseCategorical;
  OptimizerConfig optimizer;
  /// The learning-rate schedule; the step always takes its rate as an
  /// input, so that callbacks can change it.
  LrSchedule schedule;
  bool accuracy = false;

  /// The training step, compiled for `trainerBatch` examples with the
  /// weights of `trainerFrozen` fixed.
  std::unique_ptr<Trainer> trainer;
  int64_t trainerBatch = 0;
  std::set<std::string> trainerFrozen;
  /// predict's executable, compiled for every batch.
  std::unique_ptr<Executable> predictor;
  std::mt19937_64 shuffle{0};

  /// Builds the layers of a Sequential whose first layer gave no input
  /// shape, for examples `x` [n, ...]; BadInput if there are no layers.
  void buildFor(const std::vector<Tensor> &xs);
  /// BadInput unless the model has an output (`what` names the call).
  void requireBuilt(const char *what) const;
  /// The model's inputs: (name, type with the symbolic batch).
  std::vector<std::pair<std::string, TensorType>> inputTypes() const;
  /// BadInput unless compile() was called (`what` names the call).
  void requireCompiled(const char *what) const;
  /// The whole model with its current weights: the output, and with
  /// `withLoss` the labels, the loss and a training spec for `batch`
  /// examples per step (0: unset).
  adjoint::Model trainingModel(int64_t batch, bool withLoss) const;
  /// The training step for `batch` (re-made when the batch or the frozen
  /// weights changed since the last one).
  Trainer &trainerFor(int64_t batch);
  /// Writes into `batch` the inputs of a step or an evaluation of rows
  /// [from, from + n) of `order` (null: in order), reusing its tensors.
  void fillBatch(std::map<std::string, adjoint::Tensor> &batch,
                 const std::vector<Tensor> &xs, const Tensor &labels,
                 const std::vector<int64_t> *order, int64_t from,
                 int64_t n) const;
  /// Checks x against the model's inputs; returns its number of rows.
  int64_t checkInputs(const std::vector<Tensor> &xs) const;
  /// Checks y ([n, ...]) against the loss's labels; returns them as the
  /// labels input takes them (integer classes of another dtype, say).
  Tensor checkLabels(const Tensor &y, int64_t n) const;
  Evaluation evaluate(const std::vector<Tensor> &xs, const Tensor &labels,
                      int64_t batch);
};

/// The text of Model::summaryText (keras/Summary.cpp).
std::string summaryOf(const ModelImpl &m);

} // namespace adjoint::keras::detail
