//===- Pipeline.h - The optimizing pipeline from graph to kernels ---------===//
//
// The passes that run between a verified graph and code generation, in
// order: simplification (constant folding, algebraic rules, common
// subexpressions, dead code), fusion, and memory planning. The same pipeline
// runs for inference graphs and training steps.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "compiler/passes/FusionPlan.h"
#include "compiler/passes/MemoryPlan.h"
#include "ir/Graph.h"

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace adjoint {

struct PipelineOptions {
  /// Run the verifier after every pass (always on in debug builds).
  bool verifyEach = false;
  /// Run the simplification passes.
  bool simplify = true;
  /// Fuse nodes into kernels; otherwise one kernel per node.
  bool fuse = true;
  /// Allow rules that change the results of NaN, infinities or signed zeros
  /// or the rounding of results (x*0 -> 0, reassociation).
  bool fastMath = false;
  /// Parameters keep the values they have now (the JIT's): transposes of
  /// them are done once, by fold-constants (TransposeParameters.h).
  bool fixedParameters = false;
  /// Buffer donation, as CompileOptions::inPlace: (output name, input name)
  /// pairs whose output is written over the input. Checked after
  /// simplification; fusion keeps each pair valid.
  std::vector<std::pair<std::string, std::string>> inPlace;
  /// Called after each pass with its name and the graph; `fusion` is set
  /// once fusion has run.
  std::function<void(std::string_view pass, const Graph &g,
                     const FusionPlan *fusion)>
      afterPass;
};

/// A graph ready for code generation.
struct PipelineResult {
  Graph graph;
  /// The resolved PipelineOptions::inPlace: (node result, input) of `graph`.
  std::vector<std::pair<const Value *, const Value *>> inPlace;
  FusionPlan fusion;
  MemoryPlan memory;
};

/// The names of the passes, in the order they run.
const std::vector<std::string> &pipelinePassNames();

/// Runs the pipeline on a copy of `g`. Graph outputs computed by nodes get
/// no arena space: each is written over an input (an in-place update) or
/// straight into the caller's tensor.
PipelineResult runPipeline(const Graph &g, const PipelineOptions &options);

} // namespace adjoint
