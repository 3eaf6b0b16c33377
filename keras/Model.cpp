//===- Model.cpp - Keras's Model and Sequential on the Trainer ------------===//
#include "keras/ModelImpl.h"

#include "compiler/training/Optimizer.h"
#include "ir/Error.h"
#include "ir/GraphCopy.h"
#include "ir/Layers.h"
#include "ir/Losses.h"
#include "ir/ModelIO.h"
#include "ir/SymbolicDim.h"
#include "ir/Verifier.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <unistd.h>

namespace adjoint::keras {
namespace detail {
namespace {

/// Binary and categorical cross-entropy of probabilities, clipped to
/// [1e-7, 1 - 1e-7] as Keras does when the output is not from logits.
Value *clippedLog(Builder &b, Value *p) {
  DType t = p->type().dtype;
  return b.log(
      b.minimum(b.maximum(p, b.scalar(t, 1e-7)), b.scalar(t, 1 - 1e-7)));
}

Value *appendLoss(BuildContext &ctx, LossKind kind, Value *out, Value *labels) {
  Builder &b = ctx.b;
  DType t = out->type().dtype;
  auto meanOverBatch = [&](Value *perElement) {
    // Keras: the sum over classes, then the mean over the batch.
    return b.reduceMean(b.neg(b.reduceSum(perElement, {{1}})), std::nullopt);
  };
  switch (kind) {
  case LossKind::SparseCategorical:
    if (auto it = ctx.softmaxLogits.find(out); it != ctx.softmaxLogits.end())
      return sparseSoftmaxCrossEntropy(b, it->second, labels);
    return meanOverBatch(
        b.mul(b.oneHot(labels, out->type().shape[1], t), clippedLog(b, out)));
  case LossKind::Categorical:
    if (auto it = ctx.softmaxLogits.find(out); it != ctx.softmaxLogits.end())
      return softmaxCrossEntropy(b, it->second, labels);
    return meanOverBatch(b.mul(labels, clippedLog(b, out)));
  case LossKind::Binary: {
    if (auto it = ctx.sigmoidLogits.find(out); it != ctx.sigmoidLogits.end())
      return binaryCrossEntropyWithLogits(b, it->second, labels);
    Value *one = b.scalar(t, 1);
    Value *terms =
        b.add(b.mul(labels, clippedLog(b, out)),
              b.mul(b.sub(one, labels), clippedLog(b, b.sub(one, out))));
    return b.neg(b.reduceMean(terms, std::nullopt));
  }
  case LossKind::Mse:
    return meanSquaredError(b, out, labels);
  }
  internalError("unknown loss");
}

/// The labels input's type for `kind` and an output of type `out`.
TensorType labelsType(LossKind kind, const TensorType &out) {
  if (kind == LossKind::SparseCategorical)
    return {DType::I64, {out.shape[0]}};
  return out;
}

std::optional<LossKind> parseLoss(const std::string &name) {
  if (name == "sparse_categorical_crossentropy")
    return LossKind::SparseCategorical;
  if (name == "categorical_crossentropy")
    return LossKind::Categorical;
  if (name == "binary_crossentropy")
    return LossKind::Binary;
  if (name == "mse" || name == "mean_squared_error")
    return LossKind::Mse;
  return std::nullopt;
}

LrSchedule lrSchedule(const Schedule &s) {
  std::optional<LrSchedule::Kind> kind = parseLrScheduleKind(s.kind);
  if (!kind)
    badInput("compile: unknown schedule \"", s.kind,
             "\" (known: constant, step, exponential, cosine)");
  LrSchedule out;
  out.kind = *kind;
  out.warmupSteps = s.warmupSteps;
  out.decaySteps = s.decaySteps;
  out.rate = s.rate;
  out.minimum = s.minimum;
  withContext("compile", [&] { checkLrSchedule(out); });
  return out;
}

OptimizerConfig optimizerConfig(const Optimizer &o) {
  std::optional<OptimizerKind> kind = parseOptimizerKind(o.name);
  if (!kind)
    badInput("compile: unknown optimizer \"", o.name,
             "\" (known: sgd, momentum, adam, adamw)");
  OptimizerConfig c;
  c.kind = *kind;
  if (o.learningRate < 0)
    badInput("compile: the learning rate is ", o.learningRate,
             "; it must be positive");
  if (o.learningRate > 0)
    c.lr = o.learningRate;
  if (o.momentum != 0) {
    if (*kind != OptimizerKind::Momentum)
      badInput("compile: optimizer ", o.name, " takes no momentum");
    c.momentum = o.momentum;
  }
  if (o.weightDecay >= 0)
    c.weightDecay = o.weightDecay;
  return c;
}

/// Rows [from, from + n) of `all` (or the rows order[from...]) as a tensor.
/// Copies those rows into `out`, which is reallocated unless it has n rows
/// of all's type already (a step's batch is written where the last one was).
void copyRows(const adjoint::Tensor &all, const std::vector<int64_t> *order,
              int64_t from, int64_t n, adjoint::Tensor &out) {
  Shape shape = all.shape();
  shape[0] = n;
  if (!out.hasStorage() || out.dtype() != all.dtype() || out.shape() != shape)
    out = adjoint::Tensor(TensorType{all.dtype(), shape});
  size_t row = all.shape()[0] ? all.byteSize() / (size_t)all.shape()[0] : 0;
  for (int64_t i = 0; i < n; ++i) {
    int64_t at = order ? (*order)[from + i] : from + i;
    std::memcpy(out.bytes() + i * row, all.bytes() + at * row, row);
  }
}

adjoint::Tensor rowsOf(const adjoint::Tensor &all,
                       const std::vector<int64_t> *order, int64_t from,
                       int64_t n) {
  adjoint::Tensor out;
  copyRows(all, order, from, n, out);
  return out;
}

/// `g` without dropout, its parameters as inputs, and only what its output
/// `output` needs: prediction with the weights given at every run.
Graph predictionGraph(const Graph &model, const std::string &output) {
  Graph g = forInference(model);
  const Value *out = nullptr;
  for (const Output &o : g.outputs())
    if (o.name == output)
      out = o.value;
  if (!out)
    badInput("model ", g.name(), " has no output ", output);
  // What the output reads, transitively.
  std::set<const Value *> live{out};
  for (auto it = g.nodes().rbegin(); it != g.nodes().rend(); ++it)
    if (live.count((*it)->result()))
      for (const Value *v : (*it)->operands())
        live.insert(v);
  Graph p(g.name() + ".predict");
  std::map<const Value *, Value *> map;
  for (const Value *v : g.inputs())
    if (live.count(v))
      map[v] = p.addInput(v->name(), v->type());
  for (const Param &param : g.params())
    if (live.count(param.value))
      map[param.value] = p.addInput(param.value->name(), param.value->type());
  for (const auto &node : g.nodes()) {
    if (!live.count(node->result()))
      continue;
    std::vector<Value *> operands;
    for (const Value *v : node->operands())
      operands.push_back(map.at(v));
    map[node->result()] =
        p.addNode(node->op(), operands, node->attrs(), node->result()->name(),
                  node->result()->type())
            ->result();
  }
  p.addOutput(output, map.at(out));
  verify(p);
  return p;
}

std::string perStep(double seconds) {
  char buf[32];
  if (seconds >= 1)
    std::snprintf(buf, sizeof buf, "%.0fs/step", seconds);
  else if (seconds >= 1e-3)
    std::snprintf(buf, sizeof buf, "%.0fms/step", seconds * 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.0fus/step", seconds * 1e6);
  return buf;
}

/// Keras's progress bar: "[=====>........]" 30 wide.
std::string bar(int64_t done, int64_t total) {
  int width = 30;
  int filled = total ? (int)(done * width / total) : width;
  std::string s = "[";
  if (done >= total) {
    s += std::string(width, '=');
  } else {
    s += std::string(std::max(filled - 1, 0), '=') + ">";
    s += std::string(width - std::max(filled, 1), '.');
  }
  return s + "]";
}

std::string metricsText(const std::map<std::string, double> &values,
                        const std::vector<std::string> &order) {
  std::string s;
  char buf[64];
  for (const std::string &k : order) {
    auto it = values.find(k);
    if (it == values.end())
      continue;
    std::snprintf(buf, sizeof buf, " - %s: %.4f", k.c_str(), it->second);
    s += buf;
  }
  return s;
}

} // namespace

void ModelImpl::requireBuilt(const char *what) const {
  if (!output && !loaded)
    badInput(what, ": model ", name,
             " is not built: give its first layer an inputShape (or "
             "inputDim), or fit or predict it on data first");
}

void ModelImpl::buildFor(const std::vector<Tensor> &xs) {
  if (output || loaded)
    return;
  if (pending.empty())
    badInput("model ", name, " has no layers");
  if (xs.size() != 1 || xs[0].rank() < 1)
    badInput("model ", name, " takes one input [n, ...], not ", xs.size());
  InputOptions in;
  in.shape.assign(xs[0].shape().begin() + 1, xs[0].shape().end());
  in.name = "x";
  if (isInteger(xs[0].dtype()))
    in.dtype = "int64";
  KerasTensor h = Input(in);
  inputs = {h.node_};
  std::vector<Layer> stack = std::move(pending);
  pending.clear();
  for (Layer &l : stack)
    h = l(h);
  output = h.node_;
}

std::vector<std::pair<std::string, TensorType>> ModelImpl::inputTypes() const {
  std::vector<std::pair<std::string, TensorType>> out;
  if (loaded) {
    for (const Value *v : loaded->graph.inputs())
      if (v->name() != kStepInput && v->name() != kTrainingInput &&
          (!loaded->training || v->name() != loaded->training->labels))
        out.push_back({v->name(), v->type()});
    return out;
  }
  for (const auto &n : inputs) {
    Shape s = n->shape;
    s.insert(s.begin(), batchDim());
    out.push_back({n->inputName, {n->dtype, s}});
  }
  return out;
}

adjoint::Model ModelImpl::trainingModel(int64_t batch, bool withLoss) const {
  requireBuilt("training");
  adjoint::Model m;
  if (loaded) {
    // The file's graph, with every weight's current value.
    m.graph = copyGraph(loaded->graph);
    std::map<std::string, adjoint::Tensor> values;
    for (const Layer &l : layers)
      for (size_t i = 0; i < l.impl()->weights.size(); ++i)
        values[l.impl()->weightNames[i]] = l.impl()->weights[i];
    for (Param &p : m.graph.params()) {
      p.data = values.at(p.value->name());
      p.init.reset();
    }
    m.graph.setName(name);
    if (!withLoss || !loaded->training) {
      verify(m.graph);
      return m;
    }
    m.training = loaded->training;
    m.training->optimizer = optimizer;
    if (!accuracy)
      m.training->predictions.clear();
    else if (m.training->predictions.empty())
      m.training->predictions = outputName;
  } else {
    m.graph = Graph(name);
    Builder b(m.graph);
    BuildContext ctx(b, /*training=*/true);
    std::map<const Node *, Value *> values;
    for (const auto &n : inputs) {
      Shape s = n->shape;
      s.insert(s.begin(), batchDim());
      values[n.get()] = b.input(n->inputName, {n->dtype, s});
    }
    // Nodes in dependency order: each after its inputs.
    std::function<Value *(const std::shared_ptr<Node> &)> visit =
        [&](const std::shared_ptr<Node> &n) -> Value * {
      if (auto it = values.find(n.get()); it != values.end())
        return it->second;
      if (!n->layer)
        badInput("model ", name, " reads input ", n->inputName,
                 ", which is not one of its inputs");
      std::vector<Value *> operands;
      for (const auto &in : n->inputs)
        operands.push_back(visit(in));
      return values[n.get()] = n->layer->apply(ctx, operands);
    };
    Value *out = visit(output);
    b.output(kOutputName, out);
    if (!withLoss) {
      verify(m.graph);
      return m;
    }
    const TensorType &ot = out->type();
    if (loss == LossKind::SparseCategorical || loss == LossKind::Categorical) {
      if (ot.rank() != 2 || !isFloat(ot.dtype))
        badInput("compile: a categorical cross-entropy needs the output "
                 "[batch, classes], not ",
                 typeStr(ot));
    } else if (!isFloat(ot.dtype)) {
      badInput("compile: the loss needs a float output, not ", typeStr(ot));
    }
    Value *labels = b.input(kLabelsName, labelsType(loss, ot));
    b.output(kLossName, appendLoss(ctx, loss, out, labels));
    TrainingSpec spec(kLossName);
    spec.optimizer = optimizer;
    spec.stateUpdates = ctx.stateUpdates;
    spec.features = inputs[0]->inputName;
    spec.labels = kLabelsName;
    if (accuracy && loss == LossKind::Binary) {
      // Binary accuracy reads logits of one column (ir/Losses.h): those
      // before a last sigmoid.
      auto logits = ctx.sigmoidLogits.find(out);
      if (logits == ctx.sigmoidLogits.end() || ot.rank() != 2 ||
          ot.shape[1] != 1)
        badInput("compile: binary accuracy needs a last sigmoid of one "
                 "column [batch, 1], not ",
                 typeStr(ot));
      b.output(kLogitsName, logits->second);
      spec.predictions = kLogitsName;
    } else if (accuracy) {
      // The accuracy compares the argmax of the logits before a last
      // softmax (the same classes), so that a step need not compute the
      // probabilities at all.
      auto logits = ctx.softmaxLogits.find(out);
      if (logits != ctx.softmaxLogits.end()) {
        b.output(kLogitsName, logits->second);
        spec.predictions = kLogitsName;
      } else {
        spec.predictions = kOutputName;
      }
    }
    m.training = spec;
  }
  m.training->batchSize = batch;
  verify(m.graph);
  return m;
}

void ModelImpl::requireCompiled(const char *what) const {
  if (!compiled)
    badInput(what, ": model ", name, " is not compiled: call compile() first");
}

Trainer &ModelImpl::trainerFor(int64_t batch) {
  requireCompiled("training");
  std::set<std::string> frozen;
  std::vector<std::string> trainable;
  for (const Layer &l : layers)
    for (size_t i = 0; i < l.impl()->weightNames.size(); ++i) {
      const std::string &w = l.impl()->weightNames[i];
      if (!l.impl()->weightTrains(i))
        continue; // state: the step sets it
      if (l.impl()->trainable)
        trainable.push_back(w);
      else
        frozen.insert(w);
    }
  if (trainer && trainerBatch == batch && trainerFrozen == frozen) {
    // A layer this model shares with another that trained since holds
    // that one's buffers: its values come back into this step (into the
    // tensors the step holds: trained and state parameters).
    std::set<std::string> held(trainer->contract().trained.begin(),
                               trainer->contract().trained.end());
    held.insert(trainer->contract().state.begin(),
                trainer->contract().state.end());
    for (Layer &l : layers)
      for (size_t i = 0; i < l.impl()->weights.size(); ++i) {
        const std::string &name = l.impl()->weightNames[i];
        if (!held.count(name))
          continue; // a constant of the step
        const adjoint::Tensor &mine = trainer->parameter(name);
        if (l.impl()->weights[i].bytes() != mine.bytes()) {
          trainer->setParameter(name, l.impl()->weights[i]);
          l.impl()->weights[i] = mine;
        }
      }
    return *trainer;
  }
  if (trainable.empty())
    badInput("model ", name, " has no trainable weights");
  TrainerOptions options;
  options.trainable = trainable;
  options.schedule = schedule;
  auto fresh = std::make_unique<Trainer>(trainingModel(batch, true), options);
  // The layers' weights become the step's parameters, updated in place
  // (trained ones, and state such as moving statistics).
  for (Layer &l : layers)
    for (size_t i = 0; i < l.impl()->weights.size(); ++i)
      if (l.impl()->trainable || !l.impl()->weightTrains(i))
        l.impl()->weights[i] = fresh->parameter(l.impl()->weightNames[i]);
  trainer = std::move(fresh);
  trainerBatch = batch;
  trainerFrozen = frozen;
  return *trainer;
}

int64_t ModelImpl::checkInputs(const std::vector<Tensor> &xs) const {
  auto types = inputTypes();
  if (xs.size() != types.size())
    badInput("model ", name, " takes ", types.size(), " input(s), not ",
             xs.size());
  int64_t n = !xs.empty() && xs[0].rank() ? xs[0].shape()[0] : -1;
  for (size_t i = 0; i < xs.size(); ++i) {
    const TensorType &t = types[i].second;
    Shape want(t.shape.begin() + 1, t.shape.end());
    bool ok = xs[i].hasStorage() && xs[i].rank() == t.rank() &&
              xs[i].dtype() == t.dtype && xs[i].shape()[0] == n &&
              Shape(xs[i].shape().begin() + 1, xs[i].shape().end()) == want;
    if (!ok)
      badInput("model ", name, ": input ", types[i].first, " takes ",
               typeStr(t), " with the batch first; the data is ",
               xs[i].hasStorage() ? typeStr(xs[i].type()) : "empty");
  }
  return n;
}

Tensor ModelImpl::checkLabels(const Tensor &y, int64_t n) const {
  if (!y.hasStorage() || y.rank() < 1 || y.shape()[0] != n)
    badInput("model ", name, ": y is ",
             y.hasStorage() ? typeStr(y.type()) : "empty", " but x has ", n,
             " rows");
  // The labels as the labels input takes them.
  TensorType want;
  if (loaded) {
    want = loaded->graph.findValue(loaded->training->labels)->type();
  } else {
    adjoint::Model probe = trainingModel(0, true);
    want = probe.graph.findValue(kLabelsName)->type();
  }
  Shape ys(y.shape().begin() + 1, y.shape().end());
  Shape ws(want.shape.begin() + 1, want.shape.end());
  if (ys != ws)
    badInput("model ", name, ": the labels take ", typeStr(want),
             " with the batch first; y is ", typeStr(y.type()));
  if (y.dtype() == want.dtype)
    return y;
  if (isInteger(want.dtype) && isFloat(y.dtype()))
    badInput("model ", name, ": the loss takes integer class labels; y is ",
             typeStr(y.type()));
  adjoint::Tensor out(TensorType{want.dtype, y.shape()});
  for (int64_t i = 0; i < y.numElements(); ++i)
    out.setElementFromDouble(i, y.elementAsDouble(i));
  return out;
}

void ModelImpl::fillBatch(std::map<std::string, adjoint::Tensor> &batch,
                          const std::vector<Tensor> &xs, const Tensor &labels,
                          const std::vector<int64_t> *order, int64_t from,
                          int64_t n) const {
  auto types = inputTypes();
  for (size_t i = 0; i < xs.size(); ++i)
    copyRows(xs[i], order, from, n, batch[types[i].first]);
  copyRows(labels, order, from, n,
           batch[loaded ? loaded->training->labels : std::string(kLabelsName)]);
}

Evaluation ModelImpl::evaluate(const std::vector<Tensor> &xs,
                               const Tensor &labels, int64_t batch) {
  int64_t n = labels.shape()[0];
  Trainer &t = trainerFor(trainer ? trainerBatch : batch);
  double loss = 0, acc = 0;
  std::map<std::string, adjoint::Tensor> inputs;
  for (int64_t at = 0; at < n; at += batch) {
    int64_t rows = std::min(batch, n - at);
    fillBatch(inputs, xs, labels, nullptr, at, rows);
    StepResult r = t.evaluate(inputs);
    loss += r.loss * (double)rows;
    acc += r.accuracy.value_or(0) * (double)rows;
  }
  Evaluation e;
  e.loss = n ? loss / (double)n : std::nan("");
  e.accuracy = accuracy && n ? acc / (double)n : std::nan("");
  return e;
}

} // namespace detail

using namespace detail;

// Model.

Model::Model() : impl_(std::make_unique<ModelImpl>()) {}
Model::Model(Model &&) noexcept = default;
Model &Model::operator=(Model &&) noexcept = default;
Model::~Model() = default;

Model::Model(const KerasTensor &input, const KerasTensor &output,
             const std::string &name)
    : Model(std::vector<KerasTensor>{input}, output, name) {}

Model::Model(const std::vector<KerasTensor> &inputs, const KerasTensor &output,
             const std::string &name)
    : Model() {
  impl_->name = name;
  if (inputs.empty())
    badInput("model ", name, " needs at least one input");
  std::set<std::string> names;
  for (const KerasTensor &x : inputs) {
    if (!x.node_ || x.node_->layer)
      badInput("model ", name, ": its inputs must be made by Input()");
    if (!names.insert(x.node_->inputName).second)
      badInput("model ", name, " has two inputs named ", x.node_->inputName);
    impl_->inputs.push_back(x.node_);
  }
  if (!output.node_)
    badInput("model ", name, ": its output is an empty KerasTensor");
  impl_->output = output.node_;
  // Every layer, in the order of a walk from the inputs; a node that no
  // input reaches is reported when the graph is built.
  std::set<const LayerImpl *> seen;
  std::set<const Node *> visited;
  std::function<void(const std::shared_ptr<Node> &)> walk =
      [&](const std::shared_ptr<Node> &n) {
        if (!visited.insert(n.get()).second)
          return;
        for (const auto &in : n->inputs)
          walk(in);
        if (n->layer && seen.insert(n->layer.get()).second)
          impl_->layers.push_back(Layer(n->layer));
      };
  walk(impl_->output);
}

const std::string &Model::name() const { return impl_->name; }

std::vector<std::string> Model::inputNames() const {
  std::vector<std::string> names;
  for (const auto &[name, type] : impl_->inputTypes())
    names.push_back(name);
  if (names.empty() && !impl_->pending.empty())
    names.push_back("x"); // a Sequential built by its first data
  return names;
}

std::vector<std::string> Model::outputNames() const {
  return {impl_->outputName};
}

void Model::compile(const CompileOptions &options) {
  std::optional<LossKind> loss = parseLoss(options.loss);
  if (!loss)
    badInput("compile: unknown loss \"", options.loss,
             "\" (known: sparse_categorical_crossentropy, "
             "categorical_crossentropy, binary_crossentropy, mse)");
  bool accuracy = false;
  for (const std::string &m : options.metrics) {
    if (m != "accuracy" && m != "acc")
      badInput("compile: unknown metric \"", m, "\" (known: accuracy)");
    accuracy = true;
  }
  if (accuracy && *loss == LossKind::Mse)
    badInput("compile: the accuracy metric needs a cross-entropy loss, not ",
             options.loss);
  // A loaded model keeps the loss it was saved with (its graph's).
  if (impl_->loaded && !impl_->loaded->training)
    badInput("compile: model ", impl_->name, " was saved without a loss; ",
             "it can predict, not train");
  impl_->optimizer = optimizerConfig(options.optimizer);
  impl_->schedule = lrSchedule(options.optimizer.schedule);
  impl_->loss = *loss;
  impl_->accuracy = accuracy;
  impl_->compiled = true;
  // The next fit starts a new training step, the optimizer from zero.
  impl_->trainer.reset();
}

History Model::fit(const Tensor &x, const Tensor &y, const FitOptions &o) {
  return fit(std::vector<Tensor>{x}, y, o);
}

History Model::fit(const std::vector<Tensor> &xsIn, const Tensor &yIn,
                   const FitOptions &o) {
  ModelImpl &m = *impl_;
  if (o.epochs < 0 || o.batchSize <= 0)
    badInput("fit: epochs (", o.epochs, ") must not be negative and ",
             "batchSize (", o.batchSize, ") must be positive");
  if (!(o.validationSplit >= 0 && o.validationSplit < 1))
    badInput("fit: validationSplit is ", o.validationSplit,
             "; it must be in [0, 1)");
  m.buildFor(xsIn);
  m.requireCompiled("fit");
  Tensor labels = m.checkLabels(yIn, m.checkInputs(xsIn));
  std::vector<Tensor> xs = xsIn;
  // The validation data: given, or the last rows of x and y.
  std::vector<Tensor> valX;
  Tensor valY;
  int64_t n = labels.shape()[0];
  if (o.validationData) {
    valX = {o.validationData->x};
    valY = m.checkLabels(o.validationData->y, m.checkInputs(valX));
  } else if (o.validationSplit > 0) {
    int64_t held = (int64_t)((double)n * o.validationSplit);
    int64_t kept = n - held;
    for (Tensor &t : xs) {
      valX.push_back(rowsOf(t, nullptr, kept, held));
      t = rowsOf(t, nullptr, 0, kept);
    }
    valY = rowsOf(labels, nullptr, kept, held);
    labels = rowsOf(labels, nullptr, 0, kept);
    n = kept;
  }
  int64_t batch = o.batchSize;
  int64_t steps = n / batch;
  if (steps == 0)
    badInput("fit: ", n, " training examples are fewer than one batch of ",
             batch);
  Trainer &trainer = m.trainerFor(batch);
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  bool terminal = o.verbose == 1 && ::isatty(STDOUT_FILENO);
  std::vector<std::string> keys = {"loss"};
  if (m.accuracy)
    keys.push_back("accuracy");
  if (valY.hasStorage()) {
    keys.push_back("val_loss");
    if (m.accuracy)
      keys.push_back("val_accuracy");
  }
  History history;
  // One batch's tensors, filled in place at every step.
  std::map<std::string, adjoint::Tensor> inputs;
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    if (o.shuffle)
      std::shuffle(order.begin(), order.end(), m.shuffle);
    for (const Callback &c : o.callbacks)
      if (c.onEpochBegin)
        c.onEpochBegin(*this, epoch);
    if (o.verbose == 1)
      std::printf("Epoch %d/%d\n", epoch + 1, o.epochs);
    auto start = std::chrono::steady_clock::now();
    double lossSum = 0, accSum = 0;
    auto seconds = [&] {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                           start)
          .count();
    };
    int64_t every = std::max<int64_t>(1, steps / 100);
    for (int64_t s = 0; s < steps; ++s) {
      m.fillBatch(inputs, xs, labels, &order, s * batch, batch);
      StepResult r = trainer.step(inputs);
      if (!std::isfinite(r.loss))
        failed(
            "fit: epoch ", epoch + 1, ", step ", s + 1, ": the loss is ",
            std::isnan(r.loss) ? std::string("nan") : strCat(r.loss),
            "; the first non-finite value: ", trainer.diagnoseNonFinite(inputs),
            " (the weights are those from before this step)");
      lossSum += r.loss;
      accSum += r.accuracy.value_or(0);
      if (terminal && ((s + 1) % every == 0) && s + 1 < steps) {
        double left = seconds() / (double)(s + 1) * (double)(steps - s - 1);
        std::map<std::string, double> now{
            {"loss", lossSum / (double)(s + 1)},
            {"accuracy", accSum / (double)(s + 1)}};
        std::printf("\r%*lld/%lld %s - ETA: %.0fs%s",
                    (int)std::to_string(steps).size(), (long long)s + 1,
                    (long long)steps, bar(s + 1, steps).c_str(), left,
                    metricsText(now, keys).c_str());
        std::fflush(stdout);
      }
    }
    double took = seconds();
    EpochLogs logs{epoch, {}};
    logs.values["loss"] = lossSum / (double)steps;
    if (m.accuracy)
      logs.values["accuracy"] = accSum / (double)steps;
    if (valY.hasStorage()) {
      Evaluation v = m.evaluate(valX, valY, batch);
      logs.values["val_loss"] = v.loss;
      if (m.accuracy)
        logs.values["val_accuracy"] = v.accuracy;
    }
    if (o.verbose == 1)
      std::printf("%s%lld/%lld %s - %.0fs %s%s\n", terminal ? "\r" : "",
                  (long long)steps, (long long)steps, bar(steps, steps).c_str(),
                  took, perStep(took / (double)steps).c_str(),
                  metricsText(logs.values, keys).c_str());
    else if (o.verbose == 2)
      std::printf("Epoch %d/%d\n%lld/%lld - %.0fs - %s%s\n", epoch + 1,
                  o.epochs, (long long)steps, (long long)steps, took,
                  perStep(took / (double)steps).c_str(),
                  metricsText(logs.values, keys).c_str());
    std::fflush(stdout);
    history.epoch.push_back(epoch);
    for (const auto &[k, v] : logs.values)
      history.history[k].push_back(v);
    bool stop = false;
    for (const Callback &c : o.callbacks)
      if (c.onEpochEnd)
        c.onEpochEnd(*this, logs, stop);
    if (stop)
      break;
  }
  return history;
}

