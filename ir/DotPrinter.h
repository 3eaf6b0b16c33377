//===- DotPrinter.h - Graphviz pictures of graphs --------------*- C++ -*-===//
//
// Prints a graph in Graphviz's DOT language, laid out top to bottom: inputs
// and parameters as boxes of their own colours, every op as a node labelled
// with its op name, key attributes and result, outputs as their own nodes,
// and every edge labelled with the type of the value it carries. Optionally,
// boxes (clusters) around groups of nodes, such as the kernels of a fusion
// plan, and notes under nodes, such as why a node was not fused.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace adjoint {

class Graph;
class Node;

/// A labelled box around some nodes of a graph.
struct DotCluster {
  std::string label;
  std::vector<const Node *> nodes;
};

/// What printDot draws besides the graph itself.
struct DotOptions {
  /// Drawn as `subgraph cluster_N` in this order. A node belongs to the
  /// first cluster that lists it; nodes in none are drawn outside them all.
  std::vector<DotCluster> clusters;
  /// Text added under a node's label; such nodes get a red border.
  std::unordered_map<const Node *, std::string> notes;
};

/// The DOT text of `g`. Names are quoted and escaped, so any value or
/// output name gives valid DOT.
std::string printDot(const Graph &g);

/// The DOT text of `g` with clusters and notes.
std::string printDot(const Graph &g, const DotOptions &options);

/// `s` as a DOT double-quoted string, quotes included.
std::string dotQuote(std::string_view s);

} // namespace adjoint
