//===- TrainCommand.cpp - `adjoint train`: train a model on data ----------===//
//
// Loads a model and a data set, compiles the training step, and runs epochs
// of shuffled mini-batches: a progress bar on a terminal (periodic lines
// otherwise), test loss and accuracy after each epoch over every test
// example, the trained model saved at the end (also after Ctrl-C, which
// then exits 130, and after a non-finite loss, which exits 1) and the
// curves drawn to an SVG. Output paths, labels and features are checked
// before anything is compiled or trained. Transfer learning (--freeze,
// --init-from), validation (--validation-split, --early-stopping) and
// checkpoints (--checkpoint-every, --resume: compiler/training/Checkpoint.h)
// are options of the same loop.
//
//===----------------------------------------------------------------------===//
#include "compiler/cli/CliCommon.h"
#include "compiler/cli/TrainingData.h"
#include "compiler/cli/TrainingPlot.h"

#include "compiler/training/Checkpoint.h"
#include "compiler/training/Dataset.h"
#include "compiler/training/Rebatch.h"
#include "compiler/training/Trainer.h"
#include "ir/Error.h"
#include "ir/FileIO.h"
#include "ir/GraphCopy.h"
#include "ir/ModelIO.h"
#include "ir/Specialize.h"
#include "ir/SymbolicDim.h"

#include <CLI/CLI.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <numeric>
#include <random>
#include <regex>
#include <sstream>
#include <unistd.h>

