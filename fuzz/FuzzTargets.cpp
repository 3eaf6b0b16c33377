//===- FuzzTargets.cpp - What each fuzz target does with one input --------===//
//
// Adjoint's loaders read files by path and choose the format by the
// extension, so each target writes its input to a scratch file of this
// process with the extension it tests, and loads that: the whole loader
// runs, file reading included.
//
//===----------------------------------------------------------------------===//
#include "fuzz/FuzzTargets.h"

#include "compiler/onnx/OnnxImporter.h"
#include "compiler/training/Dataset.h"
#include "ir/Error.h"
#include "ir/Graph.h"
#include "ir/Interpreter.h"
#include "ir/ModelIO.h"
#include "ir/NpyFile.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <unistd.h>

namespace adjoint::fuzz {

namespace {

/// Writes `data` to this process's scratch file with `extension` and
/// returns its path.
std::string asFile(const uint8_t *data, size_t size,
                   const std::string &extension) {
  std::string path =
      (std::filesystem::temp_directory_path() /
       ("adjoint-fuzz-" + std::to_string(::getpid()) + extension))
          .string();
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f)
    std::abort();
  if (size && std::fwrite(data, 1, size, f) != size)
    std::abort();
  std::fclose(f);
  return path;
}

/// Runs `body`, for which adjoint::Error is an expected outcome.
template <typename F> void expectingErrors(F body) {
  try {
    body();
  } catch (const Error &) {
  }
}

void loadAs(const uint8_t *data, size_t size, const char *extension) {
  std::string path = asFile(data, size, extension);
  expectingErrors([&] { loadModel(path); });
}

void loadBinary(const uint8_t *data, size_t size) { loadAs(data, size, ".pb"); }

void loadProtoText(const uint8_t *data, size_t size) {
  loadAs(data, size, ".pbtxt");
}

void loadTextIr(const uint8_t *data, size_t size) {
  loadAs(data, size, ".adj");
}

void loadOnnx(const uint8_t *data, size_t size) {
  std::string path = asFile(data, size, ".onnx");
  expectingErrors([&] { importOnnx(path); });
}

void readNpyFile(const uint8_t *data, size_t size) {
  std::string path = asFile(data, size, ".npy");
  expectingErrors([&] {
    Tensor t = readNpy(path);
    double sum = 0; // every element must be readable
    for (int64_t i = 0; i < t.numElements(); ++i)
      sum += t.elementAsDouble(i);
    (void)sum;
  });
}

/// The same bytes as an IDX file of labels (1 dimension) and of images (3);
/// gzip-compressed input (1f 8b) is inflated first.
void readIdx(const uint8_t *data, size_t size) {
  std::string path = asFile(data, size, ".gz");
  for (size_t rank : {1, 3})
    expectingErrors([&] {
      Tensor t = readIdxFile(path, rank);
      if (t.numElements() > 0)
        (void)t.data<uint8_t>()[t.numElements() - 1];
    });
}

constexpr int64_t kMaxElements = 4096;
constexpr size_t kMaxNodes = 64;

bool isSmall(const Graph &g) {
  if (g.nodes().size() > kMaxNodes)
    return false;
  for (const Value *v : g.inputs())
    if (v->type().numElements() > kMaxElements)
      return false;
  for (const Param &p : g.params())
    if (p.value->type().numElements() > kMaxElements)
      return false;
  for (const auto &n : g.nodes())
    if (n->result()->type().numElements() > kMaxElements)
      return false;
  return true;
}

/// A text IR model, loaded and verified; when small, interpreted on
/// deterministic inputs: small integers for integer inputs (valid indices
/// more often than not), values in [-2, 2] for floats.
void interpretModel(const uint8_t *data, size_t size) {
  std::string path = asFile(data, size, ".adj");
  expectingErrors([&] {
    Model m = loadModel(path);
    if (!isSmall(m.graph))
      return;
    std::map<std::string, Tensor> inputs;
    for (const Value *v : m.graph.inputs()) {
      Tensor t(v->type());
      bool real = isFloat(v->type().dtype);
      for (int64_t i = 0; i < t.numElements(); ++i)
        t.setElementFromDouble(i, real ? (double)(i % 9) / 2 - 2
                                       : (double)(i % 4));
      inputs.emplace(v->name(), t);
    }
    interpret(m.graph, inputs);
  });
}

} // namespace

const std::map<std::string, FuzzTarget> &fuzzTargets() {
  static const std::map<std::string, FuzzTarget> targets = {
      {"LoadBinary", loadBinary},   {"LoadProtoText", loadProtoText},
      {"LoadTextIr", loadTextIr},   {"LoadOnnx", loadOnnx},
      {"ReadNpy", readNpyFile},     {"ReadIdx", readIdx},
      {"Interpret", interpretModel}};
  return targets;
}

} // namespace adjoint::fuzz
