//===- KerasImpl.h - What keras.h's handles hold ----------------*- C++ -*-===//
//
// A layer is a LayerImpl behind a shared handle; a call of it in the
// functional API is a Node. A model turns its nodes into an Adjoint graph
// by calling every layer on a Builder (LayerImpl::apply), whose parameters
// then carry the layers' weights: the graph is built afresh for training,
// for prediction and for saving, from the same weights.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "adjoint/keras.h"
#include "ir/Builder.h"
#include "ir/TrainingSpec.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace adjoint::keras::detail {

/// The graph a model's layers are being added to.
struct BuildContext {
  BuildContext(Builder &b, bool training) : b(b), training(training) {}
  Builder &b;
  /// Dropout draws masks (a training graph), or is the identity.
  bool training;
  /// Parameters a training step sets from outputs (batch normalization's
  /// moving statistics), for the training spec.
  std::vector<StateUpdate> stateUpdates;
  /// The values a layer's last activation computed from logits, by kind:
  /// a softmax's or sigmoid's result -> its operand. A cross-entropy takes
  /// the logits, which is exact where the probabilities would round to 0.
  std::map<const Value *, Value *> softmaxLogits, sigmoidLogits;
};

struct LayerImpl {
  virtual ~LayerImpl() = default;
  std::string name;
  bool trainable = true;
  /// The input shape the options declare (inputShape or inputDim), if any.
  Shape inputShape;
  /// The graph names of the weights and their values, in Keras's order,
  /// once the layer has been called (on a model's first build). The values
  /// share storage with the training step's parameters while one runs.
  std::vector<std::string> weightNames;
  std::vector<adjoint::Tensor> weights;

  /// "Dense", "Conv2D": the class name.
  virtual std::string typeName() const = 0;
  /// Appends the layer to ctx's graph; parameters are made with
  /// ctx.b.param(name, type, init) (apply gives them the layer's values).
  virtual Value *call(BuildContext &ctx, const std::vector<Value *> &xs) = 0;
  /// Layers that take several inputs (Add, Concatenate).
  virtual bool takesSeveral() const { return false; }
  /// Whether weight i trains (a batch normalization's moving statistics do
  /// not: a step sets them).
  virtual bool weightTrains(size_t i) const { return true; }

  /// Calls the layer, then gives each parameter it made the layer's value
  /// (or, on the first call, keeps the initial values as the weights).
  Value *apply(BuildContext &ctx, const std::vector<Value *> &xs);
  /// A seed for weight `what` of this layer, from the layer's name (so a
  /// model built twice starts from the same values).
  uint64_t seed(const std::string &what) const;
  /// "NAME (Type): " for messages.
  std::string where() const;
};

/// A group of a loaded model's weights (keras/Saving.cpp), shown as a
/// layer of the type its weights' names suggest.
struct LoadedLayerImpl : LayerImpl {
  std::string type;
  /// Per weight: false for state the spec's state updates set.
  std::vector<bool> trains;
  std::string typeName() const override { return type; }
  bool weightTrains(size_t i) const override { return trains.at(i); }
  Value *call(BuildContext &ctx, const std::vector<Value *> &xs) override;
};

/// An input or a layer call in the functional API.
struct Node {
  std::shared_ptr<LayerImpl> layer; ///< null for an input
  std::vector<std::shared_ptr<Node>> inputs;
  Shape shape; ///< without the batch
  DType dtype = DType::F32;
  std::string inputName; ///< inputs only
};

/// A fresh name for a layer of type `type` (dense, dense_1, ...), unique
/// in the process as Keras's are.
std::string uniqueLayerName(const std::string &type);

/// `x` through the activation called `name` (see keras.h); BadInput naming
/// `layer` for an unknown one.
Value *activate(BuildContext &ctx, Value *x, const std::string &name,
                const std::string &layer);
/// Throws BadInput, naming `layer`, unless `name` is an activation.
void checkActivation(const std::string &name, const std::string &layer);

/// The symbolic batch of every graph a model builds.
int64_t batchDim();

} // namespace adjoint::keras::detail
