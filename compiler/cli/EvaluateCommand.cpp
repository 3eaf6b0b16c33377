//===- EvaluateCommand.cpp - `adjoint evaluate`: loss and accuracy on data ===//
//
// The loss (and, when the training spec names the predictions, the
// accuracy) of a model's current parameters over every example of a data
// split, in batches of any size: what `adjoint train` reports after each
// epoch, for a trained model on its own.
//
//===----------------------------------------------------------------------===//
#include "compiler/cli/CliCommon.h"
#include "compiler/cli/TrainingData.h"

#include "compiler/training/Dataset.h"
#include "compiler/training/Rebatch.h"
#include "ir/Error.h"
#include "ir/ModelIO.h"
#include "ir/SymbolicDim.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <memory>

namespace adjoint::cli {

namespace {

struct EvaluateOptions {
  std::string model;
  std::string data = "fashion-mnist";
  std::string split = "test";
  int64_t batch = 0;
  int threads = 0;
};

void runEvaluate(const EvaluateOptions &opts) {
  Model model = loadModel(opts.model);
  if (!model.training || model.training->loss.empty() ||
      model.training->features.empty() || model.training->labels.empty())
    badInput(opts.model, ": evaluate needs a training spec that names the "
                         "loss, the features and the labels");
  TrainingSpec &spec = *model.training;
  withContext(opts.model, [&] { verifyTrainingSpec(spec, model.graph); });
  const Value *features = model.graph.findValue(spec.features);
  int64_t fileBatch = features->type().shape[0];
  int64_t batch = opts.batch ? opts.batch
                  : isSymbolic(fileBatch)
                      ? (spec.batchSize ? spec.batchSize : 32)
                      : fileBatch;
  if (isSymbolic(fileBatch))
    spec.batchSize = batch;
  else if (batch != fileBatch)
    model = withContext(opts.model, [&] { return rebatch(model, batch); });
  features = model.graph.findValue(spec.features);
  const Value *labels = model.graph.findValue(spec.labels);

  Dataset data = opts.data == "fashion-mnist" ? loadFashionMnist()
                                              : loadNpyDataset(opts.data);
  bool train = opts.split == "train";
  Shape exampleShape(features->type().shape.begin() + 1,
                     features->type().shape.end());
  Tensor x = viewExamples(train ? data.trainX : data.testX, exampleShape);
  if (x.shape()[0] == 0)
    badInput(opts.data, " has no ", opts.split, " split");
  if (x.dtype() != features->type().dtype)
    badInput("input %", spec.features, " is ", typeStr(features->type()),
             " but the data's examples are ", dtypeName(x.dtype()));
  Tensor y = adaptLabels(train ? data.trainY : data.testY, labels->type());

  TrainerOptions topts;
  topts.threads = opts.threads;
  Trainer trainer(model, topts);
  auto atBatch = [&](TensorType t) {
    if (isSymbolic(t.shape[0]))
      t.shape[0] = batch;
    return t;
  };
  Tensor bx(atBatch(features->type())), by(atBatch(labels->type()));
  int64_t examples = 0;
  StepResult r =
      evaluateAll(trainer, x, y, spec.features, spec.labels, bx, by, examples);
  char line[256];
  std::snprintf(line, sizeof line, "%s on %lld %s examples: loss %.4f",
                model.graph.name().c_str(), (long long)examples,
                opts.split.c_str(), r.loss);
  std::cout << line;
  if (!spec.predictions.empty())
    std::printf(", accuracy %.2f%%", 100 * r.accuracy.value_or(0));
  std::cout << std::flush;
  std::printf("\n");
}

} // namespace

Action addEvaluateCommand(CLI::App &app) {
  auto opts = std::make_shared<EvaluateOptions>();
  app.add_option("MODEL", opts->model,
                 "Model file with a training spec (.pb, .pbtxt, .adj)")
      ->required();
  app.add_option("--data", opts->data,
                 "fashion-mnist or a directory with x.npy, y.npy (and "
                 "x_test.npy, y_test.npy)")
      ->type_name("DATA")
      ->capture_default_str();
  app.add_option("--split", opts->split, "The split: test or train")
      ->type_name("SPLIT")
      ->check(CLI::IsMember({"test", "train"}))
      ->capture_default_str();
  app.add_option("--batch", opts->batch,
                 "Examples per run (default: the model's batch, or the "
                 "spec's batch size, or 32)")
      ->type_name("B")
      ->check(positiveNumber());
  app.add_option("--threads", opts->threads, "Threads (0: all cores)")
      ->type_name("T")
      ->check(nonNegativeNumber())
      ->capture_default_str();
  app.footer("Example:\n  adjoint evaluate trained.pb --data fashion-mnist");
  return [opts] { runEvaluate(*opts); };
}

} // namespace adjoint::cli
