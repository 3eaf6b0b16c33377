//===- Layers.cpp - Keras's layers as Adjoint builder calls ---------------===//
#include "keras/KerasImpl.h"

#include "ir/Error.h"
#include "ir/Layers.h"
#include "ir/Recurrent.h"
#include "ir/SymbolicDim.h"

#include <cctype>
#include <cmath>
#include <cstring>
#include <mutex>

namespace adjoint::keras {
namespace detail {

int64_t batchDim() { return symbolicDim(internSymbol("N")); }

std::string uniqueLayerName(const std::string &type) {
  static std::mutex mutex;
  static std::map<std::string, int> seen;
  std::string base;
  for (size_t i = 0; i < type.size(); ++i) {
    char c = type[i];
    // Conv2D -> conv2d, MaxPooling2D -> max_pooling2d, LSTM -> lstm.
    bool upper = std::isupper((unsigned char)c);
    if (upper && i > 0 && std::islower((unsigned char)type[i - 1]))
      base += '_';
    base += (char)std::tolower((unsigned char)c);
  }
  std::lock_guard<std::mutex> lock(mutex);
  int n = seen[base]++;
  return n == 0 ? base : base + "_" + std::to_string(n);
}

uint64_t LayerImpl::seed(const std::string &what) const {
  // FNV-1a: the same in every process and on every platform.
  uint64_t h = 1469598103934665603ull;
  for (char c : name + "/" + what)
    h = (h ^ (unsigned char)c) * 1099511628211ull;
  return h >> 1;
}

std::string LayerImpl::where() const {
  return "layer " + name + " (" + typeName() + "): ";
}

Value *LayerImpl::apply(BuildContext &ctx, const std::vector<Value *> &xs) {
  Graph &g = ctx.b.graph();
  size_t before = g.params().size();
  // An error of the builder below is prefixed with the layer; the layer's
  // own checks name it already.
  Value *y = nullptr;
  try {
    y = call(ctx, xs);
  } catch (const Error &e) {
    std::string what = e.what();
    if (what.rfind(where(), 0) == 0)
      throw;
    throw Error(e.kind(), where() + what);
  }
  std::vector<Param> &params = g.params();
  size_t made = params.size() - before;
  bool first = weights.empty();
  if (!first && made != weights.size())
    internalError(where(), "made ", made, " weights, not ", weights.size());
  for (size_t i = 0; i < made; ++i) {
    Param &p = params[before + i];
    if (first) {
      weightNames.push_back(p.value->name());
      weights.push_back(p.data);
    } else if (p.data.type() != weights[i].type()) {
      badInput(where(), "weight ", weightNames[i], " is ",
               typeStr(weights[i].type()), " but this call needs ",
               typeStr(p.data.type()),
               ": a layer is called on inputs of one shape");
    } else {
      p.data = weights[i];
    }
    // The values are the layer's, not the recipe's: a saved model keeps
    // them.
    p.init.reset();
  }
  return y;
}

namespace {

const char *const kActivations[] = {"linear",   "relu",    "sigmoid",
                                    "tanh",     "softmax", "gelu",
                                    "softplus", "swish",   "elu"};

} // namespace

void checkActivation(const std::string &name, const std::string &layer) {
  if (name.empty())
    return;
  for (const char *a : kActivations)
    if (name == a)
      return;
  std::string known;
  for (const char *a : kActivations)
    known += std::string(known.empty() ? "" : ", ") + a;
  badInput(layer, "unknown activation \"", name, "\" (known: ", known, ")");
}

Value *activate(BuildContext &ctx, Value *x, const std::string &name,
                const std::string &layer) {
  checkActivation(name, layer);
  Builder &b = ctx.b;
  DType t = x->type().dtype;
  if (name.empty() || name == "linear")
    return x;
  if (name == "relu")
    return b.relu(x);
  if (name == "tanh")
    return b.tanh(x);
  if (name == "gelu")
    return gelu(b, x);
  if (name == "sigmoid") {
    Value *y = b.sigmoid(x);
    ctx.sigmoidLogits[y] = x;
    return y;
  }
  if (name == "softmax") {
    Value *y = b.softmax(x, -1);
    ctx.softmaxLogits[y] = x;
    return y;
  }
  if (name == "softplus") // max(x, 0) + log(1 + exp(-|x|)): no overflow
    return b.add(b.relu(x),
                 b.log(b.add(b.scalar(t, 1), b.exp(b.neg(b.abs(x))))));
  if (name == "swish")
    return b.mul(x, b.sigmoid(x));
  // elu: exp of min(x, 0), so that the branch not taken cannot overflow.
  Value *zero = b.scalar(t, 0);
  return b.select(b.greater(x, zero), x,
                  b.sub(b.exp(b.minimum(x, zero)), b.scalar(t, 1)));
}

namespace {

/// The shape declared by inputShape, or [inputDim].
Shape declaredShape(const Shape &inputShape, int64_t inputDim) {
  if (!inputShape.empty())
    return inputShape;
  if (inputDim > 0)
    return {inputDim};
  return {};
}

void requirePositive(int64_t v, const char *what, const std::string &layer) {
  if (v <= 0)
    badInput(layer, what, " must be positive, not ", v);
}

/// Glorot-uniform for a kernel whose fan-in and fan-out are given (a
/// channels-last kernel's are not fans()' OIHW ones).
InitSpec glorot(uint64_t seed, int64_t fanIn, int64_t fanOut) {
  double limit = std::sqrt(6.0 / (double)(fanIn + fanOut));
  return uniformInit(seed, -limit, limit);
}

/// The TensorFlow padding of one axis: [before, after].
std::pair<int64_t, int64_t> samePads(int64_t in, int64_t k, int64_t s) {
  int64_t out = (in + s - 1) / s;
  int64_t total = std::max<int64_t>((out - 1) * s + k - in, 0);
  return {total / 2, total - total / 2};
}

/// The spatial extents of an NHWC image value.
void requireImage(Value *x, const std::string &layer) {
  if (x->type().rank() != 4)
    badInput(layer, "needs images [height, width, channels], not ",
             typeStr(x->type()), " (with the batch)");
}

std::vector<int64_t> pads2d(const std::string &padding, Value *x,
                            const Shape &kernel, const Shape &strides,
                            const std::string &layer) {
  if (padding == "valid")
    return {0, 0, 0, 0};
  if (padding != "same")
    badInput(layer, "padding is \"", padding,
             "\"; it must be \"valid\" or \"same\"");
  auto [top, bottom] = samePads(x->type().shape[1], kernel[0], strides[0]);
  auto [left, right] = samePads(x->type().shape[2], kernel[1], strides[1]);
  return {top, left, bottom, right};
}

void requirePair(const Shape &s, const char *what, const std::string &layer) {
  if (s.size() != 2 || s[0] <= 0 || s[1] <= 0)
    badInput(layer, what, " must be two positive numbers");
}

// Each layer: its options, checked when it is made, and its call.

struct DenseImpl : LayerImpl {
  DenseOptions o;
  std::string typeName() const override { return "Dense"; }
  Value *call(BuildContext &ctx, const std::vector<Value *> &xs) override {
    Builder &b = ctx.b;
    Value *x = xs[0];
    const TensorType &t = x->type();
    if (t.rank() < 2 || isSymbolic(t.shape.back()))
      badInput(where(), "needs inputs [..., features], not ", typeStr(t));
    int64_t in = t.shape.back();
    Value *w = b.param(name + "_kernel", {t.dtype, {in, o.units}},
                       glorotUniform(seed("kernel")));
    Value *y = b.matmul(x, w);
    if (o.useBias)
      y = b.add(y, b.param(name + "_bias", {t.dtype, {o.units}}, zerosInit()));
    return activate(ctx, y, o.activation, where());
  }
};

struct FlattenImpl : LayerImpl {
  std::string typeName() const override { return "Flatten"; }
  Value *call(BuildContext &ctx, const std::vector<Value *> &xs) override {
    if (xs[0]->type().rank() < 2)
      return ctx.b.reshape(xs[0], {xs[0]->type().shape[0], 1});
    return ctx.b.flatten(xs[0], 1);
  }
};

struct ReshapeImpl : LayerImpl {
  ReshapeOptions o;
  std::string typeName() const override { return "Reshape"; }
  Value *call(BuildContext &ctx, const std::vector<Value *> &xs) override {
    const Shape &in = xs[0]->type().shape;
    int64_t elements = 1, known = 1, unknownAt = -1;
    for (size_t i = 1; i < in.size(); ++i)
      elements *= in[i];
    Shape target = o.targetShape;
    for (size_t i = 0; i < target.size(); ++i) {
      if (target[i] == -1 && unknownAt < 0)
        unknownAt = (int64_t)i;
      else if (target[i] > 0)
        known *= target[i];
      else
        badInput(where(), "target shape ", shapeStr(o.targetShape),
                 " may hold one -1 and positive extents only");
    }
    if (unknownAt >= 0 && known > 0 && elements % known == 0)
      target[unknownAt] = elements / known;
    int64_t count = 1;
    for (int64_t d : target)
      count *= d;
    if (count != elements)
      badInput(where(), "cannot reshape ",
               shapeStr(Shape(in.begin() + 1, in.end())), " (", elements,
               " elements) to ", shapeStr(o.targetShape));
    target.insert(target.begin(), in[0]);
    return ctx.b.reshape(xs[0], target);
  }
};

struct Conv2DImpl : LayerImpl {
  keras::Conv2DOptions o;
  std::string typeName() const override { return "Conv2D"; }
  Value *call(BuildContext &ctx, const std::vector<Value *> &xs) override {
    Builder &b = ctx.b;
    Value *x = xs[0];
    requireImage(x, where());
    int64_t c = x->type().shape[3];
    int64_t kh = o.kernelSize[0], kw = o.kernelSize[1];
    Value *w =
        b.param(name + "_kernel", {x->type().dtype, {kh, kw, c, o.filters}},
                glorot(seed("kernel"), kh * kw * c, kh * kw * o.filters));
    adjoint::Conv2DOptions conv;
    conv.dataFormat = "NHWC";
    conv.strides = o.strides;
    conv.pads = pads2d(o.padding, x, o.kernelSize, o.strides, where());
    Value *y = b.conv2d(x, w, conv);
    if (o.useBias)
      y = b.add(y, b.param(name + "_bias", {x->type().dtype, {o.filters}},
                           zerosInit()));
    return activate(ctx, y, o.activation, where());
  }
};

struct PoolImpl : LayerImpl {
  Pooling2DOptions o;
  bool max = true;
  std::string typeName() const override {
    return max ? "MaxPooling2D" : "AveragePooling2D";
  }
  Value *call(BuildContext &ctx, const std::vector<Value *> &xs) override {
    Value *x = xs[0];
    requireImage(x, where());
    Pool2DOptions p;
    p.kernel = o.poolSize;
    p.strides = o.strides.empty() ? o.poolSize : o.strides;
    p.pads = pads2d(o.padding, x, p.kernel, p.strides, where());
    p.dataFormat = "NHWC";
    return max ? ctx.b.maxPool2d(x, p) : ctx.b.avgPool2d(x, p);
  }
};

struct DropoutImpl : LayerImpl {
  DropoutOptions o;
  std::string typeName() const override { return "Dropout"; }
  Value *call(BuildContext &ctx, const std::vector<Value *> &xs) override {
    if (!ctx.training || o.rate == 0)
      return xs[0];
    return dropout(ctx.b, xs[0], o.rate, seed("mask"));
  }
};

struct BatchNormImpl : LayerImpl {
  BatchNormalizationOptions o;
  std::string typeName() const override { return "BatchNormalization"; }
  bool weightTrains(size_t i) const override { return i < 2; }
  Value *call(BuildContext &ctx, const std::vector<Value *> &xs) override {
    // A frozen layer runs in inference mode (Keras's): its statistics
    // stay.
    Value *y = batchNorm(ctx.b, xs[0], name, o.momentum, o.epsilon,
                         /*frozen=*/!trainable);
    if (trainable)
      for (const StateUpdate &u : batchNormStateUpdates(name))
        ctx.stateUpdates.push_back(u);
    return y;
  }
};

struct ActivationImpl : LayerImpl {
  ActivationOptions o;
  std::string typeName() const override { return "Activation"; }
  Value *call(BuildContext &ctx, const std::vector<Value *> &xs) override {
    return activate(ctx, xs[0], o.activation, where());
  }
};

struct EmbeddingImpl : LayerImpl {
  EmbeddingOptions o;
  std::string typeName() const override { return "Embedding"; }
  Value *call(BuildContext &ctx, const std::vector<Value *> &xs) override {
    return embedding(ctx.b, xs[0], o.inputDim, o.outputDim, name,
                     seed("embeddings"));
  }
};

struct RecurrentImpl : LayerImpl {
  keras::RecurrentOptions o;
  enum Kind { Rnn, Lstm, Gru } kind = Rnn;
  std::string typeName() const override {
    return kind == Rnn ? "SimpleRNN" : kind == Lstm ? "LSTM" : "GRU";
  }
  Value *call(BuildContext &ctx, const std::vector<Value *> &xs) override {
    if (xs[0]->type().rank() != 3)
      badInput(where(), "needs sequences [time, features], not ",
               typeStr(xs[0]->type()), " (with the batch)");
    adjoint::RecurrentOptions r;
    r.units = o.units;
    r.returnSequences = o.returnSequences;
    r.seed = seed("cell");
    if (kind == Rnn)
      return simpleRnn(ctx.b, xs[0], name, r);
    if (kind == Lstm)
      return lstm(ctx.b, xs[0], name, r);
    return gru(ctx.b, xs[0], name, r);
  }
};

struct LayerNormImpl : LayerImpl {
  LayerNormalizationOptions o;
  std::string typeName() const override { return "LayerNormalization"; }
  Value *call(BuildContext &ctx, const std::vector<Value *> &xs) override {
    return layerNorm(ctx.b, xs[0], name, o.epsilon);
  }
};

struct AttentionImpl : LayerImpl {
  MultiHeadAttentionOptions o;
  std::string typeName() const override { return "MultiHeadAttention"; }
  Value *call(BuildContext &ctx, const std::vector<Value *> &xs) override {
    const TensorType &t = xs[0]->type();
    if (t.rank() != 3)
      badInput(where(), "needs sequences [time, features], not ", typeStr(t),
               " (with the batch)");
    if (o.keyDim > 0 && o.keyDim * o.numHeads != t.shape[2])
      badInput(where(), o.numHeads, " heads of ", o.keyDim, " make ",
               o.keyDim * o.numHeads, " features, but the input has ",
               t.shape[2]);
    return multiHeadAttention(ctx.b, xs[0], o.numHeads, name, seed("proj"));
  }
};

struct AddImpl : LayerImpl {
  std::string typeName() const override { return "Add"; }
  bool takesSeveral() const override { return true; }
  Value *call(BuildContext &ctx, const std::vector<Value *> &xs) override {
    if (xs.size() < 2)
      badInput(where(), "needs at least two inputs, not ", xs.size());
    Value *sum = xs[0];
    for (size_t i = 1; i < xs.size(); ++i) {
      if (xs[i]->type() != xs[0]->type())
        badInput(where(), "input ", i, " is ", typeStr(xs[i]->type()),
                 " but input 0 is ", typeStr(xs[0]->type()));
      sum = ctx.b.add(sum, xs[i]);
    }
    return sum;
  }
};

struct ConcatenateImpl : LayerImpl {
  ConcatenateOptions o;
  std::string typeName() const override { return "Concatenate"; }
  bool takesSeveral() const override { return true; }
  Value *call(BuildContext &ctx, const std::vector<Value *> &xs) override {
    if (xs.size() < 2)
      badInput(where(), "needs at least two inputs, not ", xs.size());
    int64_t rank = (int64_t)xs[0]->type().rank();
    int64_t axis = o.axis < 0 ? rank + o.axis : o.axis;
    if (axis < 1 || axis >= rank)
      badInput(where(), "axis ", o.axis, " is not a non-batch axis of ",
               typeStr(xs[0]->type()));
    return ctx.b.concat(xs, axis);
  }
};

/// A layer of kind T with options `o`, named `name` or afresh.
template <typename T, typename O>
std::shared_ptr<LayerImpl> makeLayer(const O &o, const std::string &name,
                                     Shape inputShape = {}) {
  auto impl = std::make_shared<T>();
  impl->o = o;
  impl->name = name.empty() ? uniqueLayerName(impl->typeName()) : name;
  impl->inputShape = std::move(inputShape);
  return impl;
}

/// A layer of kind T without options.
template <typename T>
std::shared_ptr<LayerImpl> makeLayerPlain(const std::string &name,
                                          Shape inputShape = {}) {
  auto impl = std::make_shared<T>();
  impl->name = name.empty() ? uniqueLayerName(impl->typeName()) : name;
  impl->inputShape = std::move(inputShape);
  return impl;
}

} // namespace

Value *LoadedLayerImpl::call(BuildContext &, const std::vector<Value *> &) {
  badInput(where(), "a loaded model's layers hold its weights; they are not "
                    "called");
}

} // namespace detail

using namespace detail;

// The handle.

Layer::Trainable &Layer::Trainable::operator=(bool value) {
  *flag_ = value;
  return *this;
}
Layer::Trainable::operator bool() const { return *flag_; }

Layer::Layer(std::shared_ptr<LayerImpl> impl) : impl_(std::move(impl)) {
  trainable.flag_ = &impl_->trainable;
}
Layer::Layer(const Layer &other) : impl_(other.impl_) {
  trainable.flag_ = &impl_->trainable;
}
Layer &Layer::operator=(const Layer &other) {
  impl_ = other.impl_;
  trainable.flag_ = &impl_->trainable;
  return *this;
}
Layer::~Layer() = default;

const std::string &Layer::name() const { return impl_->name; }
std::string Layer::typeName() const { return impl_->typeName(); }

std::vector<Tensor> Layer::getWeights() const {
  std::vector<Tensor> out;
  for (const adjoint::Tensor &w : impl_->weights)
    out.push_back(w.clone());
  return out;
}

void Layer::setWeights(const std::vector<Tensor> &weights) {
  std::vector<adjoint::Tensor> &mine = impl_->weights;
  if (weights.size() != mine.size())
    badInput(impl_->where(), "setWeights got ", weights.size(),
             " tensors; the layer has ", mine.size(), " weights");
  for (size_t i = 0; i < mine.size(); ++i)
    if (weights[i].type() != mine[i].type())
      badInput(impl_->where(), "weight ", impl_->weightNames[i], " is ",
               typeStr(mine[i].type()), ", not ", typeStr(weights[i].type()));
  // In place: the training step's parameters share this storage.
  for (size_t i = 0; i < mine.size(); ++i)
    std::memcpy(mine[i].bytes(), weights[i].bytes(), mine[i].byteSize());
}

int64_t Layer::countParams() const {
  int64_t n = 0;
  for (const adjoint::Tensor &w : impl_->weights)
    n += w.numElements();
  return n;
}

KerasTensor Layer::operator()(const KerasTensor &x) {
  return (*this)(std::vector<KerasTensor>{x});
}

KerasTensor Layer::operator()(const std::vector<KerasTensor> &xs) {
  if (!impl_->takesSeveral() && xs.size() != 1)
    badInput(impl_->where(), "takes one input, not ", xs.size());
  auto node = std::make_shared<Node>();
  node->layer = impl_;
  for (const KerasTensor &x : xs) {
    if (!x.node_)
      badInput(impl_->where(), "called on an empty KerasTensor");
    node->inputs.push_back(x.node_);
  }
  // The output's shape, from the layer called on inputs of these shapes
  // (which also makes its weights on the first call).
  Graph g("shape");
  Builder b(g);
  BuildContext ctx(b, /*training=*/false);
  std::vector<Value *> operands;
  for (size_t i = 0; i < xs.size(); ++i) {
    Shape s = xs[i].node_->shape;
    s.insert(s.begin(), batchDim());
    operands.push_back(
        b.input("in" + std::to_string(i), {xs[i].node_->dtype, s}));
  }
  Value *y = impl_->apply(ctx, operands);
  node->shape.assign(y->type().shape.begin() + 1, y->type().shape.end());
  node->dtype = y->type().dtype;
  KerasTensor out;
  out.node_ = node;
  return out;
}

const Shape &KerasTensor::shape() const {
  if (!node_)
    badInput("an empty KerasTensor has no shape");
  return node_->shape;
}

KerasTensor Input(const InputOptions &options) {
  for (int64_t d : options.shape)
    if (d <= 0)
      badInput("Input: shape ", shapeStr(options.shape),
               " needs positive extents (the batch is not part of it)");
  auto node = std::make_shared<Node>();
  node->shape = options.shape;
  if (options.dtype == "float32")
    node->dtype = DType::F32;
  else if (options.dtype == "int64")
    node->dtype = DType::I64;
  else
    badInput("Input: dtype \"", options.dtype,
             "\" is neither \"float32\" nor \"int64\"");
  node->inputName =
      options.name.empty() ? uniqueLayerName("Input") : options.name;
  KerasTensor t;
  t.node_ = node;
  return t;
}

// The layers' constructors: options checked now, so that a mistake is
// reported where it was made.

Dense::Dense(const DenseOptions &o)
    : Layer(makeLayer<DenseImpl>(o, o.name,
                                 declaredShape(o.inputShape, o.inputDim))) {
  requirePositive(o.units, "units", impl_->where());
  checkActivation(o.activation, impl_->where());
}

Flatten::Flatten(const FlattenOptions &o)
    : Layer(makeLayerPlain<FlattenImpl>(o.name, o.inputShape)) {}

Reshape::Reshape(const ReshapeOptions &o)
    : Layer(makeLayer<ReshapeImpl>(o, o.name, o.inputShape)) {
  if (o.targetShape.empty())
    badInput(impl_->where(), "needs a target shape");
}

Conv2D::Conv2D(const Conv2DOptions &o)
    : Layer(makeLayer<Conv2DImpl>(o, o.name, o.inputShape)) {
  requirePositive(o.filters, "filters", impl_->where());
  requirePair(o.kernelSize, "kernelSize", impl_->where());
  requirePair(o.strides, "strides", impl_->where());
  if (o.padding != "valid" && o.padding != "same")
    badInput(impl_->where(), "padding is \"", o.padding,
             "\"; it must be \"valid\" or \"same\"");
  checkActivation(o.activation, impl_->where());
}

namespace {
std::shared_ptr<LayerImpl> makePool(const Pooling2DOptions &o, bool max) {
  auto impl = std::make_shared<PoolImpl>();
  impl->o = o;
  impl->max = max;
  impl->name = o.name.empty() ? uniqueLayerName(impl->typeName()) : o.name;
  requirePair(o.poolSize, "poolSize", impl->where());
  if (!o.strides.empty())
    requirePair(o.strides, "strides", impl->where());
  if (o.padding != "valid" && o.padding != "same")
    badInput(impl->where(), "padding is \"", o.padding,
             "\"; it must be \"valid\" or \"same\"");
  return impl;
}

std::shared_ptr<LayerImpl> makeRecurrent(const RecurrentOptions &o,
                                         RecurrentImpl::Kind kind) {
  auto impl = std::make_shared<RecurrentImpl>();
  impl->o = o;
  impl->kind = kind;
  impl->name = o.name.empty() ? uniqueLayerName(impl->typeName()) : o.name;
  requirePositive(o.units, "units", impl->where());
  return impl;
}
} // namespace

MaxPooling2D::MaxPooling2D(const Pooling2DOptions &o)
    : Layer(makePool(o, true)) {}
AveragePooling2D::AveragePooling2D(const Pooling2DOptions &o)
    : Layer(makePool(o, false)) {}

Dropout::Dropout(const DropoutOptions &o)
    : Layer(makeLayer<DropoutImpl>(o, o.name)) {
  if (!(o.rate >= 0 && o.rate < 1))
    badInput(impl_->where(), "rate is ", o.rate, "; it must be in [0, 1)");
}

BatchNormalization::BatchNormalization(const BatchNormalizationOptions &o)
    : Layer(makeLayer<BatchNormImpl>(o, o.name)) {
  if (!(o.momentum >= 0 && o.momentum < 1))
    badInput(impl_->where(), "momentum is ", o.momentum,
             "; it must be in [0, 1)");
  if (!(o.epsilon > 0))
    badInput(impl_->where(), "epsilon must be positive, not ", o.epsilon);
}

Activation::Activation(const ActivationOptions &o)
    : Layer(makeLayer<ActivationImpl>(o, o.name)) {
  checkActivation(o.activation, impl_->where());
}

Embedding::Embedding(const EmbeddingOptions &o)
    : Layer(makeLayer<EmbeddingImpl>(o, o.name)) {
  requirePositive(o.inputDim, "inputDim", impl_->where());
  requirePositive(o.outputDim, "outputDim", impl_->where());
}

SimpleRNN::SimpleRNN(const RecurrentOptions &o)
    : Layer(makeRecurrent(o, RecurrentImpl::Rnn)) {}
LSTM::LSTM(const RecurrentOptions &o)
    : Layer(makeRecurrent(o, RecurrentImpl::Lstm)) {}
GRU::GRU(const RecurrentOptions &o)
    : Layer(makeRecurrent(o, RecurrentImpl::Gru)) {}

LayerNormalization::LayerNormalization(const LayerNormalizationOptions &o)
    : Layer(makeLayer<LayerNormImpl>(o, o.name)) {
  if (!(o.epsilon > 0))
    badInput(impl_->where(), "epsilon must be positive, not ", o.epsilon);
}

MultiHeadAttention::MultiHeadAttention(const MultiHeadAttentionOptions &o)
    : Layer(makeLayer<AttentionImpl>(o, o.name)) {
  requirePositive(o.numHeads, "numHeads", impl_->where());
  if (o.keyDim < 0)
    badInput(impl_->where(), "keyDim must not be negative");
}

Add::Add(const MergeOptions &o) : Layer(makeLayerPlain<AddImpl>(o.name)) {}

Concatenate::Concatenate(const ConcatenateOptions &o)
    : Layer(makeLayer<ConcatenateImpl>(o, o.name)) {}

} // namespace adjoint::keras
