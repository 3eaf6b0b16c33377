//===- Specialize.h - Graphs with their symbols bound -----------*- C++ -*-===//
//
// A graph whose inputs have symbolic dimensions (ir/SymbolicDim.h) stands
// for a graph per value of its symbols. Symbols enter only through inputs:
// parameters, constants and attributes are static, and every node's type
// follows from its operands'. Binding the symbols gives the static graph
// that the interpreter and the compiler's lowering run.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Graph.h"
#include "ir/SymbolicDim.h"
#include "ir/Tensor.h"

#include <map>
#include <string>

namespace adjoint {

/// Whether an input of `g` has a symbolic dimension.
bool hasSymbols(const Graph &g);

/// The symbols of `g`'s inputs, in order of first appearance.
std::vector<SymbolId> graphSymbols(const Graph &g);

/// The values of `g`'s symbols that make its inputs' declared shapes those
/// of `inputs` (by name; inputs missing from the map bind nothing). Throws
/// BadInput naming the input when a dtype, a rank, a static extent or a
/// symbol bound by another input disagrees.
SymbolValues bindSymbols(const Graph &g,
                         const std::map<std::string, Tensor> &inputs);

/// `g` with its symbols replaced by `values` (which must give each one a
/// positive value): inputs' types bound, every node's type inferred again.
/// Throws BadInput naming the node when a value makes one ill-typed.
Graph specialize(const Graph &g, const SymbolValues &values);

/// The static graph `g` with its batch made the symbol `symbol`: input
/// `features`, every other input of the same leading extent and every iota
/// of it (unless it is 1) take the symbol as their leading dimension, and
/// every node is inferred again, symbolic shape inference carrying the
/// symbol through. A node whose attributes spell the old batch out (a
/// reshape's target, a broadcast's, an iota's, a slice over the whole
/// batch) is inferred again with them written in terms of the symbol, where
/// its old result has the batch. specialize() at the old batch gives `g`
/// back. Throws BadInput naming the node, its op and its types where the
/// examples do not follow the batch (a constant of its size, a reshape
/// that merges it with other axes, a slice or pad of it). The shape
/// attributes of the result may hold the symbol, which the model formats
/// do not write: it is for specialize(), not for saving.
Graph generalizeBatch(const Graph &g, const std::string &features,
                      SymbolId symbol);

/// Throws BadInput unless `g` has no symbols: `stage` (such as "the
/// compiler") needs a static graph. The message names the first symbolic
/// input and how to give a batch.
void requireStatic(const Graph &g, const std::string &stage);

/// "N = 64, T = 28".
std::string symbolValuesStr(const SymbolValues &values);

} // namespace adjoint
