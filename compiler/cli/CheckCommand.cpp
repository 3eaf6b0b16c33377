//===- CheckCommand.cpp - `adjoint check`: verify and describe a model ----===//
#include "compiler/cli/CliCommon.h"

#include "compiler/training/Optimizer.h"
#include "ir/Flops.h"
#include "ir/ModelIO.h"
#include "ir/Specialize.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

namespace adjoint::cli {

namespace {

struct CheckOptions {
  std::string model;
};

/// The training spec, with the optimizer's hyper-parameters resolved.
void printTraining(std::ostream &os, const TrainingSpec &t) {
  os << "training:\n  loss: " << t.loss << "\n";
  OptimizerSpec opt = resolveOptimizer(t.optimizer);
  os << "  optimizer: " << optimizerKindName(opt.kind)
     << (t.optimizer ? "" : " (the default)") << ", lr " << opt.lr;
  switch (opt.kind) {
  case OptimizerKind::Sgd:
    break;
  case OptimizerKind::Momentum:
    os << ", momentum " << opt.momentum << (opt.nesterov ? ", nesterov" : "");
    break;
  case OptimizerKind::Adam:
  case OptimizerKind::AdamW:
    os << ", beta1 " << opt.beta1 << ", beta2 " << opt.beta2 << ", epsilon "
       << opt.epsilon;
    break;
  }
  os << ", weight decay " << opt.weightDecay << "\n";
  if (t.batchSize)
    os << "  batch size: " << t.batchSize << "\n";
  if (t.epochs)
    os << "  epochs: " << t.epochs << "\n";
  for (auto [name, value] :
       {std::pair{"features", &t.features}, std::pair{"labels", &t.labels},
        std::pair{"predictions", &t.predictions}})
    if (!value->empty())
      os << "  " << name << ": " << *value << "\n";
}

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
  auto count = [](int64_t flops) {
    std::string out = groupDigits(flops);
    if (flops >= 1000)
      out += " (" + metricCount(flops) + ")";
    return out;
  };
  std::vector<SymbolId> symbols = graphSymbols(g);
  if (symbols.empty()) {
    os << "FLOPs: " << count(graphFlops(g)) << "\n";
  } else if (symbols.size() == 1) {
    // Affine in the symbol: its slope and what is left at 0.
    SymbolId s = symbols[0];
    int64_t at1 = graphFlops(specialize(g, {{s, 1}}));
    int64_t perUnit = graphFlops(specialize(g, {{s, 2}})) - at1;
    os << "FLOPs: ";
    if (at1 != perUnit)
      os << count(at1 - perUnit) << " + ";
    os << count(perUnit) << " per " << symbolName(s) << "\n";
  } else {
    SymbolValues ones;
    for (SymbolId s : symbols)
      ones[s] = 1;
    os << "FLOPs: " << count(graphFlops(specialize(g, ones))) << " at "
       << symbolValuesStr(ones) << "\n";
  }
  if (m.training)
    printTraining(os, *m.training);
}

} // namespace

Action addCheckCommand(CLI::App &app) {
  auto opts = std::make_shared<CheckOptions>();
  app.add_option("MODEL", opts->model,
                 "Model file (.pb, .pbtxt, .adj or .onnx)")
      ->required();
  app.footer("Example:\n  adjoint check examples/fashion_mlp.pbtxt");
  return [opts] { runCheck(*opts); };
}

} // namespace adjoint::cli
