//===- ModelInputs.cpp - Inputs of a model from the command line ----------===//
#include "compiler/cli/ModelInputs.h"

#include "compiler/onnx/OnnxImporter.h"
#include "compiler/training/Rebatch.h"
#include "ir/Error.h"
#include "ir/ModelIO.h"
#include "ir/NpyFile.h"
#include "ir/Specialize.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <iostream>

namespace adjoint::cli {

namespace {

/// The name and file of one `-i NAME=FILE`.
std::pair<std::string, std::string> parseBinding(const std::string &spec) {
  size_t eq = spec.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
    badInput("-i '", spec, "': expected NAME=FILE.npy");
  std::string name = spec.substr(0, eq);
  // Accept the text IR's spelling of a value name too: -i %x=x.npy.
  if (name.size() > 1 && name[0] == '%')
    name.erase(0, 1);
  return {name, spec.substr(eq + 1)};
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

/// Binds the arrays to inputs, checking names and types (symbolic
/// dimensions bound into `symbols`).
std::map<std::string, Tensor> bindInputs(const Graph &g,
                                         const std::vector<InputArray> &arrays,
                                         SymbolValues &symbols) {
  std::map<std::string, Tensor> bound;
  for (const InputArray &a : arrays) {
    Value *v = g.findValue(a.name);
    if (!v || v->kind() != ValueKind::Input)
      badInput("-i ", a.name, "=", a.file, ": graph '", g.name(),
               "' has no input %", a.name, "; ", inputList(g));
    if (bound.count(a.name))
      badInput("-i ", a.name, "=", a.file, ": input %", a.name,
               " is given twice");
    const Tensor &t = a.data;
    if (t.type() != v->type() &&
        (t.dtype() != v->type().dtype || isStatic(v->type().shape)))
      badInput("input %", a.name, " expects ", typeStr(v->type()), " but ",
               a.file, " holds ", typeStr(t.type()));
    if (!isStatic(v->type().shape))
      unifyShape(v->type().shape, t.shape(), symbols,
                 strCat("input %", a.name, " (", a.file, ")"));
    bound.emplace(a.name, t);
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

std::vector<InputArray> readInputArrays(const std::vector<std::string> &specs) {
  std::vector<InputArray> arrays;
  for (const std::string &spec : specs) {
    auto [name, file] = parseBinding(spec);
    arrays.push_back({name, file, readNpy(file)});
  }
  return arrays;
}

std::map<std::string, Tensor> modelInputs(const Graph &g,
                                          const std::vector<InputArray> &arrays,
                                          uint64_t seed, SymbolValues &symbols,
                                          const SymbolValues &defaults) {
  SymbolValues bound = symbols;
  std::map<std::string, Tensor> inputs = bindInputs(g, arrays, bound);
  for (size_t k = 0; k < g.inputs().size(); ++k) {
    const Value *in = g.inputs()[k];
    if (inputs.count(in->name()))
      continue;
    for (SymbolId s : shapeSymbols(in->type().shape))
      if (auto d = defaults.find(s);
          bound.emplace(s, d != defaults.end() ? d->second : 1).second)
        std::cerr << "adjoint: note: no input gives the symbolic dimension "
                  << symbolName(s) << " a value; " << symbolName(s) << " = "
                  << bound.at(s)
                  << (d != defaults.end() ? " (the training spec's batch_size)"
                                          : "")
                  << "\n";
    TensorType type{in->type().dtype, bindShape(in->type().shape, bound)};
    std::cerr << "adjoint: note: input %" << in->name() << " (" << typeStr(type)
              << ") not given; filled at random "
              << "with seed " << seed << "\n";
    inputs.emplace(in->name(), randomTensor(type, seed, k));
  }
  symbols = bound;
  return inputs;
}

Model loadModelForInputs(const std::string &file,
                         std::vector<InputArray> &arrays) {
  if (std::filesystem::path(file).extension() != ".onnx" || arrays.empty())
    return loadModel(file);
  onnx::ModelProto proto = readOnnxModel(file);
  OnnxImportOptions options;
  options.onNote = [](const std::string &note) {
    std::cerr << "adjoint: note: " << note << "\n";
  };
  // The arrays of the model's graph inputs; other names are reported
  // later, as for any model.
  std::vector<std::string> names = onnxInputNames(proto);
  for (const InputArray &a : arrays)
    if (std::find(names.begin(), names.end(), a.name) != names.end())
      options.inputValues.emplace(a.name, a.data);
  Model m = importOnnx(proto, file, options);
  std::erase_if(arrays, [&](const InputArray &a) {
    const Value *v = m.graph.findValue(a.name);
    bool input = v && v->kind() == ValueKind::Input;
    return !input && options.inputValues.count(a.name);
  });
  return m;
}

namespace {

/// The number of examples that `arrays` give the batch input of the static
/// model `m` when it is not the model's own and the rest of the shape is;
/// 0 otherwise.
int64_t otherBatch(const Model &m, const std::vector<InputArray> &arrays) {
  if (hasSymbols(m.graph))
    return 0;
  std::string batch;
  try {
    batch = batchInput(m);
  } catch (const Error &) {
    return 0; // no input has a batch dimension
  }
  const Shape &declared = m.graph.findValue(batch)->type().shape;
  for (const InputArray &a : arrays) {
    const Shape &given = a.data.shape();
    if (a.name == batch && given.size() == declared.size() &&
        given[0] != declared[0] && given[0] > 0 &&
        std::equal(given.begin() + 1, given.end(), declared.begin() + 1))
      return given[0];
  }
  return 0;
}

} // namespace

std::map<std::string, Tensor>
bindModelInputs(Model &m, const std::vector<InputArray> &arrays, uint64_t seed,
                const std::string &file, const SymbolValues &preset) {
  // A static model given another number of examples for its batch input
  // runs re-batched to it; one that cannot be re-batched reports the shape
  // mismatch.
  if (int64_t examples = otherBatch(m, arrays)) {
    try {
      Model other = rebatch(m, examples);
      std::cerr << "adjoint: note: " << file << ": %" << batchInput(m)
                << " holds " << examples
                << " examples; the model runs re-batched from "
                << m.graph.findValue(batchInput(m))->type().shape[0] << " to "
                << examples << "\n";
      m = std::move(other);
    } catch (const Error &) {
    }
  }
  SymbolValues symbols = preset, defaults;
  // The spec's batch size for the batch symbol (that of its features).
  if (m.training && m.training->batchSize > 0)
    if (const Value *f = m.graph.findValue(m.training->features);
        f && f->kind() == ValueKind::Input && f->type().rank() > 0 &&
        isSymbolic(f->type().shape[0]))
      defaults[dimSymbol(f->type().shape[0])] = m.training->batchSize;
  std::map<std::string, Tensor> inputs =
      modelInputs(m.graph, arrays, seed, symbols, defaults);
  if (hasSymbols(m.graph))
    m.graph = withContext(file, [&] { return specialize(m.graph, symbols); });
  return inputs;
}

} // namespace adjoint::cli
