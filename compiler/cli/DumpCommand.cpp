//===- DumpCommand.cpp - `adjoint dump`: print a model as text or picture -===//
#include "compiler/cli/CliCommon.h"

#include "compiler/CodeDump.h"
#include "compiler/Graphviz.h"
#include "compiler/StageDump.h"
#include "compiler/passes/Pipeline.h"
#include "compiler/training/Trainer.h"
#include "ir/DotPrinter.h"
#include "ir/Error.h"
#include "ir/FileIO.h"
#include "ir/GraphCopy.h"
#include "ir/ModelIO.h"
#include "ir/Specialize.h"
#include "ir/TextFormat.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

namespace adjoint::cli {

namespace {

constexpr const char *kFormats[] = {"text", "dot",         "svg",
                                    "llvm", "llvm-before", "asm"};

struct DumpOptions {
  std::string model;
  std::string format = kFormats[0];
  std::string out;
  std::string after;
  bool train = false;
  std::string loss;
  bool noOptimize = false, fastMath = false, verifyEach = false;
};

void checkFormat(const std::string &format) {
  std::string accepted;
  for (const char *f : kFormats) {
    if (format == f)
      return;
    accepted += (accepted.empty() ? "" : ", ") + std::string(f);
  }
  badInput("unknown format '", format, "' (accepted: ", accepted, ")");
}

/// `text` to the file `out`, or to standard output when `out` is empty or -.
void emit(const std::string &out, const std::string &text) {
  if (out.empty() || out == "-") {
    std::cout << text;
    return;
  }
  writeFileAtomically(out, text);
}

/// Checks the combination of --after, --format and -o before anything is
/// loaded or compiled.
void checkRequest(const DumpOptions &opts) {
  checkFormat(opts.format);
  if (opts.after == "all") {
    if (opts.out.empty() || opts.out == "-")
      badInput("--after all writes a directory: name it with -o DIR");
    if (opts.format != "text")
      badInput("--after all writes every format itself; leave --format out");
    checkWritableDirectory(opts.out, "-o");
    return;
  }
  if (opts.after == "memory-plan" && opts.format != "text")
    badInput("--after memory-plan prints the memory plan as text only; "
             "leave --format out (not ",
             opts.format, ")");
  if (!opts.after.empty() && opts.format != "text" && opts.format != "dot" &&
      opts.format != "svg")
    badInput("--after prints the graph after a pass as text, dot or svg; "
             "for --format ",
             opts.format, " leave --after out");
  if (!opts.out.empty() && opts.out != "-")
    checkWritableFile(opts.out, "-o");
}

/// `--after PASS`: one stage of the pipeline, in the chosen format.
std::string stageText(const DumpOptions &opts, const CompileDump &dump) {
  if (opts.after == "memory-plan")
    return dump.memoryPlan;
  for (const StageText &stage : dump.stages)
    if (stage.pass == opts.after) {
      if (opts.format == "dot")
        return stage.dot;
      if (opts.format == "svg")
        return renderSvg(stage.dot);
      return stage.ir;
    }
  std::string known = "all, memory-plan";
  for (const std::string &pass : pipelinePassNames())
    known += ", " + pass;
  for (const std::string &pass : pipelinePassNames())
    if (pass == opts.after)
      badInput("pass '", opts.after,
               "' did not run (--no-optimize skips "
               "the simplification passes and fusion)");
  badInput("unknown pass '", opts.after, "' for --after (accepted: ", known,
           ")");
}

void runDump(const DumpOptions &opts) {
  checkRequest(opts);
  Model m = loadModel(opts.model);
  // The stages after the input, the training step and the code need a
  // bound batch: a symbolic one takes the spec's.
  bool compiles =
      opts.train || !opts.after.empty() ||
      (opts.format != "text" && opts.format != "dot" && opts.format != "svg");
  if (compiles)
    m = atSpecBatch(std::move(m), opts.model);
  // The code of a symbolic graph serves every batch; the graph after each
  // pass is the graph at one batch, which must be given.
  if (!opts.after.empty())
    requireStatic(m.graph, "the graph after a pass");
  CompileOptions compileOptions;
  compileOptions.simplify = compileOptions.fuse = !opts.noOptimize;
  compileOptions.fastMath = opts.fastMath;
  compileOptions.verifyEach = opts.verifyEach;
  // With --train: the training step (forward, loss, backward, update).
  std::unique_ptr<Trainer> trainer;
  if (opts.train) {
    if (!m.training && opts.loss.empty())
      badInput(opts.model, ": no training spec names a loss; pass --loss");
    TrainerOptions trainerOptions;
    trainerOptions.loss = opts.loss;
    trainerOptions.compile = false; // the graph is compiled below
    trainer = std::make_unique<Trainer>(m, trainerOptions);
    compileOptions.inPlace = trainer->contract().inPlace;
  } else if (!opts.loss.empty()) {
    badInput("--loss goes with --train");
  }
  const Graph &g = trainer ? trainer->stepGraph() : m.graph;

  if (opts.after == "all") {
    CompileDump dump = dumpCompilation(g, compileOptions);
    writeCompileDump(opts.out, g.name(), dump);
    std::cout << "wrote " << dump.stages.size() << " stages, the memory "
              << "plan and the code of " << dump.code.kernelsBefore.size()
              << " functions to " << opts.out << "\n";
    return;
  }
  if (!opts.after.empty()) {
    emit(opts.out, stageText(opts, dumpCompilation(g, compileOptions)));
    return;
  }
  std::string text;
  if (opts.format == "text")
    text =
        trainer ? printModel(Model{copyGraph(g), std::nullopt}) : printModel(m);
  else if (opts.format == "dot")
    text = printDot(g);
  else if (opts.format == "svg")
    text = renderSvg(printDot(g));
  else if (opts.format == "llvm")
    text = dumpCode(g, compileOptions).llvmAfter;
  else if (opts.format == "llvm-before")
    text = dumpCode(g, compileOptions).llvmBefore;
  else
    text = dumpCode(g, compileOptions).assembly;
  emit(opts.out, text);
}

} // namespace

Action addDumpCommand(CLI::App &app) {
  auto opts = std::make_shared<DumpOptions>();
  app.add_option("MODEL", opts->model,
                 "Model file (.pb, .pbtxt, .adj or .onnx)")
      ->required();
  app.add_option("-f,--format", opts->format,
                 "What to print: text (the text IR), dot (Graphviz DOT), "
                 "svg (the DOT drawn by graphviz's 'dot'), llvm (the JIT's "
                 "LLVM IR after optimization), llvm-before (before it) or "
                 "asm (the host assembly)")
      ->type_name("FORMAT")
      ->capture_default_str();
  app.add_option("-o,--output", opts->out,
                 "File to write (replaced atomically); standard output "
                 "without it. With --after all: the directory to fill")
      ->type_name("FILE|DIR");
  app.add_option(
         "--after", opts->after,
         "Show the graph after a pass of the optimizing pipeline "
         "(input, fold-constants, simplify-algebra, cse, dce, "
         "scan-bodies, fusion, or memory-plan); 'all' writes every stage, the "
         "memory plan, each kernel's LLVM IR and the assembly to "
         "the directory -o names")
      ->type_name("PASS|all");
  app.add_flag("--train", opts->train,
               "Dump the training step (forward, loss, backward and the "
               "optimizer update of the model's training spec) instead of "
               "the model");
  app.add_option("--loss", opts->loss,
                 "With --train: the loss output (default: the spec's)")
      ->type_name("NAME");
  app.add_flag("--no-optimize", opts->noOptimize,
               "Skip simplification and fusion: one kernel per node");
  app.add_flag("--fast-math", opts->fastMath,
               "Allow simplifications that change NaN, infinity or "
               "signed-zero results or rounding");
  app.add_flag("--verify-each", opts->verifyEach,
               "Run the verifier after every pass");
  app.footer("Examples:\n"
             "  adjoint dump model.pbtxt                      # text IR\n"
             "  adjoint dump model.pbtxt --format svg -o model.svg\n"
             "  adjoint dump model.pbtxt --after fusion       # kernels\n"
             "  adjoint dump model.pbtxt --after all -o stages/\n"
             "  adjoint dump model.pbtxt --train --after all -o step/");
  return [opts] { runDump(*opts); };
}

} // namespace adjoint::cli
