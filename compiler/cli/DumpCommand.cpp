//===- DumpCommand.cpp - `adjoint dump`: print a model as text or picture -===//
#include "compiler/cli/CliCommon.h"

#include "compiler/CodeDump.h"
#include "compiler/Graphviz.h"
#include "ir/DotPrinter.h"
#include "ir/Error.h"
#include "ir/FileIO.h"
#include "ir/ModelIO.h"
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

void runDump(const DumpOptions &opts) {
  checkFormat(opts.format);
  Model m = loadModel(opts.model);
  std::string text;
  if (opts.format == "text")
    text = printModel(m);
  else if (opts.format == "dot")
    text = printDot(m.graph);
  else if (opts.format == "svg")
    text = renderSvg(printDot(m.graph));
  else if (opts.format == "llvm")
    text = dumpCode(m.graph).llvmAfter;
  else if (opts.format == "llvm-before")
    text = dumpCode(m.graph).llvmBefore;
  else
    text = dumpCode(m.graph).assembly;

  if (opts.out.empty() || opts.out == "-") {
    std::cout << text;
    return;
  }
  writeFileAtomically(opts.out, text);
}

} // namespace

Action addDumpCommand(CLI::App &app) {
  auto opts = std::make_shared<DumpOptions>();
  app.add_option("MODEL", opts->model, "Model file (.pb, .pbtxt or .adj)")
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
                 "without it")
      ->type_name("FILE");
  app.footer("Examples:\n"
             "  adjoint dump model.pbtxt                      # text IR\n"
             "  adjoint dump model.pbtxt --format svg -o model.svg");
  return [opts] { runDump(*opts); };
}

} // namespace adjoint::cli
