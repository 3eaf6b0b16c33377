//===- StageDump.h - Every stage of a compilation, written to a directory -===//
//
// What `adjoint dump --after all -o DIR` and CompileOptions::dumpDir write:
//
//   NN-<pass>.txt   the graph in the text IR after each pass (00-input first);
//                   after fusion, the groups and the rejected fusions follow
//                   as `#` comments
//   NN-<pass>.svg   the graph drawn by graphviz, fusion groups as clusters
//                   (NN-<pass>.dot when graphviz is not installed)
//   memory-plan.txt every buffer's offset, size and live range; arena bytes
//                   against the sum of all intermediates
//   llvm-before.ll, llvm-after.ll   the module before and after optimization
//   kernels/<kernel>.before.ll, kernels/<kernel>.after.ll   each kernel
//   <graph>.s       the host assembly
//
//===----------------------------------------------------------------------===//
#pragma once

#include "compiler/CodeDump.h"

#include <string>
#include <string_view>
#include <vector>

namespace adjoint {

class Graph;
struct FusionPlan;

/// The graph after one pass.
struct StageText {
  std::string pass;
  std::string ir;  ///< text IR, with the fusion plan as comments
  std::string dot; ///< DOT, fusion groups as clusters
};

/// Everything a compilation shows.
struct CompileDump {
  std::vector<StageText> stages;
  std::string memoryPlan;
  CodeDump code;
};

struct CompileOptions;

/// Runs the pipeline and code generation on `g` as compile() does with
/// `options` (without the JIT) and returns every stage.
CompileDump dumpCompilation(const Graph &g, const CompileOptions &options);

/// The stage of `g` after `pass`; `fusion` when fusion has run.
StageText captureStage(std::string_view pass, const Graph &g,
                       const FusionPlan *fusion);

/// Writes `dump` into `dir` (created if missing) as the banner lists;
/// `graphName` names the assembly file.
void writeCompileDump(const std::string &dir, const std::string &graphName,
                      const CompileDump &dump);

} // namespace adjoint
