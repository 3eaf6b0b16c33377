//===- GradCommand.cpp - `adjoint grad`: write a model's gradient graph ---===//
#include "compiler/cli/CliCommon.h"

#include "compiler/autodiff/Grad.h"
#include "ir/Error.h"
#include "ir/ModelIO.h"

#include <CLI/CLI.hpp>

#include <memory>

namespace adjoint::cli {

namespace {

struct GradOptions {
  std::string model, out, loss;
  std::vector<std::string> wrt;
};

void runGrad(const GradOptions &opts) {
  // Check the output's extension before the (possibly long) load.
  checkModelOutput(opts.out, "-o");
  Model m = atSpecBatch(loadModel(opts.model), opts.model);
  std::string loss = opts.loss;
  if (loss.empty()) {
    if (!m.training)
      badInput(opts.model,
               ": the model has no training spec naming its "
               "loss; pass --loss NAME with one of its scalar outputs");
    loss = m.training->loss;
  }
  Model grad{
      withContext(opts.model,
                  [&] { return gradientGraph(m.graph, loss, opts.wrt); }),
      m.training};
  // The gradient model keeps the training spec, now naming the loss it was
  // differentiated for (an output of the new graph); the predictions are
  // no output of it, so the spec no longer names them.
  if (grad.training) {
    grad.training->loss = loss;
    grad.training->predictions.clear();
  }
  saveModel(grad, opts.out);
}

} // namespace

Action addGradCommand(CLI::App &app) {
  auto opts = std::make_shared<GradOptions>();
  app.add_option("MODEL", opts->model,
                 "Model file (.pb, .pbtxt, .adj or .onnx)")
      ->required();
  app.add_option("-o,--output", opts->out,
                 "Model file to write; its extension (.pb, .pbtxt or .adj) "
                 "chooses the format")
      ->type_name("FILE")
      ->required();
  app.add_option("--loss", opts->loss,
                 "The scalar output to differentiate (default: the loss of "
                 "the model's training spec)")
      ->type_name("NAME");
  app.add_option("--wrt", opts->wrt,
                 "Inputs and parameters to differentiate with respect to, "
                 "comma separated or repeated (default: every float "
                 "parameter)")
      ->type_name("NAME")
      ->delimiter(',')
      ->allow_extra_args(false);
  app.footer("The written model's outputs are the loss and grad.<NAME> for "
             "each NAME.\n\n"
             "Examples:\n"
             "  adjoint grad model.pbtxt -o grad.pbtxt\n"
             "  adjoint grad model.pbtxt --loss loss --wrt x -o saliency.adj");
  return [opts] { runGrad(*opts); };
}

} // namespace adjoint::cli
