//===- RunCommand.cpp - `adjoint run`: run a model on inputs --------------===//
//
// Binds inputs from .npy files, fills the others at random from a seed, runs
// the model with the chosen engine and writes or summarizes every output.
//
//===----------------------------------------------------------------------===//
#include "compiler/cli/CliCommon.h"
#include "compiler/cli/ModelInputs.h"

#include "compiler/Executable.h"
#include "ir/Error.h"
#include "ir/FileIO.h"
#include "ir/Interpreter.h"
#include "ir/Layers.h"
#include "ir/ModelIO.h"
#include "ir/NpyFile.h"
#include "ir/Specialize.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>

namespace adjoint::cli {

namespace {

/// At most this many leading values are shown in a summary.
constexpr int64_t kSummaryValues = 6;

struct RunOptions {
  std::string model;
  std::vector<std::string> inputs;
  std::string outDir;
  std::string engine = kEngines[0];
  int threads = 0;
  std::string seed = "0";
};

/// `name` with every character outside [A-Za-z0-9._-] replaced by '_'.
std::string sanitizeFileName(const std::string &name) {
  std::string out = name;
  for (char &c : out) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok)
      c = '_';
  }
  return out;
}

std::string formatElement(const Tensor &t, int64_t i) {
  return visitDType(t.dtype(), [&](auto tag) -> std::string {
    using T = decltype(tag);
    T v = t.data<T>()[i];
    if constexpr (std::is_same_v<T, bool>) {
      return v ? "true" : "false";
    } else if constexpr (std::is_floating_point_v<T>) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.6g", (double)v);
      return buf;
    } else {
      return std::to_string(v);
    }
  });
}

std::string formatDouble(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

/// Two lines: the first values, then min, max and mean (NaNs counted apart).
void printSummary(std::ostream &os, const std::string &name, const Tensor &t) {
  os << name << ": " << typeStr(t.type()) << "\n";
  int64_t n = t.numElements();
  if (n == 0) {
    os << "  (no elements)\n";
    return;
  }
  os << "  values: [";
  for (int64_t i = 0; i < std::min(n, kSummaryValues); ++i)
    os << (i ? ", " : "") << formatElement(t, i);
  os << (n > kSummaryValues ? ", ...]" : "]") << "\n";
  double lo = INFINITY, hi = -INFINITY, sum = 0;
  int64_t nans = 0;
  for (int64_t i = 0; i < n; ++i) {
    double v = t.elementAsDouble(i);
    if (std::isnan(v)) {
      ++nans;
      continue;
    }
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    sum += v;
  }
  if (nans == n) {
    os << "  all " << n << " values are NaN\n";
    return;
  }
  os << "  min " << formatDouble(lo) << "  max " << formatDouble(hi)
     << "  mean " << formatDouble(sum / (double)(n - nans));
  if (nans)
    os << "  (" << nans << " NaN)";
  os << "\n";
}

/// The file each output goes to in `dir`; throws if two would collide.
std::vector<std::string> outputPaths(const Graph &g, const std::string &dir) {
  std::map<std::string, std::string> owner; // file name -> output name
  std::vector<std::string> paths;
  for (const Output &out : g.outputs()) {
    std::string file = sanitizeFileName(out.name) + ".npy";
    auto [it, inserted] = owner.emplace(file, out.name);
    if (!inserted)
      badInput("outputs '", it->second, "' and '", out.name,
               "' would both be written to ",
               (std::filesystem::path(dir) / file).string());
    paths.push_back((std::filesystem::path(dir) / file).string());
  }
  return paths;
}

void runRun(const RunOptions &opts) {
  checkEngine(opts.engine);
  uint64_t seed = parseSeed(opts.seed);
  if (!opts.outDir.empty())
    checkWritableDirectory(opts.outDir, "-o");
  std::vector<InputArray> arrays = readInputArrays(opts.inputs);
  Model m = loadModelForInputs(opts.model, arrays);
  m.graph = forInference(m.graph); // dropout the identity, batch norm moving
  std::vector<std::string> paths;
  if (!opts.outDir.empty())
    paths = outputPaths(m.graph, opts.outDir);
  // A model with symbolic dimensions runs at the inputs' sizes.
  std::map<std::string, Tensor> inputs =
      bindModelInputs(m, arrays, seed, opts.model);
  const Graph &g = m.graph;

  std::map<std::string, Tensor> results;
  if (opts.engine == "interp") {
    results = interpret(g, inputs);
  } else {
    CompileOptions options;
    options.threads = opts.threads;
    results = compile(g, options)->run(inputs);
  }

  if (opts.outDir.empty()) {
    for (const Output &out : g.outputs())
      printSummary(std::cout, out.name, results.at(out.name));
    return;
  }
  std::error_code ec;
  std::filesystem::create_directories(opts.outDir, ec);
  if (ec)
    failed("cannot create directory '", opts.outDir, "': ", ec.message());
  for (size_t i = 0; i < g.outputs().size(); ++i) {
    const Output &out = g.outputs()[i];
    const Tensor &t = results.at(out.name);
    writeNpy(paths[i], t);
    std::cout << out.name << ": " << typeStr(t.type()) << " -> " << paths[i]
              << "\n";
  }
}

} // namespace

Action addRunCommand(CLI::App &app) {
  auto opts = std::make_shared<RunOptions>();
  app.add_option("MODEL", opts->model,
                 "Model file (.pb, .pbtxt, .adj or .onnx)")
      ->required();
  app.add_option("-i,--input", opts->inputs,
                 "Bind input NAME to the array in FILE.npy (repeatable); "
                 "inputs not given are filled at random")
      ->type_name("NAME=FILE")
      ->allow_extra_args(false);
  app.add_option("-o,--output-dir", opts->outDir,
                 "Write each output to DIR/<output name>.npy (DIR is created "
                 "if missing); without it, print a summary of each output")
      ->type_name("DIR");
  app.add_option("--engine", opts->engine,
                 "Engine that runs the model: jit (native code) or interp "
                 "(the reference interpreter)")
      ->type_name("ENGINE")
      ->capture_default_str();
  app.add_option("--threads", opts->threads,
                 "Threads for the jit engine (0: all cores)")
      ->type_name("N")
      ->check(nonNegativeNumber())
      ->capture_default_str();
  app.add_option("--seed", opts->seed,
                 "Seed of the random values of inputs not given with -i")
      ->type_name("N")
      ->capture_default_str();
  app.footer("Examples:\n"
             "  adjoint run model.pbtxt -i x=x.npy -o out/   # writes "
             "out/<output>.npy\n"
             "  adjoint run model.pbtxt --seed 7            # random inputs, "
             "summaries");
  return [opts] { runRun(*opts); };
}

} // namespace adjoint::cli
