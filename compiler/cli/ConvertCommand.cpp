//===- ConvertCommand.cpp - `adjoint convert`: change a model's format ----===//
#include "compiler/cli/CliCommon.h"

#include "ir/ModelIO.h"

#include <CLI/CLI.hpp>

#include <memory>

namespace adjoint::cli {

namespace {

struct ConvertOptions {
  std::string in, out;
  bool materialize = false;
};

void runConvert(const ConvertOptions &opts) {
  // Check the output's extension before the (possibly long) load.
  checkModelOutput(opts.out, "-o");
  Model m = loadModel(opts.in);
  // A parameter without a recipe is written as its literal data, which
  // tools that do not know Adjoint's initializers can read.
  if (opts.materialize)
    for (Param &p : m.graph.params())
      p.init.reset();
  saveModel(m, opts.out);
}

} // namespace

Action addConvertCommand(CLI::App &app) {
  auto opts = std::make_shared<ConvertOptions>();
  app.add_option("IN", opts->in,
                 "Model file to read (.pb, .pbtxt, .adj or .onnx)")
      ->required();
  app.add_option("-o,--output", opts->out,
                 "Model file to write; its extension (.pb, .pbtxt or .adj) "
                 "chooses the format")
      ->type_name("FILE")
      ->required();
  app.add_flag("--materialize", opts->materialize,
               "Write every parameter as literal data instead of its "
               "initializer recipe");
  app.footer("Examples:\n"
             "  adjoint convert model.pbtxt -o model.pb\n"
             "  adjoint convert model.pb -o literal.pbtxt --materialize");
  return [opts] { runConvert(*opts); };
}

} // namespace adjoint::cli
