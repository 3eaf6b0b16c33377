//===- keras.h - Keras's models and layers in C++ -------------------------===//
//
// The Keras experience on top of Adjoint: layers built from option structs,
// Sequential and functional models, compile, fit, evaluate, predict, summary
// and save. A model is an ordinary Adjoint graph (compiled by the JIT,
// trained by the Trainer), so what `save` writes, `adjoint check`,
// `compile`, `train` and `dump` take. docs/keras.md is the guide.
//
//   namespace K = adjoint::keras;
//   auto [train, test] = K::datasets::fashionMnist();
//   K::Sequential model;
//   model.add(K::Flatten({.inputShape = {28, 28}}));
//   model.add(K::Dense({.units = 64, .activation = "relu"}));
//   model.add(K::Dense({.units = 10, .activation = "softmax"}));
//   model.compile({.loss = "sparse_categorical_crossentropy",
//                  .optimizer = "adam", .metrics = {"accuracy"}});
//   model.fit(train.x, train.y, {.epochs = 10, .batchSize = 32});
//   auto [loss, accuracy] = model.evaluate(test.x, test.y);
//
// Shapes exclude the batch, as in Keras. Every error (an unknown activation,
// shapes that do not fit, a model not built) is an error that
// names the layer (an adjoint::Error of kind BadInput, ir/Error.h).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Tensor.h"

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace adjoint::keras {

using Shape = std::vector<int64_t>;

/// An owning tensor (adjoint::Tensor, whose copies share their storage:
/// clone() copies the values).
class Tensor : public adjoint::Tensor {
public:
  Tensor() = default;
  Tensor(adjoint::Tensor t) : adjoint::Tensor(std::move(t)) {}
  /// An f32 tensor of `shape` holding `values` (as many as the shape has
  /// elements; BadInput otherwise).
  Tensor(const Shape &shape, const std::vector<float> &values);
  /// The same from a braced list, K::Tensor({2}, {0.1, 2}): its numbers
  /// are rounded to f32.
  Tensor(const Shape &shape, std::initializer_list<double> values);
  /// An i64 tensor (labels, token ids).
  static Tensor int64(const Shape &shape, const std::vector<int64_t> &values);
  /// Reads a .npy file (f32, f64, i32, i64, u8, bool).
  static Tensor loadNpy(const std::string &path);
  void saveNpy(const std::string &path) const;
};

/// Examples x [n, ...] and their targets y [n, ...].
struct Dataset {
  Tensor x;
  Tensor y;
};

namespace datasets {
/// A training and a test split.
struct Splits {
  Dataset train;
  Dataset test;
};
/// Fashion-MNIST from Debian's dataset-fashion-mnist: x f32 [n, 28, 28]
/// in [0, 1], y i64 [n] in 0..9; 60000 and 10000 examples.
Splits fashionMnist();
} // namespace datasets

namespace utils {
/// Integer labels [n] as one-hot rows f32 [n, numClasses] (BadInput for a
/// label outside [0, numClasses)).
Tensor toCategorical(const Tensor &labels, int64_t numClasses);
} // namespace utils

namespace detail {
struct LayerImpl;
struct Node;
struct ModelImpl;
} // namespace detail

/// A value of the functional API: the output of Input or of a layer call.
class KerasTensor {
public:
  /// The shape without the batch.
  const Shape &shape() const;

  /// The implementation (keras/KerasImpl.h).
  std::shared_ptr<detail::Node> node_;
};

struct InputOptions {
  Shape shape;
  std::string name; ///< default input, input_1, ...
  /// "float32" or "int64" (token ids for Embedding).
  std::string dtype = "float32";
};
/// An input of a functional model.
KerasTensor Input(const InputOptions &options);

/// A layer: a handle that copies share, so that a layer called twice, or
/// held by the program and by a model, is one layer with one set of
/// weights.
class Layer {
public:
  /// Whether fit trains the layer's weights; false keeps them bit-identical
  /// (takes effect at the next fit).
  class Trainable {
  public:
    Trainable &operator=(bool value);
    operator bool() const;

  private:
    friend class Layer;
    bool *flag_ = nullptr;
  } trainable;

  Layer(const Layer &other);
  Layer &operator=(const Layer &other);
  ~Layer();

  const std::string &name() const;
  /// "Dense", "Conv2D", ...
  std::string typeName() const;
  /// The weights in Keras's order (a Dense's kernel [in, units], then its
  /// bias), their current values (copies). Empty before the layer is built
  /// (its model needs its input shape).
  std::vector<Tensor> getWeights() const;
  /// Sets the weights: as many as getWeights gives, of the same shapes.
  void setWeights(const std::vector<Tensor> &weights);
  /// The number of weight elements (0 before the layer is built).
  int64_t countParams() const;

  /// Calls the layer in the functional API.
  KerasTensor operator()(const KerasTensor &x);
  KerasTensor operator()(const std::vector<KerasTensor> &xs);

  /// The implementation (keras/KerasImpl.h).
  const std::shared_ptr<detail::LayerImpl> &impl() const { return impl_; }
  explicit Layer(std::shared_ptr<detail::LayerImpl> impl);

protected:
  std::shared_ptr<detail::LayerImpl> impl_;
};

// Layers, from option structs whose fields all have defaults. Activations
// are names: "linear" (or empty), "relu", "sigmoid", "tanh", "softmax",
// "gelu", "softplus", "swish", "elu". inputShape (or inputDim) on the
// first layer of a Sequential gives the model its input.

struct DenseOptions {
  int64_t units = 1;
  std::string activation;
  bool useBias = true;
  int64_t inputDim = 0;
  Shape inputShape;
  std::string name;
};
/// x @ kernel + bias on the last axis: kernel [in, units] Glorot-uniform,
/// bias zeros.
class Dense : public Layer {
public:
  Dense(const DenseOptions &options = {});
};

struct FlattenOptions {
  Shape inputShape;
  std::string name;
};
class Flatten : public Layer {
public:
  Flatten(const FlattenOptions &options = {});
};

struct ReshapeOptions {
  Shape targetShape; ///< one extent may be -1
  Shape inputShape;
  std::string name;
};
class Reshape : public Layer {
public:
  Reshape(const ReshapeOptions &options = {});
};

struct Conv2DOptions {
  int64_t filters = 1;
  Shape kernelSize = {3, 3};
  Shape strides = {1, 1};
  std::string padding = "valid"; ///< "valid" or "same"
  std::string activation;
  bool useBias = true;
  Shape inputShape; ///< [height, width, channels]: channels last
  std::string name;
};
/// A 2-D convolution of channels-last images [H, W, C]: kernel
/// [kH, kW, C, filters] Glorot-uniform, bias zeros.
class Conv2D : public Layer {
public:
  Conv2D(const Conv2DOptions &options = {});
};

struct Pooling2DOptions {
  Shape poolSize = {2, 2};
  Shape strides; ///< default: poolSize
  std::string padding = "valid";
  std::string name;
};
class MaxPooling2D : public Layer {
public:
  MaxPooling2D(const Pooling2DOptions &options = {});
};
class AveragePooling2D : public Layer {
public:
  AveragePooling2D(const Pooling2DOptions &options = {});
};

struct DropoutOptions {
  double rate = 0.5;
  std::string name;
};
/// Zeroes each element with probability rate in training (scaling the rest
/// by 1 / (1 - rate)); the identity in evaluate and predict.
class Dropout : public Layer {
public:
  Dropout(const DropoutOptions &options = {});
};

struct BatchNormalizationOptions {
  double momentum = 0.99;
  double epsilon = 1e-3;
  std::string name;
};
/// Normalizes each channel (the last axis): with the batch's mean and
/// variance in a training step, which also moves the moving mean and
/// variance (momentum * moving + (1 - momentum) * batch); with the moving
/// ones in evaluate and predict. Weights gamma, beta (trained) and
/// moving_mean, moving_variance (non-trainable).
class BatchNormalization : public Layer {
public:
  BatchNormalization(const BatchNormalizationOptions &options = {});
};

struct ActivationOptions {
  std::string activation;
  std::string name;
};
class Activation : public Layer {
public:
  Activation(const ActivationOptions &options = {});
};

struct EmbeddingOptions {
  int64_t inputDim = 1;  ///< the vocabulary
  int64_t outputDim = 1; ///< the width of a row
  std::string name;
};
/// Rows of a table [inputDim, outputDim] at integer ids.
class Embedding : public Layer {
public:
  Embedding(const EmbeddingOptions &options = {});
};

struct RecurrentOptions {
  int64_t units = 1;
  bool returnSequences = false;
  std::string name;
};
/// Recurrent layers over sequences [T, D] (batch first): the state after
/// the last step [units], or after every step [T, units]. Weights as
/// ir/Recurrent.h names them (PyTorch's gate order).
class SimpleRNN : public Layer {
public:
  SimpleRNN(const RecurrentOptions &options = {});
};
class LSTM : public Layer {
public:
  LSTM(const RecurrentOptions &options = {});
};
class GRU : public Layer {
public:
  GRU(const RecurrentOptions &options = {});
};

struct LayerNormalizationOptions {
  double epsilon = 1e-3; ///< Keras's default
  std::string name;
};
class LayerNormalization : public Layer {
public:
  LayerNormalization(const LayerNormalizationOptions &options = {});
};

struct MultiHeadAttentionOptions {
  int64_t numHeads = 1;
  /// The width of each head; numHeads * keyDim must equal the input's
  /// features (self-attention with one projection width).
  int64_t keyDim = 0;
  std::string name;
};
/// Self-attention of a sequence [T, D], called on one tensor.
class MultiHeadAttention : public Layer {
public:
  MultiHeadAttention(const MultiHeadAttentionOptions &options = {});
};

struct MergeOptions {
  std::string name;
};
/// The sum of its inputs (all of one shape).
class Add : public Layer {
public:
  Add(const MergeOptions &options = {});
};
struct ConcatenateOptions {
  int64_t axis = -1; ///< as Keras counts it: 0 is the batch, -1 the last
  std::string name;
};
class Concatenate : public Layer {
public:
  Concatenate(const ConcatenateOptions &options = {});
};

/// How the learning rate lr changes with the steps taken t: a linear
/// warm-up over warmupSteps, then with u = t - warmupSteps and D =
/// decaySteps: "constant"; "step", lr * rate^floor(u / D); "exponential",
/// lr * rate^(u / D); "cosine", from lr down to minimum * lr over D steps.
struct Schedule {
  std::string kind = "constant";
  int64_t warmupSteps = 0;
  int64_t decaySteps = 1;
  double rate = 0.1;
  double minimum = 0;
};
namespace schedules {
struct ExponentialDecayOptions {
  int64_t decaySteps = 1000;
  double decayRate = 0.96;
  bool staircase = false; ///< decay by whole periods ("step")
  int64_t warmupSteps = 0;
};
/// Keras's ExponentialDecay: lr * decayRate^(t / decaySteps).
Schedule ExponentialDecay(const ExponentialDecayOptions &options = {});
struct CosineDecayOptions {
  int64_t decaySteps = 1000;
  double alpha = 0; ///< the floor, a fraction of lr
  int64_t warmupSteps = 0;
};
/// Keras's CosineDecay (with its warm-up).
Schedule CosineDecay(const CosineDecayOptions &options = {});
} // namespace schedules

/// An optimizer by name ("sgd", "momentum", "adam", "adamw") with Adjoint's
/// defaults (docs/model-format.md), or with settings.
struct Optimizer {
  Optimizer() = default;
  Optimizer(const char *name) : name(name) {}
  Optimizer(std::string name) : name(std::move(name)) {}
  std::string name = "adam";
  double learningRate = 0; ///< 0: the optimizer's default
  double momentum = 0;     ///< momentum: 0 gives 0.9
  double weightDecay = -1; ///< -1: the default (0, and 0.01 for adamw)
  Schedule schedule;
};
namespace optimizers {
struct Settings {
  double learningRate = 0;
  double momentum = 0;
  double weightDecay = -1;
  Schedule schedule;
};
Optimizer SGD(const Settings &settings = {});
Optimizer Momentum(const Settings &settings = {});
Optimizer Adam(const Settings &settings = {});
Optimizer AdamW(const Settings &settings = {});
} // namespace optimizers

struct CompileOptions {
  /// "sparse_categorical_crossentropy", "categorical_crossentropy",
  /// "binary_crossentropy" or "mse". A last softmax (sigmoid) is folded
  /// into the cross-entropy, which is then computed from the logits.
  std::string loss = "sparse_categorical_crossentropy";
  Optimizer optimizer;
  /// "accuracy" (with a categorical loss).
  std::vector<std::string> metrics;
};

/// Per-epoch figures: "loss", "accuracy", "val_loss", "val_accuracy".
struct History {
  std::map<std::string, std::vector<double>> history;
  std::vector<int> epoch;
};

/// What a callback sees at the end of an epoch.
struct EpochLogs {
  int epoch; ///< from 0
  std::map<std::string, double> values;
};
class Model;
/// Called after each epoch (`stop` set true ends the fit) and before each.
struct Callback {
  std::function<void(Model &, const EpochLogs &, bool &stop)> onEpochEnd;
  std::function<void(Model &, int epoch)> onEpochBegin;
};
struct EarlyStoppingOptions {
  std::string monitor = "val_loss";
  int patience = 0;
  double minDelta = 0;
  bool restoreBestWeights = false;
};
/// Stops when `monitor` (a loss: lower is better; an accuracy: higher) has
/// not improved by minDelta for `patience` epochs.
Callback EarlyStopping(const EarlyStoppingOptions &options = {});
struct ModelCheckpointOptions {
  std::string filepath; ///< "{epoch}" is replaced by the epoch (from 1)
  std::string monitor = "val_loss";
  bool saveBestOnly = false;
};
/// Saves the model (Model::save) after every epoch, or when `monitor`
/// improved.
Callback ModelCheckpoint(const ModelCheckpointOptions &options);
/// Before each epoch (from 0), sets the learning rate to
/// schedule(epoch, the current rate), as Keras's callback does.
Callback LearningRateScheduler(std::function<double(int, double)> schedule);

struct FitOptions {
  int epochs = 1;
  int batchSize = 32;
  /// The last fraction of x and y held out for validation.
  double validationSplit = 0;
  std::optional<Dataset> validationData;
  bool shuffle = true;
  /// 0 silent, 1 a progress bar, 2 one line per epoch.
  int verbose = 1;
  std::vector<Callback> callbacks;
};

struct Evaluation {
  double loss;
  double accuracy; ///< NaN unless "accuracy" was a metric
};

/// A model: a graph of layers from inputs to outputs.
class Model {
public:
  /// A functional model from its inputs to its output.
  Model(const KerasTensor &input, const KerasTensor &output,
        const std::string &name = "model");
  Model(const std::vector<KerasTensor> &inputs, const KerasTensor &output,
        const std::string &name = "model");
  Model(Model &&) noexcept;
  Model &operator=(Model &&) noexcept;
  ~Model();

  const std::string &name() const;
  /// The inputs' names, in the order fit, evaluate and predict take a
  /// vector of arrays (a Sequential's is "x").
  std::vector<std::string> inputNames() const;
  /// The output predict returns.
  std::vector<std::string> outputNames() const;
  void compile(const CompileOptions &options = {});
  /// Trains on x and y: floor(n / batchSize) steps per epoch, in a new
  /// shuffled order each epoch. The first fit after compile starts the
  /// optimizer from zero; later ones continue it.
  History fit(const Tensor &x, const Tensor &y, const FitOptions &options = {});
  History fit(const std::vector<Tensor> &xs, const Tensor &y,
              const FitOptions &options = {});
  /// The mean loss (and accuracy) over every row of x.
  Evaluation evaluate(const Tensor &x, const Tensor &y, int batchSize = 32);
  Evaluation evaluate(const std::vector<Tensor> &xs, const Tensor &y,
                      int batchSize = 32);
  /// The model's output for every row of x, in batches (the last one as
  /// large as what is left). Dropout is the identity.
  Tensor predict(const Tensor &x, int batchSize = 32);
  Tensor predict(const std::vector<Tensor> &xs, int batchSize = 32);
  /// Prints Keras's table: layers, output shapes, parameter counts.
  void summary() const;
  /// The table summary() prints.
  std::string summaryText() const;
  /// Writes the model with its weights and how it trains (loss, optimizer,
  /// batch size) as an Adjoint model file (.pb, .pbtxt or .adj).
  void save(const std::string &path) const;
  /// The layer called `name` (BadInput naming the layers there are).
  Layer &getLayer(const std::string &name);
  std::vector<Layer> &layers();
  /// Every weight's current value, layer by layer.
  std::vector<Tensor> getWeights() const;
  void setWeights(const std::vector<Tensor> &weights);
  int64_t countParams() const;
  /// The learning rate of the next step (scheduled), and the base rate the
  /// schedule scales (effective from the next step).
  double learningRate() const;
  void setLearningRate(double lr);

protected:
  Model();
  std::unique_ptr<detail::ModelImpl> impl_;

private:
  friend Model loadModel(const std::string &path);
};

/// A stack of layers, each taking the previous one's output.
class Sequential : public Model {
public:
  explicit Sequential(const std::string &name = "sequential");
  Sequential(std::vector<Layer> layers, const std::string &name = "sequential");
  void add(const Layer &layer);
};

/// Reads a model that save() wrote (or any Adjoint model file with a
/// training spec that names its features and predictions), with its
/// weights: the same predictions bit for bit. Its layers are its weights
/// grouped by name (dense_1_kernel and dense_1_bias make layer dense_1), so
/// getLayer, trainable, getWeights and setWeights work on them.
Model loadModel(const std::string &path);

} // namespace adjoint::keras
