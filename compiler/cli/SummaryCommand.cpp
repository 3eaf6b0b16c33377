//===- SummaryCommand.cpp - `adjoint summary`: Keras's table of a model ---===//
//
// Any model file, as Keras's model.summary() prints it: its weights grouped
// into layers by name (dense_1_kernel and dense_1_bias are layer dense_1,
// fc1.weight is fc1), each with its output shape and parameter count, and
// the totals (keras/Summary.cpp).
//
//===----------------------------------------------------------------------===//
#include "compiler/cli/CliCommon.h"

#include "adjoint/keras.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

namespace adjoint::cli {

Action addSummaryCommand(CLI::App &app) {
  auto model = std::make_shared<std::string>();
  app.add_option("MODEL", *model, "Model file (.pb, .pbtxt, .adj or .onnx)")
      ->required();
  app.footer("Example:\n  adjoint summary examples/tf_cnn.pbtxt");
  return [model] { std::cout << keras::loadModel(*model).summaryText(); };
}

} // namespace adjoint::cli