Evaluation Model::evaluate(const Tensor &x, const Tensor &y, int batchSize) {
  return evaluate(std::vector<Tensor>{x}, y, batchSize);
}

Evaluation Model::evaluate(const std::vector<Tensor> &xs, const Tensor &y,
                           int batchSize) {
  if (batchSize <= 0)
    badInput("evaluate: batchSize must be positive, not ", batchSize);
  impl_->buildFor(xs);
  impl_->requireCompiled("evaluate");
  Tensor labels = impl_->checkLabels(y, impl_->checkInputs(xs));
  return impl_->evaluate(xs, labels, batchSize);
}

Tensor Model::predict(const Tensor &x, int batchSize) {
  return predict(std::vector<Tensor>{x}, batchSize);
}

Tensor Model::predict(const std::vector<Tensor> &xs, int batchSize) {
  ModelImpl &m = *impl_;
  if (batchSize <= 0)
    badInput("predict: batchSize must be positive, not ", batchSize);
  m.buildFor(xs);
  auto types = m.inputTypes();
  int64_t n = m.checkInputs(xs);
  if (!m.predictor)
    m.predictor = adjoint::compile(predictionGraph(
        m.trainingModel(0, /*withLoss=*/false).graph, m.outputName));
  std::map<std::string, adjoint::Tensor> feed;
  for (const Layer &l : m.layers)
    for (size_t i = 0; i < l.impl()->weights.size(); ++i)
      feed[l.impl()->weightNames[i]] = l.impl()->weights[i];
  if (n <= 0)
    badInput("predict: x has no rows");
  // A model whose inputs have a static batch (an imported one, say) runs
  // in batches of that size, the last one padded with zero rows whose
  // results are dropped.
  int64_t fixed = 0;
  for (const TensorInfo &info : m.predictor->inputs())
    if (info.name == types[0].first && !isSymbolic(info.type.shape[0]))
      fixed = info.type.shape[0];
  int64_t chunk = fixed ? fixed : batchSize;
  Tensor result;
  for (int64_t at = 0; at < n; at += chunk) {
    int64_t rows = std::min<int64_t>(chunk, n - at);
    for (size_t i = 0; i < xs.size(); ++i) {
      adjoint::Tensor &in = feed[types[i].first];
      if (rows == chunk || !fixed) {
        copyRows(xs[i], nullptr, at, rows, in);
        continue;
      }
      Shape s = xs[i].shape();
      s[0] = fixed;
      in = adjoint::Tensor(TensorType{xs[i].dtype(), s});
      std::memset(in.bytes(), 0, in.byteSize());
      size_t row = in.byteSize() / (size_t)fixed;
      std::memcpy(in.bytes(), xs[i].bytes() + at * row, (size_t)rows * row);
    }
    adjoint::Tensor out = m.predictor->run(feed).at(m.outputName);
    size_t row = out.byteSize() / (size_t)out.shape()[0];
    if (!result.hasStorage()) {
      Shape s = out.shape();
      s[0] = n;
      result = adjoint::Tensor(TensorType{out.dtype(), s});
    }
    std::memcpy(result.bytes() + at * row, out.bytes(), (size_t)rows * row);
  }
  return result;
}

