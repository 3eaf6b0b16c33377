//===- Trainer.h - A model's compiled training step -----------------------===//
//
// A Trainer turns a model into one compiled training step: forward, loss,
// backward (compiler/autodiff) and the optimizer update, in one graph and
// one native function. Parameters and optimizer state are inputs of that
// graph whose updated values are written back into the same buffers
// (CompileOptions::inPlace), so a step copies none of them. Every update is
// guarded by the loss: a step whose loss is not finite changes nothing, so
// the values from before it stay to diagnose it and to be saved.
//
//   adjoint::Model model = adjoint::loadModel("examples/fashion_mlp.pbtxt");
//   adjoint::Trainer trainer(model);
//   adjoint::StepResult r = trainer.step({{"x", images}, {"y", labels}});
//   trainer.save("trained.pbtxt");
//
//===----------------------------------------------------------------------===//
#pragma once

#include "compiler/training/LrSchedule.h"
#include "ir/Model.h"
#include "ir/Tensor.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace adjoint {

class Executable;
class Graph;

/// How to train; unset fields come from the model's training spec.
struct TrainerOptions {
  /// The loss output; default: the spec's loss.
  std::string loss;
  /// The optimizer; default: the spec's, else Adam with its defaults.
  std::optional<OptimizerConfig> optimizer;
  /// The parameters to train; default: every float parameter.
  std::vector<std::string> trainable;
  /// Threads of the compiled step (0: all cores).
  int threads = 0;
  /// Where to dump every compilation stage (CompileOptions::dumpDir), if
  /// anywhere: the step into DIR/step, the evaluation into DIR/eval.
  std::string dumpDir;
  /// The optimizing pipeline's switches (CompileOptions::simplify, fuse).
  bool simplify = true;
  bool fuse = true;
  /// Time each kernel of the step (CompileOptions::profile).
  bool profile = false;
  /// A learning-rate schedule (compiler/training/LrSchedule.h): the step
  /// then takes its rate as an input, set before each step from the count
  /// of steps taken, and setLearningRate() can change the base rate.
  std::optional<LrSchedule> schedule;
  /// Compile the step and the evaluation. Off, the Trainer only builds
  /// their graphs (stepGraph(), contract(), the initial optimizer state),
  /// for dumps and ahead-of-time compilation; step() and evaluate() then
  /// throw BadInput.
  bool compile = true;
};

/// The training step's interface: what each input and output of
/// stepGraph() is. The Trainer binds its arguments by it and ahead-of-time
/// compilation (compiler/aot) lays out the library's state by it; no name
/// carries meaning.
struct StepContract {
  std::string loss;     ///< the loss output
  std::string accuracy; ///< the accuracy output, or empty
  /// Inputs each call binds from the batch (the features, the labels).
  std::vector<std::string> data;
  /// The tensors the step reads and overwrites: (output, input) pairs, as
  /// CompileOptions::inPlace takes them. Their inputs are the trained
  /// parameters, the state parameters and the optimizer state below.
  std::vector<std::pair<std::string, std::string>> inPlace;
  std::vector<std::string> trained;   ///< parameters trained by gradient
  std::vector<std::string> state;     ///< parameters set by state updates
  std::vector<std::string> optimizer; ///< optimizer state, step counter too
  /// The input set to the number of steps taken (dropout's masks), or
  /// empty.
  std::string stepsTaken;
  /// The input set to the scheduled learning rate, or empty.
  std::string learningRate;
};

/// What a step or an evaluation reports.
struct StepResult {
  double loss = 0;
  /// The fraction of the batch classified correctly, when the spec names
  /// the predictions and the labels.
  std::optional<double> accuracy;
};

class Trainer {
public:
  /// Builds and compiles the training step and the evaluation of `model`;
  /// a symbolic batch is bound at the training spec's batch size first
  /// (rebatch() for another). Throws BadInput when there is no loss
  /// (neither option nor spec), when a named parameter does not exist or
  /// is not float, and for a symbolic batch without a spec's batch size.
  explicit Trainer(const Model &model, const TrainerOptions &options = {});
  ~Trainer();
  Trainer(const Trainer &) = delete;
  Trainer &operator=(const Trainer &) = delete;

  /// One step on a batch that binds every input of the model by name.
  /// Updates the parameters and optimizer state in place.
  StepResult step(const std::map<std::string, Tensor> &batch);

  /// Loss (and accuracy) of the current parameters on a batch. The batch
  /// may hold any number of examples: for a size other than the model's,
  /// the evaluation is re-batched (compiler/training/Rebatch.h) and
  /// compiled once per size; BadInput if the model cannot be re-batched.
  StepResult evaluate(const std::map<std::string, Tensor> &batch);

  /// Steps taken so far.
  int64_t steps() const { return steps_; }
  /// The spec in force: loss, features, labels and predictions resolved.
  const TrainingSpec &spec() const { return spec_; }
  /// The model's inputs (the data a batch binds).
  const Graph &modelGraph() const;

  /// The current value of parameter `name` (BadInput if there is none).
  /// The tensor's storage is updated in place by every step: clone() it to
  /// keep the values.
  const Tensor &parameter(const std::string &name) const;
  /// The current value of the optimizer state the step reads as input
  /// `name` (optimizer.<param>.<slot>, optimizer.step); BadInput if there is
  /// none. The reference follows the training, as parameter()'s does.
  const Tensor &optimizerState(const std::string &name) const;
  /// Replaces parameter `name`'s value (same type; BadInput otherwise).
  void setParameter(const std::string &name, const Tensor &value);
  /// The names of the optimizer state, sorted.
  std::vector<std::string> optimizerStateNames() const;
  /// Replaces optimizer state `name` (same type; BadInput otherwise), as a
  /// checkpoint is restored.
  void setOptimizerState(const std::string &name, const Tensor &value);
  /// Sets the number of steps taken (from which dropout draws its masks),
  /// as a checkpoint is restored.
  void setSteps(int64_t steps);
  /// The learning rate the next step uses (scheduled, with a schedule).
  double learningRate() const;
  /// Sets the base learning rate (the schedule's lr); BadInput without a
  /// schedule (the rate is then compiled in) or for a rate that is not
  /// positive and finite.
  void setLearningRate(double lr);

  /// The model with every parameter's current value as literal data.
  Model trainedModel() const;
  /// Writes trainedModel() to `path` (.pb, .pbtxt or .adj).
  void save(const std::string &path) const;

  /// The graph of one training step (for dumps and tests).
  const Graph &stepGraph() const;
  /// The compiled training step (kernel count, arena size, compile time).
  const Executable &stepExecutable() const;
  /// What the step's inputs and outputs are.
  const StepContract &contract() const;

  /// For a batch whose loss went non-finite: runs the step's graph in the
  /// reference interpreter with the current parameters and optimizer state
  /// (which that step left unchanged) and names the first node whose result
  /// holds a NaN or infinity.
  std::string diagnoseNonFinite(const std::map<std::string, Tensor> &batch);

private:
  StepResult evaluateSized(const std::map<std::string, Tensor> &batch,
                           int64_t size);
  /// Throws BadInput unless the step and the evaluation were compiled.
  void requireCompiled() const;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  TrainingSpec spec_;
  int64_t steps_ = 0;
};

} // namespace adjoint
