//===- Saving.cpp - loadModel and the callbacks of fit --------------------===//
#include "keras/ModelImpl.h"

#include "ir/Error.h"
#include "ir/Layers.h"
#include "ir/ModelIO.h"

#include <algorithm>
#include <cmath>

namespace adjoint::keras {
using namespace detail;

namespace {

/// The layer a weight belongs to, by its name: dense_1_kernel -> dense_1,
/// fc1.weight -> fc1; a recurrent layer's backward direction
/// (lstm_reverse_w) is its layer's.
std::string layerOf(const std::string &weight) {
  // Suffixes of more than one word first (batch normalization's).
  for (const std::string suffix : {"_moving_mean", "_moving_variance"})
    if (weight.size() > suffix.size() &&
        weight.compare(weight.size() - suffix.size(), suffix.size(), suffix) ==
            0)
      return weight.substr(0, weight.size() - suffix.size());
  size_t at = weight.find_last_of("_.");
  std::string layer = at == std::string::npos ? weight : weight.substr(0, at);
  const std::string reverse = "_reverse";
  if (layer.size() > reverse.size() &&
      layer.compare(layer.size() - reverse.size(), reverse.size(), reverse) ==
          0)
    layer.resize(layer.size() - reverse.size());
  return layer;
}

/// The Keras class a group of weights was most likely made by.
std::string typeOf(const std::vector<std::string> &suffixes,
                   const std::vector<size_t> &ranks) {
  auto has = [&](const char *s) {
    for (const std::string &x : suffixes)
      if (x == s)
        return true;
    return false;
  };
  if (has("u") && has("bh"))
    return "Recurrent";
  if (has("kernel") || has("weight") || has("w"))
    return ranks[0] == 4 ? "Conv2D" : ranks[0] == 2 ? "Dense" : "Weights";
  if (has("table"))
    return "Embedding";
  if (has("gamma"))
    return has("moving_mean") ? "BatchNormalization" : "LayerNormalization";
  if (has("wq"))
    return "MultiHeadAttention";
  return "Weights";
}

bool lowerIsBetter(const std::string &monitor) {
  return monitor.find("acc") == std::string::npos;
}

double monitored(const EpochLogs &logs, const std::string &monitor,
                 const char *who) {
  auto it = logs.values.find(monitor);
  if (it != logs.values.end())
    return it->second;
  std::string known;
  for (const auto &[k, v] : logs.values)
    known += (known.empty() ? "" : ", ") + k;
  badInput(who, ": fit reports no \"", monitor, "\" (it reports ", known,
           "; val_ figures need validation data)");
}

} // namespace

Model loadModel(const std::string &path) {
  adjoint::Model file = adjoint::loadModel(path);
  Model model;
  ModelImpl &m = *model.impl_;
  m.name = file.graph.name();
  // The output predict returns: the one named "output" (save's), the
  // spec's predictions, or the one output that is not the loss.
  std::string loss = file.training ? file.training->loss : "";
  std::vector<std::string> candidates;
  for (const Output &o : file.graph.outputs())
    if (o.name != loss)
      candidates.push_back(o.name);
  if (std::find(candidates.begin(), candidates.end(), kOutputName) !=
      candidates.end())
    m.outputName = kOutputName;
  else if (file.training && !file.training->predictions.empty())
    m.outputName = file.training->predictions;
  else if (candidates.size() == 1)
    m.outputName = candidates[0];
  else
    badInput(path, ": model ", m.name, " has ", candidates.size(),
             " outputs besides its loss; its training spec must name the "
             "predictions");
  if (file.training) {
    m.compiled = true;
    m.optimizer = file.training->optimizer.value_or(OptimizerConfig{});
    m.accuracy = !file.training->predictions.empty();
    if (file.training->labels.empty())
      badInput(path, ": model ", m.name, "'s training spec names no labels");
  }
  // The weights, grouped into layers by name.
  std::map<std::string, std::shared_ptr<LayerImpl>> groups;
  std::map<std::string, std::vector<std::string>> suffixes;
  std::map<std::string, std::vector<size_t>> ranks;
  for (const Param &p : file.graph.params()) {
    const std::string &w = p.value->name();
    std::string layer = layerOf(w);
    auto &impl = groups[layer];
    if (!impl) {
      auto loadedLayer = std::make_shared<LoadedLayerImpl>();
      loadedLayer->name = layer;
      impl = loadedLayer;
      m.layers.push_back(Layer(impl));
    }
    impl->weightNames.push_back(w);
    impl->weights.push_back(p.data);
    bool state = false;
    if (file.training)
      for (const StateUpdate &u : file.training->stateUpdates)
        state = state || u.param == w;
    static_cast<LoadedLayerImpl &>(*impl).trains.push_back(!state);
    suffixes[layer].push_back(w.substr(std::min(w.size(), layer.size() + 1)));
    ranks[layer].push_back(p.data.rank());
  }
  for (Layer &l : m.layers)
    static_cast<LoadedLayerImpl &>(*l.impl()).type =
        typeOf(suffixes[l.name()], ranks[l.name()]);
  m.loaded = std::move(file);
  return model;
}

Callback EarlyStopping(const EarlyStoppingOptions &o) {
  struct State {
    double best = NAN;
    int wait = 0;
    std::vector<Tensor> bestWeights;
  };
  auto state = std::make_shared<State>();
  Callback c;
  c.onEpochEnd = [o, state](Model &model, const EpochLogs &logs, bool &stop) {
    double v = monitored(logs, o.monitor, "EarlyStopping");
    if (logs.epoch == 0)
      *state = State{};
    bool better = std::isnan(state->best) ||
                  (lowerIsBetter(o.monitor) ? v < state->best - o.minDelta
                                            : v > state->best + o.minDelta);
    if (better) {
      state->best = v;
      state->wait = 0;
      if (o.restoreBestWeights)
        state->bestWeights = model.getWeights();
      return;
    }
    if (++state->wait >= o.patience) {
      stop = true;
      if (o.restoreBestWeights && !state->bestWeights.empty())
        model.setWeights(state->bestWeights);
    }
  };
  return c;
}

Callback LearningRateScheduler(std::function<double(int, double)> schedule) {
  if (!schedule)
    badInput("LearningRateScheduler: needs a function");
  Callback c;
  c.onEpochBegin = [schedule](Model &model, int epoch) {
    model.setLearningRate(schedule(epoch, model.learningRate()));
  };
  return c;
}

Callback ModelCheckpoint(const ModelCheckpointOptions &o) {
  if (o.filepath.empty())
    badInput("ModelCheckpoint: needs a filepath");
  auto best = std::make_shared<double>(NAN);
  Callback c;
  c.onEpochEnd = [o, best](Model &model, const EpochLogs &logs, bool &) {
    if (o.saveBestOnly) {
      double v = monitored(logs, o.monitor, "ModelCheckpoint");
      bool better = std::isnan(*best) ||
                    (lowerIsBetter(o.monitor) ? v < *best : v > *best);
      if (!better)
        return;
      *best = v;
    }
    std::string path = o.filepath;
    for (size_t at; (at = path.find("{epoch}")) != std::string::npos;)
      path.replace(at, 7, std::to_string(logs.epoch + 1));
    model.save(path);
  };
  return c;
}

} // namespace adjoint::keras
