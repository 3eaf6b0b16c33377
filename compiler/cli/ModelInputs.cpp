//===- ModelInputs.cpp - Inputs of a model from the command line ----------===//
#include "compiler/cli/ModelInputs.h"

#include "compiler/onnx/OnnxImporter.h"
#include "compiler/training/Rebatch.h"
#include "ir/Error.h"
#include "ir/ModelIO.h"
#include "ir/NpyFile.h"
#include "ir/Specialize.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <iostream>

namespace adjoint::cli {

namespace {

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

/// Binds the -i files to inputs, checking names and types (symbolic
/// dimensions bound into `symbols`).
std::map<std::string, Tensor> bindInputs(const Graph &g,
                                         const std::vector<InputBinding> &bs,
                                         SymbolValues &symbols) {
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
    if (t.type() != v->type() &&
        (t.dtype() != v->type().dtype || isStatic(v->type().shape)))
      badInput("input %", b.name, " expects ", typeStr(v->type()), " but ",
               b.file, " holds ", typeStr(t.type()));
    if (!isStatic(v->type().shape))
      unifyShape(v->type().shape, t.shape(), symbols,
                 strCat("input %", b.name, " (", b.file, ")"));
    bound.emplace(b.name, std::move(t));
  }
  return bound;
}

} // namespace

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

std::map<std::string, Tensor> modelInputs(const Graph &g,
                                          const std::vector<std::string> &specs,
                                          uint64_t seed,
                                          SymbolValues *symbols) {
  std::vector<InputBinding> bindings;
  for (const std::string &spec : specs)
    bindings.push_back(parseBinding(spec));
  SymbolValues given = symbols ? *symbols : SymbolValues{};
  SymbolValues bound;
  std::map<std::string, Tensor> inputs = bindInputs(g, bindings, bound);
  for (const auto &[symbol, value] : given) {
    auto it = bound.find(symbol);
    if (it != bound.end() && it->second != value)
      badInput("the inputs give ", symbolName(symbol), " = ", it->second,
               ", not ", value);
    bound.emplace(symbol, value);
  }
  for (size_t k = 0; k < g.inputs().size(); ++k) {
    const Value *in = g.inputs()[k];
    if (inputs.count(in->name()))
      continue;
    for (SymbolId s : shapeSymbols(in->type().shape))
      if (bound.emplace(s, 1).second)
        std::cerr << "adjoint: note: no input gives the symbolic dimension "
                  << symbolName(s) << " a value; " << symbolName(s) << " = 1\n";
    TensorType type{in->type().dtype, bindShape(in->type().shape, bound)};
    std::cerr << "adjoint: note: input %" << in->name() << " (" << typeStr(type)
              << ") not given; filled at random "
              << "with seed " << seed << "\n";
    inputs.emplace(in->name(), randomTensor(type, seed, k));
  }
  if (symbols)
    *symbols = bound;
  return inputs;
}

Model loadModelForInputs(const std::string &file,
                         std::vector<std::string> &specs) {
  if (std::filesystem::path(file).extension() != ".onnx" || specs.empty())
    return loadModel(file);
  OnnxImportOptions options;
  options.onNote = [](const std::string &note) {
    std::cerr << "adjoint: note: " << note << "\n";
  };
  // The arrays of the model's graph inputs; other names are reported
  // later, as for any model.
  std::vector<std::string> names = onnxInputNames(file);
  for (const std::string &spec : specs) {
    InputBinding b = parseBinding(spec);
    if (std::find(names.begin(), names.end(), b.name) != names.end())
      options.inputValues.emplace(b.name, readNpy(b.file));
  }
  Model m = importOnnx(file, options);
  std::vector<std::string> kept;
  for (const std::string &spec : specs) {
    std::string name = parseBinding(spec).name;
    const Value *v = m.graph.findValue(name);
    if ((v && v->kind() == ValueKind::Input) ||
        !options.inputValues.count(name))
      kept.push_back(spec);
  }
  specs = std::move(kept);
  return m;
}

std::map<std::string, Tensor>
bindModelInputs(Model &m, const std::vector<std::string> &specs, uint64_t seed,
                const std::string &file) {
  // A static model given another number of examples for its batch input
  // runs re-batched to it, with a note.
  if (!hasSymbols(m.graph) && !m.graph.inputs().empty()) {
    std::string batch = batchInput(m);
    const Value *in = m.graph.findValue(batch);
    for (const std::string &spec : specs) {
      InputBinding b = parseBinding(spec);
      if (b.name != batch)
        continue;
      Shape given = readNpy(b.file).shape(), declared = in->type().shape;
      if (given.size() == declared.size() && !given.empty() &&
          given[0] != declared[0] && given[0] > 0 &&
          std::equal(given.begin() + 1, given.end(), declared.begin() + 1)) {
        // A model that cannot be re-batched reports the shape mismatch.
        try {
          Model other = rebatch(m, given[0]);
          std::cerr << "adjoint: note: " << file << ": %" << batch << " holds "
                    << given[0] << " examples; the model runs re-batched from "
                    << declared[0] << " to " << given[0] << "\n";
          m = std::move(other);
        } catch (const Error &) {
        }
      }
    }
  }
  SymbolValues symbols;
  std::map<std::string, Tensor> inputs =
      modelInputs(m.graph, specs, seed, &symbols);
  if (hasSymbols(m.graph))
    m.graph = withContext(file, [&] { return specialize(m.graph, symbols); });
  return inputs;
}

} // namespace adjoint::cli
