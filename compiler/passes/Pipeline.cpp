//===- Pipeline.cpp - The optimizing pipeline from graph to kernels -------===//
#include "compiler/passes/Pipeline.h"

#include "compiler/passes/EliminateCommonSubexpressions.h"
#include "compiler/passes/EliminateDeadCode.h"
#include "compiler/passes/FoldConstants.h"
#include "compiler/passes/SimplifyAlgebra.h"
#include "ir/Error.h"
#include "ir/GraphCopy.h"
#include "ir/Verifier.h"

#include <algorithm>

namespace adjoint {

namespace {

/// One graph-to-graph pass of the pipeline.
struct PassEntry {
  const char *name;
  void (*run)(Graph &g, const PipelineOptions &options);
};

/// The simplification passes, in order. Each leaves a verified graph with
/// the same inputs, parameters and outputs.
const PassEntry kSimplifications[] = {
    // Nodes whose operands are all constants become constants.
    {"fold-constants", [](Graph &g, const PipelineOptions &) { foldConstants(g); }},
    // Exact algebraic rules: x*1, neg(neg(x)), transpose pairs, ...
    {"simplify-algebra",
     [](Graph &g, const PipelineOptions &o) { simplifyAlgebra(g, o.fastMath); }},
    // One node for each repeated computation.
    {"cse", [](Graph &g, const PipelineOptions &) {
       eliminateCommonSubexpressions(g);
     }},
    // Nodes no output depends on.
    {"dce", [](Graph &g, const PipelineOptions &) { eliminateDeadCode(g); }},
};

/// The graph outputs computed by nodes, each once.
std::vector<const Value *> outputsOutsideArena(const Graph &g) {
  std::vector<const Value *> values;
  for (const Output &o : g.outputs())
    if (const Node *def = o.value->definingNode();
        def && def->op() != OpKind::Constant &&
        std::find(values.begin(), values.end(), o.value) == values.end())
      values.push_back(o.value);
  return values;
}

#ifdef NDEBUG
constexpr bool kDebugBuild = false;
#else
constexpr bool kDebugBuild = true;
#endif

} // namespace

const std::vector<std::string> &pipelinePassNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n = {"input"};
    for (const PassEntry &pass : kSimplifications)
      n.push_back(pass.name);
    n.push_back("fusion");
    return n;
  }();
  return names;
}

PipelineResult runPipeline(const Graph &g, const PipelineOptions &options) {
  PipelineResult r{copyGraph(g), {}, {}};
  bool verifyEach = options.verifyEach || kDebugBuild;
  auto after = [&](std::string_view pass, const FusionPlan *fusion) {
    if (verifyEach)
      withContext("after pass " + std::string(pass),
                  [&] { verify(r.graph); });
    if (options.afterPass)
      options.afterPass(pass, r.graph, fusion);
  };
  after("input", nullptr);
  if (options.optimize)
    for (const PassEntry &pass : kSimplifications) {
      pass.run(r.graph, options);
      after(pass.name, nullptr);
    }

  r.fusion = unfusedPlan(r.graph);
  checkPlan(r.graph, r.fusion);
  after("fusion", &r.fusion);

  r.memory = planMemory(r.graph, r.fusion, outputsOutsideArena(r.graph));
  checkMemoryPlan(r.graph, r.fusion, r.memory);
  return r;
}

} // namespace adjoint
