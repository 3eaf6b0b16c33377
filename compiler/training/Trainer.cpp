//===- Trainer.cpp - A model's compiled training step ---------------------===//
#include "compiler/training/Trainer.h"

#include "compiler/Executable.h"
#include "compiler/autodiff/Grad.h"
#include "compiler/passes/ScanBodies.h"
#include "compiler/passes/SimplifyAlgebra.h"
#include "compiler/training/Optimizer.h"
#include "compiler/training/Rebatch.h"
#include "ir/Builder.h"
#include "ir/ChannelsLast.h"
#include "ir/Error.h"
#include "ir/GraphCopy.h"
#include "ir/Interpreter.h"
#include "ir/Layers.h"
#include "ir/Losses.h"
#include "ir/ModelIO.h"
#include "ir/Specialize.h"
#include "ir/Verifier.h"

#include <cmath>
#include <cstring>
#include <set>

namespace adjoint {

namespace {

/// Names in the step graph.
constexpr const char *kStepCounter = "optimizer.step";
/// The scheduled learning rate, an f64 scalar input of the step.
constexpr const char *kLrInput = "optimizer.lr";
std::string stateName(const std::string &param, const std::string &suffix) {
  return "optimizer." + param + "." + suffix;
}
std::string updateName(const std::string &input) { return "update." + input; }

/// Copies the inputs and nodes of `g` into `out`, turning the parameters
/// named in `asInputs` into inputs; other parameters stay parameters.
std::map<const Value *, Value *>
copyInto(const Graph &g, Graph &out, const std::set<std::string> &asInputs) {
  std::map<const Value *, Value *> map;
  for (const Value *v : g.inputs())
    map[v] = out.addInput(v->name(), v->type());
  for (const Param &p : g.params()) {
    const std::string &name = p.value->name();
    if (asInputs.count(name))
      map[p.value] = out.addInput(name, p.value->type());
    else if (p.init)
      map[p.value] = out.addParam(name, p.value->type(), *p.init);
    else
      map[p.value] = out.addParam(name, p.data);
  }
  for (const auto &node : g.nodes()) {
    std::vector<Value *> operands;
    for (const Value *v : node->operands())
      operands.push_back(map.at(v));
    map[node->result()] =
        out.addNode(node->op(), operands, node->attrs(), node->result()->name(),
                    node->result()->type())
            ->result();
  }
  return map;
}

double scalarValue(const Tensor &t) { return t.elementAsDouble(0); }

/// The loss (output 0) and, when asked for, the accuracy (output 1) of a
/// step's or an evaluation's outputs.
StepResult resultOf(const std::vector<Tensor> &out, bool withAccuracy) {
  StepResult r;
  r.loss = scalarValue(out[0]);
  if (withAccuracy)
    r.accuracy = scalarValue(out[1]);
  return r;
}

/// Where a trained parameter or optimizer state tensor is bound: the step
/// reads it and writes its update over it (CompileOptions::inPlace).
struct Buffered {
  Tensor *current; // the entry of params or state
  size_t stepIn, stepOut;
  std::optional<size_t> evalIn;
};

/// The forward graph of `g` with the parameters `trainable` as inputs and
/// outputs "loss" (the spec's) and, with `withAccuracy`, "accuracy".
Graph evaluationGraph(const Graph &model,
                      const std::set<std::string> &trainable,
                      const TrainingSpec &spec, bool withAccuracy) {
  // Dropout is the identity when the model is evaluated, and batch
  // normalization takes its moving statistics.
  Graph g = forInference(model);
  Graph eg(g.name() + ".eval");
  auto map = copyInto(g, eg, trainable);
  auto output = [&](const std::string &name) {
    for (const Output &o : g.outputs())
      if (o.name == name)
        return map.at(o.value);
    internalError("model ", g.name(), " has no output ", name);
  };
  Builder b(eg);
  b.output("loss", output(spec.loss));
  if (withAccuracy)
    b.output("accuracy", accuracy(b, output(spec.predictions),
                                  map.at(g.findValue(spec.labels))));
  verify(eg);
  return eg;
}

} // namespace

/// An argument that is neither a trained parameter nor optimizer state: the
/// batch binds it on every call.
struct BatchSlot {
  size_t index;
  std::string name;
};

struct Trainer::Impl {
  Model model; // the original, for its structure and non-trained params
  /// The model as given, when its batch is a symbol: other batch sizes
  /// bind it (evaluateSized).
  std::optional<Graph> symbolic;
  std::vector<std::string> trainable;
  std::map<std::string, Tensor> params;    // trained and state parameters
  std::map<std::string, Tensor> state;     // optimizer state by input name
  std::map<std::string, Buffered> buffers; // params and state by name
  Graph stepGraph{"step"};
  Graph evalGraph{"eval"};
  std::unique_ptr<Executable> stepExe, evalExe;
  /// The evaluation was compiled once for every batch (the model's batch
  /// is symbolic): it takes a batch of any size.
  bool evalEveryBatch = false;
  StepContract contract;
  // Argument lists, in the executables' input/output order; batch inputs
  // are filled in per call.
  std::vector<Tensor> stepIn, stepOut, evalIn, evalOut;
  std::vector<std::string> stepInNames, evalInNames;
  /// The argument slots that each call's batch binds, with their names.
  std::vector<BatchSlot> stepBatch, evalBatch;
  bool hasAccuracy = false;
  /// Where the step's argument list holds dropout's step input, if the
  /// model has one.
  std::optional<size_t> stepCounterIn;
  /// The schedule, its base rate and the step's input of the rate.
  std::optional<LrSchedule> schedule;
  double baseLr = 0;
  std::optional<size_t> lrIn;
  DType lrType = DType::F64;
  /// Evaluations of batches of other sizes (the last partial batch of a
  /// test split): the evaluation graph re-batched, compiled on first use.
  struct SizedEval {
    std::unique_ptr<Executable> exe;
    std::vector<Tensor> in, out;
    std::vector<BatchSlot> batch;
  };
  std::map<int64_t, SizedEval> sizedEvals;
  CompileOptions evalOptions;
};

namespace {

/// `model`, or for a symbolic batch the model bound at its training spec's
/// batch size: a training step is compiled for one batch.
Model atTrainingBatch(const Model &model) {
  if (!hasSymbols(model.graph) || !model.training ||
      model.training->batchSize <= 0 || graphSymbols(model.graph).size() != 1)
    return Model{copyGraph(model.graph), model.training};
  return rebatch(model, model.training->batchSize);
}

} // namespace

Trainer::Trainer(const Model &symbolic, const TrainerOptions &options)
    : impl_(std::make_unique<Impl>()) {
  Impl &m = *impl_;
  verify(symbolic.graph);
  Model model = atTrainingBatch(symbolic);
  const Graph &g = model.graph;
  requireStatic(g, "training");
  spec_ = model.training.value_or(TrainingSpec());
  if (!options.loss.empty())
    spec_.loss = options.loss;
  if (options.optimizer)
    spec_.optimizer = options.optimizer;
  if (spec_.loss.empty())
    badInput("model ", g.name(),
             " has no training spec naming its loss; name the loss output");
  const Value *lossValue = nullptr;
  const Value *predictions = nullptr;
  for (const Output &o : g.outputs()) {
    if (o.name == spec_.loss)
      lossValue = o.value;
    if (o.name == spec_.predictions)
      predictions = o.value;
  }
  if (!lossValue)
    badInput("model ", g.name(), " has no output named '", spec_.loss,
             "' to use as the loss");
  const Value *labels =
      spec_.labels.empty() ? nullptr : g.findValue(spec_.labels);
  m.hasAccuracy = predictions && labels;

  // The parameters a step sets from outputs (moving statistics): inputs
  // of the step and the evaluation, updated in place, never trained.
  std::set<std::string> stateParams;
  for (const StateUpdate &u : spec_.stateUpdates)
    stateParams.insert(u.param);
  // The parameters to train.
  if (options.trainable.empty()) {
    for (const Param &p : g.params())
      if (isFloat(p.value->type().dtype) && !stateParams.count(p.value->name()))
        m.trainable.push_back(p.value->name());
  } else {
    for (const std::string &name : options.trainable) {
      const Value *v = g.findValue(name);
      if (!v || v->kind() != ValueKind::Param)
        badInput("model ", g.name(), " has no parameter %", name);
      if (!isFloat(v->type().dtype))
        badInput("parameter %", name, " is ", typeStr(v->type()),
                 ": only float parameters train");
      if (stateParams.count(name))
        badInput("parameter %", name,
                 " is state a step sets from an output: it does not train");
      m.trainable.push_back(name);
    }
  }
  std::set<std::string> trainable(m.trainable.begin(), m.trainable.end());
  // What the step and the evaluation take as inputs rather than constants.
  std::set<std::string> asInputs = trainable;
  asInputs.insert(stateParams.begin(), stateParams.end());
  for (const Param &p : g.params())
    if (asInputs.count(p.value->name()))
      m.params[p.value->name()] = p.data.clone();
  m.model.graph = Graph(g.name());
  copyInto(g, m.model.graph, {});
  for (const Output &o : g.outputs())
    m.model.graph.addOutput(o.name, m.model.graph.findValue(o.value->name()));
  m.model.training = model.training;

  OptimizerSpec opt = resolveOptimizer(spec_.optimizer);
  m.baseLr = opt.lr;
  if (options.schedule) {
    checkLrSchedule(*options.schedule);
    m.schedule = options.schedule;
  }
  std::vector<std::pair<std::string, std::string>> inPlace;

  // The step: forward, loss, backward, update.
  {
    Graph &sg = m.stepGraph;
    sg.setName(g.name() + ".step");
    // Differentiation knows NCHW ops: channels-last ones are lowered first
    // (every value keeps its name), and the transposes between them cancel
    // before the backward pass copies them (simplifyAlgebra is exact).
    std::optional<Graph> lowered;
    if (hasChannelsLast(g)) {
      lowered = lowerChannelsLast(g);
      simplifyAlgebra(*lowered, /*fastMath=*/false);
    }
    // Work a scan repeats at every step on its invariant operands (slices
    // and transposes of an imported RNN's weights) is hoisted out of the
    // loop before differentiation, so that the backward scan gets those
    // weights as invariants: their gradients are then one product of the
    // stacked steps after the loop, and no step saves a copy of them
    // (compiler/autodiff/ScanGrad.cpp).
    if (hasScan(g)) {
      if (!lowered)
        lowered = copyGraph(g);
      hoistScanInvariants(*lowered);
    }
    // A training step: batch normalization takes the batch's statistics.
    if (g.findValue(kTrainingInput))
      lowered = withTrainingFlag(lowered ? *lowered : g, true);
    const Graph &forward = lowered ? *lowered : g;
    auto map = copyInto(forward, sg, asInputs);
    auto at = [&](const Value *v) {
      return map.at(forward.findValue(v->name()));
    };
    Builder b(sg);
    Value *loss = at(lossValue);
    std::vector<Value *> wrt;
    for (const std::string &name : m.trainable)
      wrt.push_back(sg.findValue(name));
    std::vector<Value *> grads = appendGradients(sg, loss, wrt);
    b.output("loss", loss);
    if (m.hasAccuracy)
      b.output("accuracy", accuracy(b, at(predictions), at(labels)));
    // A step whose loss is not finite changes nothing (loss - loss is 0
    // only for a finite loss): the values from before it stay for
    // diagnoseNonFinite and for saving, and updates can still be written in
    // place.
    Value *finite =
        b.equal(b.sub(loss, loss), b.scalar(loss->type().dtype, 0.0));
    Value *step = nullptr;
    if (usesStepCounter(opt)) {
      step = b.input(kStepCounter, stepCounterType());
      m.state[kStepCounter] = Tensor(stepCounterType());
    }
    // The scheduled rate, in the parameters' float type (as a rate
    // compiled in is): no conversion runs in the step.
    Value *lrIn = nullptr;
    if (m.schedule && !wrt.empty()) {
      m.lrType = wrt[0]->type().dtype;
      lrIn = b.input(kLrInput, TensorType{m.lrType, {}});
    }
    for (size_t i = 0; i < wrt.size(); ++i) {
      const std::string &name = m.trainable[i];
      std::vector<Value *> state;
      for (const OptimizerSlot &slot : optimizerSlots(opt, wrt[i]->type())) {
        std::string sname = stateName(name, slot.suffix);
        state.push_back(b.input(sname, slot.type));
        Tensor init(slot.type);
        for (int64_t e = 0; e < init.numElements(); ++e)
          init.setElementFromDouble(e, slot.initial);
        m.state[sname] = init;
      }
      ParamUpdate up =
          appendUpdate(b, opt, wrt[i], grads[i], state, step, finite, lrIn);
      b.output(updateName(name), up.param);
      inPlace.push_back({updateName(name), name});
      for (size_t s = 0; s < state.size(); ++s) {
        b.output(updateName(state[s]->name()), up.state[s]);
        inPlace.push_back({updateName(state[s]->name()), state[s]->name()});
      }
    }
    // The state updates: each state parameter takes its output's value
    // (where the step is finite).
    for (const StateUpdate &u : spec_.stateUpdates) {
      const Value *out = nullptr;
      for (const Output &o : forward.outputs())
        if (o.name == u.output)
          out = o.value;
      if (!out)
        badInput("model ", g.name(), " has no output '", u.output,
                 "' for the state update of %", u.param);
      Value *old = sg.findValue(u.param);
      b.output(updateName(u.param), b.select(finite, map.at(out), old));
      inPlace.push_back({updateName(u.param), u.param});
    }
    // The counter last: every update above reads the old value.
    if (step) {
      b.output(updateName(kStepCounter),
               b.select(finite, appendStepIncrement(b, step), step));
      inPlace.push_back({updateName(kStepCounter), kStepCounter});
    }
    verify(sg);
  }

  m.evalGraph = evaluationGraph(g, asInputs, spec_, m.hasAccuracy);

  CompileOptions copts;
  copts.threads = options.threads;
  copts.simplify = options.simplify;
  copts.fuse = options.fuse;
  CompileOptions stepOpts = copts, evalOpts = copts;
  stepOpts.profile = options.profile;
  stepOpts.inPlace = inPlace;
  // The step's interface.
  {
    StepContract &c = m.contract;
    c.loss = "loss";
    if (m.hasAccuracy)
      c.accuracy = "accuracy";
    c.inPlace = inPlace;
    c.trained = m.trainable;
    c.state.assign(stateParams.begin(), stateParams.end());
    for (const auto &[name, value] : m.state)
      c.optimizer.push_back(name);
    std::set<std::string> held(asInputs);
    held.insert(c.optimizer.begin(), c.optimizer.end());
    for (const Value *v : m.stepGraph.inputs()) {
      if (v->name() == kStepInput && v->type() == TensorType{DType::I64, {}})
        c.stepsTaken = v->name();
      else if (m.schedule && v->name() == kLrInput)
        c.learningRate = v->name();
      else if (!held.count(v->name()))
        c.data.push_back(v->name());
    }
  }
  if (!options.dumpDir.empty()) {
    stepOpts.dumpDir = options.dumpDir + "/step";
    evalOpts.dumpDir = options.dumpDir + "/eval";
  }
  if (!options.compile)
    return; // the graphs alone, for dumps and ahead-of-time compilation
  m.stepExe = compile(m.stepGraph, stepOpts);
  // A symbolic batch: one evaluation for every batch, the last partial
  // batch of a test split included; if its code cannot serve every batch,
  // the evaluation at the training batch (and one per other size).
  if (graphSymbols(symbolic.graph).size() == 1) {
    m.symbolic = copyGraph(symbolic.graph);
    try {
      m.evalExe = compile(
          evaluationGraph(symbolic.graph, asInputs, spec_, m.hasAccuracy),
          evalOpts);
      m.evalEveryBatch = true;
    } catch (const Error &) {
    }
  }
  if (!m.evalExe)
    m.evalExe = compile(m.evalGraph, evalOpts);
  m.evalOptions = copts;

  for (auto *values : {&m.params, &m.state})
    for (auto &[name, t] : *values)
      m.buffers[name] = Buffered{&t, 0, 0, std::nullopt};
  // Each output the step writes in place -> the input it overwrites.
  std::map<std::string, std::string> writes;
  for (const auto &[output, input] : m.contract.inPlace)
    writes[output] = input;
  auto bindArgs = [&](Executable &exe, std::vector<Tensor> &in,
                      std::vector<std::string> &inNames,
                      std::vector<BatchSlot> &batchSlots,
                      std::vector<Tensor> &out, bool isStep) {
    for (const TensorInfo &info : exe.inputs()) {
      inNames.push_back(info.name);
      auto it = m.buffers.find(info.name);
      if (isStep && info.name == m.contract.stepsTaken) {
        // Dropout's step: the number of steps taken, set before each.
        m.stepCounterIn = in.size();
        in.push_back(Tensor::scalar(DType::I64, 0));
        continue;
      }
      if (isStep && info.name == m.contract.learningRate) {
        // The scheduled learning rate, set before each step.
        m.lrIn = in.size();
        in.push_back(Tensor::scalar(m.lrType, m.baseLr));
        continue;
      }
      if (it == m.buffers.end()) {
        batchSlots.push_back({in.size(), info.name});
        in.emplace_back(); // a batch input, bound per call
        continue;
      }
      if (isStep)
        it->second.stepIn = in.size();
      else
        it->second.evalIn = in.size();
      in.push_back(*it->second.current);
    }
    for (const TensorInfo &info : exe.outputs()) {
      auto written = writes.find(info.name);
      auto it = written == writes.end() ? m.buffers.end()
                                        : m.buffers.find(written->second);
      if (isStep && it != m.buffers.end()) {
        it->second.stepOut = out.size();
        out.push_back(*it->second.current); // written in place
      } else {
        out.emplace_back(info.type);
      }
    }
  };
  bindArgs(*m.stepExe, m.stepIn, m.stepInNames, m.stepBatch, m.stepOut, true);
  bindArgs(*m.evalExe, m.evalIn, m.evalInNames, m.evalBatch, m.evalOut, false);
  for (const auto &[name, buf] : m.buffers)
    if (m.stepInNames[buf.stepIn] != name ||
        writes.at(m.stepExe->outputs()[buf.stepOut].name) != name)
      internalError("trained tensor ", name,
                    " is not both an input and an update of the step");
}

Trainer::~Trainer() = default;

const Graph &Trainer::modelGraph() const { return impl_->model.graph; }
const Graph &Trainer::stepGraph() const { return impl_->stepGraph; }
const Executable &Trainer::stepExecutable() const {
  requireCompiled();
  return *impl_->stepExe;
}

void Trainer::requireCompiled() const {
  if (!impl_->stepExe)
    badInput("trainer of ", impl_->model.graph.name(),
             " was built with TrainerOptions::compile off: it cannot run");
}
const StepContract &Trainer::contract() const { return impl_->contract; }

namespace {

/// Binds the batch tensors into their slots of `in`. Names are looked up
/// once per slot; only a batch holding more than the slots is checked
/// name by name (this runs on every step of a few microseconds).
void bindBatch(const std::map<std::string, Tensor> &batch,
               const std::vector<BatchSlot> &slots, std::vector<Tensor> &in,
               const Graph &g) {
  auto checkNames = [&] {
    for (const auto &[name, t] : batch) {
      const Value *v = g.findValue(name);
      if (!v || v->kind() != ValueKind::Input)
        badInput("'", name, "' is not an input of model ", g.name());
    }
  };
  for (const BatchSlot &slot : slots) {
    auto it = batch.find(slot.name);
    if (it == batch.end()) {
      checkNames();
      badInput("the batch does not bind input %", slot.name);
    }
    in[slot.index] = it->second;
  }
  if (batch.size() != slots.size())
    checkNames();
}

} // namespace

StepResult Trainer::step(const std::map<std::string, Tensor> &batch) {
  requireCompiled();
  Impl &m = *impl_;
  bindBatch(batch, m.stepBatch, m.stepIn, m.model.graph);
  if (m.stepCounterIn)
    m.stepIn[*m.stepCounterIn].data<int64_t>()[0] = steps_;
  if (m.lrIn)
    m.stepIn[*m.lrIn].setElementFromDouble(0, learningRate());
  m.stepExe->run(m.stepIn, m.stepOut);
  ++steps_;
  return resultOf(m.stepOut, m.hasAccuracy);
}

StepResult Trainer::evaluate(const std::map<std::string, Tensor> &batch) {
  requireCompiled();
  Impl &m = *impl_;
  auto features = batch.find(spec_.features);
  const Value *featuresIn = spec_.features.empty()
                                ? nullptr
                                : m.model.graph.findValue(spec_.features);
  if (!m.evalEveryBatch && features != batch.end() && featuresIn &&
      features->second.rank() > 0 && featuresIn->type().rank() > 0 &&
      features->second.shape()[0] != featuresIn->type().shape[0])
    return evaluateSized(batch, features->second.shape()[0]);
  bindBatch(batch, m.evalBatch, m.evalIn, m.model.graph);
  m.evalExe->run(m.evalIn, m.evalOut);
  return resultOf(m.evalOut, m.hasAccuracy);
}

StepResult Trainer::evaluateSized(const std::map<std::string, Tensor> &batch,
                                  int64_t size) {
  Impl &m = *impl_;
  Impl::SizedEval &e = m.sizedEvals[size];
  if (!e.exe) {
    try {
      // Re-batch the model, whose parameters are not inputs that could be
      // mistaken for batched ones, then derive its evaluation.
      Graph g = rebatch(m.symbolic ? *m.symbolic : m.model.graph,
                        spec_.features, size);
      std::set<std::string> asInputs; // trained and state parameters
      for (const auto &[name, value] : m.params)
        asInputs.insert(name);
      e.exe = compile(evaluationGraph(g, asInputs, spec_, m.hasAccuracy),
                      m.evalOptions);
    } catch (...) {
      m.sizedEvals.erase(size);
      throw;
    }
    for (const TensorInfo &info : e.exe->inputs()) {
      auto it = m.buffers.find(info.name);
      if (it == m.buffers.end()) {
        e.batch.push_back({e.in.size(), info.name});
        e.in.emplace_back(); // a batch input, bound per call
      } else {
        e.in.push_back(*it->second.current);
      }
    }
    for (const TensorInfo &info : e.exe->outputs())
      e.out.emplace_back(info.type);
  }
  bindBatch(batch, e.batch, e.in, m.model.graph);
  e.exe->run(e.in, e.out);
  return resultOf(e.out, m.hasAccuracy);
}

const Tensor &Trainer::parameter(const std::string &name) const {
  auto it = impl_->params.find(name);
  if (it != impl_->params.end())
    return it->second;
  if (const Value *v = impl_->model.graph.findValue(name))
    if (const Param *p = impl_->model.graph.findParam(v))
      return p->data;
  badInput("model ", impl_->model.graph.name(), " has no parameter %", name);
}

const Tensor &Trainer::optimizerState(const std::string &name) const {
  auto it = impl_->state.find(name);
  if (it == impl_->state.end())
    badInput("the training step of ", impl_->model.graph.name(),
             " has no optimizer state %", name);
  return it->second;
}

void Trainer::setParameter(const std::string &name, const Tensor &value) {
  auto it = impl_->params.find(name);
  if (it == impl_->params.end())
    badInput("model ", impl_->model.graph.name(), " has no trained parameter %",
             name);
  if (value.type() != it->second.type())
    badInput("parameter %", name, " is ", typeStr(it->second.type()), ", not ",
             typeStr(value.type()));
  // Write into the existing storage: the executables hold it.
  std::memcpy(it->second.bytes(), value.bytes(), value.byteSize());
}

std::vector<std::string> Trainer::optimizerStateNames() const {
  std::vector<std::string> names;
  for (const auto &[name, value] : impl_->state)
    names.push_back(name);
  return names;
}

void Trainer::setOptimizerState(const std::string &name, const Tensor &value) {
  auto it = impl_->state.find(name);
  if (it == impl_->state.end())
    badInput("the training step of ", impl_->model.graph.name(),
             " has no optimizer state %", name);
  if (value.type() != it->second.type())
    badInput("optimizer state %", name, " is ", typeStr(it->second.type()),
             ", not ", typeStr(value.type()));
  std::memcpy(it->second.bytes(), value.bytes(), value.byteSize());
}

double Trainer::learningRate() const {
  const Impl &m = *impl_;
  return m.schedule ? scheduledLr(*m.schedule, m.baseLr, steps_) : m.baseLr;
}

void Trainer::setLearningRate(double lr) {
  if (!impl_->schedule)
    badInput("the training step of ", impl_->model.graph.name(),
             " has its learning rate compiled in: give TrainerOptions a "
             "schedule to change it");
  if (!(lr > 0 && std::isfinite(lr)))
    badInput("a learning rate must be positive and finite, not ", lr);
  impl_->baseLr = lr;
}

void Trainer::setSteps(int64_t steps) {
  if (steps < 0)
    badInput("a trainer's step count cannot be negative (", steps, ")");
  steps_ = steps;
}

Model Trainer::trainedModel() const {
  const Graph &g = impl_->model.graph;
  Model out;
  out.graph = Graph(g.name());
  std::map<const Value *, Value *> map;
  for (const Value *v : g.inputs())
    map[v] = out.graph.addInput(v->name(), v->type());
  for (const Param &p : g.params()) {
    auto it = impl_->params.find(p.value->name());
    map[p.value] = out.graph.addParam(p.value->name(), it != impl_->params.end()
                                                           ? it->second.clone()
                                                           : p.data);
  }
  for (const auto &node : g.nodes()) {
    std::vector<Value *> operands;
    for (const Value *v : node->operands())
      operands.push_back(map.at(v));
    map[node->result()] =
        out.graph
            .addNode(node->op(), operands, node->attrs(),
                     node->result()->name(), node->result()->type())
            ->result();
  }
  for (const Output &o : g.outputs())
    out.graph.addOutput(o.name, map.at(o.value));
  out.training = impl_->model.training;
  return out;
}

void Trainer::save(const std::string &path) const {
  saveModel(trainedModel(), path);
}

std::string
Trainer::diagnoseNonFinite(const std::map<std::string, Tensor> &batch) {
  Impl &m = *impl_;
  std::map<std::string, Tensor> inputs = batch;
  for (const auto &[name, buf] : m.buffers)
    inputs[name] = *buf.current; // a non-finite step left them unchanged
  // Evaluate node by node so that the first non-finite result is found.
  std::map<const Value *, Tensor> values;
  const Graph &g = m.stepGraph;
  for (const Value *v : g.inputs())
    values[v] = inputs.at(v->name());
  for (const Param &p : g.params())
    values[p.value] = p.data;
  for (const auto &node : g.nodes()) {
    std::vector<Tensor> operands;
    for (const Value *v : node->operands())
      operands.push_back(values.at(v));
    Tensor r = adjoint::evaluate(node->op(), operands, node->attrs(),
                                 node->result()->type());
    if (isFloat(r.dtype()))
      for (int64_t i = 0; i < r.numElements(); ++i)
        if (!std::isfinite(r.elementAsDouble(i)))
          return strCat(node->describe(), " gives ", typeStr(r.type()),
                        " with a non-finite value at element ", i);
    values[node->result()] = std::move(r);
  }
  return "no node gives a non-finite value in the reference interpreter";
}

} // namespace adjoint
