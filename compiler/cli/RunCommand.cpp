//===- RunCommand.cpp - `adjoint run`: run a model on inputs --------------===//
//
// Binds inputs from .npy files, fills the others at random from a seed, runs
// the model with the chosen engine and writes or summarizes every output.
//
//===----------------------------------------------------------------------===//
#include "compiler/cli/CliCommon.h"

#include "ir/Error.h"
#include "ir/Interpreter.h"
#include "ir/ModelIO.h"
#include "ir/NpyFile.h"

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

/// The engines `--engine` accepts; the first is the default.
constexpr const char *kEngines[] = {"interp"};

/// At most this many leading values are shown in a summary.
constexpr int64_t kSummaryValues = 6;

struct RunOptions {
  std::string model;
  std::vector<std::string> inputs;
  std::string outDir;
  std::string engine = kEngines[0];
  std::string seed = "0";
};

/// One `-i NAME=FILE` binding.
struct InputBinding {
  std::string name, file;
};

InputBinding parseBinding(const std::string &spec) {
  size_t eq = spec.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
    badInput("-i '", spec, "': expected NAME=FILE.npy");
  InputBinding b{spec.substr(0, eq), spec.substr(eq + 1)};
  // Accept the text IR's spelling of a value name too: -i %x=x.npy.
  if (b.name.size() > 1 && b.name[0] == '%')
    b.name.erase(0, 1);
  return b;
}

std::string inputList(const Graph &g) {
  if (g.inputs().empty())
    return "it has no inputs";
  std::string out = "its inputs are";
  for (size_t i = 0; i < g.inputs().size(); ++i)
    out += (i ? ", %" : " %") + g.inputs()[i]->name();
  return out;
}

uint64_t splitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/// A tensor of `type` with random contents from stream `stream` of `seed`:
/// floats U(-1, 1), integers uniform in [0, 10), bools fair coin flips.
Tensor randomTensor(const TensorType &type, uint64_t seed, uint64_t stream) {
  Tensor t(type);
  uint64_t key = splitMix64(splitMix64(seed) ^ splitMix64(~stream));
  for (int64_t i = 0, n = t.numElements(); i < n; ++i) {
    uint64_t bits = splitMix64(key + (uint64_t)i * 0xd1b54a32d192ed03ull);
    double u = (double)(bits >> 11) * 0x1.0p-53; // [0, 1)
    double v = 0;
    switch (type.dtype) {
    case DType::F32:
    case DType::F64:
      v = -1 + 2 * u;
      break;
    case DType::I32:
    case DType::I64:
    case DType::U8:
      v = std::floor(u * 10);
      break;
    case DType::Bool:
      v = u < 0.5 ? 0 : 1;
      break;
    }
    t.setElementFromDouble(i, v);
  }
  return t;
}

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

/// The value of --seed: a decimal integer in [0, 2^64).
uint64_t parseSeed(const std::string &text) {
  uint64_t seed = 0;
  const char *end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, seed);
  if (text.empty() || ec != std::errc() || ptr != end)
    badInput("--seed '", text,
             "': expected a decimal integer from 0 to 18446744073709551615");
  return seed;
}

void checkEngine(const std::string &engine) {
  std::string accepted;
  for (const char *e : kEngines) {
    if (engine == e)
      return;
    accepted += (accepted.empty() ? "" : ", ") + std::string(e);
  }
  badInput("unknown engine '", engine, "' (accepted: ", accepted, ")");
}

/// Binds the -i files to inputs, checking names and types.
std::map<std::string, Tensor> bindInputs(const Graph &g,
                                         const std::vector<InputBinding> &bs) {
  std::map<std::string, Tensor> bound;
  for (const InputBinding &b : bs) {
    Value *v = g.findValue(b.name);
    if (!v || v->kind() != ValueKind::Input)
      badInput("-i ", b.name, "=", b.file, ": graph '", g.name(),
               "' has no input %", b.name, "; ", inputList(g));
    if (bound.count(b.name))
      badInput("-i ", b.name, "=", b.file, ": input %", b.name,
               " is given twice");
    Tensor t = readNpy(b.file);
    if (t.type() != v->type())
      badInput("input %", b.name, " expects ", typeStr(v->type()), " but ",
               b.file, " holds ", typeStr(t.type()));
    bound.emplace(b.name, std::move(t));
  }
  return bound;
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
  std::vector<InputBinding> bindings;
  for (const std::string &spec : opts.inputs)
    bindings.push_back(parseBinding(spec));

  Model m = loadModel(opts.model);
  const Graph &g = m.graph;
  std::vector<std::string> paths;
  if (!opts.outDir.empty())
    paths = outputPaths(g, opts.outDir);
  std::map<std::string, Tensor> inputs = bindInputs(g, bindings);
  for (size_t k = 0; k < g.inputs().size(); ++k) {
    const Value *in = g.inputs()[k];
    if (inputs.count(in->name()))
      continue;
    std::cerr << "adjoint: note: input %" << in->name() << " ("
              << typeStr(in->type()) << ") not given; filled at random "
              << "with seed " << seed << "\n";
    inputs.emplace(in->name(), randomTensor(in->type(), seed, k));
  }

  std::map<std::string, Tensor> results = interpret(g, inputs);

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
  app.add_option("MODEL", opts->model, "Model file (.pb, .pbtxt or .adj)")
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
                 "Engine that runs the model: interp (the reference "
                 "interpreter)")
      ->type_name("ENGINE")
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
