//===- ImportCommand.cpp - `adjoint import`: read an ONNX model -----------===//
#include "compiler/cli/CliCommon.h"

#include "compiler/onnx/OnnxImporter.h"
#include "ir/Error.h"
#include "ir/ModelIO.h"

#include <CLI/CLI.hpp>

#include <charconv>
#include <cstdio>
#include <memory>

namespace adjoint::cli {

namespace {

struct ImportOptions {
  std::string in, out;
  std::vector<std::string> shapes;
};

/// NAME=1x3x224x224 (an empty shape after `=` is a scalar).
std::pair<std::string, Shape> parseInputShape(const std::string &spec) {
  size_t eq = spec.rfind('=');
  if (eq == std::string::npos || eq == 0)
    badInput("--input-shape '", spec,
             "': expected NAME=DIMS as in x=1x3x224x224");
  Shape shape;
  std::string dims = spec.substr(eq + 1);
  for (size_t start = 0; start < dims.size();) {
    size_t end = dims.find('x', start);
    if (end == std::string::npos)
      end = dims.size();
    int64_t d = -1;
    auto [ptr, ec] = std::from_chars(dims.data() + start, dims.data() + end, d);
    if (ec != std::errc() || ptr != dims.data() + end || d < 0)
      badInput("--input-shape '", spec, "': '", dims.substr(start, end - start),
               "' is not an extent (a whole number >= 0)");
    shape.push_back(d);
    start = end + 1;
    if (end + 1 == dims.size())
      badInput("--input-shape '", spec, "': the dims end in 'x'");
  }
  return {spec.substr(0, eq), shape};
}

void runImport(const ImportOptions &opts) {
  checkModelOutput(opts.out, "-o");
  OnnxImportOptions options;
  options.onNote = [](const std::string &note) {
    std::fprintf(stderr, "adjoint: note: %s\n", note.c_str());
  };
  for (const std::string &s : opts.shapes) {
    auto [name, shape] = parseInputShape(s);
    options.inputShapes[name] = shape;
  }
  Model m = importOnnx(opts.in, options);
  saveModel(m, opts.out);
}

} // namespace

Action addImportCommand(CLI::App &app) {
  auto opts = std::make_shared<ImportOptions>();
  app.add_option("MODEL", opts->in, "ONNX model to read (.onnx)")->required();
  app.add_option("-o,--output", opts->out,
                 "Model file to write; its extension (.pb, .pbtxt or .adj) "
                 "chooses the format")
      ->type_name("FILE")
      ->required();
  app.add_option("--input-shape", opts->shapes,
                 "Fix the shape of a graph input, its symbolic dimensions "
                 "included (they are 1 otherwise); repeatable")
      ->type_name("NAME=DxDx...");
  app.footer("Examples:\n"
             "  adjoint import resnet.onnx -o resnet.pb\n"
             "  adjoint import mlp.onnx -o mlp.pbtxt --input-shape x=32x784");
  return [opts] { runImport(*opts); };
}

} // namespace adjoint::cli
