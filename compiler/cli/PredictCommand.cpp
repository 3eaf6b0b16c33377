//===- PredictCommand.cpp - `adjoint predict`: a model over whole arrays --===//
//
// Runs a model's prediction output over every row of its inputs' arrays,
// in batches of any size (a model with a static batch runs in batches of
// that size, the last one padded), with dropout the identity, and writes
// the rows to one .npy file: keras::Model::predict on the loaded model.
//
//===----------------------------------------------------------------------===//
#include "compiler/cli/CliCommon.h"
#include "compiler/cli/ModelInputs.h"

#include "adjoint/keras.h"
#include "ir/Error.h"
#include "ir/FileIO.h"
#include "ir/NpyFile.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

namespace adjoint::cli {

namespace {

struct PredictOptions {
  std::string model;
  std::vector<std::string> inputs;
  std::string out;
  int batch = 32;
};

void runPredict(const PredictOptions &opts) {
  checkWritableFile(opts.out, "-o");
  keras::Model model = keras::loadModel(opts.model);
  std::vector<InputArray> arrays = readInputArrays(opts.inputs);
  std::vector<keras::Tensor> xs;
  std::string names;
  for (const std::string &name : model.inputNames()) {
    names += (names.empty() ? "" : ", ") + name;
    for (const InputArray &a : arrays)
      if (a.name == name)
        xs.push_back(a.data);
  }
  if (xs.size() != model.inputNames().size() || arrays.size() != xs.size())
    badInput(opts.model, " predicts from ", names,
             ": give each, and only those, with -i NAME=FILE.npy");
  keras::Tensor result = model.predict(xs, opts.batch);
  writeNpy(opts.out, result);
  std::cout << "wrote " << opts.out << ": " << typeStr(result.type())
            << " (output " << model.outputNames()[0] << ")\n";
}

} // namespace

Action addPredictCommand(CLI::App &app) {
  auto opts = std::make_shared<PredictOptions>();
  app.add_option("MODEL", opts->model,
                 "Model file (.pb, .pbtxt, .adj or .onnx)")
      ->required();
  app.add_option("-i,--input", opts->inputs,
                 "Input NAME's rows, from FILE.npy (one per input)")
      ->type_name("NAME=FILE")
      ->allow_extra_args(false)
      ->required();
  app.add_option("-o,--output", opts->out, "Write the predictions here (.npy)")
      ->type_name("OUT.npy")
      ->required();
  app.add_option("--batch", opts->batch, "Rows per run")
      ->type_name("B")
      ->check(positiveNumber())
      ->capture_default_str();
  app.footer("Example:\n  adjoint predict trained.pb -i x=images.npy -o "
             "probs.npy");
  return [opts] { runPredict(*opts); };
}

} // namespace adjoint::cli