namespace adjoint::cli {

namespace {

struct TrainOptions {
  std::string model;
  std::string data = "fashion-mnist";
  int64_t epochs = 0;
  int64_t batch = 0;
  std::string optimizer;
  double lr = 0;
  uint64_t seed = 0;
  int threads = 0;
  int64_t limit = 0;
  std::string out;
  std::string plot;
  // Transfer learning, validation, checkpoints.
  std::string freeze, initFrom, resume, checkpoint, lossLog;
  int64_t checkpointEvery = 0;
  // The learning-rate schedule (compiler/training/LrSchedule.h).
  std::string lrSchedule;
  int64_t warmup = 0, decaySteps = 0;
  double decayRate = 0, lrMin = 0;
  double validationSplit = 0;
  int64_t earlyStopping = 0;
  // Override or stand in for the model's training spec.
  std::string loss, features, labels, predictions;
};

std::atomic<bool> gInterrupted{false};

extern "C" void onInterrupt(int) { gInterrupted = true; }

std::string duration(double seconds) {
  char buf[32];
  if (seconds < 60)
    std::snprintf(buf, sizeof buf, "%.0fs", seconds);
  else
    std::snprintf(buf, sizeof buf, "%dm%02ds", (int)seconds / 60,
                  (int)seconds % 60);
  return buf;
}

/// How many classes integer labels index: the last dimension of the
/// predictions output, or of a one-hot labels input. 0 when neither says.
int64_t classCount(const Graph &g, const TrainingSpec &spec,
                   const Value *labelsIn) {
  if (labelsIn->type().rank() == 2 && isFloat(labelsIn->type().dtype))
    return labelsIn->type().shape[1];
  for (const Output &o : g.outputs())
    if (o.name == spec.predictions && o.value->type().rank() == 2)
      return o.value->type().shape[1];
  return 0;
}

/// Checks that every label of `y` [N] is a class in [0, classes): the
/// error says how many are not and which is the first.
void checkLabels(const Tensor &y, int64_t classes, const std::string &source) {
  if (y.rank() != 1 || classes <= 0)
    return;
  int64_t bad = 0, first = -1;
  double firstValue = 0;
  for (int64_t i = 0, n = y.shape()[0]; i < n; ++i) {
    double v = y.elementAsDouble(i);
    if (v >= 0 && v < (double)classes && v == std::floor(v))
      continue;
    if (bad++ == 0) {
      first = i;
      firstValue = v;
    }
  }
  if (bad)
    badInput(source, ": ", bad, " of ", y.shape()[0],
             " labels are not classes from 0 to ", classes - 1,
             " (the model predicts ", classes, " classes); the first is ",
             firstValue, " at example ", first);
}

/// Checks that every float feature of `x` [N, ...] is finite: the error
/// says how many are not and names the first by example and feature.
void checkFeatures(const Tensor &x, const std::string &source) {
  if (!isFloat(x.dtype()) || x.rank() == 0 || x.numElements() == 0)
    return;
  int64_t perExample = x.numElements() / x.shape()[0];
  int64_t bad = 0, first = -1;
  double firstValue = 0;
  for (int64_t i = 0, n = x.numElements(); i < n; ++i) {
    double v = x.elementAsDouble(i);
    if (std::isfinite(v))
      continue;
    if (bad++ == 0) {
      first = i;
      firstValue = v;
    }
  }
  if (bad)
    badInput(source, ": ", bad, " feature value", bad == 1 ? " is" : "s are",
             " not finite; the first is ", firstValue, " at example ",
             first / perExample, ", feature ", first % perExample);
}

/// Checks, before anything long, that the trained model and the plot can be
/// written where the options say.
void checkOutputs(const TrainOptions &opts) {
  if (!opts.out.empty())
    checkModelOutput(opts.out, "-o");
  if (!opts.plot.empty()) {
    if (std::filesystem::path(opts.plot).extension() != ".svg")
      badInput("--plot ", opts.plot,
               ": the curves are drawn as SVG; name the file .svg");
    checkWritableFile(opts.plot, "--plot");
  }
}

/// Gives the parameters of `to` the values of those of `from` with the
/// same names (whose types must match): --init-from and --resume. With
/// `all`, every parameter of `to` must be in `from`. Returns how many.
int64_t copyParameters(const Model &from, Model &to, const std::string &what) {
  int64_t copied = 0;
  for (Param &p : to.graph.params()) {
    const Value *v = from.graph.findValue(p.value->name());
    const Param *source = v ? from.graph.findParam(v) : nullptr;
    if (!source)
      continue;
    if (source->data.type() != p.value->type())
      badInput(what, ": parameter %", p.value->name(), " is ",
               typeStr(source->data.type()), " there but ",
               typeStr(p.value->type()), " in ", to.graph.name());
    p.data = source->data.clone();
    p.init.reset();
    ++copied;
  }
  return copied;
}

/// The float parameters of `g` that `pattern` (--freeze) finds (anywhere in
/// the name, as grep does) and those it does not.
std::pair<std::vector<std::string>, std::vector<std::string>>
splitFrozen(const Graph &g, const std::string &pattern) {
  std::regex re;
  try {
    re = std::regex(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error &e) {
    badInput("--freeze ", pattern, ": not a regular expression (", e.what(),
             ")");
  }
  std::vector<std::string> frozen, trained;
  std::string all;
  for (const Param &p : g.params()) {
    if (!isFloat(p.value->type().dtype))
      continue;
    const std::string &name = p.value->name();
    all += (all.empty() ? "" : ", ") + name;
    (std::regex_search(name, re) ? frozen : trained).push_back(name);
  }
  if (frozen.empty())
    badInput("--freeze ", pattern, " matches none of the parameters of ",
             g.name(), " (", all, ")");
  if (trained.empty())
    badInput("--freeze ", pattern, " matches every parameter of ", g.name(),
             ": nothing would train");
  return {frozen, trained};
}

/// Rows [from, from + n) of x, copied.
Tensor rowsOf(const Tensor &x, int64_t from, int64_t n) {
  Shape shape = x.shape();
  shape[0] = n;
  Tensor out(TensorType{x.dtype(), shape});
  size_t row = x.shape()[0] ? x.byteSize() / (size_t)x.shape()[0] : 0;
  std::memcpy(out.bytes(), x.bytes() + from * row, (size_t)n * row);
  return out;
}

void runTrain(const TrainOptions &opts) {
  checkOutputs(opts);
  if (!opts.lossLog.empty())
    checkWritableFile(opts.lossLog, "--loss-log");
  Model model = loadModel(opts.model);
  // The parameters to start from: a checkpoint's, or another model's.
  std::optional<Checkpoint> resumed;
  if (!opts.resume.empty()) {
    resumed = readCheckpoint(opts.resume);
    int64_t copied =
        copyParameters(resumed->model, model, "--resume " + opts.resume);
    if (copied != (int64_t)model.graph.params().size())
      badInput("--resume ", opts.resume, ": the checkpoint holds ", copied,
               " of the ", model.graph.params().size(), " parameters of ",
               model.graph.name(), ": it was written for another model");
  } else if (!opts.initFrom.empty()) {
    Model trained = loadModel(opts.initFrom);
    int64_t copied =
        copyParameters(trained, model, "--init-from " + opts.initFrom);
    if (copied == 0)
      badInput("--init-from ", opts.initFrom, ": no parameter of ",
               model.graph.name(), " has a namesake there");
    std::cout << "initialized " << copied << " of the "
              << model.graph.params().size() << " parameters from "
              << opts.initFrom << "\n";
  }
  if (!model.training)
    model.training = TrainingSpec();
  TrainingSpec &spec = *model.training;
  if (!opts.loss.empty())
    spec.loss = opts.loss;
  if (!opts.features.empty())
    spec.features = opts.features;
  if (!opts.labels.empty())
    spec.labels = opts.labels;
  if (!opts.predictions.empty())
    spec.predictions = opts.predictions;
  if (spec.loss.empty() || spec.features.empty() || spec.labels.empty())
    badInput(opts.model, ": name the loss output and the features and labels "
                         "inputs (a training spec, or --loss, --features and "
                         "--labels)");
  withContext(opts.model, [&] { verifyTrainingSpec(spec, model.graph); });
  // Another batch size: train (and test) a re-batched copy; the model
  // written at the end keeps its own batch size.
  int64_t fileBatch = model.graph.findValue(spec.features)->type().shape[0];
  int64_t batch = opts.batch;
  if (!batch && isSymbolic(fileBatch)) {
    // A symbolic batch takes the spec's batch size.
    batch = spec.batchSize;
    if (batch <= 0)
      badInput(opts.model, ": the batch of %", spec.features, " is ",
               dimStr(fileBatch),
               "; give one with --batch B or the training spec's batch_size");
  }
  // A symbolic batch stays symbolic: the Trainer binds the spec's batch
  // size for the step and evaluates batches of any size.
  std::optional<Model> rebatched;
  if (batch && batch != fileBatch && isSymbolic(fileBatch) &&
      graphSymbols(model.graph).size() == 1) {
    rebatched = Model{copyGraph(model.graph), model.training};
    rebatched->training->batchSize = batch;
  } else if (batch && batch != fileBatch) {
    rebatched = withContext(opts.model, [&] { return rebatch(model, batch); });
  }
  const Model &used = rebatched ? *rebatched : model;
  const Value *featuresIn = used.graph.findValue(spec.features);
  const Value *labelsIn = used.graph.findValue(spec.labels);
  int64_t modelBatch = batch ? batch : featuresIn->type().shape[0];
  int64_t epochs = opts.epochs ? opts.epochs : spec.epochs ? spec.epochs : 1;

  TrainerOptions topts;
  topts.threads = opts.threads;
  if (!opts.freeze.empty()) {
    auto [frozen, trained] = splitFrozen(model.graph, opts.freeze);
    topts.trainable = trained;
    std::cout << "freezing " << frozen.size() << " parameter"
              << (frozen.size() == 1 ? "" : "s") << ":";
    for (const std::string &name : frozen)
      std::cout << " " << name;
    std::cout << "\n";
  }
  if (!opts.optimizer.empty() || opts.lr > 0) {
    OptimizerConfig config = spec.optimizer.value_or(OptimizerConfig());
    if (!opts.optimizer.empty()) {
      std::optional<OptimizerKind> kind = parseOptimizerKind(opts.optimizer);
      if (!kind)
        badInput("unknown optimizer '", opts.optimizer,
                 "' (accepted: sgd, momentum, adam, adamw)");
      if (*kind != config.kind) {
        config = OptimizerConfig();
        config.kind = *kind;
      }
    }
    if (opts.lr > 0)
      config.lr = opts.lr;
    topts.optimizer = config;
  }

  Dataset data = opts.data == "fashion-mnist" ? loadFashionMnist()
                                              : loadNpyDataset(opts.data);
  // View the examples in the shape the features input takes.
  Shape exampleShape(featuresIn->type().shape.begin() + 1,
                     featuresIn->type().shape.end());
  Tensor trainX = viewExamples(data.trainX, exampleShape);
  Tensor testX = viewExamples(data.testX, exampleShape);
  if (trainX.dtype() != featuresIn->type().dtype)
    badInput("input %", spec.features, " is ", typeStr(featuresIn->type()),
             " but the data's examples are ", dtypeName(trainX.dtype()));
  bool fashion = opts.data == "fashion-mnist";
  auto source = [&](const char *npy, const char *idx) {
    return fashion ? std::string(kFashionMnistDir) + "/" + idx
                   : (std::filesystem::path(opts.data) / npy).string();
  };
  checkFeatures(data.trainX, source("x.npy", "train-images-idx3-ubyte.gz"));
  checkFeatures(data.testX, source("x_test.npy", "t10k-images-idx3-ubyte.gz"));
  int64_t classes = classCount(used.graph, spec, labelsIn);
  checkLabels(data.trainY, classes,
              source("y.npy", "train-labels-idx1-ubyte.gz"));
  checkLabels(data.testY, classes,
              source("y_test.npy", "t10k-labels-idx1-ubyte.gz"));
  Tensor trainY = adaptLabels(data.trainY, labelsIn->type());
  Tensor testY = adaptLabels(data.testY, labelsIn->type());
  int64_t numTrain = data.numTrain();
  if (opts.limit > 0)
    numTrain = std::min(numTrain, opts.limit);
  // --validation-split: the last examples of the training split are held
  // out, evaluated after every epoch and never trained on.
  Tensor valX, valY;
  if (opts.validationSplit > 0) {
    int64_t held = (int64_t)((double)numTrain * opts.validationSplit);
    if (held == 0)
      badInput("--validation-split ", opts.validationSplit, " of ", numTrain,
               " examples holds none out");
    numTrain -= held;
    valX = rowsOf(trainX, numTrain, held);
    valY = rowsOf(trainY, numTrain, held);
  }
  int64_t steps = numTrain / modelBatch;
  if (steps == 0)
    badInput("the data has ", numTrain,
             " training examples, fewer than one "
             "batch of ",
             modelBatch);

  if (resumed && (resumed->batch != modelBatch ||
                  (int64_t)resumed->order.size() != numTrain))
    badInput("--resume ", opts.resume,
             ": the checkpoint was written by a run "
             "of batch ",
             resumed->batch, " over ", resumed->order.size(),
             " examples; this one has batch ", modelBatch, " over ", numTrain,
             " (give the same --batch, --limit and --validation-split)");

  if (!opts.lrSchedule.empty() || opts.warmup > 0) {
    LrSchedule schedule;
    if (!opts.lrSchedule.empty()) {
      std::optional<LrSchedule::Kind> kind =
          parseLrScheduleKind(opts.lrSchedule);
      if (!kind)
        badInput("unknown --lr-schedule '", opts.lrSchedule,
                 "' (accepted: constant, step, exponential, cosine)");
      schedule.kind = *kind;
    }
    schedule.warmupSteps = opts.warmup;
    // Defaults: step and exponential decay once an epoch (by half, by 0.9),
    // cosine over the whole run after the warm-up.
    bool cosine = schedule.kind == LrSchedule::Kind::Cosine;
    schedule.decaySteps =
        opts.decaySteps ? opts.decaySteps
        : cosine        ? std::max<int64_t>(1, epochs * steps - opts.warmup)
                        : steps;
    schedule.rate = opts.decayRate > 0                        ? opts.decayRate
                    : schedule.kind == LrSchedule::Kind::Step ? 0.5
                                                              : 0.9;
    schedule.minimum = opts.lrMin;
    topts.schedule = schedule;
  }

  auto compileStart = std::chrono::steady_clock::now();
  Trainer trainer(used, topts);
  double compileSeconds = std::chrono::duration<double>(
                              std::chrono::steady_clock::now() - compileStart)
                              .count();
  // Ctrl-C from here on stops after the current step and saves. The handler
  // goes in before the first line is printed: whoever reacts to that line
  // (a user, a script) may interrupt at once.
  struct sigaction action {
  }, previous{};
  action.sa_handler = onInterrupt;
  action.sa_flags = SA_RESTART; // a write to a pipe must not fail with EINTR
  sigaction(SIGINT, &action, &previous);
  std::cout << "training " << model.graph.name() << " on " << numTrain
            << " examples (" << steps << " steps of " << modelBatch
            << " per epoch, " << epochs << " epoch" << (epochs == 1 ? "" : "s")
            << "); compiled in " << duration(compileSeconds) << "\n"
            << std::flush;

  // One batch of examples and labels (a symbolic batch bound to the step's).
  auto atBatch = [&](TensorType t) {
    if (t.rank() > 0 && isSymbolic(t.shape[0]))
      t.shape[0] = modelBatch;
    return t;
  };
  Tensor bx(atBatch(featuresIn->type())), by(atBatch(labelsIn->type()));
  // With --limit, the epochs shuffle the first numTrain examples only.
  std::vector<int64_t> order(numTrain);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(opts.seed);
  bool terminal = ::isatty(STDERR_FILENO);
  // Where a resumed run starts: the checkpoint's epoch and step, with its
  // order of examples and its generator, its optimizer state and its count
  // of steps.
  int64_t startEpoch = 0, startStep = 0;
  if (resumed) {
    std::vector<std::string> names = trainer.optimizerStateNames();
    for (const std::string &name : names) {
      auto it = resumed->optimizer.find(name);
      if (it == resumed->optimizer.end())
        badInput("--resume ", opts.resume, ": the checkpoint has no ", name,
                 "; it was written with another optimizer");
      trainer.setOptimizerState(name, it->second);
    }
    if (resumed->optimizer.size() != names.size())
      badInput("--resume ", opts.resume, ": the checkpoint holds ",
               resumed->optimizer.size(),
               " optimizer tensors, this run's "
               "optimizer ",
               names.size());
    trainer.setSteps(resumed->steps);
    order = resumed->order;
    std::istringstream(resumed->rng) >> rng;
    startEpoch = resumed->epoch;
    startStep = resumed->stepInEpoch;
    if (startEpoch >= epochs)
      badInput("--resume ", opts.resume, ": the checkpoint is at epoch ",
               startEpoch + 1, "; --epochs ", epochs, " ends before it");
    std::cout << "resuming at epoch " << startEpoch + 1 << ", step "
              << startStep + 1 << " (" << resumed->steps << " steps taken)\n";
  }
  std::string checkpointDir =
      opts.checkpoint.empty()
          ? std::filesystem::path(opts.model).stem().string() + ".ckpt"
          : opts.checkpoint;
  auto writeCheckpointNow = [&](int64_t epoch, int64_t next) {
    Checkpoint c;
    c.model = trainer.trainedModel();
    for (const std::string &name : trainer.optimizerStateNames())
      c.optimizer[name] = trainer.optimizerState(name);
    c.steps = trainer.steps();
    c.epoch = next == steps ? epoch + 1 : epoch;
    c.stepInEpoch = next == steps ? 0 : next;
    c.batch = modelBatch;
    c.order = order;
    std::ostringstream text;
    text << rng;
    c.rng = text.str();
    writeCheckpoint(checkpointDir, c);
  };
  std::ofstream lossLog;
  if (!opts.lossLog.empty()) {
    lossLog.open(opts.lossLog);
    lossLog << "# step loss\n";
  }
  double bestMonitored = INFINITY;
  int64_t epochsWithoutGain = 0;

  TrainingHistory history;
  bool stopped = false;
  // Writes the trained model and the curves; the parameters are those of
  // the last finite step (a non-finite step changes none of them).
  auto saveOutputs = [&] {
    if (!opts.out.empty()) {
      if (rebatched) {
        for (Param &p : model.graph.params()) {
          p.data = trainer.parameter(p.value->name()).clone();
          p.init.reset(); // the values are trained: write them, not the recipe
        }
        saveModel(model, opts.out);
      } else {
        trainer.save(opts.out);
      }
      std::cout << "saved the trained model to " << opts.out << "\n"
                << std::flush;
    }
    if (!opts.plot.empty()) {
      writeFileAtomically(opts.plot, plotTraining(history, model.graph.name()));
      std::cout << "drew the curves to " << opts.plot << "\n" << std::flush;
    }
  };
  for (int64_t epoch = startEpoch; epoch < epochs && !stopped; ++epoch) {
    // A run resumed within an epoch goes on in that epoch's order.
    int64_t first = epoch == startEpoch ? startStep : 0;
    if (first == 0)
      std::shuffle(order.begin(), order.end(), rng);
    auto start = std::chrono::steady_clock::now();
    double lossSum = 0, accSum = 0;
    int64_t logEvery = std::max<int64_t>(1, steps / 50);
    for (int64_t s = first; s < steps; ++s) {
      gather(trainX, order, s * modelBatch, bx);
      gather(trainY, order, s * modelBatch, by);
      StepResult r = trainer.step({{spec.features, bx}, {spec.labels, by}});
      if (!std::isfinite(r.loss)) {
        std::string where =
            trainer.diagnoseNonFinite({{spec.features, bx}, {spec.labels, by}});
        if (terminal)
          std::fprintf(stderr, "\n");
        sigaction(SIGINT, &previous, nullptr);
        saveOutputs();
        // NaN's sign says nothing to a user: "nan", never "-nan".
        failed("epoch ", epoch + 1, ", step ", s + 1, ": the loss is ",
               std::isnan(r.loss) ? std::string("nan") : strCat(r.loss),
               "; the first non-finite value: ", where,
               opts.out.empty()
                   ? std::string()
                   : "; " + opts.out +
                         " holds the parameters from before this step");
      }
      lossSum += r.loss;
      accSum += r.accuracy.value_or(0);
      if (lossLog.is_open()) {
        char text[64];
        std::snprintf(text, sizeof text, "%lld %.17g\n",
                      (long long)trainer.steps(), r.loss);
        lossLog << text << std::flush;
      }
      if (opts.checkpointEvery > 0 &&
          trainer.steps() % opts.checkpointEvery == 0)
        writeCheckpointNow(epoch, s + 1);
      if ((s + 1) % logEvery == 0 || s + 1 == steps) {
        history.stepLoss.push_back(r.loss);
        history.stepAt.push_back((double)epoch +
                                 (double)(s + 1) / (double)steps);
      }
      double elapsed = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - start)
                           .count();
      // Steps of this epoch run by this process (a resumed run starts
      // within one).
      int64_t ran = s + 1 - first;
      double perSecond = (double)ran * (double)modelBatch / elapsed;
      double left = (double)(steps - s - 1) * (double)modelBatch / perSecond;
      if (terminal) {
        int width = 30, done = (int)((s + 1) * width / steps);
        std::fprintf(stderr,
                     "\repoch %lld/%lld [%.*s%*s] %lld/%lld loss %.4f  %.0f "
                     "ex/s  %s left ",
                     (long long)epoch + 1, (long long)epochs, done,
                     "==============================", width - done, "",
                     (long long)s + 1, (long long)steps, lossSum / (double)ran,
                     perSecond, duration(left).c_str());
      } else if ((s + 1) % std::max<int64_t>(1, steps / 5) == 0) {
        std::fprintf(stderr,
                     "epoch %lld/%lld: step %lld/%lld, loss %.4f, %.0f ex/s, "
                     "%s left\n",
                     (long long)epoch + 1, (long long)epochs, (long long)s + 1,
                     (long long)steps, lossSum / (double)ran, perSecond,
                     duration(left).c_str());
      }
      if (gInterrupted) {
        stopped = true;
        if (terminal)
          std::fprintf(stderr, "\n");
        std::fprintf(stderr,
                     "adjoint: interrupted after step %lld of epoch %lld\n",
                     (long long)s + 1, (long long)epoch + 1);
        break;
      }
    }
    if (terminal && !stopped)
      std::fprintf(stderr, "\n");
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    if (stopped)
      break;
    int64_t tested = 0;
    StepResult test = evaluateAll(trainer, testX, testY, spec.features,
                                  spec.labels, bx, by, tested);
    history.testLoss.push_back(test.loss);
    history.testAccuracy.push_back(test.accuracy.value_or(0));
    int64_t ran = steps - first;
    history.trainAccuracy.push_back(accSum / (double)ran);
    std::string validation;
    double monitored = lossSum / (double)ran;
    if (valX.hasStorage()) {
      int64_t checked = 0;
      StepResult v = evaluateAll(trainer, valX, valY, spec.features,
                                 spec.labels, bx, by, checked);
      char text[96];
      std::snprintf(text, sizeof text,
                    ", validation loss %.4f, validation accuracy %.2f%%",
                    v.loss, 100 * v.accuracy.value_or(0));
      validation = text;
      monitored = v.loss;
    }
    if (topts.schedule) {
      char text[48];
      std::snprintf(text, sizeof text, ", next lr %.3g",
                    trainer.learningRate());
      validation += text;
    }
    char line[320];
    std::snprintf(line, sizeof line,
                  "epoch %lld/%lld: train loss %.4f%s, test loss %.4f, test "
                  "accuracy %.2f%% (%lld examples), %.1f s, %.0f examples/s\n",
                  (long long)epoch + 1, (long long)epochs,
                  lossSum / (double)ran, validation.c_str(), test.loss,
                  100 * test.accuracy.value_or(0), (long long)tested, seconds,
                  (double)(ran * modelBatch) / seconds);
    std::cout << line << std::flush;
    // --early-stopping: the validation loss (the training loss without a
    // validation split) must improve within PATIENCE epochs.
    if (opts.earlyStopping > 0) {
      if (monitored < bestMonitored) {
        bestMonitored = monitored;
        epochsWithoutGain = 0;
      } else if (++epochsWithoutGain >= opts.earlyStopping &&
                 epoch + 1 < epochs) {
        std::cout << "early stopping: the "
                  << (valX.hasStorage() ? "validation" : "training")
                  << " loss has not improved for " << epochsWithoutGain
                  << " epoch" << (epochsWithoutGain == 1 ? "" : "s") << "\n"
                  << std::flush;
        break;
      }
    }
  }
  sigaction(SIGINT, &previous, nullptr);
  saveOutputs();
  if (stopped)
    throw ExitStatus{130}; // as a shell reports a SIGINT
}

} // namespace

Action addTrainCommand(CLI::App &app) {
  auto opts = std::make_shared<TrainOptions>();
  app.add_option("MODEL", opts->model,
                 "Model file with a loss (.pb, .pbtxt, .adj or .onnx)")
      ->required();
  app.add_option("--data", opts->data,
                 "fashion-mnist (Debian's dataset-fashion-mnist) or a "
                 "directory with x.npy, y.npy (and x_test.npy, y_test.npy)")
      ->type_name("DATA")
      ->capture_default_str();
  app.add_option("--epochs", opts->epochs,
                 "Passes over the training data (default: the spec's, or 1)")
      ->type_name("N")
      ->check(positiveNumber());
  app.add_option("--batch", opts->batch,
                 "Examples per step (default: the model's batch size; "
                 "another size re-batches the model)")
      ->type_name("B")
      ->check(positiveNumber());
  app.add_option("--optimizer", opts->optimizer,
                 "sgd, momentum, adam or adamw (default: the spec's, or adam)")
      ->type_name("NAME");
  app.add_option("--lr", opts->lr, "Learning rate (default: the spec's)")
      ->type_name("X")
      ->check(positiveNumber());
  app.add_option("--seed", opts->seed, "Seed of the shuffling")
      ->type_name("S")
      ->capture_default_str();
  app.add_option("--threads", opts->threads, "Threads (0: all cores)")
      ->type_name("T")
      ->check(nonNegativeNumber())
      ->capture_default_str();
  app.add_option("--limit", opts->limit,
                 "Train on the first N training examples only")
      ->type_name("N")
      ->check(positiveNumber());
  app.add_option("--loss", opts->loss, "The loss output (default: the spec's)")
      ->type_name("NAME");
  app.add_option("--features", opts->features,
                 "The input that receives the examples (default: the spec's)")
      ->type_name("NAME");
  app.add_option("--labels", opts->labels,
                 "The input that receives the labels (default: the spec's)")
      ->type_name("NAME");
  app.add_option("--predictions", opts->predictions,
                 "The output compared with the labels for accuracy (default: "
                 "the spec's)")
      ->type_name("NAME");
  app.add_option("-o,--output", opts->out,
                 "Write the trained model here (also after Ctrl-C)")
      ->type_name("TRAINED");
  app.add_option("--plot", opts->plot, "Draw loss and accuracy curves (SVG)")
      ->type_name("FILE.svg");
  app.add_option("--validation-split", opts->validationSplit,
                 "Hold out this fraction of the training examples (the last "
                 "ones) and evaluate them after every epoch")
      ->type_name("F")
      ->check(CLI::Range(0.0, 0.99));
  app.add_option("--early-stopping", opts->earlyStopping,
                 "Stop when the validation loss (the training loss without "
                 "--validation-split) has not improved for N epochs")
      ->type_name("N")
      ->check(positiveNumber());
  app.add_option("--freeze", opts->freeze,
                 "Keep the parameters whose names this regular expression "
                 "finds as they are: no gradient is computed for them")
      ->type_name("REGEX");
  app.add_option("--init-from", opts->initFrom,
                 "Start from the parameters of this model that have the same "
                 "names (and types)")
      ->type_name("TRAINED");
  app.add_option("--checkpoint-every", opts->checkpointEvery,
                 "Write a checkpoint every N steps (see --checkpoint)")
      ->type_name("N")
      ->check(positiveNumber());
  app.add_option("--checkpoint", opts->checkpoint,
                 "The checkpoint directory (default: MODEL's name + .ckpt)")
      ->type_name("CKPT");
  CLI::Option *resume =
      app.add_option("--resume", opts->resume,
                     "Go on from a checkpoint: its parameters, optimizer "
                     "state, step count, epoch and shuffling")
          ->type_name("CKPT");
  resume->excludes(app.get_option("--init-from"));
  app.add_option("--lr-schedule", opts->lrSchedule,
                 "constant, step (x rate every decay), exponential "
                 "(x rate^(t/decay)) or cosine (to --lr-min over the decay)")
      ->type_name("KIND");
  app.add_option("--warmup", opts->warmup,
                 "Raise the learning rate linearly over the first N steps")
      ->type_name("N")
      ->check(positiveNumber());
  app.add_option("--decay-steps", opts->decaySteps,
                 "The schedule's decay period in steps (default: an epoch; "
                 "cosine: the whole run after the warm-up)")
      ->type_name("N")
      ->check(positiveNumber());
  app.add_option("--decay-rate", opts->decayRate,
                 "The factor of step and exponential decay (default 0.5 and "
                 "0.9)")
      ->type_name("F")
      ->check(CLI::Range(1e-12, 1.0));
  app.add_option("--lr-min", opts->lrMin,
                 "Cosine decay's floor, a fraction of the learning rate")
      ->type_name("F")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--loss-log", opts->lossLog,
                 "Write every step's loss (all 17 digits) to this file")
      ->type_name("FILE");
  app.footer("Example:\n  adjoint train examples/fashion_cnn.pbtxt --epochs 1 "
             "-o cnn_trained.pb --plot cnn.svg");
  return [opts] { runTrain(*opts); };
}

} // namespace adjoint::cli
