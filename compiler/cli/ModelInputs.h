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

/// Every input of `g`: those named by the `-i NAME=FILE.npy` specs read from
/// their files (names, dtypes and shapes checked), the others filled at
/// random from `seed` (floats U(-1, 1), integers in [0, 10), fair bools),
/// with a note on stderr for each. Throws BadInput naming the input, the
/// file and both types on a mismatch.
///
/// For a graph with symbolic dimensions, the files' shapes give the symbols
/// their values (`symbols` receives them): a symbol no file binds takes the
/// value in `symbols` when the caller put one there, else 1 with a note.
std::map<std::string, Tensor> modelInputs(const Graph &g,
                                          const std::vector<std::string> &specs,
                                          uint64_t seed,
                                          SymbolValues *symbols = nullptr);

/// The model in `file`. An ONNX model is imported with the `-i` arrays as
/// the values of the inputs they name, so that an input an op needs as
/// static data (Reshape's shape, Slice's starts, ReduceSum's axes) is
/// folded into the graph as an initializer would be; the bindings of
/// inputs the import dropped (every use of them folded) leave `specs`.
Model loadModelForInputs(const std::string &file,
                         std::vector<std::string> &specs);

/// modelInputs for `m`, whose symbolic dimensions then take the inputs'
/// sizes: m.graph is specialized to them (`file` names the model in
/// errors). What `run` and `bench` do first.
std::map<std::string, Tensor>
bindModelInputs(Model &m, const std::vector<std::string> &specs, uint64_t seed,
                const std::string &file);

} // namespace adjoint::cli
