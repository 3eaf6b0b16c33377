//===- BenchCommand.cpp - `adjoint bench`: how fast is a model here -------===//
//
// Compiles a model, runs it a few times to warm up, then times repeated runs
// and prints the compile time, the median, min and max latency, runs per
// second and the achieved GFLOP/s from the model's FLOP count.
//
//===----------------------------------------------------------------------===//
#include "compiler/cli/CliCommon.h"
#include "compiler/cli/ModelInputs.h"

#include "compiler/Executable.h"
#include "compiler/training/Rebatch.h"
#include "compiler/training/Trainer.h"
#include "ir/Error.h"
#include "ir/Flops.h"
#include "ir/GraphCopy.h"
#include "ir/Interpreter.h"
#include "ir/Layers.h"
#include "ir/ModelIO.h"
#include "ir/Specialize.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>
#include <utility>

namespace adjoint::cli {

namespace {

struct BenchOptions {
  std::string model;
  std::vector<std::string> inputs;
  std::string engine = kEngines[0];
  std::string seed = "0";
  int threads = 0;
  int warmup = 3;
  int iters = 20;
  int64_t batch = 0;
  bool train = false;
  std::string loss;
  std::string optimizer;
  bool noOptimize = false;
  bool staticBatch = false;
  bool profile = false;
};

/// "N kernels, arena A for I of intermediates".
std::string codeSummary(const Executable &exe) {
  char buf[200];
  std::snprintf(buf, sizeof buf,
                "kernels: %d, arena: %.2f MB for %.2f MB of materialized "
                "intermediates (%.2f MB for all of them)\n",
                exe.kernelCount(), (double)exe.arenaBytes() / 1e6,
                (double)exe.intermediateBytes() / 1e6,
                (double)exe.graphIntermediateBytes() / 1e6);
  return buf;
}

/// The kernels that took the most time per run, longest first, each with
/// its share of the time of all kernels (warm-up runs included).
std::string profileTable(const Executable &exe) {
  std::vector<KernelTime> times = exe.profile();
  double total = 0;
  for (const KernelTime &t : times)
    total += t.seconds;
  std::sort(times.begin(), times.end(),
            [](const KernelTime &a, const KernelTime &b) {
              return a.seconds > b.seconds;
            });
  std::ostringstream os;
  char line[160];
  std::snprintf(line, sizeof line,
                "profile: %zu kernel groups, %.3f ms per run in all\n"
                "     ms      %%  group\n",
                times.size(), total * 1e3);
  os << line;
  const size_t shown = 25;
  for (size_t i = 0; i < times.size() && i < shown; ++i) {
    std::string what = times[i].description;
    if (what.size() > 90)
      what = what.substr(0, 87) + "...";
    std::snprintf(line, sizeof line, "%7.3f  %5.1f  %3d %s\n",
                  times[i].seconds * 1e3,
                  total > 0 ? 100 * times[i].seconds / total : 0.0,
                  times[i].group, what.c_str());
    os << line;
  }
  if (times.size() > shown)
    os << "  ... " << times.size() - shown << " more\n";
  return os.str();
}

/// A time with at least four significant digits: in microseconds below a
/// millisecond (a small model's step takes a few).
std::string duration(double seconds) {
  char buf[32];
  if (seconds < 1e-3)
    std::snprintf(buf, sizeof buf, "%.2f us", seconds * 1e6);
  else
    std::snprintf(buf, sizeof buf, "%.3f ms", seconds * 1e3);
  return buf;
}

/// `m` re-batched to `batch` unless it has that batch already; `note`
/// receives a line saying so when it was re-batched.
Model withBatch(Model m, const std::string &file, int64_t batch,
                std::string &note) {
  return withContext(file, [&] {
    int64_t was = m.graph.findValue(batchInput(m))->type().shape[0];
    if (was == batch)
      return std::move(m);
    note =
        isSymbolic(was)
            ? strCat("batch: ", batch, " (", dimStr(was), " = ", batch, ")\n")
            : strCat("batch: ", batch, " (re-batched from ", was, ")\n");
    return rebatch(m, batch);
  });
}

void runBench(const BenchOptions &opts) {
  checkEngine(opts.engine);
  uint64_t seed = parseSeed(opts.seed);
  if (opts.profile && opts.engine != "jit")
    badInput("--profile times the compiled kernels: use --engine jit");
  std::vector<InputArray> arrays = readInputArrays(opts.inputs);
  Model m = loadModelForInputs(opts.model, arrays);
  if (!opts.train)
    m.graph = forInference(m.graph); // dropout the identity, batch norm moving
  std::string batchNote;
  // A model with a symbolic batch compiles once for every batch (unless
  // --static) and runs at --batch or the inputs' size.
  std::vector<SymbolId> symbols = graphSymbols(m.graph);
  bool everyBatch = symbols.size() == 1 && !opts.train &&
                    opts.engine == "jit" && !opts.staticBatch;
  SymbolValues preset;
  if (opts.batch && symbols.size() == 1) {
    preset[symbols[0]] = opts.batch;
    batchNote = strCat("batch: ", opts.batch, " (", symbolName(symbols[0]),
                       " = ", opts.batch, ")\n");
  } else if (opts.batch) {
    m = withBatch(std::move(m), opts.model, opts.batch, batchNote);
  }
  Graph symbolic = everyBatch ? copyGraph(m.graph) : Graph();
  std::map<std::string, Tensor> inputs =
      bindModelInputs(m, arrays, seed, opts.model, preset);
  const Graph &g = m.graph;
  int64_t flops = graphFlops(g);

  using Clock = std::chrono::steady_clock;
  std::function<void()> runOnce;
  std::unique_ptr<Executable> exe;
  std::unique_ptr<Trainer> trainer;
  std::vector<Tensor> in, out;
  double compileSeconds = 0;
  if (opts.train) {
    if (opts.engine != "jit")
      badInput("--train runs the compiled training step: use --engine jit");
    TrainerOptions topts;
    topts.threads = opts.threads;
    topts.simplify = topts.fuse = !opts.noOptimize;
    topts.profile = opts.profile;
    topts.loss = opts.loss;
    if (!opts.optimizer.empty()) {
      std::optional<OptimizerKind> kind = parseOptimizerKind(opts.optimizer);
      if (!kind)
        badInput("unknown optimizer '", opts.optimizer,
                 "' (accepted: sgd, momentum, adam, adamw)");
      OptimizerConfig config;
      config.kind = *kind;
      topts.optimizer = config;
    }
    // Without a spec: the named loss, every float parameter, Adam.
    if (!m.training && opts.loss.empty())
      badInput(opts.model, ": no training spec names a loss; pass --loss");
    auto start = Clock::now();
    trainer = std::make_unique<Trainer>(m, topts);
    compileSeconds =
        std::chrono::duration<double>(Clock::now() - start).count();
    // A training step costs about three forward passes.
    flops *= 3;
    runOnce = [&] { trainer->step(inputs); };
  } else if (opts.engine == "jit") {
    CompileOptions options;
    options.threads = opts.threads;
    options.simplify = options.fuse = !opts.noOptimize;
    options.profile = opts.profile;
    exe = compile(everyBatch ? symbolic : g, options);
    compileSeconds = exe->compileSeconds();
    for (const TensorInfo &info : exe->inputs())
      in.push_back(inputs.at(info.name));
    for (const Output &o : g.outputs()) // bound at the batch run
      out.emplace_back(o.value->type());
    runOnce = [&] { exe->run(in, out); };
  } else {
    runOnce = [&] { interpret(g, inputs); };
  }

  for (int i = 0; i < opts.warmup; ++i)
    runOnce();
  std::vector<double> times;
  for (int i = 0; i < opts.iters; ++i) {
    auto start = Clock::now();
    runOnce();
    times.push_back(
        std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  double median =
      times.size() % 2
          ? times[times.size() / 2]
          : (times[times.size() / 2 - 1] + times[times.size() / 2]) / 2;

  std::cout << "model: " << g.name() << " (" << g.nodes().size() << " nodes, "
            << metricCount(flops) << "FLOP per run)\n"
            << batchNote;
  std::cout << "engine: " << opts.engine
            << (opts.train ? " (training step)" : "");
  if (opts.engine == "jit")
    std::cout << ", threads: "
              << (opts.threads > 0 ? std::to_string(opts.threads)
                                   : "all cores");
  std::cout << "\n";
  if (everyBatch)
    std::cout << "code: compiled once for every batch "
              << symbolName(symbols[0]) << "\n";
  if (opts.engine == "jit")
    std::cout << "compile: " << duration(compileSeconds)
              << (opts.noOptimize ? " (not optimized: one kernel per node)"
                                  : "")
              << "\n"
              << codeSummary(trainer ? trainer->stepExecutable() : *exe);
  if (opts.train)
    std::cout << "FLOPs of a step are estimated as 3x the forward pass\n";
  std::cout << "latency: median " << duration(median) << ", min "
            << duration(times.front()) << ", max " << duration(times.back())
            << " (" << opts.iters << " runs after " << opts.warmup
            << " warm-up)\n";
  char buf[96];
  std::snprintf(buf, sizeof buf, "throughput: %.1f runs/s, %.2f GFLOP/s\n",
                1.0 / median, (double)flops / median * 1e-9);
  std::cout << buf;
  if (opts.profile)
    std::cout << profileTable(trainer ? trainer->stepExecutable() : *exe);
}

} // namespace

Action addBenchCommand(CLI::App &app) {
  auto opts = std::make_shared<BenchOptions>();
  app.add_option("MODEL", opts->model,
                 "Model file (.pb, .pbtxt, .adj or .onnx)")
      ->required();
  app.add_option("-i,--input", opts->inputs,
                 "Bind input NAME to the array in FILE.npy (repeatable); "
                 "inputs not given are filled at random")
      ->type_name("NAME=FILE")
      ->allow_extra_args(false);
  app.add_option("--engine", opts->engine,
                 "Engine to time: jit (native code) or interp (the reference "
                 "interpreter)")
      ->type_name("ENGINE")
      ->capture_default_str();
  app.add_option("--threads", opts->threads,
                 "Threads for the jit engine (0: all cores)")
      ->type_name("N")
      ->check(nonNegativeNumber())
      ->capture_default_str();
  app.add_option("--warmup", opts->warmup, "Untimed runs first")
      ->type_name("W")
      ->check(nonNegativeNumber())
      ->capture_default_str();
  app.add_option("--iters", opts->iters, "Timed runs")
      ->type_name("K")
      ->check(positiveNumber())
      ->capture_default_str();
  app.add_flag("--static", opts->staticBatch,
               "With a symbolic batch: compile the model bound at the batch "
               "it runs rather than once for every batch");
  app.add_option("--batch", opts->batch,
                 "Examples per run (default: the model's batch size; another "
                 "size re-batches the model)")
      ->type_name("B")
      ->check(positiveNumber());
  app.add_flag("--profile", opts->profile,
               "With --engine jit: time each kernel of the compiled model "
               "(or step) and print the longest, with the fusion group each "
               "runs ('adjoint dump --after fusion' lists the groups)");
  app.add_flag("--no-optimize", opts->noOptimize,
               "Skip simplification and fusion (one kernel per node), to "
               "measure what the optimizing pipeline gains");
  app.add_flag("--train", opts->train,
               "Time the compiled training step (forward, backward, update) "
               "instead of inference");
  app.add_option("--loss", opts->loss,
                 "With --train: the loss output (default: the spec's)")
      ->type_name("NAME");
  app.add_option("--optimizer", opts->optimizer,
                 "With --train: sgd, momentum, adam or adamw")
      ->type_name("NAME");
  app.add_option("--seed", opts->seed,
                 "Seed of the random values of inputs not given with -i")
      ->type_name("N")
      ->capture_default_str();
  app.footer(
      "Example:\n  adjoint bench examples/fashion_cnn.pbtxt --threads 2");
  return [opts] { runBench(*opts); };
}

} // namespace adjoint::cli
