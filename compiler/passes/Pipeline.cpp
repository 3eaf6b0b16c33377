//===- Pipeline.cpp - The optimizing pipeline from graph to kernels -------===//
#include "compiler/passes/Pipeline.h"

#include "compiler/passes/EliminateCommonSubexpressions.h"
#include "compiler/passes/EliminateDeadCode.h"
#include "compiler/passes/FoldConstants.h"
#include "compiler/passes/Fusion.h"
#include "compiler/passes/ScanBodies.h"
#include "compiler/passes/SimplifyAlgebra.h"
#include "compiler/passes/TransposeParameters.h"
#include "ir/ChannelsLast.h"
#include "ir/Error.h"
#include "ir/GraphCopy.h"
#include "ir/Specialize.h"
#include "ir/Verifier.h"

#include <algorithm>
#include <map>
#include <set>

namespace adjoint {

namespace {

#ifdef NDEBUG
constexpr bool kDebugBuild = false;
#else
constexpr bool kDebugBuild = true;
#endif

void simplifyBodies(Graph &g, const PipelineOptions &options);

/// One graph-to-graph pass of the pipeline.
struct PassEntry {
  const char *name;
  void (*run)(Graph &g, const PipelineOptions &options);
};

/// The simplification passes, in order. Each leaves a verified graph with
/// the same inputs, parameters (transposed parameters may be added, with
/// fixed parameters) and outputs.
const PassEntry kSimplifications[] = {
    // Nodes whose operands are all constants become constants; with fixed
    // parameters, transposes of parameters become parameters.
    {"fold-constants",
     [](Graph &g, const PipelineOptions &o) {
       if (o.fixedParameters)
         transposeParameters(g);
       foldConstants(g);
     }},
    // Exact algebraic rules: x*1, neg(neg(x)), transpose pairs, ...
    {"simplify-algebra",
     [](Graph &g, const PipelineOptions &o) {
       simplifyAlgebra(g, o.fastMath);
     }},
    // One node for each repeated computation.
    {"cse", [](Graph &g,
               const PipelineOptions &) { eliminateCommonSubexpressions(g); }},
    // Nodes no output depends on.
    {"dce", [](Graph &g, const PipelineOptions &) { eliminateDeadCode(g); }},
    // The passes above inside every scan's body, and the work that does not
    // change from step to step hoisted out of the loop.
    {"scan-bodies",
     [](Graph &g, const PipelineOptions &o) { simplifyBodies(g, o); }},
};

/// Runs the simplification passes on every scan body of `g`.
void simplifyBodies(Graph &g, const PipelineOptions &options) {
  simplifyScanBodies(g, [&](Graph &body) {
    PipelineOptions inner = options;
    inner.fixedParameters = false; // a body has no parameters
    inner.inPlace.clear();
    inner.afterPass = nullptr;
    for (const PassEntry &pass : kSimplifications) {
      pass.run(body, inner);
      if (inner.verifyEach || kDebugBuild)
        withContext(
            strCat("scan body ", body.name(), " after pass ", pass.name),
            [&] { verify(body); });
    }
  });
}

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

/// Resolves and checks PipelineOptions::inPlace: (node result, input).
InPlacePairs
resolveInPlace(const Graph &g,
               const std::vector<std::pair<std::string, std::string>> &pairs) {
  InPlacePairs resolved;
  std::set<const Value *> results;
  std::map<const Value *, size_t> position; // node index of each result
  for (size_t i = 0; i < g.nodes().size(); ++i)
    position[g.nodes()[i]->result()] = i;
  std::set<const Value *> donors;
  for (const auto &[outName, inName] : pairs) {
    std::string what =
        "in-place output '" + outName + "' over input %" + inName;
    const Value *out = nullptr;
    for (const Output &o : g.outputs())
      if (o.name == outName)
        out = o.value;
    const Value *in = g.findValue(inName);
    if (!out)
      badInput(what, ": no output is named '", outName, "'");
    if (!in || in->kind() != ValueKind::Input)
      badInput(what, ": the graph has no input %", inName);
    const Node *def = out->definingNode();
    if (!def || def->op() == OpKind::Constant)
      badInput(what, ": the output must be computed by a node");
    if (out->type() != in->type())
      badInput(what, ": types differ (", typeStr(out->type()), " and ",
               typeStr(in->type()), ")");
    if (!donors.insert(in).second || !results.insert(out).second)
      badInput(what, ": the input or the output is already in place");
    size_t at = position.at(out);
    for (size_t i = 0; i < g.nodes().size(); ++i) {
      const Node &n = *g.nodes()[i];
      bool reads = std::find(n.operands().begin(), n.operands().end(), in) !=
                   n.operands().end();
      if (!reads)
        continue;
      if (i > at)
        badInput(what, ": ", n.describe(), " reads the input after ",
                 def->describe(), " overwrites it");
      if (i == at && !(opDef(n.op()).has(Elementwise) &&
                       std::all_of(n.operands().begin(), n.operands().end(),
                                   [&](const Value *v) {
                                     return v != in || v->type().shape ==
                                                           out->type().shape;
                                   })))
        badInput(what, ": ", def->describe(),
                 " reads the input other than element by element");
    }
    for (const Output &o : g.outputs())
      if (o.value == in)
        badInput(what, ": the input is also output '", o.name, "'");
    resolved.push_back({out, in});
  }
  return resolved;
}

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
  requireStatic(g, "the optimizing pipeline");
  // Channels-last convolutions and pools become NCHW ops between
  // transposes: the passes and kernels know one layout.
  PipelineResult r{
      hasChannelsLast(g) ? lowerChannelsLast(g) : copyGraph(g), {}, {}, {}};
  bool verifyEach = options.verifyEach || kDebugBuild;
  auto after = [&](std::string_view pass, const FusionPlan *fusion) {
    if (verifyEach)
      withContext("after pass " + std::string(pass), [&] { verify(r.graph); });
    if (options.afterPass)
      options.afterPass(pass, r.graph, fusion);
  };
  after("input", nullptr);
  if (options.simplify)
    for (const PassEntry &pass : kSimplifications) {
      pass.run(r.graph, options);
      after(pass.name, nullptr);
    }

  if (options.fuse)
    splitSharedViews(r.graph);
  r.inPlace = resolveInPlace(r.graph, options.inPlace);
  r.fusion =
      options.fuse ? fuseGraph(r.graph, r.inPlace) : unfusedPlan(r.graph);
  checkPlan(r.graph, r.fusion);
  after("fusion", &r.fusion);

  r.memory = planMemory(r.graph, r.fusion, outputsOutsideArena(r.graph));
  checkMemoryPlan(r.graph, r.fusion, r.memory);
  return r;
}

} // namespace adjoint
