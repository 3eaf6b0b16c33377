//===- Main.cpp - The `adjoint` command -----------------------------------===//
//
// Parses the command line, runs the chosen subcommand and maps what happened
// to the exit status: 0 on success, 1 for a run that failed, 2 for bad usage
// or bad input. Every error is one line on stderr: `adjoint: error: ...`.
//
//===----------------------------------------------------------------------===//
#include "compiler/cli/CliCommon.h"

#include "compiler/onnx/OnnxImporter.h"
#include "ir/Error.h"

#include <CLI/CLI.hpp>

#include <cctype>
#include <iostream>
#include <new>
#include <vector>

using namespace adjoint;

namespace {

constexpr int kExitFailed = 1;
constexpr int kExitBadInput = 2;

/// Prints `message` as one line, starting lowercase as LLVM's messages do.
void printError(std::string message) {
  for (char &c : message)
    if (c == '\n')
      c = ' ';
  while (!message.empty() && message.back() == ' ')
    message.pop_back();
  // CLI11 capitalizes ("A subcommand is required"); keep acronyms and
  // option names in capitals ("MODEL is required").
  if (message.size() > 1 && std::isupper((unsigned char)message[0]) &&
      !std::isupper((unsigned char)message[1]))
    message[0] = (char)std::tolower((unsigned char)message[0]);
  std::cout.flush();
  std::cerr << "adjoint: error: " << message << std::endl;
}

int run(int argc, char **argv) {
  // Every command that reads a model also reads .onnx files.
  registerOnnxLoader();
  CLI::App app("Adjoint: a static computation-graph compiler for deep "
               "learning.",
               "adjoint");
  app.set_version_flag("--version", "adjoint " ADJOINT_VERSION);
  app.require_subcommand(1);
  app.footer("Run 'adjoint SUBCOMMAND --help' for the options of each.");

  std::vector<std::pair<CLI::App *, cli::Action>> commands;
  auto add = [&](const char *name, const char *description,
                 cli::Action (*registerCommand)(CLI::App &)) {
    CLI::App *sub = app.add_subcommand(name, description);
    sub->footer(""); // subcommands would inherit the footer of the app
    commands.emplace_back(sub, registerCommand(*sub));
  };
  add("check", "Load and verify a model; print its signature, size and FLOPs",
      cli::addCheckCommand);
  add("run", "Run a model on inputs from .npy files (or random inputs)",
      cli::addRunCommand);
  add("dump",
      "Print a model, or any stage of its compilation, as text IR, "
      "Graphviz DOT, SVG, LLVM IR or assembly",
      cli::addDumpCommand);
  add("import", "Import an ONNX model into a .pb, .pbtxt or .adj model",
      cli::addImportCommand);
  add("convert", "Convert a model between .pb, .pbtxt and .adj",
      cli::addConvertCommand);
  add("bench", "Time a model's runs: compile time, latency, GFLOP/s",
      cli::addBenchCommand);
  add("grad", "Write a model's gradient graph: the loss and its gradients",
      cli::addGradCommand);
  add("train", "Train a model on Fashion-MNIST or .npy data",
      cli::addTrainCommand);
  add("evaluate",
      "Loss and accuracy of a model over a whole data split, at any batch",
      cli::addEvaluateCommand);
  add("predict", "A model's predictions for every row of .npy arrays",
      cli::addPredictCommand);
  add("summary", "Print a model as Keras's summary table",
      cli::addSummaryCommand);
  add("compile",
      "Compile a model ahead of time to an object, archive or shared "
      "library with a C/C++ header",
      cli::addCompileCommand);
  add("opt", "Run simplification passes on a model; print the text IR",
      cli::addOptCommand);

  // CLI11 would call an unknown subcommand a missing one.
  if (argc > 1 && argv[1][0] != '-') {
    std::string accepted;
    bool known = false;
    for (auto &[sub, action] : commands) {
      known = known || sub->get_name() == argv[1];
      accepted += (accepted.empty() ? "" : ", ") + sub->get_name();
    }
    if (!known) {
      printError(strCat("unknown subcommand '", argv[1],
                        "' (accepted: ", accepted, ")"));
      return kExitBadInput;
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    // --help and --version "fail" with status 0 and print to stdout.
    if (e.get_exit_code() == 0)
      return app.exit(e);
    printError(e.what());
    return kExitBadInput;
  }

  for (auto &[sub, action] : commands)
    if (sub->parsed()) {
      try {
        action();
      } catch (const cli::ExitStatus &e) {
        std::cout.flush();
        return e.status;
      }
      // A full disk or a closed pipe must not pass for success.
      std::cout.flush();
      if (!std::cout)
        failed("cannot write to standard output");
      return 0;
    }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  try {
    return run(argc, argv);
  } catch (const Error &e) {
    printError(e.what());
    return e.kind() == ErrorKind::BadInput ? kExitBadInput : kExitFailed;
  } catch (const std::bad_alloc &) {
    printError("out of memory (the model or its inputs are too large for "
               "this machine)");
    return kExitFailed;
  } catch (const std::exception &e) {
    printError(std::string("unexpected error: ") + e.what());
    return kExitFailed;
  } catch (...) {
    printError("unexpected error of unknown kind");
    return kExitFailed;
  }
}