void Model::summary() const {
  std::fputs(summaryText().c_str(), stdout);
  std::fflush(stdout);
}

std::string Model::summaryText() const {
  impl_->requireBuilt("summary");
  return summaryOf(*impl_);
}

void Model::save(const std::string &path) const {
  checkModelOutput(path, "the model");
  ModelImpl &m = *impl_;
  m.requireBuilt("save");
  // A compiled model is saved with how it trains; one that is not, as its
  // forward graph.
  saveModel(m.trainingModel(m.trainerBatch, m.compiled), path);
}

Layer &Model::getLayer(const std::string &name) {
  std::string known;
  for (Layer &l : impl_->layers) {
    if (l.name() == name)
      return l;
    known += (known.empty() ? "" : ", ") + l.name();
  }
  for (Layer &l : impl_->pending)
    if (l.name() == name)
      return l;
  badInput("model ", impl_->name, " has no layer ", name,
           " (its layers: ", known.empty() ? std::string("none") : known, ")");
}

std::vector<Layer> &Model::layers() { return impl_->layers; }

std::vector<Tensor> Model::getWeights() const {
  std::vector<Tensor> out;
  for (const Layer &l : impl_->layers)
    for (Tensor &t : l.getWeights())
      out.push_back(std::move(t));
  return out;
}

