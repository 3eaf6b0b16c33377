//===- CheckCommand.cpp - `adjoint check`: verify and describe a model ----===//
#include "compiler/cli/CliCommon.h"

#include "ir/Flops.h"
#include "ir/ModelIO.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

namespace adjoint::cli {

namespace {

struct CheckOptions {
  std::string model;
};

void runCheck(const CheckOptions &opts) {
  Model m = loadModel(opts.model);
  const Graph &g = m.graph;
  std::ostream &os = std::cout;

  os << "graph: " << g.name() << "\n";
  os << "inputs: " << g.inputs().size() << "\n";
  for (const Value *in : g.inputs())
    os << "  " << in->name() << ": " << typeStr(in->type()) << "\n";
  os << "outputs: " << g.outputs().size() << "\n";
  for (const Output &out : g.outputs())
    os << "  " << out.name << ": " << typeStr(out.value->type()) << "\n";

  int64_t elements = 0, bytes = 0;
  for (const Param &p : g.params()) {
    elements += p.value->type().numElements();
    bytes += p.value->type().byteSize();
  }
  os << "parameters: " << g.params().size() << " (" << groupDigits(elements)
     << " elements, " << groupDigits(bytes) << " bytes = " << binarySize(bytes)
     << ")\n";
  os << "nodes: " << g.nodes().size() << "\n";
  int64_t flops = graphFlops(g);
  os << "FLOPs: " << groupDigits(flops);
  if (flops >= 1000)
    os << " (" << metricCount(flops) << ")";
  os << "\n";
  if (m.training)
    os << "training loss: " << m.training->loss << "\n";
}

} // namespace

Action addCheckCommand(CLI::App &app) {
  auto opts = std::make_shared<CheckOptions>();
  app.add_option("MODEL", opts->model, "Model file (.pb, .pbtxt or .adj)")
      ->required();
  app.footer("Example:\n  adjoint check examples/fashion_mlp.pbtxt");
  return [opts] { runCheck(*opts); };
}

} // namespace adjoint::cli
