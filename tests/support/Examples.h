//===- Examples.h - The example models, bound at their training batch -----===//
//
// The examples declare a symbolic batch N; tests that need static shapes
// (the interpreter's reference runs, the pipeline, memory plans, the AOT
// drivers' fixed buffers) take them at their training spec's batch size.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/ModelIO.h"
#include "ir/Specialize.h"

#include <string>

namespace adjoint::testing {

/// The model in `path`, its symbolic batch bound at the training spec's
/// batch size (a static model as it is).
inline Model loadExampleAtSpecBatch(const std::string &path) {
  Model m = loadModel(path);
  std::vector<SymbolId> symbols = graphSymbols(m.graph);
  if (symbols.size() != 1 || !m.training || m.training->batchSize <= 0)
    return m;
  return Model{specialize(m.graph, {{symbols[0], m.training->batchSize}}),
               m.training};
}

/// Writes the example in `path` bound at its training batch to `out`: a
/// static model, for the tests of re-batching a static batch.
inline std::string writeStaticExample(const std::string &path,
                                      const std::string &out) {
  saveModel(loadExampleAtSpecBatch(path), out);
  return out;
}

} // namespace adjoint::testing