void Model::setWeights(const std::vector<Tensor> &weights) {
  size_t at = 0;
  for (Layer &l : impl_->layers) {
    size_t k = l.impl()->weights.size();
    if (at + k > weights.size())
      badInput("setWeights: model ", impl_->name, " has more weights than ",
               weights.size());
    l.setWeights(
        std::vector<Tensor>(weights.begin() + at, weights.begin() + at + k));
    at += k;
  }
  if (at != weights.size())
    badInput("setWeights: model ", impl_->name, " has ", at, " weights, not ",
             weights.size());
}

double Model::learningRate() const {
  if (impl_->trainer)
    return impl_->trainer->learningRate();
  double base = resolveOptimizer(impl_->optimizer).lr;
  return scheduledLr(impl_->schedule, base, 0);
}

void Model::setLearningRate(double lr) {
  if (!(lr > 0 && std::isfinite(lr)))
    badInput("setLearningRate: a learning rate must be positive and finite, "
             "not ",
             lr);
  // The base rate of the optimizer (which a new step takes) and of the
  // step there is.
  impl_->optimizer.lr = lr;
  if (impl_->trainer)
    impl_->trainer->setLearningRate(lr);
}

int64_t Model::countParams() const {
  int64_t n = 0;
  for (const Layer &l : impl_->layers)
    n += l.countParams();
  return n;
}

