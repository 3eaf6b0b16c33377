//===- CliCommon.h - Shared pieces of the `adjoint` subcommands -*- C++ -*-===//
//
// Each subcommand lives in its own file and is registered by one function
// that declares its options on a CLI11 subcommand and returns the action to
// run once the command line has been parsed. Actions report problems by
// throwing adjoint::Error; Main.cpp turns them into exit statuses.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Model.h"

#include <cstdint>
#include <functional>
#include <string>

namespace CLI {
class App;
class Validator;
} // namespace CLI

namespace adjoint::cli {

/// What a subcommand does once its options are parsed.
using Action = std::function<void()>;

/// Thrown by an action that ends with an exit status of its own once its
/// work is saved (130 after Ctrl-C, as shells report SIGINT); Main.cpp
/// returns `status`.
struct ExitStatus {
  int status;
};

/// Option checks with plain messages ("must be a positive number, not 0"),
/// in place of CLI11's range checks, which print the largest double.
CLI::Validator positiveNumber();
CLI::Validator nonNegativeNumber();

/// `adjoint check MODEL`.
Action addCheckCommand(CLI::App &app);
/// `adjoint run MODEL [-i NAME=FILE.npy]... [-o DIR] [--engine E] [--seed N]`.
Action addRunCommand(CLI::App &app);
/// `adjoint dump MODEL [--format text|dot|svg] [-o FILE]`.
Action addDumpCommand(CLI::App &app);
/// `adjoint convert IN -o OUT [--materialize]`.
Action addConvertCommand(CLI::App &app);
/// `adjoint import MODEL.onnx -o OUT [--input-shape NAME=DIMS]...`.
Action addImportCommand(CLI::App &app);
/// `adjoint grad MODEL [--loss NAME] [--wrt NAME,...] -o OUT`.
Action addGradCommand(CLI::App &app);

/// `adjoint opt MODEL [--passes PASS,...] [--fast-math] [-o OUT]`.
Action addOptCommand(CLI::App &app);

/// The engines `run` and `bench` accept; the first is the default.
inline constexpr const char *kEngines[] = {"jit", "interp"};
/// Throws BadInput unless `engine` is one of kEngines.
void checkEngine(const std::string &engine);

/// `bench MODEL [-i NAME=FILE.npy]... [--threads N] [--warmup W] [--iters K]`.
Action addBenchCommand(CLI::App &app);

/// `train MODEL --data DATA [--epochs N] [--optimizer ...] [-o TRAINED]`.
Action addTrainCommand(CLI::App &app);

/// `compile MODEL -o OUT.o|OUT.a|OUT.so --header OUT.h [--train] ...`.
Action addCompileCommand(CLI::App &app);
/// `evaluate MODEL [--data DATA] [--split test|train] [--batch B]`.
Action addEvaluateCommand(CLI::App &app);
/// `predict MODEL -i NAME=FILE.npy... -o OUT.npy [--batch B]`.
Action addPredictCommand(CLI::App &app);
/// `summary MODEL`: Keras's table.
Action addSummaryCommand(CLI::App &app);

/// `m`, or for a model with a symbolic batch and a training spec's batch
/// size, `m` at that batch: the stages that need a bound batch (the
/// gradient graph, a training step, the graph after a pass) take the
/// spec's. `file` names the model in errors.
Model atSpecBatch(Model m, const std::string &file);

/// `n` with thousands separators: 24,700,000.
std::string groupDigits(int64_t n);

/// `n` to three significant digits with a metric suffix: "24.7 M", "512",
/// "1.2 G" (K, M, G, T, P, E).
std::string metricCount(int64_t n);

/// `bytes` in binary units: "199 KiB", "3.1 MiB", "12 B".
std::string binarySize(int64_t bytes);

} // namespace adjoint::cli
