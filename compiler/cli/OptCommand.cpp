//===- OptCommand.cpp - `adjoint opt`: run simplification passes ----------===//
#include "compiler/cli/CliCommon.h"

#include "compiler/passes/EliminateCommonSubexpressions.h"
#include "compiler/passes/EliminateDeadCode.h"
#include "compiler/passes/FoldConstants.h"
#include "compiler/passes/ScanBodies.h"
#include "compiler/passes/SimplifyAlgebra.h"
#include "ir/Error.h"
#include "ir/FileIO.h"
#include "ir/ModelIO.h"
#include "ir/TextFormat.h"
#include "ir/Verifier.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

namespace adjoint::cli {

namespace {

struct OptOptions {
  std::string model, out;
  std::vector<std::string> passes = {"fold", "algebra", "cse", "dce", "scan"};
  bool fastMath = false;
};

/// The scan-bodies pass: fold, algebra, cse, dce and this pass inside each
/// scan's body, and the invariant work hoisted out.
void simplifyScans(Graph &g, bool fastMath) {
  simplifyScanBodies(g, [fastMath](Graph &body) {
    foldConstants(body);
    simplifyAlgebra(body, fastMath);
    eliminateCommonSubexpressions(body);
    eliminateDeadCode(body);
    simplifyScans(body, fastMath);
  });
}

/// A pass the command can run, by the name it is given on the command line.
struct NamedPass {
  const char *name;
  void (*run)(Graph &g, bool fastMath);
};

constexpr NamedPass kPasses[] = {
    {"fold", [](Graph &g, bool) { foldConstants(g); }},
    {"algebra", [](Graph &g, bool fastMath) { simplifyAlgebra(g, fastMath); }},
    {"cse", [](Graph &g, bool) { eliminateCommonSubexpressions(g); }},
    {"dce", [](Graph &g, bool) { eliminateDeadCode(g); }},
    {"scan", [](Graph &g, bool fastMath) { simplifyScans(g, fastMath); }},
};

const NamedPass &findPass(const std::string &name) {
  std::string accepted;
  for (const NamedPass &p : kPasses) {
    if (name == p.name)
      return p;
    accepted += (accepted.empty() ? "" : ", ") + std::string(p.name);
  }
  badInput("unknown pass '", name, "' (accepted: ", accepted, ")");
}

void runOpt(const OptOptions &opts) {
  // Every name is checked before the (possibly long) load.
  std::vector<const NamedPass *> passes;
  for (const std::string &name : opts.passes)
    passes.push_back(&findPass(name));
  if (!opts.out.empty() && opts.out != "-")
    checkWritableFile(opts.out, "-o");
  Model m = loadModel(opts.model);
  for (const NamedPass *p : passes) {
    p->run(m.graph, opts.fastMath);
    // A pass that breaks the graph is a bug of Adjoint, not of the model.
    try {
      verify(m.graph);
    } catch (const Error &e) {
      internalError("pass '", p->name,
                    "' left a graph that does not verify: ", e.what());
    }
  }
  std::string text = printModel(m);
  if (opts.out.empty() || opts.out == "-") {
    std::cout << text;
    return;
  }
  writeFileAtomically(opts.out, text);
}

} // namespace

Action addOptCommand(CLI::App &app) {
  auto opts = std::make_shared<OptOptions>();
  app.add_option("MODEL", opts->model,
                 "Model file (.pb, .pbtxt, .adj or .onnx)")
      ->required();
  app.add_option("--passes", opts->passes,
                 "Passes to run, in order, comma separated or repeated: fold "
                 "(constant folding), algebra (algebraic rules), cse (common "
                 "subexpressions), dce (dead code), scan (the others inside "
                 "scan bodies, and loop-invariant work hoisted out)")
      ->type_name("PASS")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->capture_default_str();
  app.add_flag("--fast-math", opts->fastMath,
               "Also apply the algebraic rules that change results for NaN, "
               "infinities or signed zeros, or their rounding");
  app.add_option("-o,--output", opts->out,
                 "File to write the text IR to (replaced atomically); "
                 "standard output without it")
      ->type_name("FILE");
  app.footer("Examples:\n"
             "  adjoint opt model.pbtxt                    # every pass\n"
             "  adjoint opt model.adj --passes cse,dce -o out.adj");
  return [opts] { runOpt(*opts); };
}

} // namespace adjoint::cli