// Sequential.

Sequential::Sequential(const std::string &name) {
  impl_->name = name;
  impl_->sequential = true;
}

Sequential::Sequential(std::vector<Layer> layers, const std::string &name)
    : Sequential(name) {
  for (const Layer &l : layers)
    add(l);
}

void Sequential::add(const Layer &layer) {
  ModelImpl &m = *impl_;
  if (layer.impl()->takesSeveral())
    badInput("Sequential ", m.name, ": layer ", layer.name(), " (",
             layer.typeName(),
             ") takes several inputs; use the functional "
             "API");
  for (const Layer &l : m.layers)
    if (l.name() == layer.name())
      badInput("Sequential ", m.name, " already has a layer named ",
               layer.name());
  const Shape &declared = layer.impl()->inputShape;
  if (!m.output && m.pending.empty() && !declared.empty()) {
    InputOptions in;
    in.shape = declared;
    in.name = "x";
    if (layer.typeName() == "Embedding")
      in.dtype = "int64";
    m.inputs = {Input(in).node_};
    m.output = m.inputs[0];
  } else if (!declared.empty() && (m.output || !m.pending.empty())) {
    badInput("Sequential ", m.name,
             ": only the first layer may give an "
             "input shape, not ",
             layer.name());
  }
  Layer l = layer;
  if (m.output) {
    KerasTensor h;
    h.node_ = m.output;
    m.output = l(h).node_;
    m.layers.push_back(l);
  } else {
    m.pending.push_back(l);
    m.layers.push_back(l);
  }
  m.predictor.reset();
  m.trainer.reset();
}

} // namespace adjoint::keras
