//===- GraphCopy.h - Deep copies of graphs --------------------------------===//
//
// Transforms that build a new graph from an old one (the gradient graph, the
// training step) start from a copy: the same inputs, parameters (data and
// initializer recipes), nodes and outputs, with no storage shared with the
// original. A ValueMap tells which new value stands for each old one.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Graph.h"

#include <unordered_map>

namespace adjoint {

/// The values of one graph mapped to the values of another.
using ValueMap = std::unordered_map<const Value *, Value *>;

/// A deep copy of `g`: same name, inputs, parameters (their data cloned and
/// their recipes kept), nodes (constant tensors cloned), and outputs, in the
/// same order and with the same value names. When `map` is given, it
/// receives every value of `g` mapped to its copy. With `withOutputs` false
/// the copy has no outputs yet, for a transform that declares its own.
Graph copyGraph(const Graph &g, ValueMap *map = nullptr,
                bool withOutputs = true);

} // namespace adjoint
