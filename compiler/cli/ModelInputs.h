//===- ModelInputs.h - Inputs of a model from the command line -*- C++ -*-===//
//
// `run` and `bench` bind inputs from `-i NAME=FILE.npy` and fill the others
// with deterministic random values from `--seed`.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Graph.h"
#include "ir/Model.h"
#include "ir/SymbolicDim.h"
#include "ir/Tensor.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace adjoint::cli {

/// The value of --seed: a decimal integer in [0, 2^64); BadInput otherwise.
uint64_t parseSeed(const std::string &text);

/// One `-i NAME=FILE.npy` binding with its array.
struct InputArray {
  std::string name, file;
  Tensor data;
};

/// The `-i NAME=FILE.npy` specs parsed and their files read, each once, in
/// order (the names are checked against the model later).
std::vector<InputArray> readInputArrays(const std::vector<std::string> &specs);

/// Every input of `g`: the `arrays` (names, dtypes and shapes checked), the
/// others filled at random from `seed` (floats U(-1, 1), integers in
/// [0, 10), fair bools), with a note on stderr for each. Throws BadInput
/// naming the input, the file and both types on a mismatch. The arrays'
/// shapes give `g`'s symbolic dimensions their values (`symbols`, which may
/// hold some already, receives them); a symbol none binds takes its value
/// in `defaults` (the training spec's batch size), else 1, with a note.
std::map<std::string, Tensor> modelInputs(const Graph &g,
                                          const std::vector<InputArray> &arrays,
                                          uint64_t seed, SymbolValues &symbols,
                                          const SymbolValues &defaults = {});

/// The model in `file`. An ONNX model is imported with the arrays as the
/// values of the inputs they name, so that an input an op needs as static
/// data (Reshape's shape, Slice's starts, ReduceSum's axes) is folded into
/// the graph as an initializer would be; the arrays of inputs the import
/// dropped (every use of them folded) leave `arrays`.
Model loadModelForInputs(const std::string &file,
                         std::vector<InputArray> &arrays);

/// modelInputs for `m`, which first takes the arrays' sizes: a static model
/// given another number of examples for its batch input is re-batched to
/// it (with a note), and symbolic dimensions are bound (m.graph
/// specialized). `file` names the model in errors; `preset` gives symbols
/// values before the arrays do (`bench --batch B`); a symbol neither binds
/// takes the training spec's batch size, if any. What `run` and `bench` do
/// first.
std::map<std::string, Tensor>
bindModelInputs(Model &m, const std::vector<InputArray> &arrays, uint64_t seed,
                const std::string &file, const SymbolValues &preset = {});

} // namespace adjoint::cli
